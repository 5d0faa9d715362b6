import Foundation
import XCTest

/// `eqr` end to end: real process, real stdout/stderr and exit codes.
final class CommandLineTests: XCTestCase {
    func testBenchKernelsJSONHasTheMeasuredFigures() throws {
        let result = try EqrProcess.run(["bench", "kernels", "--quick", "--json", "--batch", "2"])
        XCTAssertEqual(result.status, 0, result.standardError)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
        let sgemm = try XCTUnwrap(object["sgemm_gflops"] as? Double)
        XCTAssertGreaterThan(sgemm, 0.1)
        let layers = try XCTUnwrap(object["layers"] as? [[String: Any]])
        XCTAssertEqual(layers.count, 5)
        for layer in layers {
            let name = try XCTUnwrap(layer["name"] as? String)
            XCTAssertEqual((layer["shape"] as? [Int])?.count, 7)
            XCTAssertGreaterThan(try XCTUnwrap(layer["forward_gflops"] as? Double), 0)
            XCTAssertGreaterThan(try XCTUnwrap(layer["backward_gflops"] as? Double), 0)
            XCTAssertGreaterThan(try XCTUnwrap(layer["inference_gflops"] as? Double), 0)
            // The deep 3×3 stride-1 layers infer by Winograd where OpenBLAS runs them; the
            // others, and those the direct kernels run, as they train.
            let deepStrideOne = name.hasPrefix("enc3") || name.hasPrefix("dec2")
            let path = try XCTUnwrap(layer["path"] as? String)
            XCTAssertEqual(layer["inference_path"] as? String, deepStrideOne && path == "blas" ? "winograd" : path, name)
        }
        // Asked for OpenBLAS, the deep layers run it (and Winograd at inference).
        let blas = try EqrProcess.run(["bench", "kernels", "--quick", "--json", "--batch", "2", "--deep-kernels", "blas"])
        XCTAssertEqual(blas.status, 0, blas.standardError)
        let blasLayers = try XCTUnwrap((JSONSerialization.jsonObject(with: Data(blas.standardOutput.utf8)) as? [String: Any])?["layers"] as? [[String: Any]])
        for layer in blasLayers where (layer["name"] as? String).map({ $0.hasPrefix("enc2") || $0.hasPrefix("enc3") || $0.hasPrefix("dec2") }) == true {
            XCTAssertEqual(layer["path"] as? String, "blas")
        }
        XCTAssertEqual(blasLayers.filter { $0["inference_path"] as? String == "winograd" }.count, 2)
    }

    /// A negative number is a value, not an option: each gets its option's own range message
    /// and the usage exit code (ArgumentParser used to say "Missing value for '-t <t>'").
    func testNegativeNumbersGetTheOptionsOwnMessage() throws {
        // synth writes a sidecar next to its video, so the clip gets a folder of its own.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eqr-negative-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let clip = directory.appendingPathComponent("clip.mkv").path
        XCTAssertEqual(try EqrProcess.run(["synth", clip, "--frames", "4", "--resolution", "32", "--c:v", "ffv1"]).status, 0)
        for (arguments, message) in [
            (["-i", clip, "-m", "default", "-t", "-1", "out.mkv"], "-t must be a positive number of seconds"),
            (["-i", clip, "-m", "default", "-frames:v", "-3", "out.mkv"], "-frames:v must be at least 1"),
            (["-i", clip, "-m", "default", "-matte-margin", "-2", "out.mkv"], "-matte-margin must be in 0...256"),
            (["train", "--steps", "-1", "-o", "x.safetensors"], "--steps must be positive"),
            (["fit", clip, "-o", "x.safetensors", "--steps", "-5"], "--steps must be positive"),
            // Values the library refuses are still the user's argument mistake (they exited 1).
            (["train", "--lr", "-0.1", "-o", "x.safetensors"], "--lr: learning rate must be in (0, 1), got -0.1"),
            (["train", "--coverage-lr-scale", "0", "-o", "x.safetensors"], "--coverage-lr-scale: coverage learning-rate scale must be in (0, 1]"),
            (["train", "--w-scene", "-1", "-o", "x.safetensors"], "loss weight scene must be a finite number ≥ 0"),
            (["train", "--resolution", "60", "-o", "x.safetensors"], "resolution must be a multiple of 8"),
            (["fit", clip, "-o", "x.safetensors", "--steps", "1", "--lr", "-0.1"], "--lr: learning rate must be in (0, 1)"),
            (["fit", clip, "-o", "x.safetensors", "--steps", "1", "--variant", "given"], "--variant: a fit learns T^z from the clip's frames"),
            (["synth", "x.mp4", "--frames", "-2"], "--frames must be in 1...100000"),
            (["bench", "kernels", "--batch", "-1"], "--batch must be positive"),
        ] {
            let run = try EqrProcess.run(arguments)
            XCTAssertEqual(run.status, 64, "\(arguments): \(run.standardError)")
            XCTAssertTrue(run.standardError.contains(message), "\(arguments): \(run.standardError)")
            XCTAssertFalse(run.standardError.contains("Missing value"), run.standardError)
        }
    }

