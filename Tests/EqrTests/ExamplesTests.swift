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

    /// The architecture a checkpoint carries is complete: `equivariant.reference`, a NumPy
    /// forward pass built from the file alone (its `architecture` metadata and tensors), gives
    /// the library's features and renders for the default (layered, stride 2, residual blocks),
    /// an additive stride-4 model and a two-level model; a description changed in one place
    /// (bilinear upsampling read as nearest) no longer does, so the comparison can fail.
    func testNumPyReferenceFromTheFileAloneMatchesTheLibrary() throws {
        let twoLevel = path("two-level.safetensors")
        let train = try EqrProcess.run(["train", "--variant", "pixels", "--transform-output", "aligned", "--renderer", "layered", "--fine-level",
                                        "--renderer-blocks", "1", "--feature-stride", "2", "--resolution", "32", "--steps", "3", "--batch", "2",
                                        "--lr", "0.01", "--quiet", "-o", twoLevel])
        XCTAssertEqual(train.status, 0, train.standardError)
        let script = """
            import json, subprocess, sys, numpy as np, equivariant
            from equivariant.checkpoint import read
            from equivariant.reference import ReferenceModel
            eqr, paths = sys.argv[1], sys.argv[2:]
            rng = np.random.default_rng(1)
            def levels(flat, like):
                out, at = [], 0
                for level in like:
                    out.append(flat[at:at + level.size].reshape(level.shape)); at += level.size
                assert at == flat.size, (at, flat.size)
                return out
            def compare(path, reference):
                side = reference.resolution
                a, b = [(rng.random((side, side, 3)) * 255).astype(np.uint8) for _ in range(2)]
                theta = np.array([0.9, 0.1, 0.05, -0.1, 0.95, -0.02], np.float32)
                with equivariant.Model(path) as model, model.context() as context:
                    f, h = context.encode_character(a), context.encode_background(b)
                    rendered = context.render(f, h, theta)
                tensor = lambda image: image.transpose(2, 0, 1)[None].astype(np.float32) / 255
                mine_f, mine_h = reference.encode_character(tensor(a)), reference.encode_background(tensor(b))
                feature_error = max(np.abs(np.concatenate([l.ravel() for l in mine]) - theirs).max() / (np.abs(theirs).max() + 1e-6)
                                    for mine, theirs in [(mine_f, f), (mine_h, h)])
                image = reference.render(levels(f, mine_f), levels(h, mine_h), theta[None])[0].transpose(1, 2, 0)
                render_error = np.abs(np.clip(np.round(image * 255), 0, 255) - rendered).max()
                return feature_error, render_error, len(mine_f)
            for path in paths:
                reference = ReferenceModel(path)
                printed = json.loads(subprocess.run([eqr, "info", "--architecture", path], check=True, capture_output=True, text=True).stdout)
                assert printed == reference.architecture, path + ": eqr info --architecture differs from the file's"
                feature_error, render_error, count = compare(path, reference)
                print(f"{path}: {count} level(s), feature error {feature_error:.2e}, render error {render_error:.0f}")
                assert feature_error < 1e-4 and render_error <= 1, (path, feature_error, render_error)
                for layer in reference.architecture["g"]["coarse"]:
                    if layer["op"] == "upsample2x":
                        layer["mode"] = "nearest"
                _, broken, _ = compare(path, reference)
                print(f"{path}: with nearest upsampling in g, render error {broken:.0f}")
                assert broken > 2, (path, broken)
            """
        let models = [CommittedModelTests.models.appendingPathComponent("aligned-wide-64.safetensors").path, model, twoLevel]
        let run = try EqrProcess.run(program: "/usr/bin/python3", ["-c", script, EqrProcess.executable.path] + models,
                                     environment: ["PYTHONPATH": EqrProcess.packageRoot.appendingPathComponent("python").path,
                                                   "EQR_LIBRARY": EqrProcess.products.appendingPathComponent("libequivariant.so").path])
        XCTAssertEqual(run.status, 0, run.standardOutput + run.standardError)
        XCTAssertEqual(run.standardOutput.components(separatedBy: "render error").count, 7, run.standardOutput)
    }

    /// The Python package (python/): `pip install` into a virtual environment (offline, as
    /// Debian's setuptools builds it), then a stream of NumPy frames through it gives the
    /// frames `eqr -plate running` gives, errors arrive as exceptions, and `fit` reports its
    /// progress, stops when asked and resumes.
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
            # fit: progress reported, a stop asked for, a resume to the step count, errors raised.
            reports = []
            fitted = sys.argv[3] + ".safetensors"
            try:
                equivariant.fit(sys.argv[2], fitted, steps=30, resolution=16, progress=lambda *r: reports.append(r),
                                should_abort=lambda: len(reports) > 0)
                sys.exit("no exception for an aborted fit")
            except equivariant.EquivariantError as error:
                assert error.status == -10 and "step 11" in error.message, error
            assert reports[0][:2] == (10, 30) and reports[0][3] > 0, reports
            equivariant.fit(sys.argv[2], fitted, steps=30, resolution=16, resume=True, progress=lambda *r: reports.append(r))
            assert [r[0] for r in reports] == [10, 11, 20, 30], reports
            with equivariant.Model(fitted) as model:
                assert model.resolution == 16, model.resolution
            try:
                equivariant.fit(sys.argv[2], fitted)
                sys.exit("no exception for a fit without a budget")
            except equivariant.EquivariantError as error:
                assert error.status == -3 and "budget" in error.message, error
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
