import Foundation
import SafeTensors
import Tensors
import XCTest

/// Reading and loading: round trips, files from Python, the container (length field), truncation
/// and data corruption.
final class ReadingTests: SafeTensorsTestCase {
    func testRoundTripInMemoryAndOnDisk() throws {
        let tensors = sampleTensors()
        let bytes = try SafeTensors.encode(tensors, metadata: sampleMetadata)
        let decoded = try SafeTensors.decode(bytes)
        XCTAssertEqual(decoded.tensors, tensors)
        XCTAssertEqual(decoded.metadata, sampleMetadata)
        XCTAssertEqual(try SafeTensors.encode(decoded.tensors, metadata: decoded.metadata), bytes, "re-encoding differs")

        let url = temporaryDirectory().appendingPathComponent("model.safetensors")
        try SafeTensors.write(tensors, metadata: sampleMetadata, to: url)
        XCTAssertEqual(Array(try Data(contentsOf: url)), bytes, "file differs from encode()")
        let loaded = try SafeTensors.read(contentsOf: url)
        XCTAssertEqual(loaded.tensors, tensors)
        XCTAssertEqual(loaded.metadata, sampleMetadata)

        let header = try SafeTensors.readHeader(contentsOf: url)
        XCTAssertEqual(header.metadata, sampleMetadata)
        XCTAssertEqual(Set(header.entries.keys), Set(tensors.keys))
        for (name, tensor) in tensors {
            XCTAssertEqual(header.entries[name]?.shape, tensor.shape, name)
            XCTAssertEqual(header.entries[name]?.byteCount, tensor.count * 4, name)
            XCTAssertEqual(header.entries[name]?.elementCount, tensor.count, name)
            XCTAssertEqual(header.entries[name]?.dtype, "F32", name)
        }
        XCTAssertEqual(header.headerByteCount % 8, 0, "data must start 8-byte aligned")
        XCTAssertEqual(8 + header.headerByteCount + header.dataByteCount, bytes.count)
        XCTAssertEqual(try SafeTensors.decodeHeader(bytes), header)
    }

    /// A file written by hand in Python (struct + json) reads back exactly.
    func testReadsFileWrittenByPython() throws {
        let script = """
            import json, struct, sys
            path, mode = sys.argv[1], sys.argv[2]
            tensors = [
                ("weight", [2, 3], [1.5, -2.25, 3.0, 0.0, -0.0, 1e-40]),
                ("bias", [3], [float("inf"), float("-inf"), 65504.0]),
                ("scalar", [], [3.14159]),
                ("empty", [0, 4], []),
                ("na\\u00efve/\\u00fcnicode", [1], [float("nan")]),
            ]
            header = {"__metadata__": {"architecture": "unet", "note": "quote \\" newline \\n \\u00e9"}}
            data = b""
            for name, shape, values in tensors:  # data in this order, not sorted by name
                blob = struct.pack("<%df" % len(values), *values)
                header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [len(data), len(data) + len(blob)]}
                data += blob
            if mode == "pretty":
                text = json.dumps(header, indent=2, ensure_ascii=True).encode("utf-8")
            else:
                text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
                text += b" " * (-(8 + len(text)) % 8)
            with open(path, "wb") as f:
                f.write(struct.pack("<Q", len(text)))
                f.write(text)
                f.write(data)
            """
        let expected: [String: Tensor] = [
            "weight": Tensor(shape: [2, 3], scalars: [1.5, -2.25, 3, 0, -0.0, Float(1e-40 as Double)]),
            "bias": Tensor(shape: [3], scalars: [.infinity, -.infinity, 65504]),
            "scalar": Tensor(shape: [], scalars: [3.14159]),
            "empty": Tensor(shape: [0, 4], scalars: []),
            "naïve/ünicode": Tensor(shape: [1], scalars: [.nan]),
        ]
        for mode in ["pretty", "compact"] {
            let url = temporaryDirectory().appendingPathComponent("python-\(mode).safetensors")
            _ = try runPython(script, [url.path, mode])
            let loaded = try SafeTensors.read(contentsOf: url)
            assertBitwiseEqual(loaded.tensors, expected)
            XCTAssertEqual(loaded.metadata, ["architecture": "unet", "note": "quote \" newline \n é"], mode)
            let header = try SafeTensors.readHeader(contentsOf: url)
            XCTAssertEqual(header.entries["bias"]?.dataOffsets, 24..<36, mode)
        }
    }

