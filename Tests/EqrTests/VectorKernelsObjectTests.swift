import Foundation
import XCTest

/// `VectorKernels` is compiled for AVX2 + FMA and `VectorKernels512` for AVX-512, and each
/// must only run after a CPU check. If their objects defined any symbol another module could
/// bind to — a shared specialisation of a standard-library generic, say — the linker could
/// pick that copy for portable code, which would then fault on a CPU without the instruction
/// set. So every symbol an object defines must be the module's own, and its code must really
/// use the set (the flags took effect).
final class VectorKernelsObjectTests: XCTestCase {
    func testTheAVX2ObjectDefinesOnlyItsOwnSymbolsAndUsesFMA() throws {
        try checkModule("VectorKernels", instruction: "vfmadd", vectorRegister: "%ymm")
    }

    func testTheAVX512ObjectDefinesOnlyItsOwnSymbolsAndUses512BitFMA() throws {
        try checkModule("VectorKernels512", instruction: "vfmadd", vectorRegister: "%zmm")
    }

    /// Every object of `module` defines only the module's symbols; the kernels' object,
    /// `DirectConvolution.swift.o`, defines `DirectConvolution` and has `instruction` on
    /// `vectorRegister`s. (Other objects may define the module's helpers too: a build for
    /// `swift test` keeps internal functions as symbols.)
    private func checkModule(_ module: String, instruction: String, vectorRegister: String) throws {
        let folder = EqrProcess.products.appendingPathComponent("\(module).build")
        let objects = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".o") }
        XCTAssertTrue(objects.contains("DirectConvolution.swift.o"), "\(folder.path): \(objects)")
        let prefix = "\(module.count)\(module)"
        for object in objects {
            let path = folder.appendingPathComponent(object).path
            let nm = try EqrProcess.run(program: "/usr/bin/nm", ["--defined-only", path])
            XCTAssertEqual(nm.status, 0, nm.standardError)
            let symbols = nm.standardOutput.split(separator: "\n").compactMap { line -> (kind: String, name: String)? in
                let fields = line.split(separator: " ", maxSplits: 2)
                return fields.count == 3 ? (String(fields[1]), String(fields[2])) : nil
            }
            for symbol in symbols where symbol.name != "__swift_reflection_version" {
                XCTAssertTrue(symbol.name.hasPrefix("$s\(prefix)") || symbol.name.hasPrefix("symbolic ") && symbol.name.contains(prefix),
                              "\(object) defines \(symbol.name) (\(symbol.kind)), which is not \(module)'s own")
            }
            guard object == "DirectConvolution.swift.o" else { continue }
            XCTAssertTrue(symbols.contains { $0.name.contains("DirectConvolution") }, "\(object): \(nm.standardOutput)")
            let disassembly = try EqrProcess.run(program: "/usr/bin/objdump", ["-d", path])
            XCTAssertEqual(disassembly.status, 0, disassembly.standardError)
            let fused = disassembly.standardOutput.split(separator: "\n").filter { $0.contains(instruction) }
            XCTAssertTrue(fused.contains { $0.contains(vectorRegister) },
                          "\(object): no \(instruction) on \(vectorRegister) registers; were \(module)'s flags applied?")
        }
    }
}