    /// An output into a missing folder is a usage error before any work, so no command writes
    /// one output and then fails on the next (synth used to leave its video behind).
    func testOutputsIntoMissingFoldersAreRefusedFirst() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eqr-folders-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let clip = directory.appendingPathComponent("clip.mkv").path, missing = directory.appendingPathComponent("no/such").path
        XCTAssertEqual(try EqrProcess.run(["synth", clip, "--frames", "4", "--resolution", "32", "--c:v", "ffv1"]).status, 0)
        for arguments in [
            ["synth", directory.appendingPathComponent("x.mp4").path, "--frames", "4", "--resolution", "32", "--plate", "\(missing)/p.png"],
            ["-i", clip, "-m", "default", "-extract-motion", "\(missing)/m.json"],
            ["-i", clip, "-m", "default", "-effect", "matte", "\(missing)/out.mkv"],
            ["export", "default", "\(missing)/small.safetensors"],
        ] {
            let run = try EqrProcess.run(arguments)
            XCTAssertEqual(run.status, 64, "\(arguments): \(run.standardError)")
            XCTAssertTrue(run.standardError.contains("the folder \(missing) does not exist"), "\(arguments): \(run.standardError)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted(), ["clip.mkv", "clip.mkv.json"])
    }

    func testDemoPrintsAFallingLoss() throws {
        let result = try EqrProcess.run(["demo", "--toy", "--steps", "60", "--every", "20"])
        XCTAssertEqual(result.status, 0, result.standardError)
        let losses = result.standardOutput.split(separator: "\n")
            .filter { $0.hasPrefix("step ") }
            .compactMap { line in line.split(separator: " ").last.flatMap { Double($0) } }
        XCTAssertEqual(losses.count, 3, result.standardOutput)
        XCTAssertLessThan(losses.last!, losses.first!, result.standardOutput)
    }

    /// eqr never overrides an OPENBLAS_CORETYPE it was given, and when OpenBLAS chose a kernel
    /// slower than the CPU supports it restarts itself with the better one (forced here with
    /// EQR_BLAS_ASSUME_KERNEL, which makes eqr treat OpenBLAS's choice as Prescott).
    func testOpenBLASKernelSelection() throws {
        let environment = EqrProcess.environmentWithoutKernelChoice
        let given = try EqrProcess.run(program: EqrProcess.executable.path, ["--version"], environment: environment.merging(["OPENBLAS_CORETYPE": "Prescott"]) { $1 }, inherit: false)
        XCTAssertTrue(given.standardOutput.contains("OpenBLAS kernel Prescott (OPENBLAS_CORETYPE=Prescott from the environment)"), given.standardOutput)
        let detected = try EqrProcess.run(program: EqrProcess.executable.path, ["--version"], environment: environment, inherit: false)
        print(detected.standardOutput)
        XCTAssertTrue(detected.standardOutput.contains("OpenBLAS kernel "), detected.standardOutput)
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flags = Set(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? [])
        guard flags.contains("avx2") && flags.contains("fma") else { throw XCTSkip("this CPU has no kernel better than Prescott") }
        let better = ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains) ? "SkylakeX" : "Haswell"
        let restarted = try EqrProcess.run(program: EqrProcess.executable.path, ["--version"],
                                           environment: environment.merging(["EQR_BLAS_ASSUME_KERNEL": "Prescott"]) { $1 }, inherit: false)
        XCTAssertEqual(restarted.status, 0, restarted.standardError)
        XCTAssertTrue(restarted.standardOutput.contains("OpenBLAS kernel \(better) (selected by eqr; OpenBLAS had detected Prescott)"), restarted.standardOutput)
        // The restart keeps the arguments: a real command runs to the end.
        let info = try EqrProcess.run(program: EqrProcess.executable.path, ["info", CommittedModelTests.models.appendingPathComponent("features-64.safetensors").path],
                                      environment: environment.merging(["EQR_BLAS_ASSUME_KERNEL": "Prescott"]) { $1 }, inherit: false)
        XCTAssertEqual(info.status, 0, info.standardError)
        XCTAssertTrue(info.standardOutput.contains("selected by eqr"), info.standardOutput)
    }

