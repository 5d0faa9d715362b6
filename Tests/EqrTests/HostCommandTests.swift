import Foundation
import XCTest

/// The ffmpeg-style host end to end, with the committed default model.
final class HostCommandTests: XCTestCase {
    var directory: URL!
    let model = CommittedModelTests.models.appendingPathComponent("features-64.safetensors").path

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("eqr-host-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        XCTAssertEqual(try EqrProcess.run(["synth", path("char.mp4"), "--frames", "12", "--resolution", "96"]).status, 0)
        try ffmpeg(["-f", "lavfi", "-i", "color=c=0x3366aa:size=96x96", "-frames:v", "1", path("bg.png")])
        try ffmpeg(["-f", "lavfi", "-i", "color=c=0x3366aa:size=160x90", "-frames:v", "1", path("wide.png")])
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func ffmpeg(_ arguments: [String]) throws { try FFmpegTools.ffmpeg(arguments) }

    func probe(_ video: String) throws -> [Int] { try FFmpegTools.probe(video) }

    func testEffectsProduceVideosAtTheInputsSizeAndLength() throws {
        let runs: [[String]] = [
            ["-i", path("char.mp4"), "-i", path("bg.png"), "-m", model, "-effect", "swap", path("swap.mp4")],
            ["-i", path("char.mp4"), "-i", path("bg.png"), "-m", model, "-effect", "transform=angle=20:scale=1.3:tx=0.1:ty=0", "-c:v", "libx264", "-crf", "20", path("transform.mp4")],
            ["-i", path("char.mp4"), "-m", model, "-effect", "reconstruct", "-frames:v", "5", path("reconstruct.mp4")],
        ]
        for arguments in runs {
            let result = try EqrProcess.run(arguments)
            XCTAssertEqual(result.status, 0, result.standardError)
        }
        XCTAssertEqual(try probe(path("swap.mp4")), [96, 96, 12])
        XCTAssertEqual(try probe(path("transform.mp4")), [96, 96, 12])
        XCTAssertEqual(try probe(path("reconstruct.mp4")), [96, 96, 5])

        let extract = try EqrProcess.run(["-i", path("char.mp4"), "-m", model, "-extract-motion", path("walk.json")])
        XCTAssertEqual(extract.status, 0, extract.standardError)
        let transfer = try EqrProcess.run(["-i", path("char.mp4"), "-i", path("bg.png"), "-m", model, "-effect", "transfer=template=\(path("walk.json"))", "-nostats", path("transfer.mp4")])
        XCTAssertEqual(transfer.status, 0, transfer.standardError)
        XCTAssertEqual(try probe(path("transfer.mp4")), [96, 96, 12])
    }

    /// A clip of two shots over two backgrounds gets one plate per shot: the swap of both
    /// shots lands on the new background (a single plate would mix the two backgrounds and
    /// leave the old ones showing). Measured: 24.6 dB against the truth, the input 15.3.
    /// Streaming, the learned plate starts again at the cut.
    func testEachShotGetsItsOwnPlate() throws {
        for (name, background, seed) in [("a.mkv", "0", "1"), ("b.mkv", "1", "2"), ("ta.mkv", "3", "1"), ("tb.mkv", "3", "2")] {
            var arguments = ["synth", path(name), "--frames", "12", "--resolution", "96", "--background", background, "--seed", seed, "--c:v", "ffv1"]
            if name == "ta.mkv" { arguments += ["--plate", path("new.png")] }
            XCTAssertEqual(try EqrProcess.run(arguments).status, 0)
        }
        for (output, parts) in [("shots.mkv", ["a.mkv", "b.mkv"]), ("truth.mkv", ["ta.mkv", "tb.mkv"])] {
            try ffmpeg(["-i", path(parts[0]), "-i", path(parts[1]), "-filter_complex", "concat=n=2:v=1", "-c:v", "ffv1", path(output)])
        }
        let swap = try EqrProcess.run(["-i", path("shots.mkv"), "-i", path("new.png"), "-m", model, "-c:v", "ffv1", "-pix_fmt", "bgr0", path("swap.mkv")])
        XCTAssertEqual(swap.status, 0, swap.standardError)
        XCTAssertTrue(swap.standardError.contains("2 shots (cuts before frames 12), one background plate each"), swap.standardError)
        let swapped = try FFmpegTools.psnr(path("swap.mkv"), path("truth.mkv")).average
        let input = try FFmpegTools.psnr(path("shots.mkv"), path("truth.mkv")).average
        XCTAssertGreaterThan(swapped, 22, "swap vs truth")
        XCTAssertGreaterThan(swapped, input + 6, "swap \(swapped) dB vs input \(input) dB")
        // Streaming (as the plugins): the learned plate starts again at the cut. Measured:
        // 24.6 dB; without the restart 17.2.
        let running = try EqrProcess.run(["-i", path("shots.mkv"), "-i", path("new.png"), "-m", model, "-plate", "running", "-c:v", "ffv1", "-pix_fmt", "bgr0", path("running.mkv")])
        XCTAssertEqual(running.status, 0, running.standardError)
        let streamed = try FFmpegTools.psnr(path("running.mkv"), path("truth.mkv")).average
        XCTAssertGreaterThan(streamed, 21, "streamed swap \(streamed) dB")
    }

    /// `-extract-motion` aligns the model's steps on the clip's frames: against the synthetic
    /// clip's true motion (its JSON), the aligned template is far closer than the model's own
    /// estimates. Measured at 256²: mean |Δθ| 0.023 → 0.002 (answering "no motion": 0.031).
    func testExtractedMotionIsAlignedOnTheFrames() throws {
        XCTAssertEqual(try EqrProcess.run(["synth", path("walk.mkv"), "--frames", "16", "--resolution", "192", "--seed", "3", "--c:v", "ffv1"]).status, 0)
        let truth = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path("walk.mkv.json")))) as? [String: Any])
        let motions = try XCTUnwrap(truth["frames"] as? [[String: Any]]).map { try XCTUnwrap($0["motion"] as? [Double]) }
        func error(_ template: String) throws -> Double {
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path(template)))) as? [String: Any])
            let steps = try XCTUnwrap(json["steps"] as? [[Double]])
            XCTAssertEqual(steps.count, 15)
            var total = 0.0
            for (k, step) in steps.enumerated() {
                // The step's sampling matrix is the inverse of the content motion k → k+1.
                let m = motions[k + 1], det = m[0] * m[4] - m[1] * m[3]
                let inverse = [m[4] / det, -m[1] / det, (m[1] * m[5] - m[4] * m[2]) / det,
                               -m[3] / det, m[0] / det, (m[3] * m[2] - m[0] * m[5]) / det]
                total += zip(step, inverse).map { abs($0 - $1) }.reduce(0, +) / 6
            }
            return total / Double(steps.count)
        }
        let raw = try EqrProcess.run(["-i", path("walk.mkv"), "-m", model, "-extract-motion", path("raw.json"), "-refine-motion", "0"])
        XCTAssertEqual(raw.status, 0, raw.standardError)
        let aligned = try EqrProcess.run(["-i", path("walk.mkv"), "-m", model, "-extract-motion", path("aligned.json")])
        XCTAssertEqual(aligned.status, 0, aligned.standardError)
        XCTAssertTrue(aligned.standardError.contains("aligned on the frames"), aligned.standardError)
        let rawError = try error("raw.json"), alignedError = try error("aligned.json")
        XCTAssertLessThan(alignedError, rawError / 3, "aligned \(alignedError) vs the model's \(rawError)")
        XCTAssertLessThan(alignedError, 0.008)
        XCTAssertNotEqual(try EqrProcess.run(["-i", path("walk.mkv"), "-m", model, "-extract-motion", path("x.json"), "-refine-motion", "2"]).status, 0)
    }

    /// The swap puts the character on the new background: measured against the exact ground
    /// truth (the same walk rendered over the new background), it must beat both the input
    /// (old background) and the new background alone by a clear margin.
    func testSwapLandsTheCharacterOnTheNewBackground() throws {
        for (name, background) in [("old.mkv", "0"), ("truth.mkv", "3")] {
            var arguments = ["synth", path(name), "--frames", "12", "--resolution", "64", "--background", background, "--c:v", "ffv1"]
            if background == "3" { arguments += ["--plate", path("plate.png")] }
            XCTAssertEqual(try EqrProcess.run(arguments).status, 0)
        }
        let swap = try EqrProcess.run(["-i", path("old.mkv"), "-i", path("plate.png"), "-m", model, "-c:v", "ffv1", "-pix_fmt", "bgr0", "-nostats", path("swap.mkv")])
        XCTAssertEqual(swap.status, 0, swap.standardError)
        XCTAssertEqual(try FFmpegTools.frameRate(path("swap.mkv")), "25/1")
        let swapped = try FFmpegTools.psnr(path("swap.mkv"), path("truth.mkv")).average
        let input = try FFmpegTools.psnr(path("old.mkv"), path("truth.mkv")).average
        let plate = try FFmpegTools.psnr(path("plate.png"), path("truth.mkv")).average
        // Measured: swap 22.8 dB, input 16.3 dB, plate alone 16.5 dB.
        XCTAssertGreaterThan(swapped, 20, "swap vs truth")
        XCTAssertGreaterThan(swapped, input + 4, "swap \(swapped) dB vs input \(input) dB")
        XCTAssertGreaterThan(swapped, plate + 4, "swap \(swapped) dB vs plate alone \(plate) dB")
        // The default composes at the video's size from the clip's plate (said on stderr);
        // -render model is the model's rendering. Measured: 25.0 vs 23.4 dB on this short,
        // slow 64-pixel clip, where the character never uncovers part of the background.
        XCTAssertFalse(swap.standardError.contains("background plate"), "-nostats is quiet")
        let verbose = try EqrProcess.run(["-i", path("old.mkv"), "-i", path("plate.png"), "-m", model, "-render", "model", "-c:v", "ffv1", path("model.mkv")])
        XCTAssertEqual(verbose.status, 0, verbose.standardError)
        XCTAssertFalse(verbose.standardError.contains("background plate"), "the model's rendering needs no plate")
        let modelOnly = try FFmpegTools.psnr(path("model.mkv"), path("truth.mkv")).average
        XCTAssertGreaterThan(swapped, modelOnly + 1, "composite \(swapped) dB vs the model's rendering \(modelOnly) dB")
        let running = try EqrProcess.run(["-i", path("old.mkv"), "-i", path("plate.png"), "-m", model, "-plate", "running", "-c:v", "ffv1", path("running.mkv")])
        XCTAssertEqual(running.status, 0, running.standardError)
        XCTAssertGreaterThan(try FFmpegTools.psnr(path("swap.mkv"), path("running.mkv")).average, 15)
        XCTAssertLessThan(try FFmpegTools.psnr(path("swap.mkv"), path("running.mkv")).average, 60, "-plate running learns the plate frame by frame")
        let announced = try EqrProcess.run(["-i", path("old.mkv"), "-i", path("plate.png"), "-m", model, "-c:v", "ffv1", path("announced.mkv")])
        XCTAssertTrue(announced.standardError.contains("background plate from 12 of 12 frames"), announced.standardError)
        XCTAssertFalse(announced.standardError.contains("warning"), announced.standardError)
        // A panning camera shows no still background: said, even with -nostats.
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=256x256:rate=25", "-vf", "crop=64:64:'n*8':'n*4'", "-frames:v", "12", "-c:v", "ffv1", path("moving.mkv")])
        let moving = try EqrProcess.run(["-i", path("moving.mkv"), "-i", path("plate.png"), "-m", model, "-nostats", "-c:v", "ffv1", path("moving-out.mkv")])
        XCTAssertEqual(moving.status, 0, moving.standardError)
        XCTAssertTrue(moving.standardError.contains("never shows a still background"), moving.standardError)
    }

    func testProgressOnStderrUnlessNostats() throws {
        XCTAssertEqual(try EqrProcess.run(["synth", path("long.mp4"), "--frames", "30", "--resolution", "64"]).status, 0)
        let base = ["-i", path("long.mp4"), "-m", model, "-effect", "reconstruct", "-y"]
        let shown = try EqrProcess.run(base + [path("p.mp4")])
        XCTAssertEqual(shown.status, 0, shown.standardError)
        XCTAssertTrue(shown.standardError.contains("frame 25 of 30") && shown.standardError.contains("fps  ETA"), shown.standardError)
        XCTAssertTrue(shown.standardError.contains("frame 30, done"), shown.standardError)
        let hidden = try EqrProcess.run(base + ["-nostats", path("p.mp4")])
        XCTAssertEqual(hidden.status, 0, hidden.standardError)
        XCTAssertFalse(hidden.standardError.contains("frame"), hidden.standardError)
    }

    func testAShortBackgroundVideoIsLoopedOrHeld() throws {
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=96x96:rate=25", "-frames:v", "5", path("bgv.mp4")])
        for loop in ["1", "0"] {
            let result = try EqrProcess.run(["-i", path("char.mp4"), "-i", path("bgv.mp4"), "-m", model, "-bg-loop", loop, "-nostats", path("moving\(loop).mp4")])
            XCTAssertEqual(result.status, 0, result.standardError)
            XCTAssertEqual(try probe(path("moving\(loop).mp4")), [96, 96, 12], "-bg-loop \(loop)")
        }
    }

    func testDurationRateAndLogLevel() throws {
        let base = ["-i", path("char.mp4"), "-m", model, "-effect", "reconstruct"]
        XCTAssertEqual(try EqrProcess.run(base + ["-t", "0.2", "-loglevel", "quiet", path("t.mp4")]).status, 0)
        XCTAssertEqual(try probe(path("t.mp4")), [96, 96, 5])
        let quiet = try EqrProcess.run(base + ["-r", "10", "-loglevel", "quiet", path("r.mp4")])
        XCTAssertEqual(quiet.status, 0, quiet.standardError)
        XCTAssertEqual(try FFmpegTools.frameRate(path("r.mp4")), "10/1")
        XCTAssertEqual(try FFmpegTools.frameRate(path("t.mp4")), "25/1")
        XCTAssertEqual(quiet.standardError, "")
        let count = try probe(path("r.mp4"))[2]
        XCTAssertTrue((4...6).contains(count), "12 frames at 25 fps resampled to 10 fps gave \(count)")
        let bad = try EqrProcess.run(base + ["-loglevel", "loud", path("x.mp4")])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.standardError.contains("-loglevel loud is not one of"), bad.standardError)
    }

    func testAudioOfTheCharacterInputPassesThrough() throws {
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=96x96:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
                    "-t", "2", "-c:v", "libx264", "-c:a", "aac", "-shortest", path("audio.mp4")])
        let base = ["-i", path("audio.mp4"), "-i", path("bg.png"), "-m", model, "-nostats"]
        XCTAssertEqual(try EqrProcess.run(base + [path("with.mp4")]).status, 0)
        let streams = try FFmpegTools.streams(path("with.mp4"))
        XCTAssertEqual(streams.map { $0.split(separator: ",")[0] }, ["video", "audio"])
        let audioSeconds = try XCTUnwrap(Double(streams[1].split(separator: ",")[1]))
        XCTAssertEqual(audioSeconds, 2, accuracy: 0.05)
        // Cut with the video, and dropped with -an.
        XCTAssertEqual(try EqrProcess.run(base + ["-frames:v", "10", path("short.mp4")]).status, 0)
        let shortAudio = try XCTUnwrap(Double(try FFmpegTools.streams(path("short.mp4"))[1].split(separator: ",")[1]))
        XCTAssertEqual(shortAudio, 0.4, accuracy: 0.05)
        XCTAssertEqual(try EqrProcess.run(base + ["-an", path("silent.mp4")]).status, 0)
        XCTAssertEqual(try FFmpegTools.streams(path("silent.mp4")).map { $0.split(separator: ",")[0] }, ["video"])
    }

    /// Started by name from PATH (argv[0] is then just "eqr"), as users start it.
    /// Over the clip's plate a layered model's coverage of the next frame is computed while
    /// the current one renders; the pixels are those of a run that computes each frame's own
    /// in turn (`-lookahead 0`). The clip (testsrc2, whose plate is not trusted everywhere)
    /// makes the matte read the coverage on every frame, so a coverage handed to the wrong
    /// frame would show (tried: 35 dB at worst with the next frame's).
    func testCoverageComputedAheadGivesTheSamePixels() throws {
        let layered = CommittedModelTests.models.appendingPathComponent("aligned-wide-64.safetensors").path
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=128x96:rate=25", "-frames:v", "20", "-c:v", "ffv1", path("pattern.mkv")])
        func render(_ name: String, _ extra: [String]) throws -> EqrProcess {
            let result = try EqrProcess.run(["-i", path("pattern.mkv"), "-i", path("wide.png"), "-m", layered, "-c:v", "ffv1", "-pix_fmt", "bgr0",
                                             "-nostats", "-loglevel", "debug"] + extra + [path(name)])
            XCTAssertEqual(result.status, 0, result.standardError)
            return result
        }
        let ahead = try render("ahead.mkv", [])
        XCTAssertTrue(ahead.standardError.contains("coverage was computed ahead for 20 frames"), ahead.standardError)
        let inTurn = try render("in-turn.mkv", ["-lookahead", "0"])
        XCTAssertTrue(inTurn.standardError.contains("coverage was computed ahead for 0 frames"), inTurn.standardError)
        XCTAssertEqual(try FFmpegTools.psnr(path("ahead.mkv"), path("in-turn.mkv")).minimum, .infinity)
        let refused = try EqrProcess.run(["-i", path("pattern.mkv"), "-i", path("wide.png"), "-m", layered, "-lookahead", "2", path("x.mkv")])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.standardError.contains("-lookahead must be 0 or 1, got 2"), refused.standardError)
    }

    func testBenchHostReportsFiguresAsJSON() throws {
        let result = try EqrProcess.run(program: "/usr/bin/env", ["eqr", "bench", "host", "--frames", "10", "-m", model, "--json"],
                                        environment: ["PATH": EqrProcess.products.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")])
        XCTAssertEqual(result.status, 0, result.standardError)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
        for key in ["fps", "ffmpeg_fps", "rss_mb_short", "rss_mb_long", "plugin_fps", "plugin_fps_openblas_1_thread"] {
            XCTAssertGreaterThan(try XCTUnwrap(object[key] as? Double), 0, key)
        }
    }

    /// `--clip` measures on a given clip (here the test's 12-frame character clip, looped to
    /// 10 and 100 frames); a missing one is refused before anything runs, one ffmpeg cannot
    /// read is named in the error.
    func testBenchHostMeasuresOnAGivenClip() throws {
        let result = try EqrProcess.run(["bench", "host", "--frames", "10", "-m", model, "--clip", path("char.mp4"), "--json"])
        XCTAssertEqual(result.status, 0, result.standardError)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
        XCTAssertEqual(object["clip"] as? String, path("char.mp4"))
        XCTAssertGreaterThan(try XCTUnwrap(object["fps"] as? Double), 0)
        let missing = try EqrProcess.run(["bench", "host", "--clip", path("missing.mp4")])
        XCTAssertEqual(missing.status, 64)
        XCTAssertTrue(missing.standardError.contains("--clip \(path("missing.mp4")): no such file"), missing.standardError)
        try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919) }).write(to: URL(fileURLWithPath: path("garbage.mp4")))
        let garbage = try EqrProcess.run(["bench", "host", "--frames", "10", "--clip", path("garbage.mp4")])
        XCTAssertNotEqual(garbage.status, 0)
        XCTAssertTrue(garbage.standardError.contains("--clip \(path("garbage.mp4")): ffmpeg cannot read it as video"), garbage.standardError)
    }

    func testKeyframedTransformFromAFile() throws {
        try Data("[{\"frame\": 0, \"angle\": 0}, {\"frame\": 11, \"angle\": 90, \"tx\": 0.2}]".utf8).write(to: URL(fileURLWithPath: path("kf.json")))
        let ok = try EqrProcess.run(["-i", path("char.mp4"), "-i", path("bg.png"), "-m", model, "-effect", "transform=keyframes=\(path("kf.json"))", "-nostats", path("kf.mp4")])
        XCTAssertEqual(ok.status, 0, ok.standardError)
        XCTAssertEqual(try probe(path("kf.mp4")), [96, 96, 12])
        try Data("[{\"frame\": 0, \"angle\": 900}]".utf8).write(to: URL(fileURLWithPath: path("bad.json")))
        let bad = try EqrProcess.run(["-i", path("char.mp4"), "-i", path("bg.png"), "-m", model, "-effect", "transform=keyframes=\(path("bad.json"))", path("x.mp4")])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.standardError.contains("keyframe 0: angle=900.0 is outside -180...180"), bad.standardError)
    }

    /// Frames of a video (or an image) as rgb24 bytes, one array per frame.
    func rgbFrames(_ file: String, width: Int, height: Int) throws -> [[UInt8]] {
        let raw = file + ".rgb"
        try ffmpeg(["-i", file, "-f", "rawvideo", "-pix_fmt", "rgb24", "-y", raw])
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: raw)))
        let size = 3 * width * height
        return stride(from: 0, to: bytes.count, by: size).map { Array(bytes[$0..<min($0 + size, bytes.count)]) }
    }

    /// `-effect matte` writes the character's matte as grey, without a background input:
    /// it covers the true character (the pixels that differ from the generator's clean
    /// plate), and `-render model` asks for a layered model's coverage.
    func testMatteEffectWritesTheCharactersMatte() throws {
        XCTAssertEqual(try EqrProcess.run(["synth", path("walk.mkv"), "--frames", "24", "--resolution", "96", "--seed", "5",
                                           "--plate", path("plate.png"), "--c:v", "ffv1"]).status, 0)
        let run = try EqrProcess.run(["-i", path("walk.mkv"), "-m", model, "-effect", "matte", "-c:v", "ffv1", "-nostats", path("matte.mkv")])
        XCTAssertEqual(run.status, 0, run.standardError)
        let mattes = try rgbFrames(path("matte.mkv"), width: 96, height: 96), frames = try rgbFrames(path("walk.mkv"), width: 96, height: 96)
        let plate = try XCTUnwrap(try rgbFrames(path("plate.png"), width: 96, height: 96).first)
        XCTAssertEqual(mattes.count, 24)
        var intersection = 0, union = 0, grey = true
        for (matte, frame) in zip(mattes, frames) {
            for p in 0..<(96 * 96) {
                grey = grey && matte[3 * p] == matte[3 * p + 1] && matte[3 * p] == matte[3 * p + 2]
                let truth = (0..<3).contains { abs(Int(frame[3 * p + $0]) - Int(plate[3 * p + $0])) > 25 }
                let ours = matte[3 * p] > 127
                if truth && ours { intersection += 1 }
                if truth || ours { union += 1 }
            }
        }
        XCTAssertTrue(grey, "a matte is grey")
        XCTAssertGreaterThan(union, 24 * 96 * 96 / 50, "the character covers part of the frame")
        XCTAssertGreaterThan(Double(intersection) / Double(union), 0.8, "IoU with the true character")

        // The model render mode: an additive model has no coverage to show; a layered one does.
        let additive = try EqrProcess.run(["-i", path("walk.mkv"), "-m", model, "-effect", "matte", "-render", "model", "-nostats", path("model.mkv")])
        XCTAssertNotEqual(additive.status, 0)
        XCTAssertTrue(additive.standardError.contains("needs a layered model"), additive.standardError)
        let layered = CommittedModelTests.models.appendingPathComponent("layered-64.safetensors").path
        let coverage = try EqrProcess.run(["-i", path("walk.mkv"), "-m", layered, "-effect", "matte", "-render", "model", "-c:v", "ffv1", "-nostats", path("coverage.mkv")])
        XCTAssertEqual(coverage.status, 0, coverage.standardError)
        let alpha = try rgbFrames(path("coverage.mkv"), width: 96, height: 96).flatMap { $0 }
        XCTAssertGreaterThan(Set(alpha).count, 50, "the coverage varies across the frame")
    }

    /// Camera footage (here a rendered clip with temporal noise added by ffmpeg) gets the
    /// opaque moving-region matte by default and the soft edge-refined one with `-matte
    /// edges`; a noiseless rendered clip gets the edge-refined one by default.
    func testCameraFootageGetsTheMovingRegionMatte() throws {
        XCTAssertEqual(try EqrProcess.run(["synth", path("walk.mkv"), "--frames", "24", "--resolution", "96", "--seed", "5",
                                           "--plate", path("plate.png"), "--c:v", "ffv1"]).status, 0)
        try ffmpeg(["-i", path("walk.mkv"), "-vf", "noise=alls=8:allf=t", "-c:v", "ffv1", path("grainy.mkv")])
        func matte(_ input: String, _ options: [String]) throws -> [[UInt8]] {
            let out = path("matte-\(input)-\(options.joined()).mkv")
            let run = try EqrProcess.run(["-i", path(input), "-m", model, "-effect", "matte"] + options + ["-c:v", "ffv1", "-nostats", out])
            XCTAssertEqual(run.status, 0, run.standardError)
            return try rgbFrames(out, width: 96, height: 96)
        }
        let region = try matte("grainy.mkv", []), edges = try matte("grainy.mkv", ["-matte", "edges"])
        XCTAssertEqual(region, try matte("grainy.mkv", ["-matte", "region"]), "auto is region on camera footage")
        XCTAssertTrue(region.joined().allSatisfy { $0 == 0 || $0 == 255 }, "the moving region is opaque or clear")
        XCTAssertGreaterThan(Set(edges.joined()).count, 10, "the edge-refined matte is soft along the edges")
        // Both hold the character; the region is the wider (it spreads around it).
        let frames = try rgbFrames(path("walk.mkv"), width: 96, height: 96)
        let plate = try XCTUnwrap(try rgbFrames(path("plate.png"), width: 96, height: 96).first)
        var character = 0, inRegion = 0, inEdges = 0, regionArea = 0, edgesArea = 0
        for t in 0..<frames.count {
            for p in 0..<(96 * 96) {
                regionArea += region[t][3 * p] > 127 ? 1 : 0
                edgesArea += edges[t][3 * p] > 127 ? 1 : 0
                guard (0..<3).contains(where: { abs(Int(frames[t][3 * p + $0]) - Int(plate[3 * p + $0])) > 40 }) else { continue }
                character += 1
                inRegion += region[t][3 * p] > 127 ? 1 : 0
                inEdges += edges[t][3 * p] > 127 ? 1 : 0
            }
        }
        XCTAssertGreaterThan(character, 24 * 96 * 96 / 50)
        XCTAssertGreaterThan(Double(inRegion), 0.95 * Double(character), "the region holds the character")
        XCTAssertGreaterThan(Double(inEdges), 0.8 * Double(character), "the edges matte holds the character")
        XCTAssertGreaterThan(regionArea, edgesArea)
        // A noiseless rendered clip: auto is the edge-refined matte.
        XCTAssertEqual(try matte("walk.mkv", []), try matte("walk.mkv", ["-matte", "edges"]))
    }

    /// Camera footage larger than 320×240 finds its moving region on the 320×240 grid of
    /// the reader's thumbnails: the matte is one value per grid cell, holds the character,
    /// and leaves the still background clear.
    func testLargeCameraFootageFindsItsMovingRegionOnTheDetectionGrid() throws {
        XCTAssertEqual(try EqrProcess.run(["synth", path("walk.mkv"), "--frames", "24", "--resolution", "96", "--seed", "5",
                                           "--plate", path("plate.png"), "--c:v", "ffv1"]).status, 0)
        let w = 480, h = 360
        try ffmpeg(["-i", path("walk.mkv"), "-vf", "scale=\(w):\(h),noise=alls=8:allf=t", "-pix_fmt", "yuv420p", "-c:v", "ffv1", path("large.mkv")])
        try ffmpeg(["-i", path("walk.mkv"), "-vf", "scale=\(w):\(h)", "-pix_fmt", "rgb24", "-c:v", "ffv1", path("large-clean.mkv")])
        try ffmpeg(["-i", path("plate.png"), "-vf", "scale=\(w):\(h)", path("large-plate.png")])
        let run = try EqrProcess.run(["-i", path("large.mkv"), "-m", model, "-effect", "matte", "-c:v", "ffv1", path("large-matte.mkv")])
        XCTAssertEqual(run.status, 0, run.standardError)
        XCTAssertTrue(run.standardError.contains("camera footage"), run.standardError)
        let matte = try rgbFrames(path("large-matte.mkv"), width: w, height: h)
        let frames = try rgbFrames(path("large-clean.mkv"), width: w, height: h)
        let plate = try XCTUnwrap(try rgbFrames(path("large-plate.png"), width: w, height: h).first)
        XCTAssertEqual(matte.count, 24)
        let columns = (0..<w).map { (2 * $0 + 1) * 320 / (2 * w) }, rows = (0..<h).map { (2 * $0 + 1) * 240 / (2 * h) }
        var character = 0, held = 0, area = 0
        for t in 0..<matte.count {
            var cell = [Int: UInt8]()
            for y in 0..<h {
                for x in 0..<w {
                    let p = y * w + x, value = matte[t][3 * p]
                    XCTAssertTrue(value == 0 || value == 255, "opaque or clear")
                    let key = rows[y] * 320 + columns[x]
                    if let seen = cell[key], seen != value { XCTFail("frame \(t): grid cell \(key) is not one value at \(x),\(y)"); return }
                    cell[key] = value
                    area += value > 127 ? 1 : 0
                    guard (0..<3).contains(where: { abs(Int(frames[t][3 * p + $0]) - Int(plate[3 * p + $0])) > 60 }) else { continue }
                    character += 1
                    held += value > 127 ? 1 : 0
                }
            }
        }
        XCTAssertGreaterThan(character, 24 * w * h / 50)
        XCTAssertGreaterThan(Double(held), 0.95 * Double(character), "the region holds the character")
        XCTAssertLessThan(area, 24 * w * h / 2, "the still background stays clear")
    }

    /// `-effect cutout` writes the character with its matte as alpha: exactly the matte of
    /// `-effect matte` in FFV1 (BGRA), the frame's own colours, and a real alpha channel in
    /// VP9 WebM and ProRes 4444 too (read back through libvpx and ffmpeg's alphaextract).
    func testCutoutWritesTheMatteAsAlpha() throws {
        XCTAssertEqual(try EqrProcess.run(["synth", path("walk.mkv"), "--frames", "12", "--resolution", "96", "--seed", "5", "--c:v", "ffv1"]).status, 0)
        let base = ["-i", path("walk.mkv"), "-m", model, "-nostats"]
        XCTAssertEqual(try EqrProcess.run(base + ["-effect", "matte", "-c:v", "ffv1", path("matte.mkv")]).status, 0)
        for output in ["cutout.mkv", "cutout.webm", "cutout.mov"] {
            let run = try EqrProcess.run(base + ["-effect", "cutout", path(output)])
            XCTAssertEqual(run.status, 0, run.standardError)
            let decoder = output.hasSuffix(".webm") ? ["-c:v", "libvpx-vp9"] : []  // (ffmpeg's own VP9 decoder drops alpha)
            try ffmpeg(decoder + ["-i", path(output), "-vf", "alphaextract", "-c:v", "ffv1", "-pix_fmt", "gray", path("\(output)-alpha.mkv")])
            try ffmpeg(["-i", path("matte.mkv"), "-vf", "format=gray", "-c:v", "ffv1", "-y", path("matte-gray.mkv")])
            let psnr = try FFmpegTools.psnr(path("\(output)-alpha.mkv"), path("matte-gray.mkv"))
            XCTAssertGreaterThan(psnr.minimum, output.hasSuffix(".mkv") ? 60 : 28, "\(output): alpha against the matte \(psnr)")
        }
        let alpha = try rgbFrames(path("cutout.mkv-alpha.mkv"), width: 96, height: 96).flatMap { $0 }
        XCTAssertGreaterThan(alpha.filter { $0 < 20 }.count, alpha.count / 10, "transparent around the character")
        XCTAssertGreaterThan(alpha.filter { $0 > 235 }.count, alpha.count / 50, "opaque on the character")
        // The colours are the frame's own (FFV1 is lossless).
        try ffmpeg(["-i", path("cutout.mkv"), "-vf", "format=rgb24", "-c:v", "ffv1", path("cutout-rgb.mkv")])
        XCTAssertGreaterThan(try FFmpegTools.psnr(path("cutout-rgb.mkv"), path("walk.mkv")).minimum, 45)
        // Where alpha cannot go, a usage error or a specific one.
        let mp4 = try EqrProcess.run(base + ["-effect", "cutout", path("cutout.mp4")])
        XCTAssertNotEqual(mp4.status, 0)
        XCTAssertTrue(mp4.standardError.contains("has no usual encoder with alpha"), mp4.standardError)
        let x264 = try EqrProcess.run(base + ["-effect", "cutout", "-c:v", "libx264", path("cutout-x264.mkv")])
        XCTAssertTrue(x264.standardError.contains("the libx264 encoder cannot store alpha"), x264.standardError)
        let jpeg = try EqrProcess.run(base + ["-effect", "cutout", path("cutout.jpg")])
        XCTAssertTrue(jpeg.standardError.contains("the mjpeg encoder cannot store alpha"), jpeg.standardError)
        // A single PNG and a PNG sequence keep the alpha too (RGBA).
        XCTAssertEqual(try EqrProcess.run(base + ["-effect", "cutout", path("cutout.png")]).status, 0)
        XCTAssertEqual(try EqrProcess.run(base + ["-effect", "cutout", path("cutout%02d.png")]).status, 0)
        for image in ["cutout.png", "cutout05.png"] {
            let format = try EqrProcess.run(program: "/usr/bin/ffprobe", ["-v", "error", "-show_entries", "stream=pix_fmt", "-of", "csv=p=0", path(image)])
            XCTAssertEqual(format.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines), "rgba", image)
        }
        try ffmpeg(["-i", path("cutout05.png"), "-vf", "alphaextract,format=rgb24", path("alpha05.png")])
        try ffmpeg(["-i", path("matte.mkv"), "-vf", "select=eq(n\\,4)", "-frames:v", "1", path("matte05.png")])
        XCTAssertGreaterThan(try FFmpegTools.psnr(path("alpha05.png"), path("matte05.png")).minimum, 60)
    }

    /// Ctrl-C during a render stops after the frame in progress, removes the partial output
    /// (no hidden `.part` file is left) and exits 130.
    func testInterruptedRenderLeavesNoPartialOutput() throws {
        let output = directory.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "60", "-pix_fmt", "yuv420p", path("long.mp4")])
        // Ctrl-C after the first progress line (every 25 frames).
        let (status, text) = try EqrProcess.interrupt(["-i", path("long.mp4"), "-m", model, "-effect", "matte", "-plate", "running",
                                                       output.appendingPathComponent("o.mp4").path],
                                                      once: "fps", log: directory.appendingPathComponent("render.log"))
        XCTAssertEqual(status, 130, text)
        XCTAssertTrue(text.contains("the partial output was removed"), text)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: output.path), [], "nothing left behind")
    }

    /// Options ffmpeg users type out of habit: `-hide_banner`, `-v`, `-ss` (video and audio
    /// cut alike), `-framerate` for an image sequence, and a single image as the output.
    func testFFmpegHabits() throws {
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=96x96:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                    "-t", "3", "-c:v", "ffv1", "-c:a", "pcm_s16le", path("av.mkv")])
        let base = ["-m", model, "-effect", "reconstruct", "-c:v", "ffv1", "-nostats"]
        let quiet = try EqrProcess.run(["-hide_banner", "-v", "error", "-i", path("av.mkv")] + base + [path("quiet.mkv")])
        XCTAssertEqual(quiet.status, 0, quiet.standardError)

        // -ss 1: the frames of the clip cut at 1 s by ffmpeg itself (lossless), and the audio cut too.
        let cut = try EqrProcess.run(["-ss", "1", "-i", path("av.mkv")] + base + [path("ss.mkv")])
        XCTAssertEqual(cut.status, 0, cut.standardError)
        try ffmpeg(["-ss", "1", "-i", path("av.mkv"), "-c:v", "ffv1", "-an", path("trimmed.mkv")])
        XCTAssertEqual(try EqrProcess.run(["-i", path("trimmed.mkv")] + base + [path("reference.mkv")]).status, 0)
        XCTAssertEqual(try probe(path("ss.mkv")).last, 50)
        XCTAssertGreaterThan(try FFmpegTools.psnr(path("ss.mkv"), path("reference.mkv")).minimum, 40)
        XCTAssertLessThan(try FFmpegTools.psnr(path("ss.mkv"), path("quiet.mkv")).average, 30, "not the uncut clip")
        try ffmpeg(["-i", path("ss.mkv"), "-vn", "-c:a", "copy", path("ss-audio.wav")])  // (Matroska states no stream durations)
        let durations = try FFmpegTools.streams(path("ss-audio.wav")).map { $0.split(separator: ",") }
        let audio = try XCTUnwrap(durations.first { $0.first == "audio" }.flatMap { Double($0.last ?? "") }, "\(durations)")
        XCTAssertEqual(audio, 2, accuracy: 0.1, "\(durations)")
        XCTAssertEqual(try EqrProcess.run(["-ss", "00:00:01.5", "-i", path("av.mkv")] + base + ["-y", path("ss.mkv")]).status, 0)
        XCTAssertEqual(try probe(path("ss.mkv")).last, 37)  // frames 38…74 (1.52 s on)

        // An image sequence at -framerate 10, and a single image as the output.
        try FileManager.default.createDirectory(atPath: path("seq"), withIntermediateDirectories: true)
        try ffmpeg(["-i", path("av.mkv"), "-frames:v", "7", path("seq/f%03d.png")])
        XCTAssertEqual(try EqrProcess.run(["-framerate", "10", "-i", path("seq/f%03d.png")] + base + [path("seq.mkv")]).status, 0)
        XCTAssertEqual(try FFmpegTools.frameRate(path("seq.mkv")), "10/1")
        XCTAssertEqual(try probe(path("seq.mkv")).last, 7)
        let still = try EqrProcess.run(["-i", path("av.mkv"), "-m", model, "-effect", "reconstruct", "-nostats", path("still.png")])
        XCTAssertEqual(still.status, 0, still.standardError)
        XCTAssertEqual(try probe(path("still.png")), [96, 96, 1])

        // What cannot work says why, as a usage error.
        for (arguments, message) in [
            (["-ss", "1:x", "-i", path("av.mkv")] + base + [path("bad1.mkv")], "-ss 1:x is not a time"),
            (["-framerate", "10", "-i", path("av.mkv")] + base + [path("bad2.mkv")], "-framerate applies to an image-sequence input"),
            (["-i", path("av.mkv")] + base + ["-vf:out", "hflip", path("bad3.png")], "is a single image"),
        ] {
            let run = try EqrProcess.run(arguments)
            XCTAssertEqual(run.status, 64, run.standardError)
            XCTAssertTrue(run.standardError.contains(message), run.standardError)
        }
    }

    func testPostFilterRunsOnTheOutput() throws {
        let base = ["-i", path("char.mp4"), "-m", model, "-effect", "reconstruct", "-c:v", "ffv1", "-nostats"]
        XCTAssertEqual(try EqrProcess.run(base + [path("plain.mkv")]).status, 0)
        XCTAssertEqual(try EqrProcess.run(base + ["-vf:out", "hflip", path("flipped.mkv")]).status, 0)
        // Flipping the flipped output back gives the plain output (FFV1 is lossless).
        try ffmpeg(["-i", path("flipped.mkv"), "-vf", "hflip", "-c:v", "ffv1", path("back.mkv")])
        try ffmpeg(["-i", path("plain.mkv"), "-f", "rawvideo", "-pix_fmt", "rgb24", path("a.rgb")])
        try ffmpeg(["-i", path("back.mkv"), "-f", "rawvideo", "-pix_fmt", "rgb24", path("b.rgb")])
        try ffmpeg(["-i", path("flipped.mkv"), "-f", "rawvideo", "-pix_fmt", "rgb24", path("c.rgb")])
        let a = try Data(contentsOf: URL(fileURLWithPath: path("a.rgb"))), b = try Data(contentsOf: URL(fileURLWithPath: path("b.rgb")))
        let c = try Data(contentsOf: URL(fileURLWithPath: path("c.rgb")))
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
    }

    /// A background of another aspect ratio fills the frame: covered and centre-cropped by
    /// default with a one-line notice, padded with black by `-bg-fit contain`, distorted by
    /// `stretch`; the three differ and all keep the input's size.
    func testBackgroundOfAnotherAspectIsFittedToTheFrame() throws {
        // A 160×90 background: red left, blue right, a green band in the middle third.
        try ffmpeg(["-f", "lavfi", "-i", "color=c=red:size=80x90[l];color=c=blue:size=80x90[r];[l][r]hstack,drawbox=x=53:y=0:w=54:h=90:color=green:t=fill",
                    "-frames:v", "1", "-y", path("bands.png")])
        var outputs: [String: Data] = [:]
        for fit in ["default", "cover", "contain", "stretch"] {
            var arguments = ["-i", path("char.mp4"), "-i", path("bands.png"), "-m", model, "-c:v", "ffv1", "-frames:v", "3"]
            if fit != "default" { arguments += ["-bg-fit", fit] }
            let result = try EqrProcess.run(arguments + ["-nostats", path("\(fit).mkv")])
            XCTAssertEqual(result.status, 0, result.standardError)
            XCTAssertEqual(try probe(path("\(fit).mkv")), [96, 96, 3])
            XCTAssertEqual(result.standardError.components(separatedBy: "the background is 160x90, the video 96x96").count - 1, 1, result.standardError)
            try ffmpeg(["-i", path("\(fit).mkv"), "-f", "rawvideo", "-pix_fmt", "rgb24", "-y", path("\(fit).rgb")])
            outputs[fit] = try Data(contentsOf: URL(fileURLWithPath: path("\(fit).rgb")))
        }
        XCTAssertEqual(outputs["default"], outputs["cover"])
        XCTAssertNotEqual(outputs["cover"], outputs["contain"])
        XCTAssertNotEqual(outputs["cover"], outputs["stretch"])
        XCTAssertNotEqual(outputs["contain"], outputs["stretch"])
        // A background of the same aspect gives no notice.
        let same = try EqrProcess.run(["-i", path("char.mp4"), "-i", path("bg.png"), "-m", model, "-frames:v", "2", "-nostats", path("same.mp4")])
        XCTAssertEqual(same.status, 0, same.standardError)
        XCTAssertFalse(same.standardError.contains("the background is"), same.standardError)
    }

    /// A FIFO as the character input: the default clip plate would read it twice (and block
    /// for ever on the second open), so it is a usage error naming the way out; with
    /// `-plate running` the clip streams through once (no second open for its audio either).
    func testAFIFOInputStreamsOnceOrIsRefused() throws {
        XCTAssertEqual(mkfifo(path("fifo"), 0o600), 0)
        let refused = try EqrProcess.run(["-i", path("fifo"), "-i", path("bg.png"), "-m", model, "-y", path("refused.mkv")])
        XCTAssertEqual(refused.status, 64, refused.standardError)
        XCTAssertTrue(refused.standardError.contains("is a FIFO, which can be read only once") && refused.standardError.contains("-plate running"), refused.standardError)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("refused.mkv")))

        try ffmpeg(["-i", path("char.mp4"), "-c:v", "ffv1", path("char.mkv")])
        let clip = try Data(contentsOf: URL(fileURLWithPath: path("char.mkv")))
        let writer = Thread { [fifo = path("fifo")] in
            // Opening a FIFO for writing waits for its reader.
            if let handle = FileHandle(forWritingAtPath: fifo) { try? handle.write(contentsOf: clip); try? handle.close() }
        }
        writer.start()
        let streamed = try EqrProcess.run(["-i", path("fifo"), "-i", path("bg.png"), "-m", model, "-plate", "running", "-nostats", "-c:v", "ffv1", path("streamed.mkv")])
        XCTAssertEqual(streamed.status, 0, streamed.standardError)
        XCTAssertEqual(try probe(path("streamed.mkv")), [96, 96, 12])
        XCTAssertTrue(streamed.standardError.contains("no audio copied"), streamed.standardError)
    }

    func testBadInputsAreClearErrors() throws {
        try Data("junk".utf8).write(to: URL(fileURLWithPath: path("junk.safetensors")))
        try Data("junk".utf8).write(to: URL(fileURLWithPath: path("exists.mp4")))
        let cases: [([String], String)] = [
            (["-i", path("char.mp4"), "-i", path("bg.png"), "-m", model, "-effect", "wobble", path("o.mp4")], "unknown effect 'wobble'"),
            (["-i", path("char.mp4"), "-i", path("bg.png"), "-m", model, "-effect", "transform=angle=400", path("o.mp4")], "angle=400 is outside -180...180"),
            (["-i", path("char.mp4"), "-i", path("bg.png"), "-m", model, "-effect", "transform=zoom=2", path("o.mp4")], "unknown option 'zoom'"),
            (["-i", path("char.mp4"), "-i", path("bg.png"), "-m", path("missing.safetensors"), path("o.mp4")], "missing.safetensors"),
            (["-i", path("char.mp4"), "-i", path("bg.png"), "-m", path("junk.safetensors"), path("o.mp4")], "invalid checkpoint"),
            (["-i", path("bg.png.nope"), "-i", path("bg.png"), "-m", model, path("o.mp4")], "bg.png.nope"),
            (["-i", path("junk.safetensors"), "-i", path("bg.png"), "-m", model, path("o.mp4")], "junk.safetensors"),
            (["-i", path("char.mp4"), "-i", path("bg.png"), "-m", model, path("exists.mp4")], "exists; pass -y"),
            (["-i", path("char.mp4"), "-i", path("bg.png"), "-m", model, "-y", "-n", path("exists.mp4")], "-n forbids overwriting"),
            (["-i", path("char.mp4"), "-i", path("bg.png"), "-m", model, "-y", path("char.mp4")], "is also an input"),
            (["-i", path("char.mp4"), "-m", model, "-effect", "swap", path("o.mp4")], "needs a background"),
            (["-i", path("char.mp4"), "-i", path("bg.png"), "-m", model, "-bg-fit", "squash", path("o.mp4")], "-bg-fit squash is not one of cover, contain, stretch"),
            (["-i", path("char.mp4"), "-i", path("bg.png"), "-m", model, "-render", "paint", path("o.mp4")], "-render paint is not one of composite, model"),
            (["-i", path("char.mp4"), "-i", path("bg.png"), "-m", model, "-plate", "median", path("o.mp4")], "-plate median is not one of clip, running"),
            (["-i", path("char.mp4"), "-i", path("bg.png"), "-m", model, "-matte-margin", "999", path("o.mp4")], "-matte-margin must be in 0...256"),
            (["-i", path("char.mp4"), "-i", path("bg.png"), "-m", model, "-matte", "fuzzy", path("o.mp4")], "-matte fuzzy is not one of auto, region, edges"),
        ]
        // Argument mistakes print the usage and exit 64; failures at run time (a missing or
        // broken file) print one line and exit 1.
        let argumentMistakes: Set = ["unknown effect 'wobble'", "angle=400 is outside -180...180", "unknown option 'zoom'", "exists; pass -y",
                                     "-n forbids overwriting", "is also an input", "needs a background", "-bg-fit squash is not one of cover, contain, stretch",
                                     "-render paint is not one of composite, model", "-plate median is not one of clip, running", "-matte-margin must be in 0...256",
                                     "-matte fuzzy is not one of auto, region, edges"]
        for (arguments, expected) in cases {
            let result = try EqrProcess.run(arguments)
            XCTAssertEqual(result.status, argumentMistakes.contains(expected) ? 64 : 1, "\(arguments.joined(separator: " ")): \(result.standardError)")
            XCTAssertTrue(result.standardError.contains(expected), "\(arguments.last!): \(result.standardError)")
            XCTAssertEqual(result.standardError.contains("Usage: eqr"), argumentMistakes.contains(expected), result.standardError)
            XCTAssertFalse(result.standardError.contains("Fatal error"), result.standardError)
        }
        XCTAssertEqual(try probe(path("char.mp4")), [96, 96, 12], "the input must be left as it was")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("o.mp4")))
        XCTAssertEqual(try String(contentsOfFile: path("exists.mp4"), encoding: .utf8), "junk")
        let help = try EqrProcess.run(["-h", "effects"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.standardOutput.contains("transform options:"), help.standardOutput)
    }
}
