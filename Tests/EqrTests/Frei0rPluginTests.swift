import Foundation
import XCTest

/// The frei0r plugin inside Debian's stock `ffmpeg` (`-vf frei0r=equivariant:...`), compared
/// with `eqr` on the same clips. Both outputs are lossless (FFV1, RGB), so differences come
/// from the pipelines themselves: ~46-51 dB measured, bounded here at 40 dB.
final class Frei0rPluginTests: PluginWorkspaceTestCase {
    /// Runs stock ffmpeg with the plugin directory on FREI0R_PATH.
    func ffmpegWithPlugin(_ input: String, filter: String, output: String) throws -> EqrProcess {
        try EqrProcess.run(program: "/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-y", "-i", input, "-vf", filter, "-c:v", "ffv1", output],
                           environment: ["FREI0R_PATH": path("plugins")])
    }

    func eqr(_ arguments: [String]) throws {
        let result = try EqrProcess.run(arguments + ["-plate", "running", "-c:v", "ffv1", "-pix_fmt", "bgr0", "-nostats", "-y"])
        XCTAssertEqual(result.status, 0, result.standardError)
    }

    /// A test clip and a background of the given size.
    func makeInputs(width: Int, height: Int) throws -> (clip: String, background: String) {
        let clip = path("in-\(width).mp4"), background = path("bg-\(width).png")
        try FFmpegTools.ffmpeg(["-f", "lavfi", "-i", "testsrc=size=\(width)x\(height):rate=10", "-frames:v", "8", "-pix_fmt", "yuv420p", clip])
        try FFmpegTools.ffmpeg(["-f", "lavfi", "-i", "gradients=size=\(width)x\(height):seed=5", "-frames:v", "1", background])
        return (clip, background)
    }

    func testWidths64And720MatchEqr() throws {
        for (width, height) in [(64, 48), (720, 480)] {
            let (clip, background) = try makeInputs(width: width, height: height)
            // transform with the numeric parameters: angle 0.5556 → 360·0.5556 − 180 = 20.016°, scale 0.5 → 1.
            let run = try ffmpegWithPlugin(clip, filter: "frei0r=equivariant:\(model)|\(background)|transform|0.5556|0.5|0.5|0.5", output: path("plugin-\(width).mkv"))
            XCTAssertEqual(run.status, 0, run.standardError)
            XCTAssertEqual(EqrProcess.pluginReports(in: run.standardError), [], run.standardError)
            try eqr(["-i", clip, "-i", background, "-m", model, "-effect", "transform=angle=20.016", path("eqr-\(width).mkv")])
            XCTAssertEqual(try FFmpegTools.probe(path("plugin-\(width).mkv")), [width, height, 8])
            let psnr = try FFmpegTools.psnr(path("plugin-\(width).mkv"), path("eqr-\(width).mkv"))
            XCTAssertGreaterThan(psnr.minimum, 40, "width \(width): plugin vs eqr \(psnr)")
            // The effect string parameter (quoted for ffmpeg's option parser) is the same effect.
            let quoted = try ffmpegWithPlugin(clip, filter: "frei0r=equivariant:'\(model)|\(background)|transform=angle=20.016'", output: path("quoted-\(width).mkv"))
            XCTAssertEqual(quoted.status, 0, quoted.standardError)
            XCTAssertEqual(try FFmpegTools.psnr(path("quoted-\(width).mkv"), path("plugin-\(width).mkv")).minimum, .infinity)
        }
        // Two options: '\:' inside the quotes (as the README shows) or '+', which needs no escaping.
        let (clip, background) = try makeInputs(width: 64, height: 48)
        try eqr(["-i", clip, "-i", background, "-m", model, "-effect", "transform=angle=20:scale=1.3", path("eqr-two.mkv")])
        for (name, effect) in [("escaped", "transform=angle=20\\:scale=1.3"), ("plus", "transform=angle=20+scale=1.3")] {
            let run = try ffmpegWithPlugin(clip, filter: "frei0r=equivariant:'\(model)|\(background)|\(effect)'", output: path("\(name).mkv"))
            XCTAssertEqual(run.status, 0, run.standardError)
            XCTAssertGreaterThan(try FFmpegTools.psnr(path("\(name).mkv"), path("eqr-two.mkv")).minimum, 40, name)
        }
        // The bare ':' is what ffmpeg cannot take (the bug the README used to show).
        let bare = try ffmpegWithPlugin(clip, filter: "frei0r=equivariant:'\(model)|\(background)|transform=angle=20:scale=1.3'", output: path("bare.mkv"))
        XCTAssertTrue(bare.status != 0 || bare.standardError.contains("Option not found"), bare.standardError)
    }

    /// The matte effect needs no background: with an empty background parameter the plugin
    /// writes the matte eqr writes with the same running plate (not the input passed through).
    func testMatteNeedsNoBackgroundAndMatchesEqr() throws {
        let clip = path("walk.mkv")
        XCTAssertEqual(try EqrProcess.run(["synth", clip, "--frames", "12", "--resolution", "64", "--c:v", "ffv1"]).status, 0)
        let run = try ffmpegWithPlugin(clip, filter: "frei0r=equivariant:'\(model)||matte'", output: path("plugin-matte.mkv"))
        XCTAssertEqual(run.status, 0, run.standardError)
        XCTAssertEqual(EqrProcess.pluginReports(in: run.standardError), [], run.standardError)
        try eqr(["-i", clip, "-m", model, "-effect", "matte", path("eqr-matte.mkv")])
        XCTAssertGreaterThan(try FFmpegTools.psnr(path("plugin-matte.mkv"), path("eqr-matte.mkv")).minimum, 40)
        XCTAssertLessThan(try FFmpegTools.psnr(path("plugin-matte.mkv"), clip).average, 15)
    }

    /// The cutout in stock ffmpeg: the plugin's RGBA output carries the matte as alpha.
    func testCutoutCarriesTheMatteAsAlphaThroughFFmpeg() throws {
        let clip = path("walk.mkv")
        XCTAssertEqual(try EqrProcess.run(["synth", clip, "--frames", "12", "--resolution", "64", "--c:v", "ffv1"]).status, 0)
        let run = try EqrProcess.run(program: "/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-y", "-i", clip, "-vf", "frei0r=equivariant:'\(model)||cutout'",
                                                                "-c:v", "ffv1", "-pix_fmt", "bgra", path("plugin-cutout.mkv")],
                                     environment: ["FREI0R_PATH": path("plugins")])
        XCTAssertEqual(run.status, 0, run.standardError)
        XCTAssertEqual(EqrProcess.pluginReports(in: run.standardError), [], run.standardError)
        try FFmpegTools.ffmpeg(["-i", path("plugin-cutout.mkv"), "-vf", "alphaextract,format=rgb24", "-c:v", "ffv1", path("plugin-alpha.mkv")])
        try eqr(["-i", clip, "-m", model, "-effect", "matte", path("eqr-matte.mkv")])
        XCTAssertGreaterThan(try FFmpegTools.psnr(path("plugin-alpha.mkv"), path("eqr-matte.mkv")).minimum, 40)
        XCTAssertLessThan(try FFmpegTools.psnr(path("plugin-alpha.mkv"), clip).average, 15, "an alpha channel, not the frame")
    }

    /// A model fitted by `eqr fit` (layered, bounded T^z) runs in the plugin as it does in eqr.
    func testAFittedModelRunsInThePluginAsInEqr() throws {
        let (clip, background) = try makeInputs(width: 64, height: 48)
        let fit = try EqrProcess.run(["fit", clip, "-o", path("fitted.safetensors"), "--steps", "2", "--resolution", "16", "--batch", "2", "--max-gap", "2", "--quiet"])
        XCTAssertEqual(fit.status, 0, fit.standardError)
        let fitted = path("fitted.safetensors")
        let run = try ffmpegWithPlugin(clip, filter: "frei0r=equivariant:'\(fitted)|\(background)|transform=angle=15'", output: path("plugin.mkv"))
        XCTAssertEqual(run.status, 0, run.standardError)
        XCTAssertEqual(EqrProcess.pluginReports(in: run.standardError), [], run.standardError)
        try eqr(["-i", clip, "-i", background, "-m", fitted, "-effect", "transform=angle=15", path("eqr.mkv")])
        let psnr = try FFmpegTools.psnr(path("plugin.mkv"), path("eqr.mkv"))
        XCTAssertGreaterThan(psnr.minimum, 40, "plugin vs eqr with a fitted model: \(psnr)")
    }

    /// Width 66 is not a multiple of 16: FFmpeg 5.1 hands the plugin padded rows. The plugin
    /// says so and how to avoid it; the documented pad/crop pipeline matches eqr on the padded clip.
    func testWidth66WarnsAndThePadCropPipelineMatchesEqr() throws {
        let (clip, background) = try makeInputs(width: 66, height: 50)
        let direct = try ffmpegWithPlugin(clip, filter: "frei0r=equivariant:\(model)|\(background)|swap", output: path("direct.mkv"))
        XCTAssertEqual(direct.status, 0, direct.standardError)
        XCTAssertTrue(direct.standardError.contains("frame width 66 is not a multiple of 16"), direct.standardError)
        XCTAssertTrue(direct.standardError.contains("pad=ceil(iw/16)*16:ih"), direct.standardError)

        try FFmpegTools.ffmpeg(["-i", background, "-vf", "pad=80:ih", path("bg-80.png")])
        try FFmpegTools.ffmpeg(["-i", clip, "-vf", "pad=80:ih", "-c:v", "ffv1", path("in-80.mkv")])
        let padded = try ffmpegWithPlugin(clip, filter: "pad=ceil(iw/16)*16:ih,frei0r=equivariant:\(model)|\(path("bg-80.png"))|swap,crop=66:ih:0:0", output: path("padded.mkv"))
        XCTAssertEqual(padded.status, 0, padded.standardError)
        XCTAssertFalse(padded.standardError.contains("not a multiple of 16"), padded.standardError)
        try eqr(["-i", path("in-80.mkv"), "-i", path("bg-80.png"), "-m", model, "-effect", "swap", "-vf:out", "crop=66:ih:0:0", path("eqr-66.mkv")])
        XCTAssertEqual(try FFmpegTools.probe(path("padded.mkv")), [66, 50, 8])
        let psnr = try FFmpegTools.psnr(path("padded.mkv"), path("eqr-66.mkv"))
        XCTAssertGreaterThan(psnr.minimum, 40, "pad/crop pipeline vs eqr: \(psnr)")
        // The direct run really is damaged (the reason for the warning).
        XCTAssertLessThan(try FFmpegTools.psnr(path("direct.mkv"), path("eqr-66.mkv")).average, 30)
    }

    /// A model that cannot load, or a bad effect, is reported on stderr and frames pass
    /// through unchanged; ffmpeg finishes normally.
    func testUnusableParametersPassFramesThrough() throws {
        let (clip, background) = try makeInputs(width: 64, height: 48)
        try FFmpegTools.ffmpeg(["-i", clip, "-vf", "format=rgba", "-c:v", "ffv1", path("reference.mkv")])
        // A FIFO nobody writes to used to block the host for ever in open().
        XCTAssertEqual(mkfifo(path("fifo"), 0o600), 0)
        let cases: [(filter: String, message: String)] = [
            ("frei0r=equivariant:\(model)|\(path("fifo"))|swap", "is not a regular file"),
            ("frei0r=equivariant:/no/such/model.safetensors|\(background)|swap", "/no/such/model.safetensors"),
            ("frei0r=equivariant:\(model)|\(background)|sideways", "unknown effect 'sideways'"),
            ("frei0r=equivariant:\(model)", "needs a background"),
            ("frei0r=equivariant:\(model)|/no/such/background.png|swap", "/no/such/background.png"),
        ]
        for (index, item) in cases.enumerated() {
            let run = try EqrProcess.run(program: "/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-y", "-i", clip, "-vf", item.filter, "-c:v", "ffv1", path("pass-\(index).mkv")],
                                         environment: ["FREI0R_PATH": path("plugins"), "EQR_FREI0R_ON_ERROR": "pass"])
            XCTAssertEqual(run.status, 0, run.standardError)
            XCTAssertTrue(run.standardError.contains("equivariant (frei0r):") && run.standardError.contains(item.message), run.standardError)
            XCTAssertEqual(EqrProcess.pluginReports(in: run.standardError).count, 1, "reported once: \(run.standardError)")
            XCTAssertEqual(try FFmpegTools.psnr(path("pass-\(index).mkv"), path("reference.mkv")).minimum, .infinity, item.filter)
        }
        // By default the failure shows in the picture: a red border (2 pixels at 64x48), the inside untouched.
        let marked = try ffmpegWithPlugin(clip, filter: cases[0].filter, output: path("marked.mkv"))
        XCTAssertEqual(marked.status, 0, marked.standardError)
        XCTAssertTrue(marked.standardError.contains("with a red border"), marked.standardError)
        try FFmpegTools.ffmpeg(["-i", path("marked.mkv"), "-vf", "crop=60:44:2:2", "-c:v", "ffv1", path("marked-inside.mkv")])
        try FFmpegTools.ffmpeg(["-i", path("reference.mkv"), "-vf", "crop=60:44:2:2", "-c:v", "ffv1", path("reference-inside.mkv")])
        XCTAssertEqual(try FFmpegTools.psnr(path("marked-inside.mkv"), path("reference-inside.mkv")).minimum, .infinity)
        try FFmpegTools.ffmpeg(["-i", path("marked.mkv"), "-vf", "crop=64:2:0:0", "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", path("top.rgb")])
        let top = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path("top.rgb"))))
        XCTAssertEqual(top.count, 64 * 2 * 3)
        XCTAssertTrue(stride(from: 0, to: top.count, by: 3).allSatisfy { top[$0] == 255 && top[$0 + 1] == 0 && top[$0 + 2] == 0 }, "a red top band")
    }

    /// The mixer2 variant inside MLT's `melt`: track 0 is the character, track 1 the
    /// background; measured 46.4 dB against eqr's swap rendered by the model, 57 dB against the
    /// ffmpeg filter's transform.
    /// `real_time=0`: the consumer never drops a late frame (a loaded machine once got none).
    /// The PNG track is read by MLT's `pixbuf` producer by name: where MLT's Qt module is
    /// installed (Shotcut brings it), melt would pick `qimage`, which fails without a display.
    func testMixerInMeltMatchesEqrAndTheFilter() throws {
        try FileManager.default.createSymbolicLink(atPath: path("mixers/equivariant_mixer.so"),
                                                   withDestinationPath: EqrProcess.products.appendingPathComponent("libequivariant-frei0r-mixer.so").path)
        let (clip, background) = try makeInputs(width: 64, height: 48)
        func melt(_ properties: [String], _ output: String) throws {
            let run = try runMelt(["-quiet", clip, "-track", "pixbuf:\(background)", "out=7",
                                   "-transition", "frei0r.equivariant_mixer", "in=0", "out=7", "a_track=0", "b_track=1", "model=\(model)"]
                                  + properties + ["-consumer", "avformat:\(output)", "vcodec=ffv1", "pix_fmt=bgra", "an=1", "real_time=0"],
                                  output: output, expected: [64, 48, 8], plugins: path("mixers"))
            XCTAssertEqual(run.status, 0, run.standardError)
            XCTAssertEqual(EqrProcess.pluginReports(in: run.standardError), [], run.standardError)
            XCTAssertEqual(try FFmpegTools.probe(output), [64, 48, 8])
        }
        // The model's rendering: the same numbers as eqr's.
        try melt(["effect=swap", "render=model"], path("melt-model.mkv"))
        try eqr(["-i", clip, "-i", background, "-m", model, "-effect", "swap", "-render", "model", path("eqr-model.mkv")])
        XCTAssertGreaterThan(try FFmpegTools.psnr(path("melt-model.mkv"), path("eqr-model.mkv")).minimum, 40)
        // Composition (the default): MLT decodes the clip with its own colour conversion, a
        // few levels off FFmpeg's, and the matte's thresholds turn that into a different α at
        // some edge pixels (measured 35.9 dB).
        try melt(["effect=swap"], path("melt-swap.mkv"))
        try eqr(["-i", clip, "-i", background, "-m", model, "-effect", "swap", path("eqr-swap.mkv")])
        XCTAssertGreaterThan(try FFmpegTools.psnr(path("melt-swap.mkv"), path("eqr-swap.mkv")).minimum, 30)
        XCTAssertLessThan(try FFmpegTools.psnr(path("melt-swap.mkv"), path("melt-model.mkv")).average, 35, "render=model changes the output")
        try melt(["effect=transform", "angle=0.5556", "render=model"], path("melt-transform.mkv"))
        let filter = try ffmpegWithPlugin(clip, filter: "frei0r=equivariant:\(model)|\(background)|transform|0.5556|0.5|0.5|0.5|cover|model",
                                          output: path("filter-transform.mkv"))
        XCTAssertEqual(filter.status, 0, filter.standardError)
        XCTAssertGreaterThan(try FFmpegTools.psnr(path("melt-transform.mkv"), path("filter-transform.mkv")).minimum, 40)
        XCTAssertLessThan(try FFmpegTools.psnr(path("melt-transform.mkv"), path("melt-model.mkv")).average, 35)
    }

    /// A background video is read frame by frame (and looped) inside the plugin.
    func testVideoBackgroundFollowsTheFrames() throws {
        let (clip, _) = try makeInputs(width: 64, height: 48)
        try FFmpegTools.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10", "-frames:v", "3", "-pix_fmt", "yuv420p", path("moving.mp4")])
        let run = try ffmpegWithPlugin(clip, filter: "frei0r=equivariant:\(model)|\(path("moving.mp4"))|swap", output: path("plugin.mkv"))
        XCTAssertEqual(run.status, 0, run.standardError)
        try eqr(["-i", clip, "-i", path("moving.mp4"), "-m", model, "-effect", "swap", "-bg-loop", "1", path("eqr.mkv")])
        XCTAssertGreaterThan(try FFmpegTools.psnr(path("plugin.mkv"), path("eqr.mkv")).minimum, 40)
    }
}
