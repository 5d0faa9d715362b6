import Foundation
import XCTest

/// `eqr fit` and the host's one-step `-fit`, end to end on tiny settings.
final class FitCommandTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("eqr-fitcli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let synth = try EqrProcess.run(["synth", path("clip.mp4"), "--frames", "12", "--resolution", "64", "--plate", path("plate.png")])
        XCTAssertEqual(synth.status, 0, synth.standardError)
        // Another synthetic clip's plate serves as the new background.
        let other = try EqrProcess.run(["synth", path("other.mp4"), "--frames", "2", "--resolution", "64", "--seed", "9", "--background", "3", "--plate", path("beach.png")])
        XCTAssertEqual(other.status, 0, other.standardError)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func testFitThenRenderWithTheFittedModel() throws {
        let fit = try EqrProcess.run(["fit", path("clip.mp4"), "-o", path("clip.safetensors"), "--steps", "3", "--resolution", "16", "--batch", "2"])
        XCTAssertEqual(fit.status, 0, fit.standardError)
        XCTAssertTrue(fit.standardError.contains("fitted 3 steps on video: clip.mp4 (12 frames)"), fit.standardError)
        let info = try EqrProcess.run(["info", path("clip.safetensors")])
        XCTAssertTrue(info.standardOutput.contains("features") && info.standardOutput.contains("layered"), info.standardOutput)
        let render = try EqrProcess.run(["-i", path("clip.mp4"), "-i", path("beach.png"), "-m", path("clip.safetensors"), "-effect", "swap", "-nostats", path("out.mp4")])
        XCTAssertEqual(render.status, 0, render.standardError)
        XCTAssertEqual(try FFmpegTools.probe(path("out.mp4")).last, 12)
        // An existing output needs -y; --resume continues it instead.
        let again = try EqrProcess.run(["fit", path("clip.mp4"), "-o", path("clip.safetensors"), "--steps", "3"])
        XCTAssertEqual(again.status, 64)
        XCTAssertTrue(again.standardError.contains("exists; pass -y"), again.standardError)
        let resumed = try EqrProcess.run(["fit", path("clip.mp4"), "-o", path("clip.safetensors"), "--steps", "5", "--batch", "2", "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.standardError)
        XCTAssertTrue(resumed.standardError.contains("fitted 5 steps"), resumed.standardError)
    }

    func testBadFitArgumentsFailClearly() throws {
        for (arguments, message) in [
            (["fit", path("clip.mp4"), "-o", path("m.safetensors")], "give a budget"),
            (["fit", path("clip.mp4"), "-o", path("m.safetensors"), "--time", "5x"], "not a positive duration"),
            (["fit", path("clip.mp4"), "-o", path("m.safetensors"), "--time=-1m"], "not a positive duration"),
            (["fit", path("missing.mp4"), "-o", path("m.safetensors"), "--steps", "2"], "no such readable file"),
            (["fit", path("clip.mp4"), "-o", path("m.safetensors"), "--steps", "2", "--resume"], "does not exist yet"),
            (["-i", path("clip.mp4"), "-i", path("beach.png"), "-effect", "swap", path("o.mp4")], "no model"),
            (["-i", path("clip.mp4"), "-i", path("beach.png"), "-fit", "soon", path("o.mp4")], "not a positive duration"),
        ] {
            let result = try EqrProcess.run(arguments)
            XCTAssertEqual(result.status, 64, "\(arguments): \(result.standardError)")
            XCTAssertTrue(result.standardError.contains(message), "\(arguments): \(result.standardError)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("m.safetensors")))
    }

    /// Ctrl-C stops a fit with its last step saved (exit 130), and --resume continues it.
    func testInterruptLeavesAUsableCheckpoint() throws {
        // Ctrl-C after the first progress line (every 10 steps).
        let (status, text) = try EqrProcess.interrupt(["fit", path("clip.mp4"), "-o", path("stopped.safetensors"), "--time", "10m", "--resolution", "16",
                                                       "--batch", "2", "--checkpoint-every", "100000"],
                                                      once: "pairs/s", log: directory.appendingPathComponent("fit.log"))
        XCTAssertEqual(status, 130, text)
        XCTAssertTrue(text.contains("holds it (continue with --resume)"), text)
        let info = try EqrProcess.run(["info", path("stopped.safetensors")])
        XCTAssertEqual(info.status, 0, info.standardError)
        let stoppedAt = try XCTUnwrap(info.standardOutput.range(of: #"Adam, step \d+"#, options: .regularExpression).map { String(info.standardOutput[$0]) })
        let step = try XCTUnwrap(Int(stoppedAt.dropFirst("Adam, step ".count)))
        XCTAssertGreaterThanOrEqual(step, 10)
        let resumed = try EqrProcess.run(["fit", path("clip.mp4"), "-o", path("stopped.safetensors"), "--steps", "\(step + 2)", "--batch", "2", "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.standardError)
        XCTAssertTrue(resumed.standardError.contains("fitted \(step + 2) steps"), resumed.standardError)
    }

    /// `-fit` fits, renders and caches the model by the clip's content; the next run reuses it.
    func testOneStepFitRendersAndReusesItsCache() throws {
        let cache = path("cache")
        let arguments = ["-i", path("clip.mp4"), "-i", path("beach.png"), "-fit", "2s", "-effect", "swap", "-y", path("out.mp4")]
        let first = try EqrProcess.run(arguments, environment: ["EQR_CACHE_DIR": cache])
        XCTAssertEqual(first.status, 0, first.standardError)
        XCTAssertTrue(first.standardError.contains("fitting a model to"), first.standardError)
        XCTAssertEqual(try FFmpegTools.probe(path("out.mp4")).last, 12)
        let cached = try FileManager.default.contentsOfDirectory(atPath: cache)
        XCTAssertEqual(cached.count, 1, "\(cached)")
        XCTAssertTrue(cached[0].hasSuffix(".safetensors") && !cached[0].contains("fitting"), "\(cached)")
        let second = try EqrProcess.run(arguments, environment: ["EQR_CACHE_DIR": cache])
        XCTAssertEqual(second.status, 0, second.standardError)
        XCTAssertTrue(second.standardError.contains("using the model fitted to this clip before"), second.standardError)
        XCTAssertFalse(second.standardError.contains("fitting a model to"), second.standardError)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: cache), cached)
    }
}
