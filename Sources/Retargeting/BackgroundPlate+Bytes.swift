import EquivariantModel
import Foundation

extension BackgroundPlate {
    /// The plate as bytes, to hand it to another process (a segment-parallel render computes
    /// the clip's plates once and broadcasts them): every field, floats bit for bit, so
    /// ``init(bytes:)`` gives back an equal plate.
    public var bytes: [UInt8] {
        var writer = PlateBytesWriter()
        writer.integers([width, height, detection?.width ?? 0, detection?.height ?? 0, support == nil ? 0 : 1])
        writer.floats([noise, grain, stillGrain])
        writer.floats(image.values)
        writer.floats(confidence)
        if let detection { writer.floats(detection.values) }
        if let support { writer.floats(support) }
        return writer.bytes
    }

    /// A plate from ``bytes``; throws on bytes that are not one (truncated, or sizes that do
    /// not add up).
    public init(bytes: [UInt8]) throws {
        var reader = PlateBytesReader(bytes: bytes)
        let sizes = try reader.integers(5)
        let (width, height, detectionWidth, detectionHeight) = (sizes[0], sizes[1], sizes[2], sizes[3])
        guard (1...16384).contains(width), (1...16384).contains(height), (0...16384).contains(detectionWidth), (0...16384).contains(detectionHeight),
              (detectionWidth == 0) == (detectionHeight == 0), (0...1).contains(sizes[4]) else {
            throw ModelError.invalidInput("not a background plate (sizes \(sizes))")
        }
        let scalars = try reader.floats(3)
        let pixels = width * height
        self.init(image: PlanarImage(width: width, height: height, values: try reader.floats(3 * pixels)),
                  confidence: try reader.floats(pixels), noise: scalars[0], grain: scalars[1], stillGrain: scalars[2])
        if detectionWidth > 0 {
            detection = PlanarImage(width: detectionWidth, height: detectionHeight, values: try reader.floats(3 * detectionWidth * detectionHeight))
        }
        if sizes[4] == 1 { support = try reader.floats(pixels) }
        guard reader.isAtEnd else { throw ModelError.invalidInput("not a background plate (\(bytes.count) bytes, trailing data)") }
    }
}

/// Little-endian 64-bit integers and 32-bit float bit patterns, appended.
private struct PlateBytesWriter {
    var bytes: [UInt8] = []

    mutating func integers(_ values: [Int]) {
        for value in values { withUnsafeBytes(of: Int64(value).littleEndian) { bytes.append(contentsOf: $0) } }
    }

    mutating func floats(_ values: [Float]) {
        bytes.reserveCapacity(bytes.count + 4 * values.count)
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
    }
}

/// Reads what ``PlateBytesWriter`` wrote.
private struct PlateBytesReader {
    let bytes: [UInt8]
    var position = 0

    var isAtEnd: Bool { position == bytes.count }

    mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, bytes.count - position >= count else { throw ModelError.invalidInput("not a background plate (truncated at byte \(position))") }
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    mutating func integers(_ count: Int) throws -> [Int] {
        let raw = try take(8 * count)
        return (0..<count).map { k in
            let start = raw.startIndex + 8 * k
            // Least significant byte first.
            return Int(raw[start..<(start + 8)].reversed().reduce(Int64(0)) { $0 << 8 | Int64($1) })
        }
    }

    mutating func floats(_ count: Int) throws -> [Float] {
        let raw = try take(4 * count)
        var values = [Float](repeating: 0, count: count)
        values.withUnsafeMutableBytes { target in
            raw.withUnsafeBytes { source in target.copyMemory(from: source) }
        }
        return values.map { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) }
    }
}
