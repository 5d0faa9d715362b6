import Foundation
import XCTest

/// `eqr synth`, `train`, `info`, `eval` and `demo` end to end on tiny settings.
final class ModelCommandTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("eqr-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Frame count of a video, from the stock ffprobe.
    func frameCount(_ video: String) throws -> Int { try FFmpegTools.probe(video).last ?? -1 }

    func testSynthWritesAVideoAndItsTransforms() throws {
        let result = try EqrProcess.run(["synth", path("clip.mp4"), "--frames", "12", "--resolution", "32"])
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertEqual(try frameCount(path("clip.mp4")), 12)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path("clip.mp4.json")))) as? [String: Any])
        let frames = try XCTUnwrap(json["frames"] as? [[String: Any]])
        XCTAssertEqual(frames.count, 12)
        XCTAssertEqual((frames[3]["motion"] as? [Double])?.count, 6)
        // Existing outputs are kept unless -y is given.
        let again = try EqrProcess.run(["synth", path("clip.mp4"), "--frames", "12", "--resolution", "32"])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.standardError.contains("exists; pass -y"), again.standardError)
    }

    /// `--renderer layered` trains, reports α, is recorded in the checkpoint and renders
    /// through the host; a bad renderer name is an argument error.
    func testLayeredRendererTrainsAndRenders() throws {
        let model = path("layered.safetensors")
        let train = try EqrProcess.run(["train", "--variant", "given", "--renderer", "layered", "--resolution", "16", "--steps", "3", "--batch", "2",
                                        "--log-every", "1", "-o", model])
        XCTAssertEqual(train.status, 0, train.standardError)
        XCTAssertTrue(train.standardError.contains("  α 0."), train.standardError)
        let info = try EqrProcess.run(["info", model, "--json"])
        let fields = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(info.standardOutput.utf8)) as? [String: Any])
        XCTAssertEqual(fields["renderer"] as? String, "layered")
        XCTAssertEqual(try EqrProcess.run(["synth", path("clip.mp4"), "--frames", "4", "--resolution", "32", "--plate", path("plate.png")]).status, 0)
        let host = try EqrProcess.run(["-i", path("clip.mp4"), "-i", path("plate.png"), "-m", model, "-nostats", path("out.mp4")])
        XCTAssertEqual(host.status, 0, host.standardError)
        XCTAssertEqual(try frameCount(path("out.mp4")), 4)
        let bad = try EqrProcess.run(["train", "--renderer", "stacked", "-o", path("x.safetensors")])
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.standardError.contains("--renderer stacked is not one of additive, layered"), bad.standardError)
    }

    func testTrainInfoEvalResumeAndDemo() throws {
        let model = path("m.safetensors"), log = path("m.jsonl")
        let train = try EqrProcess.run(["train", "--variant", "features", "--resolution", "16", "--steps", "4", "--batch", "2",
                                        "--checkpoint-every", "2", "--log-every", "1", "-o", model, "--log", log])
        XCTAssertEqual(train.status, 0, train.standardError)
        XCTAssertTrue(train.standardError.contains("step 4/4"), train.standardError)
        XCTAssertEqual(try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").count, 4)

        let info = try EqrProcess.run(["info", model, "--json"])
        XCTAssertEqual(info.status, 0, info.standardError)
        let fields = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(info.standardOutput.utf8)) as? [String: String])
        XCTAssertEqual(fields["variant"], "features")
        XCTAssertEqual(fields["resolution"], "16x16")
        XCTAssertEqual(fields["step"], "4")

        // As if a run had logged steps 5 and 6 and a torn line after the checkpoint at 4 and
        // was then killed: the resumed run logs 5 and 6 again, each once.
        let logged = try String(contentsOfFile: log, encoding: .utf8)
        let lastLine = String(logged.split(separator: "\n").last!)
        let killedRun = [5, 6].map { lastLine.replacingOccurrences(of: "\"step\":4", with: "\"step\":\($0)") + "\n" }.joined() + "{\"elapsedSec"
        try (logged + killedRun).write(toFile: log, atomically: true, encoding: .utf8)
        let resume = try EqrProcess.run(["train", "--variant", "features", "--resolution", "16", "--steps", "6", "--batch", "2",
                                         "--resume", model, "-o", model, "--log", log, "--log-every", "1"])
        XCTAssertEqual(resume.status, 0, resume.standardError)
        XCTAssertTrue(resume.standardError.contains("steps 4→6"), resume.standardError)
        let steps = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map { line -> Int in
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return try XCTUnwrap((object["report"] as? [String: Any])?["step"] as? Int)
        }
        XCTAssertEqual(steps, [1, 2, 3, 4, 5, 6])

        let eval = try EqrProcess.run(["eval", "-m", model, "--samples", "2", "--json", "--sheet", path("sheet.png"), "--log", log, "--plot", path("plot.png")])
        XCTAssertEqual(eval.status, 0, eval.standardError)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(eval.standardOutput.utf8)) as? [String: Any])
        XCTAssertEqual(report["variant"] as? String, "features")
        let metrics = try XCTUnwrap(report["metrics"] as? [String: [String: Double]])
        for key in ["prediction", "swap", "rerender", "transfer", "background_leak", "character_leak", "baseline_copy", "baseline_classical_swap"] {
            XCTAssertNotNil(metrics[key]?["psnr"], key)
            XCTAssertNotNil(metrics[key]?["ssim"], key)
        }
        XCTAssertNotNil(report["metrics_unseen"] as? [String: [String: Double]])
        for png in ["sheet.png", "plot.png"] {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path(png)))
            XCTAssertEqual(Array(bytes.prefix(4)), [0x89, 0x50, 0x4E, 0x47], png)
        }

        // A pixels model started from this one's f, h and g, and an inference-only export.
        let started = try EqrProcess.run(["train", "--variant", "pixels", "--resolution", "16", "--steps", "1", "--batch", "2",
                                          "--init-from", model, "-o", path("p.safetensors")])
        XCTAssertEqual(started.status, 0, started.standardError)
        let startedInfo = try EqrProcess.run(["info", path("p.safetensors")])
        XCTAssertTrue(startedInfo.standardOutput.contains("init_from"), startedInfo.standardOutput)
        let export = try EqrProcess.run(["export", model, path("small.safetensors")])
        XCTAssertEqual(export.status, 0, export.standardError)
        let sizes = try [model, path("small.safetensors")].map { try XCTUnwrap(FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int) }
        XCTAssertLessThan(sizes[1] * 2, sizes[0])
        XCTAssertTrue(try EqrProcess.run(["info", path("small.safetensors")]).standardOutput.contains("none (inference only)"))

        let demo = try EqrProcess.run(["demo", "-m", model, "--out", path("demo"), "--frames", "5"])
        XCTAssertEqual(demo.status, 0, demo.standardError)
        XCTAssertEqual(try frameCount(path("demo/demo-swap.mp4")), 5)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("demo/demo-sheet.png")))
        // The host's run on the demo's clip and background files: 4× the 16-pixel model.
        XCTAssertEqual(try FFmpegTools.probe(path("demo/demo-transform.mp4")), [64, 64, 5])
        XCTAssertTrue(demo.standardOutput.contains("-effect transform=angle=20:scale=1.2"), demo.standardOutput)
    }

    /// A short run's log (one entry) still plots, a dot per panel; an empty log fails `eval
    /// --plot` before the evaluation runs, and says why.
    func testEvalPlotsAShortLogAndRefusesAnEmptyOneBeforeEvaluating() throws {
        let model = path("m.safetensors"), log = path("m.jsonl")
        let train = try EqrProcess.run(["train", "--variant", "given", "--resolution", "16", "--steps", "2", "--batch", "2", "--log-every", "10", "-o", model, "--log", log, "--quiet"])
        XCTAssertEqual(train.status, 0, train.standardError)
        let eval = try EqrProcess.run(["eval", "-m", model, "--samples", "2", "--full-resolution-clips", "0", "--log", log, "--plot", path("loss.png")])
        XCTAssertEqual(eval.status, 0, eval.standardError)
        XCTAssertTrue(eval.standardOutput.contains("| row |"), eval.standardOutput)
        XCTAssertEqual(try FFmpegTools.probe(path("loss.png")).count, 3)
        try Data().write(to: URL(fileURLWithPath: path("empty.jsonl")))
        let empty = try EqrProcess.run(["eval", "-m", model, "--samples", "2", "--full-resolution-clips", "0", "--log", path("empty.jsonl"), "--plot", path("empty.png")])
        XCTAssertEqual(empty.status, 1, empty.standardError)
        XCTAssertTrue(empty.standardError.contains("the log is empty"), empty.standardError)
        XCTAssertFalse(empty.standardOutput.contains("| row |"), "no evaluation ran: \(empty.standardOutput)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("empty.png")))
    }

    /// `eqr bench train` reports the shipped step's pairs/s; a peer that fails is a clear error.
    func testBenchTrainReportsPairsPerSecond() throws {
        let run = try EqrProcess.run(["bench", "train", "--steps", "1", "--batch", "2", "--resolution", "16", "--json"])
        XCTAssertEqual(run.status, 0, run.standardError)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [String: Any])
        XCTAssertGreaterThan(try XCTUnwrap(report["eqr_pairs_per_second"] as? Double), 0)
        XCTAssertGreaterThan(try XCTUnwrap(report["parameters"] as? Int), 0)
        XCTAssertTrue((report["blas_kernel"] as? String)?.hasPrefix("OpenBLAS kernel") ?? false, run.standardOutput)
        // Rounds: every round's figure is reported, and the headline is their median.
        let rounds = try EqrProcess.run(["bench", "train", "--steps", "1", "--batch", "2", "--resolution", "16", "--rounds", "3", "--json"])
        XCTAssertEqual(rounds.status, 0, rounds.standardError)
        let roundsReport = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(rounds.standardOutput.utf8)) as? [String: Any])
        let figures = try XCTUnwrap(roundsReport["eqr_rounds"] as? [Double])
        XCTAssertEqual(figures.count, 3)
        XCTAssertEqual(try XCTUnwrap(roundsReport["eqr_pairs_per_second"] as? Double), figures.sorted()[1], accuracy: 1e-9)
        XCTAssertEqual(try EqrProcess.run(["bench", "train", "--rounds", "0"]).status, 64)
        let peer = try EqrProcess.run(["bench", "train", "--steps", "1", "--batch", "2", "--resolution", "16", "--peer-python", "/bin/false",
                                       "--peer-script", EqrProcess.packageRoot.appendingPathComponent("examples/bench/torch_peer.py").path])
        XCTAssertEqual(peer.status, 1, peer.standardError)
        XCTAssertTrue(peer.standardError.contains("the PyTorch mirror failed"), peer.standardError)
    }

    func testTrainOnAVideoFile() throws {
        XCTAssertEqual(try EqrProcess.run(["synth", path("clip.mp4"), "--frames", "10", "--resolution", "64"]).status, 0)
        // A directory of videos is expanded to its video files.
        let train = try EqrProcess.run(["train", "--variant", "pixels", "--resolution", "16", "--steps", "2", "--batch", "2",
                                        "--videos", directory.path, "-o", path("v.safetensors")])
        XCTAssertEqual(train.status, 0, train.standardError)
        XCTAssertTrue(train.standardError.contains("data: video: clip.mp4 (10 frames)"), train.standardError)
    }

    func testPhotoBackgrounds() throws {
        let photos = directory.appendingPathComponent("photos")
        try FileManager.default.createDirectory(at: photos, withIntermediateDirectories: true)
        for i in 0..<4 {
            try FFmpegTools.ffmpeg(["-f", "lavfi", "-i", "mandelbrot=size=96x64:start_scale=\(1 + i)", "-frames:v", "1", photos.appendingPathComponent("p\(i).png").path])
        }
        let model = path("photo.safetensors")
        let train = try EqrProcess.run(["train", "--variant", "given", "--resolution", "16", "--steps", "2", "--batch", "2",
                                        "--background-images", photos.path, "--trained-backgrounds", "3", "-o", model])
        XCTAssertEqual(train.status, 0, train.standardError)
        let eval = try EqrProcess.run(["eval", "-m", model, "--samples", "2", "--json"])
        XCTAssertEqual(eval.status, 0, eval.standardError)
        let tooFew = try EqrProcess.run(["train", "--variant", "given", "--resolution", "16", "--steps", "1",
                                         "--background-images", photos.path, "--trained-backgrounds", "4", "-o", path("x.safetensors")])
        XCTAssertNotEqual(tooFew.status, 0)
        XCTAssertTrue(tooFew.standardError.contains("holds 4 images"), tooFew.standardError)
    }

    func testBadInputsFailClearly() throws {
        try Data("not a checkpoint".utf8).write(to: URL(fileURLWithPath: path("junk.safetensors")))
        let cases: [([String], String)] = [
            (["info", path("missing.safetensors")], "missing.safetensors"),
            (["info", path("junk.safetensors")], "invalid checkpoint"),
            (["eval", "-m", path("junk.safetensors")], "invalid checkpoint"),
            (["train", "--variant", "given", "--videos", "a.mp4", "-o", path("x.safetensors")], "--variant given needs the true motion"),
            (["train", "--variant", "sideways", "-o", path("x.safetensors")], "sideways"),
            (["train", "--variant", "pixels", "--resolution", "30", "--steps", "1", "-o", path("x.safetensors")], "multiple of 8"),
            (["train", "--variant", "pixels", "--steps", "1", "--videos", path("nope.mp4"), "-o", path("x.safetensors")], "nope.mp4"),
            (["train", "--variant", "pixels", "--scene-background", "distant", "--empty-distant-frames", "1.5", "-o", path("x.safetensors")],
             "--empty-distant-frames must be in 0...1"),
            (["train", "--variant", "pixels", "--empty-distant-frames", "0.25", "-o", path("x.safetensors")], "--scene-background distant"),
            (["train", "--variant", "pixels", "--procedural-backgrounds", "64", "-o", path("x.safetensors")], "give --background-images"),
            (["train", "--variant", "pixels", "--procedural-backgrounds", "1001", "-o", path("x.safetensors")], "--procedural-backgrounds must be in 0...1000"),
            (["train", "--variant", "pixels", "--procedural-characters", "2", "-o", path("x.safetensors")], "give --character-images"),
            (["train", "--variant", "pixels", "--characters", "4", "--procedural-characters", "4", "-o", path("x.safetensors")],
             "--procedural-characters must be in 0..<--characters (4)"),
            (["synth", path("s.mp4"), "--character", "99"], "--character 99"),
            (["train", "--variant", "pixels", "--steps", "1", "-o", path("no/such/dir/x.safetensors")], "does not exist or is not writable"),
        ]
        for (arguments, expected) in cases {
            let result = try EqrProcess.run(arguments)
            XCTAssertNotEqual(result.status, 0, arguments.joined(separator: " "))
            XCTAssertTrue(result.standardError.contains(expected), "\(arguments): \(result.standardError)")
            XCTAssertFalse(result.standardError.contains("Fatal error"), result.standardError)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("x.safetensors")))
    }
}
