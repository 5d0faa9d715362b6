import Foundation
import Tensors
import XCTest

final class SafeTensorsTests: XCTestCase {
    // MARK: - Fixtures

    /// A few tensors covering the awkward shapes: a scalar, an empty tensor, NCHW, odd names.
    private func sampleTensors(seed: UInt64 = 7) -> [String: Tensor] {
        var generator = SeededGenerator(seed: seed)
        return [
            "conv1.weight": Tensor(shape: [4, 3, 3, 3], uniformIn: -1...1, generator: &generator),
            "conv1.bias": Tensor(shape: [4], uniformIn: -1...1, generator: &generator),
            "scale": Tensor(shape: [], scalars: [0.125]),
            "empty": Tensor(shape: [0, 5], scalars: []),
            "naïve \"quoted\"\nname\u{01}": Tensor(shape: [1, 2], scalars: [1, -2]),
            "batch": Tensor(shape: [2, 1, 2, 3], uniformIn: -100...100, generator: &generator),
        ]
    }

    private let sampleMetadata = [
        "architecture": "equivariant-unet",
        "variant": "affine",
        "resolution": "64x64",
        "note": "tab\there, quote \" backslash \\ newline \n émoji 🎬 nul \u{0}",
    ]

    /// Little-endian float32 bytes.
    private func floatBytes(_ values: [Float]) -> [UInt8] {
        values.flatMap { value -> [UInt8] in
            let bits = value.bitPattern
            return [UInt8(bits & 0xFF), UInt8(bits >> 8 & 0xFF), UInt8(bits >> 16 & 0xFF), UInt8(bits >> 24)]
        }
    }

    /// A file built by hand: length field (`declaredLength` or the JSON's length), JSON, data.
    private func file(_ json: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
        file(Array(json.utf8), data: data, declaredLength: declaredLength)
    }

    private func file(_ json: [UInt8], data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
        let length = declaredLength ?? UInt64(json.count)
        return (0..<8).map { UInt8(length >> (8 * UInt64($0)) & 0xFF) } + json + data
    }

    /// Asserts that decoding `bytes` throws exactly `expected`, from memory and from a file.
    private func assertDecodeFails(
        _ bytes: [UInt8], _ expected: SafeTensorsError, file: StaticString = #filePath, line: UInt = #line
    ) {
        assertDecodeFails(bytes, file: file, line: line) { error in
            XCTAssertEqual(error, expected, file: file, line: line)
        }
    }

    /// Asserts that decoding `bytes` throws a `SafeTensorsError` (checked by `check`) from
    /// memory, from a file, and when reading the file's header only.
    private func assertDecodeFails(
        _ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line, _ check: (SafeTensorsError) -> Void
    ) {
        var errors: [SafeTensorsError] = []
        let collect: (Error) -> Void = { error in
            guard let error = error as? SafeTensorsError else {
                return XCTFail("unexpected error type \(type(of: error)): \(error)", file: file, line: line)
            }
            XCTAssertFalse(error.description.isEmpty, file: file, line: line)
            errors.append(error)
        }
        XCTAssertThrowsError(try SafeTensors.decode(bytes), file: file, line: line, collect)
        XCTAssertThrowsError(try SafeTensors.decodeHeader(bytes), file: file, line: line, collect)
        let url = temporaryDirectory().appendingPathComponent("hostile.safetensors")
        XCTAssertNoThrow(try Data(bytes).write(to: url), file: file, line: line)
        XCTAssertThrowsError(try SafeTensors.read(contentsOf: url), file: file, line: line, collect)
        XCTAssertThrowsError(try SafeTensors.readHeader(contentsOf: url), file: file, line: line, collect)
        guard errors.count == 4 else { return }
        for other in errors.dropFirst() { XCTAssertEqual(other, errors[0], "memory and file disagree", file: file, line: line) }
        check(errors[0])
    }

    private func assertBitwiseEqual(
        _ a: [String: Tensor], _ b: [String: Tensor], file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(Set(a.keys), Set(b.keys), file: file, line: line)
        for (name, tensor) in a {
            guard let other = b[name] else { continue }
            XCTAssertEqual(tensor.shape, other.shape, name, file: file, line: line)
            XCTAssertEqual(tensor.scalars.map(\.bitPattern), other.scalars.map(\.bitPattern), name, file: file, line: line)
        }
    }

    private var directories: [URL] = []

