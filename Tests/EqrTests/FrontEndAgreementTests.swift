import Foundation
import XCTest

/// The same effect on the same frames gives identical pixels from the `eqr` host, the C
/// library (the installed C example) and the frei0r filter inside stock ffmpeg: all three
/// run `FramePipeline`. Inputs and outputs are lossless RGB, so no colour conversion of the
/// front ends themselves can hide (or cause) a difference.
final class FrontEndAgreementTests: PluginWorkspaceTestCase {
    func succeed(_ program: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        let result = try EqrProcess.run(program: program, arguments, environment: environment)
        XCTAssertEqual(result.status, 0, "\(program) \(arguments.joined(separator: " ")):\n\(result.standardError)")
    }

    func testHostCLibraryAndPluginGiveIdenticalPixels() throws {
        // 96×64 (a multiple of 16, as the ffmpeg frei0r filter needs), background 160×90:
        // another aspect ratio, so the default fit (cover) is exercised too.
        try FFmpegTools.ffmpeg(["-f", "lavfi", "-i", "testsrc=size=96x64:rate=10", "-frames:v", "6", "-c:v", "ffv1", "-pix_fmt", "bgr0", path("in.mkv")])
        try FFmpegTools.ffmpeg(["-f", "lavfi", "-i", "gradients=size=160x90:seed=4", "-frames:v", "1", path("bg.png")])
        // angle 0.5556 → 360·0.5556 − 180 = 20.016°, scale and shifts neutral.
        let effect = "transform=angle=20.016"
        // The libraries run with the OpenBLAS kernel eqr runs with (see kernelEnvironmentMatchingEqr).
        let kernel = try EqrProcess.kernelEnvironmentMatchingEqr()
        try succeed(EqrProcess.executable.path, ["-i", path("in.mkv"), "-i", path("bg.png"), "-m", model, "-effect", effect, "-plate", "running",
                                                 "-c:v", "ffv1", "-pix_fmt", "bgr0", "-nostats", path("eqr.mkv")])
        try succeed("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-i", path("in.mkv"),
                                        "-vf", "frei0r=equivariant:\(model)|\(path("bg.png"))|transform|0.5556|0.5|0.5|0.5",
                                        "-c:v", "ffv1", "-pix_fmt", "bgr0", path("plugin.mkv")], environment: kernel.merging(["FREI0R_PATH": path("plugins")]) { $1 })
        let prefix = path("prefix")
        try succeed("/bin/bash", [EqrProcess.packageRoot.appendingPathComponent("CInterop/install.sh").path, "--prefix", prefix,
                                  "--no-build", "--build-dir", EqrProcess.products.path])
        try succeed("/usr/bin/cc", ["-std=c99", EqrProcess.packageRoot.appendingPathComponent("examples/c/retarget.c").path, "-o", path("retarget"),
                                    "-I\(prefix)/include", "-L\(prefix)/lib", "-Wl,-rpath,\(prefix)/lib", "-lequivariant"])
        try succeed(path("retarget"), [model, path("bg.png"), effect, path("in.mkv"), path("c.mkv"), "-c:v", "ffv1", "-pix_fmt", "bgr0"], environment: kernel)

        for video in ["eqr.mkv", "plugin.mkv", "c.mkv"] { XCTAssertEqual(try FFmpegTools.probe(path(video)), [96, 64, 6], video) }
        XCTAssertEqual(try FFmpegTools.psnr(path("plugin.mkv"), path("eqr.mkv")).minimum, .infinity, "plugin vs eqr")
        XCTAssertEqual(try FFmpegTools.psnr(path("c.mkv"), path("eqr.mkv")).minimum, .infinity, "C library vs eqr")
        // The comparison can fail: the input itself is far from the output.
        XCTAssertLessThan(try FFmpegTools.psnr(path("in.mkv"), path("eqr.mkv")).average, 30)
    }
}
