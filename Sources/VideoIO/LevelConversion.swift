extension UInt8 {
    /// The 8-bit level of a value in [0, 1]: `value · 255 + 0.5` rounded down, with values
    /// below 0 (and NaN) as 0 and above 1 as 255 — the same as
    /// `UInt8(min(max(value, 0), 1) * 255 + 0.5)`, but without that conversion's range check,
    /// so a loop of them vectorises (a full-resolution frame is ~1 M of them).
    ///
    /// Adding and subtracting 2²³ rounds a float in [0, 2²³) to the nearest integer (ties to
    /// even); one less where that went up gives the floor, and the low byte of `floor + 2²³`'s
    /// bit pattern is the floor itself.
    @inlinable @inline(__always)
    public init(level value: Float) {
        let clamped: Float = value.isNaN ? 0 : Swift.min(Swift.max(value, 0), 1)
        let scaled = clamped * 255 + 0.5
        let nearest = (scaled + 0x1p23) - 0x1p23
        let floor = nearest > scaled ? nearest - 1 : nearest
        self.init(truncatingIfNeeded: (floor + 0x1p23).bitPattern)
    }
}
