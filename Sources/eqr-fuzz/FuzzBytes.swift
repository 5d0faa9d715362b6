/// A fuzz input read as a program: bytes taken from the front, zeros once it runs out.
struct FuzzBytes {
    private var bytes: ArraySlice<UInt8>

    init(_ bytes: [UInt8]) { self.bytes = bytes[...] }

    /// Whether any byte is left.
    var isEmpty: Bool { bytes.isEmpty }

    /// The next byte (0 past the end).
    mutating func byte() -> UInt8 { bytes.popFirst() ?? 0 }

    /// A number in 0..<bound from the next byte.
    mutating func below(_ bound: Int) -> Int { Int(byte()) % max(bound, 1) }

    /// The next four bytes as an Int32 (any value, negative included).
    mutating func int32() -> Int32 {
        var value: UInt32 = 0
        for _ in 0..<4 { value = value << 8 | UInt32(byte()) }
        return Int32(bitPattern: value)
    }

    /// The next eight bytes as a Double.
    mutating func double() -> Double {
        var value: UInt64 = 0
        for _ in 0..<8 { value = value << 8 | UInt64(byte()) }
        return Double(bitPattern: value)
    }

    /// A string whose length is the next byte, then that many bytes.
    mutating func string() -> String {
        let count = Int(byte())
        var text: [UInt8] = []
        for _ in 0..<count { text.append(byte()) }
        return String(decoding: text, as: UTF8.self)
    }
}
