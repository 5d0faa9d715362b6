import Foundation
import XCTest

/// `VectorKernels` is compiled for AVX2 + FMA and must only run after a CPU check. If its
/// object defined any symbol another module could bind to — a shared specialisation of a
/// standard-library generic, say — the linker could pick that AVX2 copy for portable code,
/// which would then fault on a CPU without AVX2. So every symbol the object defines must be
/// the module's own, and its code must really use FMA (the flags took effect).
final class VectorKernelsObjectTests: XCTestCase {
    func testTheAVX2ObjectDefinesOnlyItsOwnSymbolsAndUsesFMA() throws {
        let folder = EqrProcess.products.appendingPathComponent("VectorKernels.build")
        let objects = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".o") }
        XCTAssertFalse(objects.isEmpty, "no object files in \(folder.path)")
        for object in objects {
            let path = folder.appendingPathComponent(object).path
            let nm = try EqrProcess.run(program: "/usr/bin/nm", ["--defined-only", path])
            XCTAssertEqual(nm.status, 0, nm.standardError)
            let symbols = nm.standardOutput.split(separator: "\n").compactMap { line -> (kind: String, name: String)? in
                let fields = line.split(separator: " ", maxSplits: 2)
                return fields.count == 3 ? (String(fields[1]), String(fields[2])) : nil
            }
            XCTAssertTrue(symbols.contains { $0.name.contains("DirectConvolution") }, "\(object): \(nm.standardOutput)")
            for symbol in symbols where symbol.name != "__swift_reflection_version" {
                XCTAssertTrue(symbol.name.hasPrefix("$s13VectorKernels") || symbol.name.hasPrefix("symbolic ") && symbol.name.contains("13VectorKernels"),
                              "\(object) defines \(symbol.name) (\(symbol.kind)), which is not the module's own")
            }
            let disassembly = try EqrProcess.run(program: "/usr/bin/objdump", ["-d", path])
            XCTAssertEqual(disassembly.status, 0, disassembly.standardError)
            XCTAssertTrue(disassembly.standardOutput.contains("vfmadd"), "\(object): no FMA instructions; were -mavx2 -mfma applied?")
        }
    }
}
