import Foundation
import SafeTensors
import Tensors
import XCTest

/// The JSON header parser: valid headers this writer would not produce, malformed JSON, wrong JSON
/// types, duplicate keys, and random corruption.
final class HeaderParserTests: SafeTensorsTestCase {
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
}
