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
            XCTAssertEqual(EqrProcess.pluginReports(in: run.standardError), [], run.standardError)
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

    /// The Python package (python/): `pip install` into a virtual environment (offline, as
    /// Debian's setuptools builds it), then a stream of NumPy frames through it gives the
    /// frames `eqr -plate running` gives, and errors arrive as exceptions.
    func testPythonPackageInstallsAndMatchesEqr() throws {
        let venv = path("venv"), source = path("python-source")
        // From a copy: setuptools writes build/ and egg-info/ next to the sources it builds.
        try FileManager.default.copyItem(atPath: EqrProcess.packageRoot.appendingPathComponent("python").path, toPath: source)
        for (program, arguments) in [("/usr/bin/python3", ["-m", "venv", "--system-site-packages", venv]),
                                     ("\(venv)/bin/pip", ["install", "--quiet", "--no-build-isolation", "--no-index", source])] {
            let run = try EqrProcess.run(program: program, arguments)
            XCTAssertEqual(run.status, 0, "\(program): \(run.standardError)")
        }
        XCTAssertEqual(try EqrProcess.run(["synth", path("walk.mkv"), "--frames", "10", "--resolution", "64", "--c:v", "ffv1"]).status, 0)
        let script = """
            import subprocess, sys, numpy as np, equivariant
            messages = []
            equivariant.set_log(lambda level, message: messages.append((level, message)))
            def frames(path):
                raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], check=True, capture_output=True).stdout
                return np.frombuffer(raw, np.uint8).reshape(-1, 64, 64, 3)
            with equivariant.Model(sys.argv[1]) as model, model.context() as context:
                assert (model.resolution, model.variant) == (64, "features"), (model.resolution, model.variant)
                context.set_effect("matte")
                out = np.stack([context.process(f) for f in frames(sys.argv[2])])
                context.set_effect("cutout")
                assert context.process(frames(sys.argv[2])[0]).shape == (64, 64, 4)
                try:
                    context.set_effect("transform=angle=999")
                    sys.exit("no exception for a bad effect")
                except equivariant.EquivariantError as error:
                    assert error.status == -3 and "angle=999" in str(error), error
            try:
                equivariant.Model("missing.safetensors")
                sys.exit("no exception for a missing model")
            except equivariant.EquivariantError as error:
                assert error.status == -4, error
            assert ("error", "eqr_model_load: missing.safetensors: no such model file") in messages, messages
            assert any(level == "info" and message.startswith("loaded " + sys.argv[1]) for level, message in messages), messages
            assert any(level == "error" and "angle=999" in message for level, message in messages), messages
            count = len(messages)
            equivariant.set_log(None)
            try:
                equivariant.Model("missing.safetensors")
            except equivariant.EquivariantError:
                pass
            assert len(messages) == count, "set_log(None) detaches the handler"
            subprocess.run(["ffmpeg", "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "64x64", "-i", "-", "-c:v", "ffv1", sys.argv[3]],
                           input=out.tobytes(), check=True)
            print("ok", equivariant.version())
            """
        try script.write(toFile: path("stream.py"), atomically: true, encoding: .utf8)
        let run = try EqrProcess.run(program: "\(venv)/bin/python", [path("stream.py"), model, path("walk.mkv"), path("python.mkv")],
                                     environment: ["EQR_LIBRARY": EqrProcess.products.appendingPathComponent("libequivariant.so").path])
        XCTAssertEqual(run.status, 0, run.standardError)
        XCTAssertTrue(run.standardOutput.hasPrefix("ok "), run.standardOutput)
        let eqr = try EqrProcess.run(["-i", path("walk.mkv"), "-m", model, "-effect", "matte", "-plate", "running", "-c:v", "ffv1", "-nostats", path("eqr.mkv")])
        XCTAssertEqual(eqr.status, 0, eqr.standardError)
        XCTAssertGreaterThan(try FFmpegTools.psnr(path("python.mkv"), path("eqr.mkv")).minimum, 40)
        XCTAssertLessThan(try FFmpegTools.psnr(path("python.mkv"), path("walk.mkv")).average, 15)
    }
}
