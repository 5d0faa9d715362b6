/// A strict JSON parser for the safetensors header that builds only what the format needs:
/// metadata strings and tensor entries. Unknown fields are skipped without being stored, and
/// nesting is bounded, so a hostile header costs no more than a small multiple of its size.
struct HeaderParser {
    let bytes: [UInt8]
    var position = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    private static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\"), colon = UInt8(ascii: ":")
    private static let comma = UInt8(ascii: ","), openBrace = UInt8(ascii: "{"), closeBrace = UInt8(ascii: "}")
    private static let openBracket = UInt8(ascii: "["), closeBracket = UInt8(ascii: "]"), minus = UInt8(ascii: "-")

    /// Parses the whole header.
    mutating func parse() throws -> (metadata: [String: String], entries: [RawEntry]) {
        skipWhitespace()
        guard peek() == Self.openBrace else {
            if peek() == nil { throw SafeTensorsError.headerNotObject(found: "empty") }
            throw typeError { .headerNotObject(found: $0) }
        }
        position += 1
        var metadata: [String: String] = [:]
        var entries: [RawEntry] = []
        var seen = Set<String>()
        try parseMembers(closing: Self.closeBrace, context: "the header") { parser, key in
            guard seen.insert(key).inserted else {
                throw SafeTensorsError.duplicateKey(key, context: "the header")
            }
            if key == "__metadata__" {
                metadata = try parser.parseMetadata()
            } else {
                entries.append(try parser.parseEntry(name: key))
            }
        }
        skipWhitespace()
        guard position == bytes.count else { throw malformed("unexpected content after the header object") }
        return (metadata, entries)
    }

    // MARK: Structure

    /// Parses `key: value` pairs up to `closing` (the opening brace already consumed),
    /// calling `member` positioned at each value.
    private mutating func parseMembers(
        closing: UInt8, context: String, _ member: (inout HeaderParser, String) throws -> Void
    ) throws {
        skipWhitespace()
        if peek() == closing { position += 1; return }
        while true {
            guard peek() == Self.quote else { throw malformed("expected a key in double quotes in \(context)") }
            let key = try parseString()
            skipWhitespace()
            guard peek() == Self.colon else { throw malformed("expected ':' after a key in \(context)") }
            position += 1
            skipWhitespace()
            try member(&self, key)
            skipWhitespace()
            switch peek() {
            case Self.comma: position += 1; skipWhitespace()
            case closing: position += 1; return
            default: throw malformed("expected ',' or '}' after a value in \(context)")
            }
        }
    }

    /// Parses the `__metadata__` object.
    private mutating func parseMetadata() throws -> [String: String] {
        guard peek() == Self.openBrace else { throw typeError { .metadataNotObject(found: $0) } }
        position += 1
        var metadata: [String: String] = [:]
        try parseMembers(closing: Self.closeBrace, context: "\"__metadata__\"") { parser, key in
            guard parser.peek() == Self.quote else {
                throw parser.typeError { .metadataValueNotString(key: key, found: $0) }
            }
            let value = try parser.parseString()
            guard metadata.updateValue(value, forKey: key) == nil else {
                throw SafeTensorsError.duplicateKey(key, context: "\"__metadata__\"")
            }
        }
        return metadata
    }

    /// Parses one tensor's entry object.
    private mutating func parseEntry(name: String) throws -> RawEntry {
        guard peek() == Self.openBrace else {
            throw typeError { .entryNotObject(tensor: name, found: $0) }
        }
        position += 1
        var entry = RawEntry(name: name)
        var seen = Set<String>()
        let context = "the entry of tensor \"\(name.prefix(200))\""
        try parseMembers(closing: Self.closeBrace, context: context) { parser, key in
            guard seen.insert(key).inserted else { throw SafeTensorsError.duplicateKey(key, context: context) }
            switch key {
            case "dtype":
                guard parser.peek() == Self.quote else {
                    throw parser.typeError {
                        .wrongFieldType(tensor: name, field: key, expected: "a string such as \"F32\"", found: $0)
                    }
                }
                entry.dtype = try parser.parseString()
            case "shape":
                entry.shape = try parser.parseIntegers(
                    tensor: name, field: key, expected: "an array of non-negative integers"
                ) { count in
                    count > SafeTensors.maximumRank
                        ? SafeTensorsError.rankTooLarge(tensor: name, limit: SafeTensors.maximumRank) : nil
                }
            case "data_offsets":
                let expected = "an array of two integers [begin, end]"
                let offsets = try parser.parseIntegers(tensor: name, field: key, expected: expected) { count in
                    count > 2
                        ? SafeTensorsError.wrongFieldType(
                            tensor: name, field: key, expected: expected, found: "an array of more than 2 elements")
                        : nil
                }
                guard offsets.count == 2 else {
                    throw SafeTensorsError.wrongFieldType(
                        tensor: name, field: key, expected: expected, found: "an array of \(offsets.count) element\(offsets.count == 1 ? "" : "s")")
                }
                entry.offsets = offsets
            default:
                try parser.skipValue(depth: 1)
            }
        }
        return entry
    }

