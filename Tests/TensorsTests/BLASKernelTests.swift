import Tensors
import XCTest

/// Which OpenBLAS kernel fits which CPU, and the advice the libraries give.
final class BLASKernelTests: XCTestCase {
    let avx512: Set = ["sse3", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl"]

    func testCPUClasses() {
        XCTAssertEqual(BLASKernel.vectorClass(ofFlags: avx512), .avx512)
        XCTAssertEqual(BLASKernel.vectorClass(ofFlags: avx512.subtracting(["avx512vl"])), .avx2, "AVX-512 F alone is not enough for SkylakeX")
        XCTAssertEqual(BLASKernel.vectorClass(ofFlags: ["avx", "avx2"]), .avx, "AVX2 without FMA")
        XCTAssertEqual(BLASKernel.vectorClass(ofFlags: ["sse3"]), .sse)
    }

    func testTheBetterKernelForEachCase() {
        // The case this exists for: a Sapphire Rapids-class core detected as Prescott.
        XCTAssertEqual(BLASKernel.betterCoreType(kernel: "Prescott", cpu: .avx512), "SkylakeX")
        XCTAssertEqual(BLASKernel.betterCoreType(kernel: "Haswell", cpu: .avx512), "SkylakeX")
        XCTAssertEqual(BLASKernel.betterCoreType(kernel: "Nehalem", cpu: .avx2), "Haswell")
        XCTAssertNil(BLASKernel.betterCoreType(kernel: "Cooperlake", cpu: .avx512))
        XCTAssertNil(BLASKernel.betterCoreType(kernel: "Haswell", cpu: .avx2))
        XCTAssertNil(BLASKernel.betterCoreType(kernel: "Zen", cpu: .avx2))
        XCTAssertNil(BLASKernel.betterCoreType(kernel: "SkylakeX", cpu: .avx2), "never a kernel the CPU cannot run")
        XCTAssertNil(BLASKernel.betterCoreType(kernel: "ARMV8", cpu: .avx512), "unknown kernels get no advice")
    }

    func testAdviceNamesTheRemedyAndRespectsTheEnvironment() throws {
        let advice = try XCTUnwrap(BLASKernel.advice(environment: [:], kernel: "Prescott", flags: avx512))
        XCTAssertTrue(advice.contains("OPENBLAS_CORETYPE=SkylakeX") && advice.contains("Prescott"), advice)
        XCTAssertNil(BLASKernel.advice(environment: ["OPENBLAS_CORETYPE": "Prescott"], kernel: "Prescott", flags: avx512))
        XCTAssertNil(BLASKernel.advice(environment: [:], kernel: "SkylakeX", flags: avx512))
    }

    func testThisMachine() {
        XCTAssertTrue(BLASKernel.selfCheck(), "sgemm disagrees with a plain loop on kernel \(BLASKernel.coreName)")
        XCTAssertFalse(BLASKernel.coreName.isEmpty)
        XCTAssertTrue(BLASKernel.configuration.contains("OpenBLAS"), BLASKernel.configuration)
        print("OpenBLAS: \(BLASKernel.configuration); kernel \(BLASKernel.coreName); CPU \(BLASKernel.shownFlags(BLASKernel.cpuFlags))")
    }
}