    /// `eqr --version` prints the version of the C library's header (EQR_VERSION_*), which
    /// `eqr_version()` returns (checked by the misuse program).
    func testVersionAgreesWithTheCHeader() throws {
        let result = try EqrProcess.run(["--version"])
        XCTAssertEqual(result.status, 0, result.standardError)
        let header = try String(contentsOf: EqrProcess.packageRoot.appendingPathComponent("CInterop/include/equivariant.h"), encoding: .utf8)
        let parts = try ["MAJOR", "MINOR", "PATCH"].map { part in
            try XCTUnwrap(header.firstMatch(of: try Regex<(Substring, Substring)>("#define EQR_VERSION_\(part) ([0-9]+)"))?.1)
        }
        let lines = result.standardOutput.split(separator: "\n")
        XCTAssertEqual(lines.first.map(String.init), parts.joined(separator: "."))
        // The second line: the OpenBLAS kernel and how it was chosen.
        XCTAssertTrue(lines.count == 2 && lines[1].hasPrefix("OpenBLAS kernel ") && lines[1].contains("CPU: "), result.standardOutput)
        let help = try EqrProcess.run(["--help"])
        let words = help.standardOutput.split(whereSeparator: \.isWhitespace).joined(separator: " ")  // the help text is wrapped
        XCTAssertTrue(words.contains("eqr -i character.mp4 -i background.jpg -m model.safetensors -effect swap out.mp4"), help.standardOutput)
    }

    /// A missing file is a runtime failure: one line, exit 1, no usage text.
    func testRuntimeFailuresPrintOneLineWithoutUsage() throws {
        for arguments in [["info", "/nonexistent/model.safetensors"], ["eval", "-m", "/nonexistent/model.safetensors"],
                          ["export", "/nonexistent/a.safetensors", "/tmp/eqr-never-written.safetensors"]] {
            let result = try EqrProcess.run(arguments)
            XCTAssertEqual(result.status, 1, "\(arguments): \(result.standardError)")
            XCTAssertTrue(result.standardError.contains("/nonexistent/"), result.standardError)
            XCTAssertFalse(result.standardError.contains("Usage:"), result.standardError)
            XCTAssertEqual(result.standardError.split(separator: "\n").count, 1, result.standardError)
        }
        let variant = try EqrProcess.run(["train", "--variant", "nope", "-o", "/tmp/x.safetensors"])
        XCTAssertEqual(variant.status, 64)
        XCTAssertTrue(variant.standardError.contains("Usage: eqr train"), variant.standardError)
        XCTAssertTrue(variant.standardError.contains("--variant nope is not one of given, pixels or features"), variant.standardError)
    }

    func testUnknownOptionFailsWithAMessage() throws {
        let result = try EqrProcess.run(["demo", "--toy", "--stepz", "3"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.standardError.contains("--stepz"), result.standardError)
    }

    func testInvalidValueFailsWithAMessage() throws {
        let result = try EqrProcess.run(["demo", "--toy", "--steps", "0"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.standardError.contains("--steps must be positive"), result.standardError)
        let threads = try EqrProcess.run(["bench", "kernels", "--threads", "0"])
        XCTAssertNotEqual(threads.status, 0)
        XCTAssertTrue(threads.standardError.contains("--threads must be at least 1"), threads.standardError)
    }
}
