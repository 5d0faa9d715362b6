import Foundation
import XCTest

/// libequivariant from C: the header, the exported symbols, the installed library with its
/// pkg-config file, a plain dlopen host, misuse, threads and valgrind. Everything is compiled
/// with the system's `cc` against the built shared objects.
final class CInterfaceTests: XCTestCase {
    var directory: URL!
    let features = CommittedModelTests.models.appendingPathComponent("features-64.safetensors").path
    let given = CommittedModelTests.models.appendingPathComponent("given-64.safetensors").path
    let header = EqrProcess.packageRoot.appendingPathComponent("CInterop/include/equivariant.h").path
    let library = EqrProcess.products.appendingPathComponent("libequivariant.so").path
    let plugin = EqrProcess.products.appendingPathComponent("libequivariant-frei0r.so").path
    let mixer = EqrProcess.products.appendingPathComponent("libequivariant-frei0r-mixer.so").path

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("eqr-c-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Runs a program and fails the test (with its stderr) unless it exits 0.
    @discardableResult
    func succeed(_ program: String, _ arguments: [String], environment: [String: String] = [:], inherit: Bool = true,
                 file: StaticString = #filePath, line: UInt = #line) throws -> EqrProcess {
        let result = try EqrProcess.run(program: program, arguments, environment: environment, inherit: inherit)
        XCTAssertEqual(result.status, 0, "\(program) \(arguments.joined(separator: " ")):\n\(result.standardError)", file: file, line: line)
        return result
    }

    /// Compiles one of the test programs in Tests/EqrTests/C against the built library.
    func compileTestProgram(_ name: String, extra: [String] = []) throws -> String {
        try compile(EqrProcess.packageRoot.appendingPathComponent("Tests/EqrTests/C/\(name).c").path, to: name, extra: extra)
    }

    /// Compiles a C file as strict C99 against the built library.
    func compile(_ source: String, to name: String, extra: [String]) throws -> String {
        let products = EqrProcess.products.path
        try succeed("/usr/bin/cc", ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-I", EqrProcess.packageRoot.appendingPathComponent("CInterop/include").path,
                                    source, "-o", path(name), "-L", products, "-Wl,-rpath,\(products)"] + extra)
        return path(name)
    }

