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
        var backgroundReader: VideoReader?
        var pending: [Frame] = []  // background frames read ahead while probing
        if retargeter.needsBackground {
            guard inputs.count >= 2 else { throw ValidationError("-effect \(effect) needs a background: add a second -i") }
            let probe = try VideoReader(path: inputs[1], filter: backgroundFilter)
            let (cw, ch) = (Double(reader.sourceWidth), Double(reader.sourceHeight)), (bw, bh) = (Double(probe.width), Double(probe.height))
            if abs(cw / ch - bw / bh) > 0.02 {
                throw ValidationError("the background is \(Int(bw))x\(Int(bh)) (aspect \(String(format: "%.3f", bw / bh))), the character input \(Int(cw))x\(Int(ch)) (aspect \(String(format: "%.3f", cw / ch))); crop or pad one with -vf:1 / -vf:0")
            }
            let background = try VideoReader(path: inputs[1], size: (side, side), filter: backgroundFilter)
            let first = try background.next()
            guard let first else { throw ValidationError("the background \(inputs[1]) has no frames") }
            if let second = try background.next() {
                backgroundReader = background
                pending = [first, second]
            } else {
                try retargeter.setStillBackground(Self.tensor(first, side))
            }
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
        var index = 0, lastBackground: Frame?
        let frameLimit = [maxFrames, duration.map { Int(($0 * rate).rounded(.up)) }].compactMap { $0 }.min()
        while frameLimit.map({ index < $0 }) ?? true, let frame = try reader.next() {
            var background: Tensor?
            if let backgroundReader {
                let next = try nextBackground(backgroundReader, pending: &pending) ?? lastBackground
                lastBackground = next
                background = next.map { Self.tensor($0, side) }
            }
            let rendered = try retargeter.render(Self.tensor(frame, side), index: index, background: background)
            try writer.write(try Frame(width: side, height: side, planarFloat: rendered.scalars.map { min(max($0, 0), 1) }, timestamp: frame.timestamp, index: index))
            index += 1
            if showStats && index % 25 == 0 {
                let fps = Double(index) / max((clock.now - start).inSeconds, 1e-9)
                let total = reader.estimatedFrameCount.map { " of \($0)" } ?? ""
                FileHandle.standardError.write(Data(String(format: "\rframe %d%@  %.1f fps", index, total, fps).utf8))
            }
        }
        guard index > 0 else { throw ValidationError("\(inputs[0]) produced no frames") }
        try writer.finish()
        if showStats { FileHandle.standardError.write(Data("\rframe \(index), done: \(output!)\n".utf8)) }
    }

    /// The next background frame: pending ones first, then the reader, looping or holding.
    func nextBackground(_ reader: VideoReader, pending: inout [Frame]) throws -> Frame? {
        if !pending.isEmpty { return pending.removeFirst() }
        if let frame = try reader.next() { return frame }
        guard backgroundLoop == 1 else { return nil }
        try reader.seek(to: 0)
        return try reader.next()
    }

    func extract(_ net: EquivariantModel, _ reader: VideoReader, to path: String) throws {
        var frames: [Tensor] = []
        let side = net.configuration.resolution
        while maxFrames.map({ frames.count < $0 }) ?? true, let frame = try reader.next() {
            frames.append(Self.tensor(frame, side))
        }
        let template = try MotionTemplate.extract(model: net, frames: .concatenatingBatches(frames), frameRate: reader.frameRate)
        try template.write(to: URL(fileURLWithPath: path))
        if !noStats { FileHandle.standardError.write(Data("wrote \(path): \(template.steps.count) steps\n".utf8)) }
    }

    static func tensor(_ frame: Frame, _ side: Int) -> Tensor {
        Tensor(shape: [1, 3, side, side], scalars: frame.planarFloat())
    }
}
