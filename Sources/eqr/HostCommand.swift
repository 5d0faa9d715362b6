import ArgumentParser
import EquivariantModel
import Foundation
import ProcessSettings
import Retargeting
import Tensors
import VideoIO

/// The ffmpeg-style host: `eqr -i character.mp4 -i background.jpg -m model.safetensors
/// -effect swap out.mp4`. Streams decode → `-vf:0` → the frame pipeline (the same
/// `FramePipeline` the C library and the plugins run: scale to the model, f, h, T^z, g,
/// scale back to the frame's size) → `-vf:out` → encode, one frame at a time.
struct HostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eqr", abstract: "Re-render the character of a video (ffmpeg-style command line).",
        discussion: "Effects: see `eqr -h effects`. The character input's audio is copied unless -an is given.")

    @Option(name: .customShort("i"), help: "Input: first the character video, then the background (image or video).")
    var inputs: [String] = []
    @Option(name: .customShort("m"), help: "Model checkpoint: a path, or a name that `eqr models` lists (`default` is aligned-wide-64); with -fit, the layered model the fit starts from.") var model: String?
    @Option(name: .customLong("fit", withSingleDash: true), help: "Fit a model to the character clip for this long first (e.g. 5m), or reuse the one fitted before (cached by the clip's content).") var fit: String?
    @Option(name: .customLong("effect", withSingleDash: true), help: "swap | reconstruct | matte | cutout | transform=... | transfer=template=FILE") var effect = "swap"
    @Option(name: .customLong("vf:0", withSingleDash: true), help: "Filter chain on the character input, before the model.") var preFilter: String?
    @Option(name: .customLong("vf:1", withSingleDash: true), help: "Filter chain on the background input, before the model.") var backgroundFilter: String?
    @Option(name: .customLong("vf:out", withSingleDash: true), help: "Filter chain on the output, after scaling back.") var postFilter: String?
    @Option(name: .customLong("c:v", withSingleDash: true), help: "Video encoder (default libx264, else mpeg4).") var codec: String?
    @Option(name: .customLong("crf", withSingleDash: true), help: "Encoder CRF.") var crf: String?
    @Option(name: .customLong("b:v", withSingleDash: true), help: "Encoder bit rate.") var bitRate: String?
    @Option(name: .customLong("preset", withSingleDash: true), help: "Encoder preset.") var preset: String?
    @Option(name: .customLong("frames:v", withSingleDash: true), parsing: .unconditional, help: "Stop after this many frames.") var maxFrames: Int?
    @Option(name: .customShort("t"), parsing: .unconditional, help: "Stop after this many seconds of input.") var duration: Double?
    @Option(name: .customLong("ss", withSingleDash: true), parsing: .unconditional, help: "Start this far into the character input: seconds (12.5) or [hh:]mm:ss[.xx], as in ffmpeg; its audio is cut the same way.") var start: String?
    @Option(name: .customLong("framerate", withSingleDash: true), parsing: .unconditional, help: "Frame rate of an image-sequence character input (frame%04d.png), as ffmpeg's image2 -framerate (default 25).") var inputFrameRate: Double?
    @Option(name: .customShort("r"), parsing: .unconditional, help: "Output frame rate (frames are dropped or repeated by libavfilter's fps filter).") var outputRate: Double?
    @Option(name: .customLong("pix_fmt", withSingleDash: true), help: "Output pixel format (default yuv420p).") var pixelFormat: String?
    @Option(name: [.customLong("loglevel", withSingleDash: true), .customShort("v")], help: "quiet, fatal, error (default), warning, info or debug, as in ffmpeg; quiet also hides progress.") var logLevel = "error"
    @Option(name: .customLong("threads", withSingleDash: true), parsing: .unconditional, help: "Worker threads for the model and the composite (default: all cores), as in ffmpeg.") var threads: Int?
    @Flag(name: .customLong("hide_banner", withSingleDash: true), help: "Accepted as in ffmpeg (eqr prints no banner).") var hideBanner = false
    @Option(name: .customLong("bg-loop", withSingleDash: true), parsing: .unconditional, help: "A background video shorter than the input: 1 loops it, 0 holds its last frame.") var backgroundLoop = 1
    @Option(name: .customLong("bg-fit", withSingleDash: true), help: "A background of another aspect ratio: cover (scale and centre-crop, the default), contain (scale and pad with black) or stretch.") var backgroundFit = "cover"
    @Option(name: .customLong("render", withSingleDash: true), help: "composite (the character's own pixels, cut out by a matte and laid over the background at the video's resolution; the default) or model (the model's rendering, scaled up).") var render = "composite"
    @Option(name: .customLong("matte-margin", withSingleDash: true), parsing: .unconditional, help: "Pixels the composite's matte grows by (default: automatic: for camera footage about 1 % of the frame's height around its moving region (2 pixels at 240 rows, 6 at 576); for a rendered clip 0 when noiseless, 0.5 % of the frame when noisy).") var matteMargin: Int?
    @Option(name: .customLong("matte", withSingleDash: true), help: "How the composite's matte is drawn: auto (the default: region for camera footage, edges for a rendered clip), region (where the frame differs from the clip's background, spread and opaque: keeps the character's blur and shadows) or edges (refined to the frame's own edges: tight).") var matteStyle = "auto"
    @Option(name: .customLong("plate", withSingleDash: true), help: "How composite learns the clip's background: clip (from frames sampled over the whole input first; the default) or running (from the frames so far, as the plugins and the C library do).") var plate = "clip"
    @Option(name: .customLong("extract-motion", withSingleDash: true), help: "Write the motion template of the input here instead of rendering.") var extractMotion: String?
    @Option(name: .customLong("refine-motion", withSingleDash: true), parsing: .unconditional, help: "With -extract-motion: align each of the model's steps on the clip's frames (1, the default) or keep the model's estimates (0).") var refineMotion = 1
    @Flag(name: .customLong("an", withSingleDash: true), help: "Drop the character input's audio (copied by default).") var noAudio = false
    @OptionGroup var overwrite: OverwriteOptions
    @Flag(name: .customLong("nostats", withSingleDash: true), help: "No progress on stderr.") var noStats = false
    @Argument(help: "Output video.") var output: String?

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("no input: give the character video with -i") }
        if let fit { _ = try FitBudget.parse(fit) } else if model == nil {
            throw ValidationError("no model: give one with -m, or fit one to the clip with -fit (e.g. -fit 5m)")
        }
        if let maxFrames, maxFrames < 1 { throw ValidationError("-frames:v must be at least 1, got \(maxFrames)") }
        if let start, Self.seconds(start) == nil { throw ValidationError("-ss \(start) is not a time: give seconds (12.5) or [hh:]mm:ss[.xx], at most \(Int(Self.longestStart)) s") }
        if let inputFrameRate {
            guard inputFrameRate > 0 && inputFrameRate <= 1000 else { throw ValidationError("-framerate must be in (0, 1000], got \(inputFrameRate)") }
            guard inputs.first?.contains("%") == true else { throw ValidationError("-framerate applies to an image-sequence input such as frame%04d.png, not \(inputs.first ?? "")") }
        }
        if let duration, !(duration > 0 && duration.isFinite) { throw ValidationError("-t must be a positive number of seconds, got \(duration)") }
        if let threads, !(1...256).contains(threads) { throw ValidationError("-threads must be in 1...256, got \(threads)") }
        if let outputRate, !(outputRate > 0 && outputRate <= 1000) { throw ValidationError("-r must be in (0, 1000], got \(outputRate)") }
        guard Self.logLevels[logLevel] != nil else {
            throw ValidationError("-loglevel \(logLevel) is not one of \(Self.logLevels.keys.sorted().joined(separator: ", "))")
        }
        guard backgroundLoop == 0 || backgroundLoop == 1 else { throw ValidationError("-bg-loop must be 0 or 1, got \(backgroundLoop)") }
        // The effect is parsed here so that a bad one is an argument mistake (usage, exit 64).
        do { _ = try EffectSpecification.parse(effect) } catch { throw ValidationError("\(error)") }
        guard RenderMode(rawValue: render) != nil else { throw ValidationError("-render \(render) is not one of \(RenderMode.nameList)") }
        guard MatteStyle(rawValue: matteStyle) != nil else { throw ValidationError("-matte \(matteStyle) is not one of \(MatteStyle.nameList)") }
        guard refineMotion == 0 || refineMotion == 1 else { throw ValidationError("-refine-motion must be 0 or 1, got \(refineMotion)") }
        if let matteMargin, !(0...256).contains(matteMargin) { throw ValidationError("-matte-margin must be in 0...256 pixels, got \(matteMargin)") }
        guard plate == "clip" || plate == "running" else { throw ValidationError("-plate \(plate) is not one of clip, running") }
        guard BackgroundFit(rawValue: backgroundFit) != nil else { throw ValidationError("-bg-fit \(backgroundFit) is not one of \(BackgroundFit.nameList)") }
        // A FIFO, a pipe or a device can be read once; a clip plate, a fit and motion
        // refinement read the clip twice (and a FIFO nobody writes to blocks at the second open).
        if RegularFile.isReadOnce(inputs[0]), let kind = RegularFile.otherKind(inputs[0]) {
            let rereads = [fit != nil ? "-fit" : nil, extractMotion != nil && refineMotion == 1 ? "-extract-motion (its refinement)" : nil,
                           extractMotion == nil && render == RenderMode.composite.rawValue && plate == "clip" ? "-plate clip (the default)" : nil].compactMap { $0 }
            if let first = rereads.first {
                throw ValidationError("-i \(inputs[0]) is a \(kind), which can be read only once, and \(first) reads the clip twice: give a file, or use -plate running (the plate learned as frames stream, as the plugins do)")
            }
        }
        if let extractMotion { try overwrite.check([extractMotion]) }
        if extractMotion == nil {
            guard let output else { throw ValidationError("no output file given (it comes last, as in ffmpeg)") }
            let target = URL(fileURLWithPath: output).standardizedFileURL.resolvingSymlinksInPath()
            if inputs.contains(where: { URL(fileURLWithPath: $0).standardizedFileURL.resolvingSymlinksInPath() == target }) {
                throw ValidationError("the output \(output) is also an input; write to another file")
            }
            try overwrite.check([output])
            if ImageFile.isSingleImagePath(output), postFilter != nil || outputRate != nil {
                throw ValidationError("-vf:out and -r apply to videos; \(output) is a single image (use a %d pattern for an image sequence)")
            }
            let effectName = effect.split(separator: "=", maxSplits: 1).first.map(String.init) ?? effect
            if !["reconstruct", "matte", "cutout"].contains(effectName) && inputs.count < 2 {
                throw ValidationError("-effect \(effectName) needs a background: add a second -i (an image or a video)")
            }
        }
    }

    /// `-ss` as seconds: `12.5`, `mm:ss[.xx]` or `hh:mm:ss[.xx]`; nil for anything else.
    static func seconds(_ text: String) -> Double? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count) else { return nil }
        var total = 0.0
        for (i, part) in parts.enumerated() {
            guard let value = Double(part), value.isFinite, value >= 0, i == parts.count - 1 || value == value.rounded() else { return nil }
            total = total * 60 + value
        }
        return total <= longestStart ? total : nil
    }

    /// The latest `-ss` accepted: about 31 years, past any real clip and within what
    /// libavfilter's trim filter can represent.
    static let longestStart = 1e9

    /// `-ss` in seconds (0 without it).
    var startSeconds: Double { start.flatMap(Self.seconds) ?? 0 }

    /// The character input as the pipeline reads it: from `-ss` on, through `-vf:0`, an
    /// image sequence at `-framerate`.
    /// The character input's reader (through `-ss` and `-vf:0`); `thumbnails`: its frames
    /// carry thumbnails on the moving region's detection grid.
    func characterReader(thumbnails: Bool = false) throws -> VideoReader {
        let skip = startSeconds
        let trim = skip > 0 ? "trim=start=\(skip),setpts=PTS-STARTPTS" : nil
        let chain = [trim, preFilter].compactMap { $0 }.joined(separator: ",")
        let reader = try VideoReader(path: inputs[0], filter: chain.isEmpty ? nil : chain,
                                     options: inputFrameRate.map { ["framerate": "\($0)"] } ?? [:])
        if thumbnails { try reader.makeThumbnails(size: CharacterMatte.detectionGrid) }
        return reader
    }

    static let logLevels: [String: ProcessSettings.FFmpegLogLevel] = [
        "quiet": .quiet, "fatal": .fatal, "error": .error, "warning": .warning, "info": .info, "debug": .debug,
    ]

    func run() throws {
        ProcessSettings.setFFmpegLogLevel(Self.logLevels[logLevel]!)
        if let threads { Parallel.workerCount = threads }
        let showStats = !noStats && logLevel != "quiet"
        // validate() made sure there is a model or a fit.
        let modelPath = try fit.map { try FitCache.model(for: inputs[0], budget: $0, initFrom: model.map { try ModelSearch.resolve($0) }, showProgress: showStats).path } ?? ModelSearch.resolve(model!)
        let contents = try Checkpoint.load(contentsOf: URL(fileURLWithPath: modelPath))
        let reader = try characterReader()
        let pipeline = try FramePipeline(model: contents.model, effect: try EffectSpecification.parse(effect),
                                         backgroundFit: BackgroundFit(rawValue: backgroundFit)!)
        if let extractMotion { return try extract(pipeline, reader, to: extractMotion) }
        if pipeline.needsBackground {
            try pipeline.setBackground(path: inputs[1], filter: backgroundFilter, loops: backgroundLoop == 1)
        }
        pipeline.renderMode = RenderMode(rawValue: render)!
        pipeline.matteMargin = matteMargin
        pipeline.matteStyle = MatteStyle(rawValue: matteStyle)!
        let rate = reader.frameRate ?? 25
        // A single image (`out.png`) takes the first frame, as `ffmpeg … -frames:v 1 out.png`
        // does; the clip's plate still comes from the whole clip.
        let singleImage = ImageFile.isSingleImagePath(output!)
        let frameLimit = [maxFrames, duration.map { Int(saturating: ($0 * rate).rounded(.up)) }].compactMap { $0 }.min()
        // One plate per shot of the clip (`-plate clip`), switched at each shot's first frame.
        var shots: [Shot] = []
        if pipeline.usesPlate && plate == "clip" {
            shots = try clipPlates(for: pipeline, frameLimit: frameLimit, showStats: showStats)
        }
        // The frames carry thumbnails when a shot's plate was found on them (camera footage).
        if shots.contains(where: { $0.plate?.detection != nil }) { try reader.makeThumbnails(size: CharacterMatte.detectionGrid) }
        var nextShot = 0
        // A FIFO or device input is read once: its audio cannot be copied in a second read.
        let streamed = RegularFile.isReadOnce(inputs[0])
        var options: [String: String] = [:]
        if let crf { options["crf"] = crf }
        if let bitRate { options["b:v"] = bitRate }
        if let preset { options["preset"] = preset }
        if let pixelFormat { options["pix_fmt"] = pixelFormat }
        let postChain = [outputRate.map { "fps=\($0)" }, postFilter].compactMap { $0 }.joined(separator: ",")
        let clock = ContinuousClock(), start = clock.now
        var writer: VideoWriter?
        var rendered: [UInt8] = []
        var index = 0
        /// Renders `frame` into `rendered` (sized for `layout`) and hands the result to `deliver`.
        func renderFrame(_ frame: Frame, layout: PixelLayout, _ deliver: (PixelBuffer) throws -> Void) throws {
            if rendered.count != layout.byteCount(width: frame.width, height: frame.height) {
                rendered = [UInt8](repeating: 0, count: layout.byteCount(width: frame.width, height: frame.height))
            }
            try frame.withPixelBuffer { input in
                try rendered.withUnsafeMutableBytes { bytes in
                    let output = PixelBuffer(base: bytes.baseAddress!, width: frame.width, height: frame.height,
                                             stride: frame.width * layout.bytesPerPixel, layout: layout)
                    try pipeline.process(input, thumbnail: frame.thumbnail, into: output)
                    try deliver(output)
                }
            }
        }
        /// The one-line notice of how the background is fitted to the first frame.
        func noteBackgroundFit(_ frame: Frame) {
            if logLevel != "quiet", let notice = pipeline.backgroundFitNotice(videoWidth: frame.width, videoHeight: frame.height) {
                FileHandle.standardError.write(Data("eqr: \(notice)\n".utf8))
            }
        }
        if singleImage {
            guard let frame = try reader.next() else { throw RuntimeError("\(inputs[0]) produced no frames") }
            noteBackgroundFit(frame)
            if let plate = shots.first?.plate { pipeline.setPlate(plate) }
            // RGBA for the cutout, whose alpha the image keeps (PNG, TIFF).
            try renderFrame(frame, layout: pipeline.effect == .cutout ? .rgba8 : .rgb8) {
                try ImageFile.write(pixels: $0, to: output!, codec: codec, options: options.filter { $0.key != "pix_fmt" })
            }
            if showStats { FileHandle.standardError.write(Data("done: \(output!)\n".utf8)) }
            return
        }
        // Ctrl-C or SIGTERM stops after the frame in progress and removes the partial output
        // (a second signal quits at once); so does an error.
        InterruptRequest.install()
        defer { InterruptRequest.uninstall() }
        do {
            while frameLimit.map({ index < $0 }) ?? true, let frame = try reader.next() {
                if InterruptRequest.isRequested {
                    writer?.cancel()
                    FileHandle.standardError.write(Data("\neqr: interrupted after \(index) frames; the partial output was removed\n".utf8))
                    throw ExitCode(InterruptRequest.exitStatus)
                }
                if writer == nil {
                    if streamed && !noAudio && logLevel != "quiet" {
                        FileHandle.standardError.write(Data("eqr: note: no audio copied: -i \(inputs[0]) is read once, for its video\n".utf8))
                    }
                    // The output takes the size of the first frame after the pre-chain.
                    noteBackgroundFit(frame)
                    // YUV 4:2:0 straight from the pipeline when the encoder takes it.
                    writer = try VideoWriter(path: output!, width: frame.width, height: frame.height, frameRate: rate, codec: codec, options: options,
                                             filter: postChain.isEmpty ? nil : postChain, audioFrom: noAudio || streamed ? nil : inputs[0],
                                             audioSkipping: startSeconds, acceptsYUV420: true,
                                             withAlpha: pipeline.effect == .cutout)
                }
                if nextShot < shots.count && shots[nextShot].start == index {
                    if let plate = shots[nextShot].plate { pipeline.setPlate(plate) } else { pipeline.resetPlate() }
                    nextShot += 1
                }
                try renderFrame(frame, layout: writer!.inputLayout) { try writer!.write($0) }
                index += 1
                if showStats && index % 25 == 0 {
                    let fps = Double(index) / max((clock.now - start).inSeconds, 1e-9)
                    let expected = [reader.estimatedFrameCount, frameLimit].compactMap { $0 }.min()
                    let total = expected.map { " of \($0)" } ?? ""
                    let eta = expected.map { String(format: "  ETA %.0f s", Double(max($0 - index, 0)) / max(fps, 1e-9)) } ?? ""
                    FileHandle.standardError.write(Data(String(format: "\rframe %d%@  %.1f fps%@", index, total, fps, eta).utf8))
                }
            }
        } catch {
            writer?.cancel()
            throw error
        }
        guard let writer, index > 0 else { throw RuntimeError("\(inputs[0]) produced no frames") }
        try writer.finish()
        if showStats { FileHandle.standardError.write(Data("\rframe \(index), done: \(output!)\n".utf8)) }
    }

    /// A shot of the character input: its first frame and its background plate (nil for a
    /// shot of one frame, whose plate is then learned while rendering).
    struct Shot {
        var start: Int
        var plate: BackgroundPlate?
    }

    /// The background plates of the character input, one per shot: a first pass decodes it
    /// (through `-vf:0`), finds its cuts (``ShotDetector``) and keeps an even sample of each
    /// shot's frames, whose votes a layered model weights by its coverage.
    func clipPlates(for pipeline: FramePipeline, frameLimit: Int?, showStats: Bool) throws -> [Shot] {
        // Camera footage's moving region is found on thumbnails made from the decoded picture.
        let reader = try characterReader(thumbnails: true)
        var detector = ShotDetector()
        var samplers: [(start: Int, sampler: PlateSampler)] = []
        var count = 0
        InterruptRequest.install()
        defer { InterruptRequest.uninstall() }
        while frameLimit.map({ count < $0 }) ?? true, let frame = try reader.next() {
            if InterruptRequest.isRequested {
                FileHandle.standardError.write(Data("\neqr: interrupted while reading the clip for its plate; nothing was written\n".utf8))
                throw ExitCode(InterruptRequest.exitStatus)
            }
            // Before the plate's samples are kept (the pipeline checks each frame it renders).
            if count == 0 { try FrameSizeLimit.check(width: frame.width, height: frame.height) }
            if let first = samplers.first?.sampler.samples.first, first.width != frame.width || first.height != frame.height { break }
            if detector.offer(frame) { samplers.append((count, PlateSampler(frameBytes: frame.rgb8.count))) }
            samplers[samplers.count - 1].sampler.offer(frame)
            count += 1
        }
        var shots: [Shot] = []
        for (start, sampler) in samplers {
            let samples = sampler.samples
            guard samples.count >= 2 else { shots.append(Shot(start: start, plate: nil)); continue }
            let coverage = pipeline.model.hasCoverage ? try samples.map { frame in try frame.withPixelBuffer { try pipeline.coverage($0)! } } : nil
            let plate = try BackgroundPlate.consensus(of: samples, coverage: coverage)
            if logLevel != "quiet", let unsteady = plate.unsteadyFraction, unsteady > 0.25 {
                let which = samplers.count > 1 ? "the shot from frame \(start) " : "the clip "
                FileHandle.standardError.write(Data(String(
                    format: "eqr: warning: %@never shows a still background over %.0f%% of the frame (a moving camera, or a character filling the frame?); the composite assumes a static camera — -render model does not\n",
                    which, 100 * unsteady).utf8))
            }
            shots.append(Shot(start: start, plate: plate))
        }
        if showStats {
            if shots.count == 1, let samples = samplers.first?.sampler.samples, samples.count >= 2, let plate = shots[0].plate {
                let kind = plate.isCameraFootage ? "camera footage" : "a rendered clip"
                FileHandle.standardError.write(Data(String(format: "background plate from %d of %d frames; grain %.3f, still grain %.3f: %@\n",
                                                           samples.count, count, plate.grain, plate.stillGrain, kind).utf8))
            } else if shots.count > 1 {
                FileHandle.standardError.write(Data("\(shots.count) shots (cuts before frames \(shots.dropFirst().map { String($0.start) }.joined(separator: ", "))), one background plate each\n".utf8))
            }
        }
        return shots
    }

    /// Writes the motion template of the character input, streaming its frames.
    func extract(_ pipeline: FramePipeline, _ reader: VideoReader, to path: String) throws {
        var count = 0
        let template = try MotionTemplate.extract(model: pipeline.model, frameRate: reader.frameRate) {
            guard maxFrames.map({ count < $0 }) ?? true, let frame = try reader.next() else { return nil }
            count += 1
            return try pipeline.modelFrame(frame)
        }
        var result = template
        // Align each step on the frames: the character's matte from its shot's plate (a step
        // across a cut, or in a shot without a plate, keeps the model's estimate).
        if refineMotion == 1 {
            let shots = try clipPlates(for: pipeline, frameLimit: maxFrames, showStats: !noStats && logLevel != "quiet")
            let frames = try characterReader()
            var index = 0
            result = try MotionRefinement.refine(template) {
                guard let frame = try frames.next() else { return nil }
                defer { index += 1 }
                let shot = shots.lastIndex { $0.start <= index } ?? 0
                let image = PlanarImage(frame)
                guard shots.indices.contains(shot), let plate = shots[shot].plate, frame.width == plate.width, frame.height == plate.height else {
                    // No plate, no matte: the step keeps the model's estimate.
                    return (image, PlanarMask(width: frame.width, height: frame.height, values: [Float](repeating: 0, count: frame.width * frame.height)), shot)
                }
                pipeline.setPlate(plate)
                return (image, try frame.withPixelBuffer { try pipeline.matte($0, width: frame.width, height: frame.height) }, shot)
            }
        }
        try result.write(to: URL(fileURLWithPath: path))
        if !noStats { FileHandle.standardError.write(Data("wrote \(path): \(result.steps.count) steps\(refineMotion == 1 ? ", aligned on the frames" : "")\n".utf8)) }
    }
}
