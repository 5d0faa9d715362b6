extension Int {
    /// `value` rounded towards zero and clamped to `Int`'s range, NaN as 0: for numbers that
    /// come from a user or a file (a duration of 1e308 seconds, a hostile timestamp), where
    /// `Int(_:)` would stop the process.
    public init(saturating value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= 0x1p63 {
            self = .max
        } else if value < -0x1p63 {
            self = .min
        } else {
            self = Int(value)
        }
    }
}
