import Foundation
import XCTest

/// examples/ffmpeg (stock ffmpeg + the plugin) and examples/python (ctypes) against `eqr`.
final class ExamplesTests: PluginWorkspaceTestCase {
    func example(_ name: String) -> String { EqrProcess.packageRoot.appendingPathComponent("examples/\(name)").path }

    func testShellScriptMatchesEqrAndHandlesWidthsOffSixteen() throws {
        for (width, height) in [(160, 120), (66, 50)] {
            try FFmpegTools.ffmpeg(["-f", "lavfi", "-i", "testsrc=size=\(width)x\(height):rate=10", "-frames:v", "6", "-pix_fmt", "yuv420p", path("in\(width).mp4")])
            try FFmpegTools.ffmpeg(["-f", "lavfi", "-i", "gradients=size=\(width)x\(height):seed=2", "-frames:v", "1", path("bg\(width).png")])
            let run = try EqrProcess.run(program: "/bin/bash", [example("ffmpeg/retarget.sh"), model, path("bg\(width).png"), path("in\(width).mp4"),
                                                                path("script\(width).mkv"), "transform=angle=20:scale=1.1", "-c:v", "ffv1"],
                                         environment: ["FREI0R_PATH": path("plugins")])
            XCTAssertEqual(run.status, 0, run.standardError)
            XCTAssertFalse(run.standardError.contains("equivariant (frei0r)"), run.standardError)
            XCTAssertEqual(try FFmpegTools.probe(path("script\(width).mkv")), [width, height, 6])
        }
        let eqr = try EqrProcess.run(["-i", path("in160.mp4"), "-i", path("bg160.png"), "-m", model, "-effect", "transform=angle=20:scale=1.1", "-plate", "running",
                                      "-c:v", "ffv1", "-pix_fmt", "bgr0", "-nostats", path("eqr160.mkv")])
        XCTAssertEqual(eqr.status, 0, eqr.standardError)
        XCTAssertGreaterThan(try FFmpegTools.psnr(path("script160.mkv"), path("eqr160.mkv")).minimum, 40)
    }

    func testPythonCtypesExampleMatchesEqr() throws {
        try FFmpegTools.ffmpeg(["-f", "lavfi", "-i", "testsrc=size=160x120", "-frames:v", "1", path("character.png")])
        try FFmpegTools.ffmpeg(["-f", "lavfi", "-i", "gradients=size=160x120:seed=4", "-frames:v", "1", path("background.png")])
        let run = try EqrProcess.run(program: "/usr/bin/python3", [example("python/swap_frame.py"), model, path("character.png"), path("background.png"),
                                                                   path("python.png"), EqrProcess.products.appendingPathComponent("libequivariant.so").path])
        XCTAssertEqual(run.status, 0, run.standardError)
        XCTAssertTrue(run.standardOutput.contains("wrote"), run.standardOutput)
        let eqr = try EqrProcess.run(["-i", path("character.png"), "-i", path("background.png"), "-m", model, "-effect", "swap", "-nostats", path("eqr%d.png")])
        XCTAssertEqual(eqr.status, 0, eqr.standardError)
        XCTAssertGreaterThan(try FFmpegTools.psnr(path("python.png"), path("eqr1.png")).average, 40)
        XCTAssertLessThan(try FFmpegTools.psnr(path("python.png"), path("character.png")).average, 30)
    }
}