    func testFileShorterThanLengthField() {
        assertDecodeFails([], .fileTooShort(byteCount: 0))
        assertDecodeFails([1, 2, 3, 4, 5, 6, 7], .fileTooShort(byteCount: 7))
    }

    func testAbsurdHeaderLength() {
        let limit = SafeTensors.maximumHeaderByteCount
        assertDecodeFails(file("{}", declaredLength: .max), .headerTooLarge(declared: .max, limit: limit))
        assertDecodeFails(file("{}", declaredLength: 1 << 63), .headerTooLarge(declared: 1 << 63, limit: limit))
        assertDecodeFails(
            file("{}", declaredLength: UInt64(limit) + 1), .headerTooLarge(declared: UInt64(limit) + 1, limit: limit))
        // A pickle or PNG read by mistake: its first 8 bytes make an absurd length.
        assertDecodeFails(Array("\u{89}PNG\r\n\u{1A}\nrest".utf8)) { error in
            guard case .headerTooLarge = error else { return XCTFail("\(error)") }
        }
    }

    func testHeaderLengthBeyondFile() {
        assertDecodeFails(file(one, declaredLength: 1000), .truncatedHeader(declared: 1000, available: one.utf8.count))
        assertDecodeFails(file([], declaredLength: 1), .truncatedHeader(declared: 1, available: 0))
    }

    /// Every strict prefix of a valid file is refused; the full file loads.
    func testEveryTruncationIsRefused() throws {
        let tensors = ["a": Tensor(shape: [3], scalars: [1, 2, 3]), "b": Tensor(shape: [2, 2], scalars: [4, 5, 6, 7]),
                       "c": Tensor(shape: [], scalars: [8])]
        let bytes = try SafeTensors.encode(tensors, metadata: ["arch": "unet", "res": "64"])
        for length in 0..<bytes.count {
            XCTAssertThrowsError(try SafeTensors.decode(Array(bytes[0..<length])), "prefix \(length)") { error in
                XCTAssertTrue(error is SafeTensorsError, "prefix \(length): \(error)")
            }
        }
        XCTAssertEqual(try SafeTensors.decode(bytes).tensors, tensors)
        // The same through files, for a sample of lengths.
        let url = temporaryDirectory().appendingPathComponent("cut.safetensors")
        for length in stride(from: 0, to: bytes.count, by: 7) {
            try Data(bytes[0..<length]).write(to: url)
            XCTAssertThrowsError(try SafeTensors.read(contentsOf: url), "prefix \(length)") { error in
                XCTAssertTrue(error is SafeTensorsError, "prefix \(length): \(error)")
            }
        }
    }

    /// Flipping bytes in the data section changes values, never the structure.
    func testDataCorruptionKeepsStructure() throws {
        let tensors = sampleTensors(seed: 4)
        let bytes = try SafeTensors.encode(tensors, metadata: [:])
        let headerEnd = try 8 + SafeTensors.decodeHeader(bytes).headerByteCount
        var generator = SeededGenerator(seed: 11)
        for _ in 0..<100 {
            var corrupt = bytes
            let position = headerEnd + Int(generator.next() % UInt64(bytes.count - headerEnd))
            corrupt[position] ^= UInt8(1 + generator.next() % 255)
            let decoded = try SafeTensors.decode(corrupt)
            XCTAssertEqual(decoded.tensors.mapValues(\.shape), tensors.mapValues(\.shape))
            XCTAssertNotEqual(
                decoded.tensors.values.flatMap { $0.scalars.map(\.bitPattern) }.sorted(),
                tensors.values.flatMap { $0.scalars.map(\.bitPattern) }.sorted())
        }
    }
}
