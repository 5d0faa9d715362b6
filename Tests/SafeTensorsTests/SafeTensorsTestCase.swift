import Foundation
import SafeTensors
import Tensors
import XCTest

/// Fixtures shared by the safetensors tests: sample tensors, hand-built files, the
/// hostile-file assertion (memory, file and header-only readers must agree), temporary
/// directories removed after each test, and a Python runner for interoperability checks.
class SafeTensorsTestCase: XCTestCase {
    /// A few tensors covering the awkward shapes: a scalar, an empty tensor, NCHW, odd names.
    func sampleTensors(seed: UInt64 = 7) -> [String: Tensor] {
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

    let sampleMetadata = [
        "architecture": "equivariant-unet",
        "variant": "affine",
        "resolution": "64x64",
        "note": "tab\there, quote \" backslash \\ newline \n émoji 🎬 nul \u{0}",
    ]

    /// Little-endian float32 bytes.
    func floatBytes(_ values: [Float]) -> [UInt8] {
        values.flatMap { value -> [UInt8] in
            let bits = value.bitPattern
            return [UInt8(bits & 0xFF), UInt8(bits >> 8 & 0xFF), UInt8(bits >> 16 & 0xFF), UInt8(bits >> 24)]
        }
    }

    /// A file built by hand: length field (`declaredLength` or the JSON's length), JSON, data.
    func file(_ json: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
        file(Array(json.utf8), data: data, declaredLength: declaredLength)
    }

    func file(_ json: [UInt8], data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
        let length = declaredLength ?? UInt64(json.count)
        return (0..<8).map { UInt8(length >> (8 * UInt64($0)) & 0xFF) } + json + data
    }

    /// Asserts that decoding `bytes` throws exactly `expected`, from memory and from a file.
    func assertDecodeFails(
        _ bytes: [UInt8], _ expected: SafeTensorsError, file: StaticString = #filePath, line: UInt = #line
    ) {
        assertDecodeFails(bytes, file: file, line: line) { error in
            XCTAssertEqual(error, expected, file: file, line: line)
        }
    }

    /// Asserts that decoding `bytes` throws a `SafeTensorsError` (checked by `check`) from
    /// memory, from a file, and when reading the file's header only.
    func assertDecodeFails(
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

    func assertBitwiseEqual(
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
    func temporaryDirectory() -> URL {
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

    func contents(of directory: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
    }

    /// Runs a Python script with the given arguments and returns its standard output.
    func runPython(_ script: String, _ arguments: [String]) throws -> String {
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

    /// A file with one valid two-element tensor `a`.
    let one = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
    /// Eight zero bytes: a length field that declares an empty header.
    let eight = [UInt8](repeating: 0, count: 8)
}
