extension SafeTensors {
    /// Checks every entry and the way the entries tile the data section.
    static func validate(_ raw: [RawEntry], dataByteCount: Int) throws -> [String: Entry] {
        var entries: [String: Entry] = [:]
        entries.reserveCapacity(raw.count)
        var ordered: [(name: String, range: Range<Int>)] = []
        ordered.reserveCapacity(raw.count)
        var declaredEnd = 0
        for item in raw {
            let name = item.name
            guard let dtype = item.dtype else { throw SafeTensorsError.missingField(tensor: name, field: "dtype") }
            guard let shape = item.shape else { throw SafeTensorsError.missingField(tensor: name, field: "shape") }
            guard let offsets = item.offsets else {
                throw SafeTensorsError.missingField(tensor: name, field: "data_offsets")
            }
            guard dtype == "F32" else { throw SafeTensorsError.unsupportedDType(tensor: name, dtype: dtype) }
            if shape.contains(where: { $0 < 0 }) { throw SafeTensorsError.negativeExtent(tensor: name, shape: shape) }
            var byteCount = 4
            for extent in shape {
                let (product, overflow) = byteCount.multipliedReportingOverflow(by: extent)
                if overflow { throw SafeTensorsError.shapeOverflow(tensor: name, shape: shape) }
                byteCount = product
            }
            let begin = offsets[0], end = offsets[1]
            guard begin >= 0, end >= begin else {
                throw SafeTensorsError.invalidOffsets(tensor: name, begin: begin, end: end)
            }
            guard end - begin == byteCount else {
                throw SafeTensorsError.sizeMismatch(
                    tensor: name, shape: shape, expectedByteCount: byteCount, foundByteCount: end - begin)
            }
            declaredEnd = max(declaredEnd, end)
            entries[name] = Entry(dtype: dtype, shape: shape, dataOffsets: begin..<end)
            ordered.append((name, begin..<end))
        }
        guard declaredEnd <= dataByteCount else {
            throw SafeTensorsError.truncatedData(declared: declaredEnd, available: dataByteCount)
        }
        ordered.sort {
            ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound)
                || ($0.range == $1.range && utf8Precedes($0.name, $1.name))
        }
        var cursor = 0
        var previous: String?
        for item in ordered {
            if item.range.lowerBound > cursor {
                throw SafeTensorsError.gapInData(begin: cursor, end: item.range.lowerBound)
            }
            if item.range.lowerBound < cursor, let previous {
                throw SafeTensorsError.overlappingTensors(previous, item.name)
            }
            cursor = item.range.upperBound
            previous = item.name
        }
        guard cursor == dataByteCount else {
            throw SafeTensorsError.trailingData(coveredByteCount: cursor, available: dataByteCount)
        }
        return entries
    }

    /// The offset of the first byte that breaks UTF-8 (RFC 3629: no overlongs, surrogates or
    /// code points past U+10FFFF), or nil if `bytes` is valid.
    static func firstInvalidUTF8(in bytes: [UInt8]) -> Int? {
        var index = 0
        let count = bytes.count
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 { index += 1; continue }
            let length: Int
            var low: UInt8 = 0x80, high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; high = 0x9F
            case 0xF0: length = 4; low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F
            default: return index
            }
            guard index + length <= count else { return index }
            let second = bytes[index + 1]
            guard second >= low && second <= high else { return index + 1 }
            for k in 2..<max(length, 2) where !(0x80...0xBF).contains(bytes[index + k]) { return index + k }
            index += length
        }
        return nil
    }
}
