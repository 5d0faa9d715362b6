import ArgumentParser
import EquivariantRenderer
import Foundation
import Tensors
import VideoIO

/// The ffmpeg-style host: `eqr -i character.mp4 -i background.jpg -m model.safetensors
/// -effect swap out.mp4`. Streams decode → `-vf:0` → scale to the model → f, h, T^z, g →
/// scale back to the input's size → `-vf:out` → encode, one frame at a time.
struct HostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eqr", abstract: "Re-render the character of a video (ffmpeg-style command line).",
        discussion: "Effects: see `eqr -h effects`. The character input's audio is copied unless -an is given.")

    @Option(name: .customShort("i"), help: "Input: first the character video, then the background (image or video).")
    var inputs: [String] = []
    @Option(name: .customShort("m"), help: "Model checkpoint.") var model: String
    @Option(name: .customLong("effect", withSingleDash: true), help: "swap | reconstruct | transform=... | transfer=template=FILE") var effect = "swap"
    @Option(name: .customLong("vf:0", withSingleDash: true), help: "Filter chain on the character input, before the model.") var preFilter: String?
    @Option(name: .customLong("vf:1", withSingleDash: true), help: "Filter chain on the background input, before the model.") var backgroundFilter: String?
    @Option(name: .customLong("vf:out", withSingleDash: true), help: "Filter chain on the output, after scaling back.") var postFilter: String?
    @Option(name: .customLong("c:v", withSingleDash: true), help: "Video encoder (default libx264, else mpeg4).") var codec: String?
    @Option(name: .customLong("crf", withSingleDash: true), help: "Encoder CRF.") var crf: String?
    @Option(name: .customLong("b:v", withSingleDash: true), help: "Encoder bit rate.") var bitRate: String?
    @Option(name: .customLong("preset", withSingleDash: true), help: "Encoder preset.") var preset: String?
    @Option(name: .customLong("frames:v", withSingleDash: true), help: "Stop after this many frames.") var maxFrames: Int?
    @Option(name: .customShort("t"), help: "Stop after this many seconds of input.") var duration: Double?
    @Option(name: .customShort("r"), help: "Output frame rate (frames are dropped or repeated by libavfilter's fps filter).") var outputRate: Double?
    @Option(name: .customLong("pix_fmt", withSingleDash: true), help: "Output pixel format (default yuv420p).") var pixelFormat: String?
    @Option(name: .customLong("loglevel", withSingleDash: true), help: "quiet, fatal, error (default), warning, info or debug, as in ffmpeg; quiet also hides progress.") var logLevel = "error"
    @Option(name: .customLong("bg-loop", withSingleDash: true), help: "A background video shorter than the input: 1 loops it, 0 holds its last frame.") var backgroundLoop = 1
    @Option(name: .customLong("extract-motion", withSingleDash: true), help: "Write the motion template of the input here instead of rendering.") var extractMotion: String?
    @Flag(name: .customLong("an", withSingleDash: true), help: "Drop the character input's audio (copied by default).") var noAudio = false
    @Flag(name: .customShort("y"), help: "Overwrite the output.") var overwrite = false
    @Flag(name: .customShort("n"), help: "Never overwrite the output.") var neverOverwrite = false
    @Flag(name: .customLong("nostats", withSingleDash: true), help: "No progress on stderr.") var noStats = false
    @Argument(help: "Output video.") var output: String?

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("no input: give the character video with -i") }
        if let maxFrames, maxFrames < 1 { throw ValidationError("-frames:v must be at least 1, got \(maxFrames)") }
        if let duration, !(duration > 0 && duration.isFinite) { throw ValidationError("-t must be a positive number of seconds, got \(duration)") }
        if let outputRate, !(outputRate > 0 && outputRate <= 1000) { throw ValidationError("-r must be in (0, 1000], got \(outputRate)") }
        guard Self.logLevels[logLevel] != nil else {
            throw ValidationError("-loglevel \(logLevel) is not one of \(Self.logLevels.keys.sorted().joined(separator: ", "))")
        }
        guard backgroundLoop == 0 || backgroundLoop == 1 else { throw ValidationError("-bg-loop must be 0 or 1, got \(backgroundLoop)") }
        if extractMotion == nil {
            guard let output else { throw ValidationError("no output file given (it comes last, as in ffmpeg)") }
            if FileManager.default.fileExists(atPath: output) && !overwrite {
                throw ValidationError("\(output) exists; pass -y to overwrite")
            }
        }
    }

    static let logLevels: [String: VideoIO.LogLevel] = [
        "quiet": .quiet, "fatal": .fatal, "error": .error, "warning": .warning, "info": .info, "debug": .debug,
    ]

    func run() throws {
        VideoIO.setLogLevel(Self.logLevels[logLevel]!)
        let showStats = !noStats && logLevel != "quiet"
        let contents = try Checkpoint.load(contentsOf: URL(fileURLWithPath: model))
        let net = contents.model, side = net.configuration.resolution
        let reader = try VideoReader(path: inputs[0], size: (side, side), filter: preFilter)
        if let extractMotion { return try extract(net, reader, to: extractMotion) }
        let retargeter = try Retargeter(model: net, effect: try EffectSpecification.parse(effect))
        var background: BackgroundSource?
        if retargeter.needsBackground {
            guard inputs.count >= 2 else { throw ValidationError("-effect \(effect) needs a background: add a second -i") }
            let source = try BackgroundSource(path: inputs[1], side: side, filter: backgroundFilter, loops: backgroundLoop == 1)
            let (cw, ch) = (Double(reader.sourceWidth), Double(reader.sourceHeight)), (bw, bh) = (Double(source.width), Double(source.height))
            if abs(cw / ch - bw / bh) > 0.02 {
                throw ValidationError("the background is \(Int(bw))x\(Int(bh)) (aspect \(String(format: "%.3f", bw / bh))), the character input \(Int(cw))x\(Int(ch)) (aspect \(String(format: "%.3f", cw / ch))); crop or pad one with -vf:1 / -vf:0")
            }
            if let still = source.still { try retargeter.setStillBackground(still) } else { background = source }
        }
        var options: [String: String] = [:]
        if let crf { options["crf"] = crf }
        if let bitRate { options["b:v"] = bitRate }
        if let preset { options["preset"] = preset }
        if let pixelFormat { options["pix_fmt"] = pixelFormat }
        let postChain = [outputRate.map { "fps=\($0)" }, postFilter].compactMap { $0 }.joined(separator: ",")
        let rate = reader.frameRate ?? 25
        let writer = try VideoWriter(path: output!, width: side, height: side, frameRate: rate, codec: codec, options: options,
                                     filter: postChain.isEmpty ? nil : postChain, outputSize: (reader.sourceWidth, reader.sourceHeight),
                                     audioFrom: noAudio ? nil : inputs[0])
        let clock = ContinuousClock(), start = clock.now
        var index = 0
        let frameLimit = [maxFrames, duration.map { Int(($0 * rate).rounded(.up)) }].compactMap { $0 }.min()
        while frameLimit.map({ index < $0 }) ?? true, let frame = try reader.next() {
            let rendered = try retargeter.render(frame.modelTensor, index: index, background: background?.nextFrame())
            try writer.write(try Frame(width: side, height: side, planarFloat: rendered.scalars.map { min(max($0, 0), 1) }, timestamp: frame.timestamp, index: index))
            index += 1
            if showStats && index % 25 == 0 {
                let fps = Double(index) / max((clock.now - start).inSeconds, 1e-9)
                let expected = [reader.estimatedFrameCount, frameLimit].compactMap { $0 }.min()
                let total = expected.map { " of \($0)" } ?? ""
                let eta = expected.map { String(format: "  ETA %.0f s", Double(max($0 - index, 0)) / max(fps, 1e-9)) } ?? ""
                FileHandle.standardError.write(Data(String(format: "\rframe %d%@  %.1f fps%@", index, total, fps, eta).utf8))
            }
        }
        guard index > 0 else { throw ValidationError("\(inputs[0]) produced no frames") }
        try writer.finish()
        if showStats { FileHandle.standardError.write(Data("\rframe \(index), done: \(output!)\n".utf8)) }
    }

    /// Writes the motion template of the character input, streaming its frames.
    func extract(_ net: EquivariantModel, _ reader: VideoReader, to path: String) throws {
        var count = 0
        let template = try MotionTemplate.extract(model: net, frameRate: reader.frameRate) {
            guard maxFrames.map({ count < $0 }) ?? true, let frame = try reader.next() else { return nil }
            count += 1
            return frame.modelTensor
        }
        try template.write(to: URL(fileURLWithPath: path))
        if !noStats { FileHandle.standardError.write(Data("wrote \(path): \(template.steps.count) steps\n".utf8)) }
    }
}
