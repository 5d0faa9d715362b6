import ArgumentParser
import Distributed
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

    @OptionGroup var options: HostOptions
    @Argument(help: "Output video.", completion: .file()) var output: String?

    func validate() throws {
        guard !options.inputs.isEmpty else { throw ValidationError("no input: give the character video with -i") }
        if let fit = options.fit { _ = try FitBudget.parse(fit) } else if options.model == nil {
            throw ValidationError("no model: give one with -m, or fit one to the clip with -fit (e.g. -fit 5m)")
        }
        if let maxFrames = options.maxFrames, maxFrames < 1 { throw ValidationError("-frames:v must be at least 1, got \(maxFrames)") }
        if let start = options.start, Self.seconds(start) == nil { throw ValidationError("-ss \(start) is not a time: give seconds (12.5) or [hh:]mm:ss[.xx], at most \(Int(Self.longestStart)) s") }
        if let inputFrameRate = options.inputFrameRate {
            guard inputFrameRate > 0 && inputFrameRate <= 1000 else { throw ValidationError("-framerate must be in (0, 1000], got \(inputFrameRate)") }
            guard options.inputs.first?.contains("%") == true else { throw ValidationError("-framerate applies to an image-sequence input such as frame%04d.png, not \(options.inputs.first ?? "")") }
        }
        if let duration = options.duration, !(duration > 0 && duration.isFinite) { throw ValidationError("-t must be a positive number of seconds, got \(duration)") }
        if let threads = options.threads, !(1...256).contains(threads) { throw ValidationError("-threads must be in 1...256, got \(threads)") }
        if let outputRate = options.outputRate, !(outputRate > 0 && outputRate <= 1000) { throw ValidationError("-r must be in (0, 1000], got \(outputRate)") }
        guard Self.logLevels[options.logLevel] != nil else {
            throw ValidationError("-loglevel \(options.logLevel) is not one of \(Self.logLevels.keys.sorted().joined(separator: ", "))")
        }
        guard options.lookahead == 0 || options.lookahead == 1 else { throw ValidationError("-lookahead must be 0 or 1, got \(options.lookahead)") }
        guard options.backgroundLoop == 0 || options.backgroundLoop == 1 else { throw ValidationError("-bg-loop must be 0 or 1, got \(options.backgroundLoop)") }
        // The effect is parsed here so that a bad one is an argument mistake (usage, exit 64).
        do { _ = try EffectSpecification.parse(options.effect) } catch { throw ValidationError("\(error)") }
        guard RenderMode(rawValue: options.render) != nil else { throw ValidationError("-render \(options.render) is not one of \(RenderMode.nameList)") }
        guard MatteStyle(rawValue: options.matteStyle) != nil else { throw ValidationError("-matte \(options.matteStyle) is not one of \(MatteStyle.nameList)") }
        guard options.refineMotion == 0 || options.refineMotion == 1 else { throw ValidationError("-refine-motion must be 0 or 1, got \(options.refineMotion)") }
        if let matteMargin = options.matteMargin, !(0...256).contains(matteMargin) { throw ValidationError("-matte-margin must be in 0...256 pixels, got \(matteMargin)") }
        guard options.plate == "clip" || options.plate == "running" else { throw ValidationError("-plate \(options.plate) is not one of clip, running") }
        guard BackgroundFit(rawValue: options.backgroundFit) != nil else { throw ValidationError("-bg-fit \(options.backgroundFit) is not one of \(BackgroundFit.nameList)") }
        // A FIFO, a pipe or a device can be read once; a clip plate, a fit and motion
        // refinement read the clip twice (and a FIFO nobody writes to blocks at the second open).
        if RegularFile.isReadOnce(options.inputs[0]), let kind = RegularFile.otherKind(options.inputs[0]) {
            let rereads = [options.fit != nil ? "-fit" : nil, options.extractMotion != nil && options.refineMotion == 1 ? "-extract-motion (its refinement)" : nil,
                           options.extractMotion == nil && options.render == RenderMode.composite.rawValue && options.plate == "clip" ? "-plate clip (the default)" : nil].compactMap { $0 }
            if let first = rereads.first {
                throw ValidationError("-i \(options.inputs[0]) is a \(kind), which can be read only once, and \(first) reads the clip twice: give a file, or use -plate running (the plate learned as frames stream, as the plugins do)")
            }
        }
        if let extractMotion = options.extractMotion { try options.overwrite.check([extractMotion]) }
        if options.extractMotion == nil {
            guard let output else { throw ValidationError("no output file given (it comes last, as in ffmpeg)") }
            let target = URL(fileURLWithPath: output).standardizedFileURL.resolvingSymlinksInPath()
            if options.inputs.contains(where: { URL(fileURLWithPath: $0).standardizedFileURL.resolvingSymlinksInPath() == target }) {
                throw ValidationError("the output \(output) is also an input; write to another file")
            }
            try options.overwrite.check([output])
            if ImageFile.isSingleImagePath(output), options.postFilter != nil || options.outputRate != nil {
                throw ValidationError("-vf:out and -r apply to videos; \(output) is a single image (use a %d pattern for an image sequence)")
            }
            let effectName = options.effect.split(separator: "=", maxSplits: 1).first.map(String.init) ?? options.effect
            if !["reconstruct", "matte", "cutout"].contains(effectName) && options.inputs.count < 2 {
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
    var startSeconds: Double { options.start.flatMap(Self.seconds) ?? 0 }

    /// The character input as the pipeline reads it: from `-ss` on, through `-vf:0`, an
    /// image sequence at `-framerate`.
    /// The character input's reader (through `-ss` and `-vf:0`); `thumbnails`: its frames
    /// carry thumbnails on the moving region's detection grid.
    func characterReader(thumbnails: Bool = false) throws -> VideoReader {
        let skip = startSeconds
        let trim = skip > 0 ? "trim=start=\(skip),setpts=PTS-STARTPTS" : nil
        let chain = [trim, options.preFilter].compactMap { $0 }.joined(separator: ",")
        let reader = try VideoReader(path: options.inputs[0], filter: chain.isEmpty ? nil : chain,
                                     options: options.inputFrameRate.map { ["framerate": "\($0)"] } ?? [:], threads: options.threads ?? 0)
        if thumbnails { try reader.makeThumbnails(size: CharacterMatte.detectionGrid) }
        return reader
    }

    static let logLevels: [String: ProcessSettings.FFmpegLogLevel] = [
        "quiet": .quiet, "fatal": .fatal, "error": .error, "warning": .warning, "info": .info, "debug": .debug,
    ]

    func run() throws {
        ProcessSettings.setFFmpegLogLevel(Self.logLevels[options.logLevel]!)
        if let threads = options.threads { Parallel.workerCount = threads }
        // Under mpirun: this process renders one segment of the clip (``RenderSegment``).
        let job = try MPIProcessGroup.joinLaunchedJob()
        defer { job?.finish() }
        if let job, job.size > 1,
           let why = RenderSegment.refusal(options: options, output: output ?? "", readOnce: RegularFile.isReadOnce(options.inputs[0])) {
            // Every process finds this; process 0 alone says it (their lines would interleave).
            if job.rank != 0 { throw ExitCode.failure }
            throw RuntimeError("this is one of \(job.size) processes of an MPI job, which renders a clip in segments, but \(why); run it without mpirun")
        }
        let lead = (job?.rank ?? 0) == 0
        let showStats = !options.noStats && options.logLevel != "quiet" && lead
        // validate() made sure there is a model or a fit.
        let modelPath = try options.fit.map { try FitCache.model(for: options.inputs[0], budget: $0, initFrom: options.model.map { try ModelSearch.resolve($0) }, showProgress: showStats).path } ?? ModelSearch.resolve(options.model!)
        let contents = try Checkpoint.load(contentsOf: URL(fileURLWithPath: modelPath))
        var reader = try characterReader()
        let pipeline = try FramePipeline(model: contents.model, effect: try EffectSpecification.parse(options.effect),
                                         backgroundFit: BackgroundFit(rawValue: options.backgroundFit)!)
        if let extractMotion = options.extractMotion { return try extract(pipeline, reader, to: extractMotion) }
        if pipeline.needsBackground {
            try pipeline.setBackground(path: options.inputs[1], filter: options.backgroundFilter, loops: options.backgroundLoop == 1)
        }
        pipeline.renderMode = RenderMode(rawValue: options.render)!
        pipeline.matteMargin = options.matteMargin
        pipeline.matteStyle = MatteStyle(rawValue: options.matteStyle)!
        let rate = reader.frameRate ?? 25
        // A single image (`out.png`) takes the first frame, as `ffmpeg … -frames:v 1 out.png`
        // does; the clip's plate still comes from the whole clip.
        let singleImage = ImageFile.isSingleImagePath(output!)
        let frameLimit = [options.maxFrames, options.duration.map { Int(saturating: ($0 * rate).rounded(.up)) }].compactMap { $0 }.min()
        // One plate per shot of the clip (`-plate clip`), switched at each shot's first frame.
        var shots: [Shot] = []
        // Segment-parallel: process 0 reads the clip once (its plates and length) for all.
        var segment: RenderSegment?
        if let job, job.size > 1 {
            var timestamps: [Double] = []
            if lead {
                if pipeline.usesPlate && options.plate == "clip" {
                    (shots, timestamps) = try clipPlates(for: pipeline, frameLimit: frameLimit, showStats: showStats)
                } else {
                    timestamps = try frameTimestamps(limit: frameLimit)
                }
            }
            (segment, shots) = try RenderSegment.plan(job: job, shots: shots, timestamps: timestamps, output: output!)
        } else if pipeline.usesPlate && options.plate == "clip" {
            shots = try clipPlates(for: pipeline, frameLimit: frameLimit, showStats: showStats).shots
        }
        let lastFrame = segment?.frames.upperBound ?? frameLimit
        // The frames carry thumbnails when a shot's plate was found on them (camera footage).
        if shots.contains(where: { $0.plate?.detection != nil }) { try reader.makeThumbnails(size: CharacterMatte.detectionGrid) }
        var nextShot = 0
        /// Switches to the plate of the shot that starts at frame `index`, if one does.
        func enterFrame(_ index: Int) {
            if nextShot < shots.count && shots[nextShot].start == index {
                if let plate = shots[nextShot].plate { pipeline.setPlate(plate) } else { pipeline.resetPlate() }
                nextShot += 1
            }
        }
        // A FIFO or device input is read once: its audio cannot be copied in a second read.
        let streamed = RegularFile.isReadOnce(options.inputs[0])
        var encoderOptions: [String: String] = [:]
        if let crf = options.crf { encoderOptions["crf"] = crf }
        if let bitRate = options.bitRate { encoderOptions["b:v"] = bitRate }
        if let preset = options.preset { encoderOptions["preset"] = preset }
        if let pixelFormat = options.pixelFormat { encoderOptions["pix_fmt"] = pixelFormat }
        // As ffmpeg's -threads: the codecs' threads too.
        if let threads = options.threads { encoderOptions["threads"] = String(threads) }
        let postChain = [options.outputRate.map { "fps=\($0)" }, options.postFilter].compactMap { $0 }.joined(separator: ",")
        let clock = ContinuousClock(), start = clock.now
        var writer: VideoWriter?
        var rendered: [UInt8] = []
        var index = 0
        // A segment that starts later seeks there when the input maps frames to times plainly
        // (no -ss, no -vf:0, not an image sequence) and the frame found is the one expected;
        // else its frames are decoded from the start and passed over.
        var sought: Frame?
        if let segment, segment.frames.lowerBound > 0, let time = segment.startTime,
           options.start == nil && options.preFilter == nil && !options.inputs[0].contains("%") {
            // An input that cannot seek, or lands elsewhere, takes the slow path.
            var landed: Frame?
            do {
                try reader.seek(to: time)
                landed = try reader.next()
            } catch {
                landed = nil
            }
            if let frame = landed, abs(frame.timestamp - time) < 0.25 / rate {
                sought = frame
                for skipped in 0..<segment.frames.lowerBound {
                    enterFrame(skipped)
                    try pipeline.skipFrame()
                }
                index = segment.frames.lowerBound
            } else {
                reader = try characterReader(thumbnails: shots.contains { $0.plate?.detection != nil })
            }
        }
        if let segment, options.logLevel == "debug" {
            let how = segment.frames.lowerBound == 0 ? "" : sought != nil ? ", sought to \(segment.startTime!) s" : ", decoding from the start"
            FileHandle.standardError.write(Data("eqr: process \(segment.job.rank) of \(segment.job.size) renders frames \(segment.frames)\(how)\n".utf8))
        }
        /// Renders `frame` into `rendered` (sized for `layout`) and hands the result to `deliver`.
        /// `coverage`: the model's coverage of `frame`, computed ahead.
        func renderFrame(_ frame: Frame, layout: PixelLayout, coverage: PlanarMask? = nil, _ deliver: (PixelBuffer) throws -> Void) throws {
            if rendered.count != layout.byteCount(width: frame.width, height: frame.height) {
                rendered = [UInt8](repeating: 0, count: layout.byteCount(width: frame.width, height: frame.height))
            }
            try frame.withPixelBuffer { input in
                try rendered.withUnsafeMutableBytes { bytes in
                    let output = PixelBuffer(base: bytes.baseAddress!, width: frame.width, height: frame.height,
                                             stride: frame.width * layout.bytesPerPixel, layout: layout)
                    try pipeline.process(input, thumbnail: frame.thumbnail, coverage: coverage, into: output)
                    try deliver(output)
                }
            }
        }
        /// The one-line notice of how the background is fitted to the first frame.
        func noteBackgroundFit(_ frame: Frame) {
            if options.logLevel != "quiet" && lead, let notice = pipeline.backgroundFitNotice(videoWidth: frame.width, videoHeight: frame.height) {
                FileHandle.standardError.write(Data("eqr: \(notice)\n".utf8))
            }
        }
        if singleImage {
            guard let frame = try reader.next() else { throw RuntimeError("\(options.inputs[0]) produced no frames") }
            noteBackgroundFit(frame)
            if let plate = shots.first?.plate { pipeline.setPlate(plate) }
            // RGBA for the cutout, whose alpha the image keeps (PNG, TIFF).
            try renderFrame(frame, layout: pipeline.effect == .cutout ? .rgba8 : .rgb8) {
                try ImageFile.write(pixels: $0, to: output!, codec: options.codec, options: encoderOptions.filter { $0.key != "pix_fmt" })
            }
            if showStats { FileHandle.standardError.write(Data("done: \(output!)\n".utf8)) }
            return
        }
        // Over a shot's plate, the coverage of the frame after the one rendering is computed
        // meanwhile, on a thread of its own (with one worker it would only compete).
        let looksAhead = options.lookahead == 1 && Parallel.workerCount > 1 && shots.contains { $0.plate != nil }
        let lookahead = looksAhead ? try CoverageLookahead(model: contents.model) : nil
        var coveragesAhead = 0
        /// Starts the coverage of frame `index` when this process renders it over its shot's
        /// plate and reads it there.
        func coverageAhead(of frame: Frame, at index: Int) -> CoverageLookahead.Job? {
            guard let lookahead, segment.map({ $0.frames.contains(index) }) ?? true,
                  let plate = shots.last(where: { $0.start <= index })?.plate,
                  pipeline.readsCoverage(over: plate, width: frame.width, height: frame.height) else { return nil }
            coveragesAhead += 1
            return lookahead.start(frame)
        }
        var upcoming: (frame: Frame, coverage: CoverageLookahead.Job?)?
        /// Frame `index` with its coverage job; reads the frame after it (within the frames
        /// to render) and starts that one's job, which runs while this one renders.
        func nextFrame() throws -> (frame: Frame, coverage: CoverageLookahead.Job?)? {
            if upcoming == nil, let frame = try sought ?? reader.next() { upcoming = (frame, coverageAhead(of: frame, at: index)) }
            sought = nil
            guard let current = upcoming else { return nil }
            upcoming = nil
            if lastFrame.map({ index + 1 < $0 }) ?? true, let following = try reader.next() {
                upcoming = (following, coverageAhead(of: following, at: index + 1))
            }
            return current
        }
        // Ctrl-C or SIGTERM stops after the frame in progress and removes the partial output
        // (a second signal quits at once); so does an error.
        InterruptRequest.install()
        defer { InterruptRequest.uninstall() }
        do {
            while lastFrame.map({ index < $0 }) ?? true, let (frame, coverageJob) = try nextFrame() {
                if InterruptRequest.isRequested {
                    writer?.cancel()
                    FileHandle.standardError.write(Data("\neqr: interrupted after \(index) frames; the partial output was removed\n".utf8))
                    throw ExitCode(InterruptRequest.exitStatus)
                }
                enterFrame(index)
                // Another process renders the frames before this one's segment.
                if let segment, index < segment.frames.lowerBound {
                    try pipeline.skipFrame()
                    index += 1
                    continue
                }
                if writer == nil {
                    if streamed && !options.noAudio && options.logLevel != "quiet" {
                        FileHandle.standardError.write(Data("eqr: note: no audio copied: -i \(options.inputs[0]) is read once, for its video\n".utf8))
                    }
                    // The output takes the size of the first frame after the pre-chain.
                    noteBackgroundFit(frame)
                    // YUV 4:2:0 straight from the pipeline when the encoder takes it.
                    // A segment's part has no audio: the join copies it once.
                    writer = try VideoWriter(path: segment?.partPath ?? output!, width: frame.width, height: frame.height, frameRate: rate, codec: options.codec,
                                             options: encoderOptions, filter: postChain.isEmpty ? nil : postChain,
                                             audioFrom: segment != nil || options.noAudio || streamed ? nil : options.inputs[0],
                                             audioSkipping: startSeconds, acceptsYUV420: true,
                                             withAlpha: pipeline.effect == .cutout)
                }
                try renderFrame(frame, layout: writer!.inputLayout, coverage: try coverageJob?.wait()) { try writer!.write($0) }
                index += 1
                if showStats && index % 25 == 0 {
                    let fps = Double(index) / max((clock.now - start).inSeconds, 1e-9)
                    let expected = [reader.estimatedFrameCount, frameLimit].compactMap { $0 }.min()
                    let total = expected.map { " of \($0)" } ?? ""
                    let eta = expected.map { String(format: "  ETA %.0f s", Double(max($0 - index, 0)) / max(fps, 1e-9)) } ?? ""
                    FileHandle.standardError.write(Data(String(format: "\rframe %d%@  %.1f fps%@", index, total, fps, eta).utf8))
                }
            }
            if segment != nil { try writer?.finish() }
        } catch {
            writer?.cancel()
            if let segment { try segment.finish(failure: error, output: output!, frameRate: rate, audioFrom: nil, audioSkipping: 0) }
            throw error
        }
        if options.logLevel == "debug" {
            FileHandle.standardError.write(Data("eqr: the model's coverage was computed ahead for \(coveragesAhead) frames\n".utf8))
        }
        if let segment {
            try segment.finish(failure: nil, output: output!, frameRate: rate, audioFrom: options.noAudio || streamed ? nil : options.inputs[0], audioSkipping: startSeconds)
            if showStats { FileHandle.standardError.write(Data("\rframe \(index), done: \(output!) (\(segment.job.size) processes, \(segment.job.size) segments)\n".utf8)) }
            return
        }
        guard let writer, index > 0 else { throw RuntimeError("\(options.inputs[0]) produced no frames") }
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
    func clipPlates(for pipeline: FramePipeline, frameLimit: Int?, showStats: Bool) throws -> (shots: [Shot], timestamps: [Double]) {
        // Camera footage's moving region is found on thumbnails made from the decoded picture.
        let reader = try characterReader(thumbnails: true)
        var detector = ShotDetector()
        var samplers: [(start: Int, sampler: PlateSampler)] = []
        var count = 0
        var timestamps: [Double] = []
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
            timestamps.append(frame.timestamp)
            count += 1
        }
        var shots: [Shot] = []
        for (start, sampler) in samplers {
            let samples = sampler.samples
            guard samples.count >= 2 else { shots.append(Shot(start: start, plate: nil)); continue }
            let coverage = pipeline.model.hasCoverage ? try samples.map { frame in try frame.withPixelBuffer { try pipeline.coverage($0)! } } : nil
            let plate = try BackgroundPlate.consensus(of: samples, coverage: coverage)
            if options.logLevel != "quiet", let unsteady = plate.unsteadyFraction, unsteady > 0.25 {
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
        return (shots, timestamps)
    }

    /// The timestamps of the character input's frames (through `-ss` and `-vf:0`), at most
    /// `limit` of them: a decoding pass.
    func frameTimestamps(limit: Int?) throws -> [Double] {
        let reader = try characterReader()
        var timestamps: [Double] = []
        while limit.map({ timestamps.count < $0 }) ?? true, let frame = try reader.next() { timestamps.append(frame.timestamp) }
        return timestamps
    }

    /// Writes the motion template of the character input, streaming its frames.
    func extract(_ pipeline: FramePipeline, _ reader: VideoReader, to path: String) throws {
        var count = 0
        let template = try MotionTemplate.extract(model: pipeline.model, frameRate: reader.frameRate) {
            guard options.maxFrames.map({ count < $0 }) ?? true, let frame = try reader.next() else { return nil }
            count += 1
            return try pipeline.modelFrame(frame)
        }
        var result = template
        // Align each step on the frames: the character's matte from its shot's plate (a step
        // across a cut, or in a shot without a plate, keeps the model's estimate).
        if options.refineMotion == 1 {
            let shots = try clipPlates(for: pipeline, frameLimit: options.maxFrames, showStats: !options.noStats && options.logLevel != "quiet").shots
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
        if !options.noStats { FileHandle.standardError.write(Data("wrote \(path): \(result.steps.count) steps\(options.refineMotion == 1 ? ", aligned on the frames" : "")\n".utf8)) }
    }
}