    /// Parses an array of integers; `limit` is asked after each element whether the count is too large.
    private mutating func parseIntegers(
        tensor: String, field: String, expected: String, limit: (Int) -> SafeTensorsError?
    ) throws -> [Int] {
        guard peek() == Self.openBracket else {
            throw typeError { .wrongFieldType(tensor: tensor, field: field, expected: expected, found: $0) }
        }
        position += 1
        skipWhitespace()
        var values: [Int] = []
        if peek() == Self.closeBracket { position += 1; return values }
        while true {
            guard let byte = peek(), byte == Self.minus || (0x30...0x39).contains(byte) else {
                throw typeError {
                    .wrongFieldType(tensor: tensor, field: field, expected: expected, found: "an array holding \($0)")
                }
            }
            let (literal, isInteger) = try scanNumber()
            let text = String(decoding: literal, as: UTF8.self)
            guard isInteger else {
                throw SafeTensorsError.wrongFieldType(
                    tensor: tensor, field: field, expected: expected,
                    found: "an array holding the non-integer \(text.prefix(40))")
            }
            guard let value = Self.integer(literal) else {
                throw SafeTensorsError.numberOutOfRange(tensor: tensor, field: field, literal: String(text.prefix(41)))
            }
            values.append(value)
            if let error = limit(values.count) { throw error }
            skipWhitespace()
            switch peek() {
            case Self.comma: position += 1; skipWhitespace()
            case Self.closeBracket: position += 1; return values
            default: throw malformed("expected ',' or ']' in the \"\(field)\" array")
            }
        }
    }

    /// Skips any JSON value, checking its syntax; arrays and objects may nest `maximumNestingDepth` deep.
    private mutating func skipValue(depth: Int) throws {
        guard let byte = peek() else { throw malformed("expected a value, found the end of the header") }
        switch byte {
        case Self.openBrace, Self.openBracket:
            guard depth <= SafeTensors.maximumNestingDepth else {
                throw malformed("values nest deeper than \(SafeTensors.maximumNestingDepth) levels")
            }
            position += 1
            if byte == Self.openBrace {
                try parseMembers(closing: Self.closeBrace, context: "an object") { parser, _ in
                    try parser.skipValue(depth: depth + 1)
                }
            } else {
                skipWhitespace()
                if peek() == Self.closeBracket { position += 1; return }
                while true {
                    try skipValue(depth: depth + 1)
                    skipWhitespace()
                    switch peek() {
                    case Self.comma: position += 1; skipWhitespace()
                    case Self.closeBracket: position += 1; return
                    default: throw malformed("expected ',' or ']' in an array")
                    }
                }
            }
        case Self.quote: _ = try parseString()
        case Self.minus, 0x30...0x39: _ = try scanNumber()
        case UInt8(ascii: "t"): try expectLiteral("true")
        case UInt8(ascii: "f"): try expectLiteral("false")
        case UInt8(ascii: "n"): try expectLiteral("null")
        default: throw malformed("unexpected character \(Self.show(byte))")
        }
    }

    // MARK: Tokens