    func testHeaderCompilesAsStrictC99AndC11() throws {
        for standard in ["c99", "c11"] {
            try succeed("/usr/bin/cc", ["-std=\(standard)", "-Wall", "-Wextra", "-Werror", "-pedantic", "-fsyntax-only", "-x", "c", header])
        }
        // A declaration that drifted from the header would be caught by the linker here:
        // every function the header declares must be exported by the library.
        let text = try String(contentsOfFile: header, encoding: .utf8)
        let declared = Set(try text.matches(of: Regex<(Substring, Substring)>(#"\b(eqr_[a-z_0-9]+)\("#)).map { String($0.1) })
        XCTAssertEqual(declared, try exportedFunctions(library), "header declarations vs exported functions")
    }

    func exportedFunctions(_ object: String) throws -> Set<String> {
        let nm = try succeed("/usr/bin/nm", ["-D", "--defined-only", object])
        // Global symbols are upper-case types in nm's listing; local ones (lower case) are not exported.
        return Set(nm.standardOutput.split(separator: "\n").compactMap { line -> String? in
            let parts = line.split(separator: " ")
            guard parts.count == 3, let type = parts[1].first, type.isUppercase else { return nil }
            return String(parts[2])
        })
    }

    func testSharedObjectsExportOnlyTheirAPIAndNeedNoSwiftRuntime() throws {
        XCTAssertEqual(try exportedFunctions(mixer), try exportedFunctions(plugin).union(["f0r_update2"]))
        for object in [library, plugin, mixer] {
            XCTAssertTrue(try succeed("/usr/bin/readelf", ["-d", object]).standardOutput.contains("NODELETE"), "\(object) must be nodelete")
        }
        XCTAssertTrue(try exportedFunctions(library).allSatisfy { $0.hasPrefix("eqr_") })
        XCTAssertEqual(try exportedFunctions(plugin), ["f0r_init", "f0r_deinit", "f0r_get_plugin_info", "f0r_get_param_info", "f0r_construct",
                                                      "f0r_destruct", "f0r_set_param_value", "f0r_get_param_value", "f0r_update"])
        for object in [library, plugin, mixer] {
            let ldd = try succeed("/usr/bin/ldd", [object]).standardOutput
            XCTAssertFalse(ldd.lowercased().contains("swift"), "\(object) depends on a Swift library:\n\(ldd)")
            XCTAssertFalse(ldd.contains("not found"), ldd)
        }
    }

    /// A library loaded into ffmpeg, Kdenlive or Shotcut must leave the host's process-wide
    /// settings alone: none of the shared objects even imports the functions that change
    /// malloc's policy, OpenBLAS's thread count or FFmpeg's log level (the `eqr` executable
    /// sets what it likes for itself and does import them).
    func testSharedObjectsCannotChangeTheHostsProcessSettings() throws {
        let processWide = ["mallopt", "openblas_set_num_threads", "goto_set_num_threads", "av_log_set_level", "av_log_set_callback"]
        for object in [library, plugin, mixer] {
            let imported = try importedFunctions(object)
            XCTAssertFalse(imported.isEmpty, object)
            for name in processWide { XCTAssertFalse(imported.contains(name), "\(object) imports \(name)") }
        }
        let eqr = try importedFunctions(EqrProcess.executable.path)
        XCTAssertTrue(eqr.contains("mallopt") && eqr.contains("openblas_set_num_threads"), "the check would not see these imports")
    }

    /// The undefined (imported) dynamic symbols of an object, without version suffixes.
    func importedFunctions(_ object: String) throws -> Set<String> {
        let nm = try succeed("/usr/bin/nm", ["-D", "--undefined-only", object])
        return Set(nm.standardOutput.split(separator: "\n").compactMap { line in
            line.split(separator: " ").last.map { String($0.split(separator: "@").first ?? $0) }
        })
    }

    func testPlainCHostDlopensBothLibrariesWithoutSwiftOnTheLibraryPath() throws {
        let host = try compileTestProgram("dlopen_host", extra: ["-ldl"])
        // An empty environment: no LD_LIBRARY_PATH, so nothing can come from the toolchain.
        // Repeated: both objects hold a Swift runtime whose worker threads outlive dlclose
        // unless the objects are marked nodelete (that crashed about one run in three).
        for _ in 0..<10 {
            let result = try succeed(host, [library, plugin, features], environment: ["PATH": "/usr/bin:/bin"], inherit: false)
            XCTAssertTrue(result.standardOutput.contains("plugin equivariant type 0 color model 1 params 9"), result.standardOutput)
            XCTAssertTrue(result.standardOutput.contains("model parameter reads back: 1, angle reads back: 1, frame rendered: 1"), result.standardOutput)
        }
    }

    /// Both shared objects loaded, used and unloaded by a plain C host under valgrind: no
    /// memory errors in the library, the plugin or the Swift runtimes they carry, no leaks.
    func testDlopenHostRunsCleanUnderValgrind() throws {
        let host = try compileTestProgram("dlopen_host", extra: ["-ldl"])
        let suppressions = EqrProcess.packageRoot.appendingPathComponent("Tests/EqrTests/C/ld-so.supp").path
        let result = try EqrProcess.run(program: "/usr/bin/valgrind", ["--suppressions=\(suppressions)", "--error-exitcode=9", "--leak-check=full",
                                                                     "--errors-for-leak-kinds=definite", host, library, plugin, features])
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertTrue(result.standardError.contains("ERROR SUMMARY: 0 errors"), result.standardError)
        XCTAssertTrue(result.standardOutput.contains("frame rendered: 1"), result.standardOutput)
    }

    func testMisuseReturnsTheDocumentedErrors() throws {
        let program = try compileTestProgram("abi_misuse", extra: ["-lequivariant", "-lm"])
        try Data("not a checkpoint at all".utf8).write(to: URL(fileURLWithPath: path("corrupt.safetensors")))
        let result = try succeed(program, [features, given, path("corrupt.safetensors")])
        XCTAssertTrue(result.standardOutput.hasPrefix("all "), result.standardOutput + result.standardError)
        // The error paths again under valgrind: refusing bad input must not touch bad memory or leak.
        let suppressions = EqrProcess.packageRoot.appendingPathComponent("Tests/EqrTests/C/ld-so.supp").path
        let checked = try EqrProcess.run(program: "/usr/bin/valgrind", ["--suppressions=\(suppressions)", "--error-exitcode=9", "--leak-check=full",
                                                                      "--errors-for-leak-kinds=definite", program, features, given, path("corrupt.safetensors")])
        XCTAssertEqual(checked.status, 0, checked.standardError)
        XCTAssertTrue(checked.standardError.contains("ERROR SUMMARY: 0 errors"), checked.standardError)
    }

    /// A two-level model (`eqr train --fine-level`) hands both levels through one buffer of
    /// eqr_model_feature_count floats, the coarse level first, and eqr_render reads the fine one.
    func testATwoLevelModelsFeatureBuffersHoldBothLevels() throws {
        let model = path("fine.safetensors")
        let training = try EqrProcess.run(["train", "--variant", "pixels", "--transform-output", "aligned", "--renderer", "layered", "--feature-stride", "2",
                                           "--fine-level", "--resolution", "16", "--steps", "2", "--batch", "2", "--log-every", "1", "--threads", "1",
                                           "-o", model])
        XCTAssertEqual(training.status, 0, training.standardError)
        let program = try compileTestProgram("abi_levels", extra: ["-lequivariant"])
        let coarse = 64 * 8 * 8, fine = 32 * 16 * 16  // C' × (R/2)², B × R² at the default channels
        let result = try succeed(program, [model, "\(coarse + fine)", "\(coarse)"])
        XCTAssertTrue(result.standardOutput.contains(", 0 failures"), result.standardOutput + result.standardError)
    }

    func testThreadsWithTheirOwnContextsAgreeWithOneThread() throws {
        let program = try compileTestProgram("abi_threads", extra: ["-lequivariant", "-lpthread"])
        let result = try succeed(program, [features, "4"])
        XCTAssertTrue(result.standardOutput.contains("0 mismatches"), result.standardOutput)
    }

    /// The host's log callback gets the library's errors (the same text a call returns) and
    /// information, with its user data; eqr_log_set(NULL, NULL) detaches it.
    func testLogCallbackReceivesErrorsAndInformation() throws {
        let program = try compileTestProgram("abi_log", extra: ["-lequivariant"])
        let result = try succeed(program, [features])
        XCTAssertTrue(result.standardOutput.contains("all ok"), result.standardOutput + result.standardError)
        XCTAssertFalse(result.standardOutput.contains("FAILED"), result.standardOutput)
        // A warning goes to the callback, not to stderr: OpenBLAS's kernel treated as the slow
        // generic one (the variable eqr's own kernel tests use) makes the load warn.
        let warned = try EqrProcess.run(program: program, [features],
                                        environment: EqrProcess.environmentWithoutKernelChoice.merging(["EQR_BLAS_ASSUME_KERNEL": "Prescott"]) { $1 }, inherit: false)
        XCTAssertEqual(warned.status, 0, warned.standardOutput + warned.standardError)
        XCTAssertTrue(warned.standardOutput.contains("warnings seen: 1"), warned.standardOutput + warned.standardError)
        XCTAssertTrue(warned.standardOutput.contains("log 1: ") && warned.standardOutput.contains("OPENBLAS_CORETYPE="), warned.standardOutput)
        XCTAssertFalse(warned.standardError.contains("warning"), warned.standardError)
    }

    /// eqr_fit from C: a short fit reports its progress and writes a model that renders; the
    /// abort callback stops one with EQR_ERROR_ABORTED and a checkpoint that resume = 1
    /// continues; bad arguments get the statuses the header lists.
    func testFitReportsProgressAndStopsWhenTheHostAborts() throws {
        let clip = path("clip.mp4")
        let synth = try EqrProcess.run(["synth", clip, "--frames", "24", "--resolution", "32"])
        XCTAssertEqual(synth.status, 0, synth.standardError)
        let program = try compileTestProgram("abi_fit", extra: ["-lequivariant"])
        let result = try succeed(program, [clip, directory.path])
        XCTAssertTrue(result.standardOutput.contains("all ok"), result.standardOutput + result.standardError)
        XCTAssertFalse(result.standardOutput.contains("FAILED"), result.standardOutput)
        XCTAssertEqual(result.standardError, "", "the library printed nothing of its own")
    }

    /// Two threads inside one context at once (forbidden by the header) get EQR_ERROR_BUSY
    /// for the overlapping calls instead of crashing the host in libswscale.
    func testTwoThreadsSharingAContextAreRefusedNotCrashed() throws {
        let program = try compileTestProgram("abi_shared_context", extra: ["-lequivariant", "-lpthread"])
        let result = try succeed(program, [features])
        let counts = result.standardOutput.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        XCTAssertEqual(counts.count, 3, result.standardOutput)
        XCTAssertEqual(counts[0] + counts[1], 300, result.standardOutput)
        XCTAssertGreaterThan(counts[0], 0, result.standardOutput)
        XCTAssertGreaterThan(counts[1], 0, "the threads overlapped at least once: \(result.standardOutput)")
    }

    /// Installs into a temporary prefix, builds examples/c with pkg-config, and checks that
    /// the example's frames match `eqr`'s for the same model and effect.
    func testInstalledExampleBuildsWithPkgConfigAndMatchesEqr() throws {
        let prefix = path("prefix")
        let install = try succeed("/bin/bash", [EqrProcess.packageRoot.appendingPathComponent("CInterop/install.sh").path, "--prefix", prefix,
                                                "--no-build", "--build-dir", EqrProcess.products.path])
        // The test build's eqr links the toolchain's Swift runtime: the installer bundles it.
        XCTAssertTrue(install.standardOutput.contains("bundled it in \(prefix)/lib/eqr/swift"), install.standardOutput)
        try checkInstalledEqrRunsWithoutTheToolchain(prefix)
        for installed in ["lib/libequivariant.so", "include/equivariant.h", "lib/pkgconfig/equivariant.pc", "lib/frei0r-1/equivariant.so",
                          "lib/frei0r-1/equivariant_mixer.so", "bin/eqr", "share/eqr/models/features-64.safetensors", "share/kdenlive/effects/frei0r_equivariant.xml",
                          "share/kdenlive/transitions/frei0r_equivariant_mixer.xml", "share/shotcut/qml/filters/equivariant/meta.qml",
                          "share/shotcut/qml/filters/equivariant/ui.qml"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(prefix)/\(installed)"), installed)
        }
        // The installed eqr finds the installed models by name, from any folder.
        let models = try EqrProcess.run(program: "\(prefix)/bin/eqr", ["info", "default"],
                                        environment: ["HOME": path("home"), "XDG_DATA_HOME": "", "EQR_MODEL_PATH": ""], currentDirectory: prefix)
        XCTAssertEqual(models.status, 0, models.standardError)
        XCTAssertTrue(models.standardOutput.hasPrefix("\(prefix)/share/eqr/models/aligned-photo-128.safetensors\n"), models.standardOutput)
        // The default is trained on photos: its demo draws scenes from the installed photo world.
        let demo = try EqrProcess.run(program: "\(prefix)/bin/eqr", ["demo", "--frames", "3", "--out", path("installed-demo")],
                                      environment: ["HOME": path("home"), "XDG_DATA_HOME": "", "EQR_MODEL_PATH": ""], currentDirectory: prefix)
        XCTAssertEqual(demo.status, 0, demo.standardError)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("installed-demo/demo-swap.mp4")), demo.standardOutput)
        let flags = try succeed("/usr/bin/pkg-config", ["--cflags", "--libs", "equivariant"], environment: ["PKG_CONFIG_PATH": "\(prefix)/lib/pkgconfig"])
            .standardOutput.split(whereSeparator: \.isWhitespace).map(String.init)
        XCTAssertTrue(flags.contains("-I\(prefix)/include") && flags.contains("-lequivariant"), flags.joined(separator: " "))
        let example = EqrProcess.packageRoot.appendingPathComponent("examples/c/retarget.c").path
        try succeed("/usr/bin/cc", ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", example, "-o", path("retarget")] + flags)

        try FFmpegTools.ffmpeg(["-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-frames:v", "10", "-pix_fmt", "yuv420p", path("in.mp4")])
        try FFmpegTools.ffmpeg(["-f", "lavfi", "-i", "gradients=size=160x120:seed=3", "-frames:v", "1", path("bg.png")])
        let effect = "transform=angle=20:scale=1.2"
        try succeed(path("retarget"), [features, path("bg.png"), effect, path("in.mp4"), path("c.mkv"), "-c:v", "ffv1"])
        try succeed(EqrProcess.executable.path, ["-i", path("in.mp4"), "-i", path("bg.png"), "-m", features, "-effect", effect, "-plate", "running",
                                                 "-c:v", "ffv1", "-pix_fmt", "bgr0", "-nostats", path("eqr.mkv")])
        XCTAssertEqual(try FFmpegTools.probe(path("c.mkv")), [160, 120, 10])
        let psnr = try FFmpegTools.psnr(path("c.mkv"), path("eqr.mkv"))
        // The two paths differ only in where YUV→RGB happens (full size vs model size): ~46 dB measured.
        XCTAssertGreaterThan(psnr.minimum, 40, "C example vs eqr: \(psnr)")
        // A different effect is far from it, so the bound means something.
        try succeed(path("retarget"), [features, path("bg.png"), "swap", path("in.mp4"), path("swap.mkv"), "-c:v", "ffv1"])
        XCTAssertLessThan(try FFmpegTools.psnr(path("swap.mkv"), path("eqr.mkv")).average, 35)
    }

    /// The installed eqr resolves every Swift library in the prefix, never in the toolchain, and
    /// runs with the toolchain's runtime folder hidden (a tmpfs mounted over it in a private mount
    /// namespace, where the machine allows one; the build's own eqr must fail there, so hiding works).
    func checkInstalledEqrRunsWithoutTheToolchain(_ prefix: String) throws {
        let installed = "\(prefix)/bin/eqr"
        let resolved = try succeed("/usr/bin/ldd", [installed]).standardOutput
        let swiftLibraries = resolved.split(separator: "\n").filter { $0.contains("libswiftCore") || $0.contains("libFoundation") }
        XCTAssertFalse(swiftLibraries.isEmpty, resolved)
        for line in swiftLibraries { XCTAssertTrue(line.contains("=> \(prefix)/") && line.contains("/lib/eqr/swift/lib"), String(line)) }
        let toolchainRuntime = try XCTUnwrap(try succeed("/usr/bin/ldd", [EqrProcess.executable.path]).standardOutput
            .split(separator: "\n").first { $0.contains("libswiftCore.so =>") }?
            .split(separator: " ").first { $0.hasPrefix("/") }.map { URL(fileURLWithPath: String($0)).deletingLastPathComponent().path })
        func runHidden(_ program: String) throws -> EqrProcess {
            try EqrProcess.run(program: "/usr/bin/unshare", ["-m", "/bin/sh", "-c", "mount -t tmpfs none \"$0\" || exit 99; exec \"$1\" --version",
                                                             toolchainRuntime, program])
        }
        let control = try runHidden(EqrProcess.executable.path)
        guard control.status != 99, !control.standardError.contains("unshare failed") else {
            print("note: no private mount namespace here; the installed eqr was checked with ldd only")
            return
        }
        XCTAssertNotEqual(control.status, 0, "the build's eqr ran with its Swift runtime hidden: the check proves nothing")
        let hidden = try runHidden(installed)
        XCTAssertEqual(hidden.status, 0, hidden.standardError)
        XCTAssertTrue(hidden.standardOutput.contains("OpenBLAS kernel"), hidden.standardOutput)
    }

    func testExampleRunsCleanUnderValgrind() throws {
        let program = try compile(EqrProcess.packageRoot.appendingPathComponent("examples/c/retarget.c").path, to: "retarget", extra: ["-lequivariant"])
        try FFmpegTools.ffmpeg(["-f", "lavfi", "-i", "testsrc=size=96x72:rate=10", "-frames:v", "2", "-pix_fmt", "yuv420p", path("in.mp4")])
        try FFmpegTools.ffmpeg(["-f", "lavfi", "-i", "color=c=0x3366aa:size=96x72", "-frames:v", "1", path("bg.png")])
        let result = try EqrProcess.run(program: "/usr/bin/valgrind", ["--error-exitcode=9", "--leak-check=full", "--errors-for-leak-kinds=definite",
                                                                     program, features, path("bg.png"), "transform=angle=20", path("in.mp4"), path("out.mkv"), "-c:v", "ffv1"])
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertTrue(result.standardError.contains("ERROR SUMMARY: 0 errors"), result.standardError)
        XCTAssertTrue(result.standardError.contains("definitely lost: 0 bytes") || result.standardError.contains("no leaks are possible"), result.standardError)
    }
}
