import Foundation
import SafeTensors
import Tensors
import XCTest

/// Encoding and atomic writes: the exact byte layout, what Python sees, and files left intact on
/// failure.
final class WritingTests: SafeTensorsTestCase {
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

    /// A temporary left by a writer that was killed (its process is gone) is removed at the
    /// next write of the same file; one of a live writer and other files are left alone. A
    /// 250-byte name still fits (the temporary's name is cut to stay within 255 bytes).
    func testStaleTemporariesOfDeadWritersAreRemoved() throws {
        let directory = temporaryDirectory()
        let url = directory.appendingPathComponent("model.safetensors")
        let dead = ".model.safetensors.2147483646-1f.tmp", live = ".model.safetensors.\(getpid())-2e.tmp"
        let other = ".other.safetensors.2147483646-3d.tmp"
        for name in [dead, live, other] {
            XCTAssertTrue(FileManager.default.createFile(atPath: directory.appendingPathComponent(name).path, contents: Data([1, 2, 3])))
        }
        try SafeTensors.write(sampleTensors(seed: 1), metadata: [:], to: url)
        XCTAssertEqual(contents(of: directory), [live, other, "model.safetensors"].sorted())

        let long = directory.appendingPathComponent(String(repeating: "n", count: 238) + ".safetensors")
        try SafeTensors.write(sampleTensors(seed: 3), metadata: [:], to: long)
        XCTAssertEqual(try SafeTensors.read(contentsOf: long).tensors, sampleTensors(seed: 3))
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
}