    /// Parses a string literal (positioned at its opening quote).
    private mutating func parseString() throws -> String {
        position += 1
        var buffer: [UInt8] = []
        while true {
            guard position < bytes.count else { throw malformed("unterminated string") }
            let byte = bytes[position]
            switch byte {
            case Self.quote:
                position += 1
                return String(decoding: buffer, as: UTF8.self)
            case Self.backslash:
                position += 1
                guard position < bytes.count else { throw malformed("unterminated escape sequence") }
                let escape = bytes[position]
                position += 1
                switch escape {
                case Self.quote, Self.backslash, UInt8(ascii: "/"): buffer.append(escape)
                case UInt8(ascii: "b"): buffer.append(0x08)
                case UInt8(ascii: "f"): buffer.append(0x0C)
                case UInt8(ascii: "n"): buffer.append(0x0A)
                case UInt8(ascii: "r"): buffer.append(0x0D)
                case UInt8(ascii: "t"): buffer.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try parseHex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard position + 1 < bytes.count, bytes[position] == Self.backslash,
                            bytes[position + 1] == UInt8(ascii: "u")
                        else { throw malformed("unpaired UTF-16 surrogate in \\u escape") }
                        position += 2
                        let low = try parseHex4()
                        guard (0xDC00...0xDFFF).contains(low) else {
                            throw malformed("unpaired UTF-16 surrogate in \\u escape")
                        }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw malformed("unpaired UTF-16 surrogate in \\u escape")
                    }
                    buffer.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
                default: throw malformed("invalid escape sequence \\\(Self.show(escape))")
                }
            case 0..<0x20:
                throw malformed("unescaped control character \(Self.show(byte)) in a string")
            default:
                buffer.append(byte)
                position += 1
            }
        }
    }

    /// Parses the four hex digits of a `\u` escape.
    private mutating func parseHex4() throws -> UInt32 {
        guard position + 4 <= bytes.count else { throw malformed("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case 0x30...0x39: digit = byte - 0x30
            case 0x41...0x46: digit = byte - 0x41 + 10
            case 0x61...0x66: digit = byte - 0x61 + 10
            default: throw malformed("invalid hex digit \(Self.show(byte)) in \\u escape")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    /// Scans a number per the JSON grammar; `isInteger` when it has no fraction or exponent.
    private mutating func scanNumber() throws -> (literal: ArraySlice<UInt8>, isInteger: Bool) {
        let start = position
        var isInteger = true
        if peek() == Self.minus { position += 1 }
        guard let first = peek(), (0x30...0x39).contains(first) else { throw malformed("invalid number") }
        if first == 0x30 {
            position += 1
            if let next = peek(), (0x30...0x39).contains(next) { throw malformed("number with a leading zero") }
        } else {
            skipDigits()
        }
        if peek() == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard let digit = peek(), (0x30...0x39).contains(digit) else { throw malformed("invalid number") }
            skipDigits()
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            if peek() == UInt8(ascii: "+") || peek() == Self.minus { position += 1 }
            guard let digit = peek(), (0x30...0x39).contains(digit) else { throw malformed("invalid number") }
            skipDigits()
        }
        return (bytes[start..<position], isInteger)
    }

    private mutating func skipDigits() {
        while let byte = peek(), (0x30...0x39).contains(byte) { position += 1 }
    }

    /// The value of an integer literal, or nil if it does not fit in `Int`.
    private static func integer(_ literal: ArraySlice<UInt8>) -> Int? {
        var digits = literal[...]
        let negative = digits.first == UInt8(ascii: "-")
        if negative { digits = digits.dropFirst() }
        var value = 0
        for byte in digits {
            let (scaled, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = negative
                ? scaled.subtractingReportingOverflow(Int(byte - 0x30))
                : scaled.addingReportingOverflow(Int(byte - 0x30))
            if o1 || o2 { return nil }
            value = next
        }
        return value
    }

    private mutating func expectLiteral(_ word: String) throws {
        for expected in word.utf8 {
            guard peek() == expected else { throw malformed("invalid literal (expected \(word))") }
            position += 1
        }
    }

    // MARK: Helpers

    private func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
    }

    /// What kind of JSON value starts at the current position, or nil if none can start here.
    private func valueKind() -> String? {
        guard let byte = peek() else { return nil }
        switch byte {
        case Self.openBrace: return "an object"
        case Self.openBracket: return "an array"
        case Self.quote: return "a string"
        case Self.minus, 0x30...0x39: return "a number"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return "a boolean"
        case UInt8(ascii: "n"): return "null"
        default: return nil
        }
    }

    /// `make(kind)` for the value at the current position — the value has the wrong JSON
    /// type — or a syntax error if no value starts here.
    fileprivate func typeError(_ make: (String) -> SafeTensorsError) -> SafeTensorsError {
        if let kind = valueKind() { return make(kind) }
        guard let byte = peek() else { return malformed("expected a value, found the end of the header") }
        return malformed("expected a value, found the unexpected character \(Self.show(byte))")
    }

    private static func show(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "0x" + String(byte, radix: 16)
    }

    private func malformed(_ reason: String) -> SafeTensorsError {
        .malformedJSON(byteOffset: position, reason: reason)
    }
}