    /// A fresh directory removed after the test.
    private func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("SafeTensorsTests-\(UUID().uuidString)", isDirectory: true)
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        directories.append(url)
        return url
    }

    override func tearDown() {
        for url in directories { try? FileManager.default.removeItem(at: url) }
        directories = []
        super.tearDown()
    }

    private func contents(of directory: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
    }

    /// Runs a Python script with the given arguments and returns its standard output.
    private func runPython(_ script: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw NSError(domain: "python3", code: Int(process.terminationStatus), userInfo: [
                NSLocalizedDescriptionKey: String(decoding: stderr, as: UTF8.self),
            ])
        }
        return String(decoding: stdout, as: UTF8.self)
    }

    // MARK: - Round trips

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

    func testEncodingIsDeterministicAndMatchesTheFormat() throws {
        let tensors = ["b": Tensor(shape: [1], scalars: [2]), "a": Tensor(shape: [2], scalars: [1, -1])]
        let bytes = try SafeTensors.encode(tensors, metadata: ["k": "v", "arch": "x"])
        let json = #"{"__metadata__":{"arch":"x","k":"v"},"#
            + #""a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
            + #""b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        let padded = json + String(repeating: " ", count: (8 - json.utf8.count % 8) % 8)
        XCTAssertEqual(bytes, file(padded, data: floatBytes([1, -1, 2])))
        // Same content built in another order gives the same bytes.
        var reordered: [String: Tensor] = [:]
        reordered["a"] = tensors["a"]
        reordered["b"] = tensors["b"]
        XCTAssertEqual(try SafeTensors.encode(reordered, metadata: ["arch": "x", "k": "v"]), bytes)
        // Empty input is a valid file.
        let empty = try SafeTensors.encode([:], metadata: [:])
        XCTAssertEqual(empty, file(#"{"__metadata__":{}}     "#))
        let decoded = try SafeTensors.decode(empty)
        XCTAssertTrue(decoded.tensors.isEmpty && decoded.metadata.isEmpty)
    }

    func testNonFiniteValuesRoundTripBitExactAndCanBeReported() throws {
        let special: [Float] = [
            .nan, Float(bitPattern: 0x7FC0_0001), -.nan, .infinity, -.infinity, -0.0, 0,
            .leastNonzeroMagnitude, .greatestFiniteMagnitude, -.leastNormalMagnitude,
        ]
        let tensors = ["special": Tensor(shape: [2, 5], scalars: special), "fine": Tensor(shape: [2], scalars: [1, 2])]
        let decoded = try SafeTensors.decode(try SafeTensors.encode(tensors, metadata: [:]))
        assertBitwiseEqual(decoded.tensors, tensors)
        XCTAssertEqual(SafeTensors.nonFiniteCounts(in: decoded.tensors), ["special": 5])
        XCTAssertThrowsError(try SafeTensors.checkFinite(decoded.tensors)) { error in
            XCTAssertEqual(error as? SafeTensorsError, .nonFiniteValues(tensor: "special", count: 5))
        }
        XCTAssertNoThrow(try SafeTensors.checkFinite(["fine": tensors["fine"]!]))
    }

    func testAcceptsValidFilesThisWriterWouldNotProduce() throws {
        // Unpadded header, whitespace, escapes, unknown fields, data not in name order,
        // zero-size tensors sharing an offset, no __metadata__.
        let json = """
            { "b" : {"data_offsets": [0, 4], "shape": [ ], "dtype": "F32", "extra": {"x": [1, 2.5e3, true, null, "s"]}},
              "a\\u00e9\\ud83c\\udfac" : {"dtype":"F32","shape":[1,2],"data_offsets":[4,12]},
              "z1": {"dtype":"F32","shape":[0],"data_offsets":[12,12]},
              "z0": {"dtype":"F32","shape":[3,0],"data_offsets":[12,12]} }\t\n
            """
        let decoded = try SafeTensors.decode(file(json, data: floatBytes([5, 6, 7])))
        XCTAssertEqual(decoded.metadata, [:])
        XCTAssertEqual(decoded.tensors["b"], Tensor(shape: [], scalars: [5]))
        XCTAssertEqual(decoded.tensors["aé🎬"], Tensor(shape: [1, 2], scalars: [6, 7]))
        XCTAssertEqual(decoded.tensors["z1"], Tensor(shape: [0], scalars: []))
        XCTAssertEqual(decoded.tensors["z0"], Tensor(shape: [3, 0], scalars: []))
        // A header with nothing but an empty object, and the largest allowed rank.
        XCTAssertTrue(try SafeTensors.decode(file("{}")).tensors.isEmpty)
        let ones = Array(repeating: "1", count: SafeTensors.maximumRank).joined(separator: ",")
        let deep = try SafeTensors.decode(file(#"{"t":{"dtype":"F32","shape":[\#(ones)],"data_offsets":[0,4]}}"#, data: floatBytes([9])))
        XCTAssertEqual(deep.tensors["t"]?.rank, SafeTensors.maximumRank)
    }

    // MARK: - Interoperability with an independent implementation

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

    /// Python parses Swift's file with json + struct and sees the same values, bit for bit.
    func testPythonReadsFileWrittenBySwift() throws {
        let script = """
            import json, struct, sys
            raw = open(sys.argv[1], "rb").read()
            (n,) = struct.unpack("<Q", raw[:8])
            header = json.loads(raw[8:8 + n].decode("utf-8"))
            data = raw[8 + n:]
            metadata = header.pop("__metadata__", {})
            out = {"metadata": metadata, "header_length": n, "data_length": len(data), "tensors": {}}
            for name, entry in header.items():
                begin, end = entry["data_offsets"]
                bits = list(struct.unpack("<%dI" % ((end - begin) // 4), data[begin:end]))
                out["tensors"][name] = {"dtype": entry["dtype"], "shape": entry["shape"], "bits": bits}
            by_offset = sorted(header, key=lambda k: tuple(header[k]["data_offsets"]))
            out["data_in_name_order"] = by_offset == sorted(header)
            out["covered"] = sum(e["data_offsets"][1] - e["data_offsets"][0] for e in header.values())
            print(json.dumps(out))
            """
        var tensors = sampleTensors(seed: 99)
        tensors["special"] = Tensor(shape: [3], scalars: [.nan, -.infinity, -0.0])
        let url = temporaryDirectory().appendingPathComponent("swift.safetensors")
        try SafeTensors.write(tensors, metadata: sampleMetadata, to: url)
        let output = try runPython(script, [url.path])
        let parsed = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        XCTAssertEqual(parsed["metadata"] as? [String: String], sampleMetadata)
        let headerLength = try XCTUnwrap(parsed["header_length"] as? Int)
        XCTAssertEqual((8 + headerLength) % 8, 0)
        XCTAssertEqual(parsed["data_in_name_order"] as? Bool, true)
        XCTAssertEqual(parsed["covered"] as? Int, parsed["data_length"] as? Int)
        let pythonTensors = try XCTUnwrap(parsed["tensors"] as? [String: [String: Any]])
        XCTAssertEqual(Set(pythonTensors.keys), Set(tensors.keys))
        for (name, tensor) in tensors {
            let entry = try XCTUnwrap(pythonTensors[name], name)
            XCTAssertEqual(entry["dtype"] as? String, "F32", name)
            XCTAssertEqual(entry["shape"] as? [Int], tensor.shape, name)
            let bits = try XCTUnwrap(entry["bits"] as? [NSNumber], name).map { $0.uint32Value }
            XCTAssertEqual(bits, tensor.scalars.map(\.bitPattern), name)
        }
    }

    // MARK: - Atomic writes

    func testWriteReplacesExistingFileAndLeavesNoTemporaryFiles() throws {
        let directory = temporaryDirectory()
        let url = directory.appendingPathComponent("model.safetensors")
        try SafeTensors.write(sampleTensors(seed: 1), metadata: ["v": "1"], to: url)
        try SafeTensors.write(sampleTensors(seed: 2), metadata: ["v": "2"], to: url)
        let loaded = try SafeTensors.read(contentsOf: url)
        XCTAssertEqual(loaded.tensors, sampleTensors(seed: 2))
        XCTAssertEqual(loaded.metadata, ["v": "2"])
        XCTAssertEqual(contents(of: directory), ["model.safetensors"])
    }

    func testWriteFailsWhenParentIsARegularFile() throws {
        let directory = temporaryDirectory()
        let blocker = directory.appendingPathComponent("blocker")
        try Data("not a directory".utf8).write(to: blocker)
        let url = blocker.appendingPathComponent("model.safetensors")
        XCTAssertThrowsError(try SafeTensors.write(sampleTensors(), metadata: [:], to: url)) { error in
            guard case .writeFailed(let path, _)? = error as? SafeTensorsError else {
                return XCTFail("expected writeFailed, got \(error)")
            }
            XCTAssertEqual(path, url.path)
        }
        XCTAssertEqual(try Data(contentsOf: blocker), Data("not a directory".utf8))
        XCTAssertEqual(contents(of: directory), ["blocker"])
    }

    func testWriteFailsInMissingDirectory() throws {
        let directory = temporaryDirectory()
        let url = directory.appendingPathComponent("missing/model.safetensors")
        XCTAssertThrowsError(try SafeTensors.write(sampleTensors(), metadata: [:], to: url)) { error in
            guard case .writeFailed? = error as? SafeTensorsError else { return XCTFail("expected writeFailed, got \(error)") }
        }
        XCTAssertEqual(contents(of: directory), [])
    }

    /// The temporary file is written, then the rename fails: it must be cleaned up and the
    /// destination (here a non-empty directory) left alone.
    func testFailedRenameRemovesTemporaryFileAndKeepsDestination() throws {
        let directory = temporaryDirectory()
        let url = directory.appendingPathComponent("model.safetensors")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        try Data("keep".utf8).write(to: url.appendingPathComponent("inside"))
        XCTAssertThrowsError(try SafeTensors.write(sampleTensors(), metadata: [:], to: url)) { error in
            guard case .writeFailed(_, let reason)? = error as? SafeTensorsError else {
                return XCTFail("expected writeFailed, got \(error)")
            }
            XCTAssertTrue(reason.contains("rename"), reason)
        }
        XCTAssertEqual(contents(of: directory), ["model.safetensors"])
        XCTAssertEqual(contents(of: url), ["inside"])
        XCTAssertEqual(try Data(contentsOf: url.appendingPathComponent("inside")), Data("keep".utf8))
    }

    func testEncodingFailureLeavesExistingFileUntouched() throws {
        let directory = temporaryDirectory()
        let url = directory.appendingPathComponent("model.safetensors")
        try SafeTensors.write(sampleTensors(), metadata: ["v": "1"], to: url)
        let before = try Data(contentsOf: url)
        XCTAssertThrowsError(try SafeTensors.write(["__metadata__": Tensor(shape: [1])], metadata: [:], to: url)) {
            XCTAssertEqual($0 as? SafeTensorsError, .reservedName("__metadata__"))
        }
        var broken = Tensor(shape: [2], scalars: [1, 2])
        broken.scalars = [1]
        XCTAssertThrowsError(try SafeTensors.write(["broken": broken], metadata: [:], to: url)) {
            XCTAssertEqual($0 as? SafeTensorsError, .inconsistentTensor(name: "broken", shape: [2], scalarCount: 1))
        }
        XCTAssertEqual(try Data(contentsOf: url), before)
        XCTAssertEqual(contents(of: directory), ["model.safetensors"])
    }

    func testReadingMissingOrNonRegularFileFails() {
        let directory = temporaryDirectory()
        for url in [directory.appendingPathComponent("absent.safetensors"), directory] {
            XCTAssertThrowsError(try SafeTensors.read(contentsOf: url)) { error in
                guard case .readFailed(let path, _)? = error as? SafeTensorsError else {
                    return XCTFail("expected readFailed, got \(error)")
                }
                XCTAssertEqual(path, url.path)
            }
            XCTAssertThrowsError(try SafeTensors.readHeader(contentsOf: url)) {
                guard case .readFailed? = $0 as? SafeTensorsError else { return XCTFail("expected readFailed, got \($0)") }
            }
        }
    }

    // MARK: - Hostile files: container

    private let one = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
    private let eight = [UInt8](repeating: 0, count: 8)

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

    func testHeaderNotUTF8() {
        assertDecodeFails(file([0x7B, 0xFF, 0x7D]), .headerNotUTF8(byteOffset: 1))
        // Overlong encoding of '/' inside a key, a UTF-16 surrogate, a truncated sequence.
        assertDecodeFails(file([0x7B, 0x22, 0xC0, 0xAF, 0x22, 0x7D]), .headerNotUTF8(byteOffset: 2))
        assertDecodeFails(file([0x7B, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x7D]), .headerNotUTF8(byteOffset: 3))
        assertDecodeFails(file([0x7B, 0x22, 0xE2, 0x82]), .headerNotUTF8(byteOffset: 2))
    }

    func testHeaderNotJSON() {
        let broken = [
            #"{"a":"#, #"{"a" 1}"#, #"{"a":{"dtype":"F32"}"#, "{} x", "{,}", #"{"a":{},}"#, "{'a':1}",
            #"{"a":{"dtype":"F32","shape":[01],"data_offsets":[0,4]}}"#,
            #"{"a":{"dtype":"F32","shape":[1,],"data_offsets":[0,4]}}"#,
            #"{"a":{"dtype":"F\x32"}}"#, #"{"a\ud800":{}}"#, #"{"a\udc00":{}}"#, "{\"a\u{1}\":{}}",
            #"{"a":{"x":tru}}"#, #"{"a":{"x":1.}}"#, #"{"a":{"x":-}}"#, #"{"a":{"x":[1 2]}}"#,
            "{\"__metadata__\":{\"k\":\"v\"}}\u{0}",
        ]
        for json in broken {
            assertDecodeFails(file(json)) { error in
                guard case .malformedJSON = error else { return XCTFail("\(json): expected malformedJSON, got \(error)") }
            }
        }
        // Deep nesting inside an unknown field is refused before it can exhaust the stack.
        let deep = #"{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4],"x":"#
            + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}}"
        assertDecodeFails(file(deep, data: floatBytes([1]))) { error in
            guard case .malformedJSON(_, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("nest"), reason)
        }
    }

    func testHeaderNotAnObject() {
        assertDecodeFails(file("[1,2]"), .headerNotObject(found: "an array"))
        assertDecodeFails(file(#""x""#), .headerNotObject(found: "a string"))
        assertDecodeFails(file("null"), .headerNotObject(found: "null"))
        assertDecodeFails(file("    "), .headerNotObject(found: "empty"))
        assertDecodeFails(eight, .headerNotObject(found: "empty"))
    }

    func testDuplicateKeys() {
        let entry = #"{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#
        assertDecodeFails(file(#"{"a":\#(entry),"a":\#(entry)}"#, data: floatBytes([1])), .duplicateKey("a", context: "the header"))
        assertDecodeFails(
            file(#"{"__metadata__":{},"__metadata__":{}}"#), .duplicateKey("__metadata__", context: "the header"))
        assertDecodeFails(
            file(#"{"__metadata__":{"k":"1","k":"2"}}"#), .duplicateKey("k", context: "\"__metadata__\""))
        assertDecodeFails(
            file(#"{"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: floatBytes([1])),
            .duplicateKey("dtype", context: "the entry of tensor \"a\""))
        // The same key spelled with an escape is still the same key.
        assertDecodeFails(file(#"{"a":\#(entry),"\u0061":\#(entry)}"#, data: floatBytes([1])), .duplicateKey("a", context: "the header"))
    }

    // MARK: - Hostile files: metadata and entries

    func testMetadataMustBeStrings() {
        assertDecodeFails(file(#"{"__metadata__":{"k":5}}"#), .metadataValueNotString(key: "k", found: "a number"))
        assertDecodeFails(file(#"{"__metadata__":{"k":{"x":"y"}}}"#), .metadataValueNotString(key: "k", found: "an object"))
        assertDecodeFails(file(#"{"__metadata__":{"k":null}}"#), .metadataValueNotString(key: "k", found: "null"))
        assertDecodeFails(file(#"{"__metadata__":["k"]}"#), .metadataNotObject(found: "an array"))
        assertDecodeFails(file(#"{"__metadata__":"k"}"#), .metadataNotObject(found: "a string"))
    }

    func testEntryFieldsMissingOrOfWrongType() {
        let data = floatBytes([1, 2])
        assertDecodeFails(file(#"{"a":"oops"}"#), .entryNotObject(tensor: "a", found: "a string"))
        assertDecodeFails(file(#"{"a":[0,8]}"#), .entryNotObject(tensor: "a", found: "an array"))
        assertDecodeFails(file(#"{"a":{"shape":[2],"data_offsets":[0,8]}}"#, data: data), .missingField(tensor: "a", field: "dtype"))
        assertDecodeFails(file(#"{"a":{"dtype":"F32","data_offsets":[0,8]}}"#, data: data), .missingField(tensor: "a", field: "shape"))
        assertDecodeFails(file(#"{"a":{"dtype":"F32","shape":[2]}}"#, data: data), .missingField(tensor: "a", field: "data_offsets"))

        let shapeExpected = "an array of non-negative integers"
        let offsetsExpected = "an array of two integers [begin, end]"
        let cases: [(String, SafeTensorsError)] = [
            (#""dtype":5,"shape":[2],"data_offsets":[0,8]"#,
             .wrongFieldType(tensor: "a", field: "dtype", expected: "a string such as \"F32\"", found: "a number")),
            (#""dtype":"F32","shape":"2","data_offsets":[0,8]"#,
             .wrongFieldType(tensor: "a", field: "shape", expected: shapeExpected, found: "a string")),
            (#""dtype":"F32","shape":[1.5],"data_offsets":[0,8]"#,
             .wrongFieldType(tensor: "a", field: "shape", expected: shapeExpected, found: "an array holding the non-integer 1.5")),
            (#""dtype":"F32","shape":[2e0],"data_offsets":[0,8]"#,
             .wrongFieldType(tensor: "a", field: "shape", expected: shapeExpected, found: "an array holding the non-integer 2e0")),
            (#""dtype":"F32","shape":[true],"data_offsets":[0,8]"#,
             .wrongFieldType(tensor: "a", field: "shape", expected: shapeExpected, found: "an array holding a boolean")),
            (#""dtype":"F32","shape":[2],"data_offsets":{"0":8}"#,
             .wrongFieldType(tensor: "a", field: "data_offsets", expected: offsetsExpected, found: "an object")),
            (#""dtype":"F32","shape":[2],"data_offsets":[0]"#,
             .wrongFieldType(tensor: "a", field: "data_offsets", expected: offsetsExpected, found: "an array of 1 element")),
            (#""dtype":"F32","shape":[2],"data_offsets":[0,8,16]"#,
             .wrongFieldType(tensor: "a", field: "data_offsets", expected: offsetsExpected, found: "an array of more than 2 elements")),
            (#""dtype":"F32","shape":[2],"data_offsets":["0","8"]"#,
             .wrongFieldType(tensor: "a", field: "data_offsets", expected: offsetsExpected, found: "an array holding a string")),
        ]
        for (fields, expected) in cases {
            assertDecodeFails(file("{\"a\":{\(fields)}}", data: data), expected)
        }
    }

    func testUnsupportedDTypeIsNamed() {
        for dtype in ["F16", "BF16", "F64", "I64", "U8", "BOOL", "f32", ""] {
            let json = #"{"a":{"dtype":"\#(dtype)","shape":[2],"data_offsets":[0,8]}}"#
            assertDecodeFails(file(json, data: floatBytes([1, 2])), .unsupportedDType(tensor: "a", dtype: dtype))
        }
        let error = SafeTensorsError.unsupportedDType(tensor: "w", dtype: "BF16")
        XCTAssertTrue(error.description.contains("BF16") && error.description.contains("F32"), error.description)
    }

    func testBadShapes() {
        func entry(_ shape: String, _ offsets: String = "[0,8]") -> [UInt8] {
            file(#"{"a":{"dtype":"F32","shape":\#(shape),"data_offsets":\#(offsets)}}"#, data: floatBytes([1, 2]))
        }
        assertDecodeFails(entry("[-1]"), .negativeExtent(tensor: "a", shape: [-1]))
        assertDecodeFails(entry("[2,-3,0]"), .negativeExtent(tensor: "a", shape: [2, -3, 0]))
        assertDecodeFails(entry("[4611686018427387904]"), .shapeOverflow(tensor: "a", shape: [1 << 62]))
        assertDecodeFails(entry("[3037000500,3037000500]"), .shapeOverflow(tensor: "a", shape: [3_037_000_500, 3_037_000_500]))
        assertDecodeFails(
            entry("[99999999999999999999]"),
            .numberOutOfRange(tensor: "a", field: "shape", literal: "99999999999999999999"))
        assertDecodeFails(
            entry("[2]", "[0,9223372036854775808]"),
            .numberOutOfRange(tensor: "a", field: "data_offsets", literal: "9223372036854775808"))
        let tooMany = Array(repeating: "1", count: SafeTensors.maximumRank + 1).joined(separator: ",")
        assertDecodeFails(entry("[\(tooMany)]", "[0,4]"), .rankTooLarge(tensor: "a", limit: SafeTensors.maximumRank))
        // A huge array is refused at the rank limit, without being stored.
        let huge = "[" + Array(repeating: "1", count: 1_000_000).joined(separator: ",") + "]"
        assertDecodeFails(entry(huge, "[0,4]"), .rankTooLarge(tensor: "a", limit: SafeTensors.maximumRank))
    }

    func testBadOffsets() {
        func entry(_ offsets: String, shape: String = "[2]", dataCount: Int = 2) -> [UInt8] {
            file(
                #"{"a":{"dtype":"F32","shape":\#(shape),"data_offsets":\#(offsets)}}"#,
                data: floatBytes(Array(repeating: 1, count: dataCount)))
        }
        assertDecodeFails(entry("[8,0]"), .invalidOffsets(tensor: "a", begin: 8, end: 0))
        assertDecodeFails(entry("[-8,0]"), .invalidOffsets(tensor: "a", begin: -8, end: 0))
        assertDecodeFails(entry("[0,12]", dataCount: 3), .sizeMismatch(tensor: "a", shape: [2], expectedByteCount: 8, foundByteCount: 12))
        assertDecodeFails(entry("[0,7]"), .sizeMismatch(tensor: "a", shape: [2], expectedByteCount: 8, foundByteCount: 7))
        assertDecodeFails(entry("[0,8]", dataCount: 1), .truncatedData(declared: 8, available: 4))
        assertDecodeFails(
            entry("[9223372036854775799,9223372036854775807]"),
            .truncatedData(declared: 9_223_372_036_854_775_807, available: 8))
        // The example from the brief: 1200 bytes promised, 800 present.
        let truncated = entry("[0,1200]", shape: "[300]", dataCount: 200)
        assertDecodeFails(truncated, .truncatedData(declared: 1200, available: 800))
        XCTAssertTrue(
            SafeTensorsError.truncatedData(declared: 1200, available: 800).description
                .contains("file is truncated: header says 1200 bytes of data, found 800"))
    }

    func testTensorsMustTileTheDataExactly() {
        func two(_ a: String, _ b: String, shapeB: String = "[2]", dataCount: Int) -> [UInt8] {
            file(
                #"{"a":{"dtype":"F32","shape":[2],"data_offsets":\#(a)},"b":{"dtype":"F32","shape":\#(shapeB),"data_offsets":\#(b)}}"#,
                data: floatBytes(Array(repeating: 1, count: dataCount)))
        }
        assertDecodeFails(two("[0,8]", "[4,12]", dataCount: 3), .overlappingTensors("a", "b"))
        assertDecodeFails(two("[0,8]", "[0,8]", dataCount: 2), .overlappingTensors("a", "b"))
        assertDecodeFails(two("[4,12]", "[0,8]", dataCount: 3), .overlappingTensors("b", "a"))
        assertDecodeFails(two("[0,8]", "[4,4]", shapeB: "[0]", dataCount: 2), .overlappingTensors("a", "b"))
        assertDecodeFails(two("[0,8]", "[12,20]", dataCount: 5), .gapInData(begin: 8, end: 12))
        assertDecodeFails(two("[4,12]", "[12,20]", dataCount: 5), .gapInData(begin: 0, end: 4))
        assertDecodeFails(two("[0,8]", "[8,16]", dataCount: 5), .trailingData(coveredByteCount: 16, available: 20))
        assertDecodeFails(file("{}", data: [0]), .trailingData(coveredByteCount: 0, available: 1))
        assertDecodeFails(file(one, data: floatBytes([1, 2]) + [0, 0, 0]), .trailingData(coveredByteCount: 8, available: 11))
        XCTAssertNoThrow(try SafeTensors.decode(two("[8,16]", "[0,8]", dataCount: 4)))
    }

    func testEveryErrorExplainsItself() {
        let errors: [SafeTensorsError] = [
            .fileTooShort(byteCount: 3), .headerTooLarge(declared: 1 << 40, limit: 100), .truncatedHeader(declared: 9, available: 1),
            .headerNotUTF8(byteOffset: 4), .malformedJSON(byteOffset: 2, reason: "bad"), .headerNotObject(found: "an array"),
            .duplicateKey("k", context: "the header"), .metadataNotObject(found: "null"),
            .metadataValueNotString(key: "k", found: "a number"), .entryNotObject(tensor: "t", found: "a string"),
            .missingField(tensor: "t", field: "shape"),
            .wrongFieldType(tensor: "t", field: "shape", expected: "an array", found: "a string"),
            .unsupportedDType(tensor: "t", dtype: "F16"), .numberOutOfRange(tensor: "t", field: "shape", literal: "1e99"),
            .rankTooLarge(tensor: "t", limit: 64), .negativeExtent(tensor: "t", shape: [-1]),
            .shapeOverflow(tensor: "t", shape: [1 << 62, 4]), .invalidOffsets(tensor: "t", begin: 8, end: 0),
            .sizeMismatch(tensor: "t", shape: [2], expectedByteCount: 8, foundByteCount: 4),
            .truncatedData(declared: 1200, available: 800), .overlappingTensors("a", "b"), .gapInData(begin: 8, end: 12),
            .trailingData(coveredByteCount: 8, available: 12), .nonFiniteValues(tensor: "t", count: 2),
            .reservedName("__metadata__"), .inconsistentTensor(name: "t", shape: [2], scalarCount: 1),
            .readFailed(path: "/x", reason: "no such file"), .writeFailed(path: "/x", reason: "read-only"),
        ]
        var seen = Set<String>()
        for error in errors {
            XCTAssertGreaterThan(error.description.count, 40, "\(error)")
            XCTAssertTrue(seen.insert(error.description).inserted, "duplicate message: \(error)")
        }
        // Enormous names are shortened in messages.
        let long = SafeTensorsError.missingField(tensor: String(repeating: "n", count: 100_000), field: "shape")
        XCTAssertLessThan(long.description.count, 400)
    }

    // MARK: - Fuzzing

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

    /// Random byte flips in the length field and header: never a crash, always either a
    /// `SafeTensorsError` or data consistent with its own header; memory and file agree.
    func testRandomHeaderCorruptionNeverCrashes() throws {
        let tensors = sampleTensors(seed: 3)
        let bytes = try SafeTensors.encode(tensors, metadata: sampleMetadata)
        let headerEnd = try 8 + SafeTensors.decodeHeader(bytes).headerByteCount
        var generator = SeededGenerator(seed: 0x5AFE)
        let url = temporaryDirectory().appendingPathComponent("fuzz.safetensors")
        // Random bytes are mostly caught by the UTF-8 check, so most mutations stay ASCII or
        // write JSON punctuation, digits and escapes to reach the parser and the validation.
        let structural = Array(#"{}[]",:-0129e.\u "#.utf8)
        var refused = 0, accepted = 0
        for variant in 0..<600 {
            var corrupt = bytes
            let flips = 1 + Int(generator.next() % 3)
            for _ in 0..<flips {
                let position = Int(generator.next() % UInt64(headerEnd))
                switch generator.next() % 4 {
                case 0: corrupt[position] ^= UInt8(1 + generator.next() % 255)
                case 1: corrupt[position] ^= UInt8(1 + generator.next() % 127)
                default: corrupt[position] = structural[Int(generator.next() % UInt64(structural.count))]
                }
            }
            let outcome = Result { try SafeTensors.decode(corrupt) }
            switch outcome {
            case .failure(let error):
                XCTAssertTrue(error is SafeTensorsError, "variant \(variant): \(error)")
                refused += 1
            case .success(let decoded):
                accepted += 1
                let header = try SafeTensors.decodeHeader(corrupt)
                XCTAssertEqual(Set(header.entries.keys), Set(decoded.tensors.keys), "variant \(variant)")
                XCTAssertEqual(header.metadata, decoded.metadata, "variant \(variant)")
                var covered = 0
                for (name, tensor) in decoded.tensors {
                    XCTAssertEqual(tensor.count, tensor.shape.reduce(1, *), "variant \(variant) \(name)")
                    XCTAssertEqual(header.entries[name]?.shape, tensor.shape, "variant \(variant) \(name)")
                    covered += tensor.count * 4
                }
                XCTAssertEqual(covered, header.dataByteCount, "variant \(variant)")
                let again = try SafeTensors.decode(try SafeTensors.encode(decoded.tensors, metadata: decoded.metadata))
                assertBitwiseEqual(again.tensors, decoded.tensors)
                XCTAssertEqual(again.metadata, decoded.metadata)
            }
            if variant % 8 == 0 {
                try Data(corrupt).write(to: url)
                let fromFile = Result { try SafeTensors.read(contentsOf: url) }
                switch (outcome, fromFile) {
                case (.failure(let a), .failure(let b)):
                    XCTAssertEqual(a as? SafeTensorsError, b as? SafeTensorsError, "variant \(variant)")
                case (.success(let a), .success(let b)):
                    assertBitwiseEqual(a.tensors, b.tensors)
                default:
                    XCTFail("variant \(variant): memory and file disagree")
                }
            }
        }
        // Both outcomes occur: flips inside names and metadata give different but valid files.
        XCTAssertGreaterThan(refused, 300)
        XCTAssertGreaterThan(accepted, 10)
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
