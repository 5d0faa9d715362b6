import CFFmpeg

/// Decodes any input FFmpeg can read into RGB24 ``Frame``s, one at a time.
///
/// Inputs: a video file, an image file, an image-sequence pattern (`img%04d.png`, read by
/// FFmpeg's `image2` demuxer), any URL FFmpeg's protocols accept, or — with
/// ``init(generator:size:filter:scaling:)`` — a libavfilter source such as
/// `testsrc2=size=640x480:rate=25:duration=2`.
///
/// Every decoded frame goes through one libavfilter graph:
/// `buffer → [user chain] → scale=W:H (when a size is requested) → format=rgb24 → buffersink`.
/// The user's chain is FFmpeg's own `-vf` syntax, parsed by libavfilter. Resizing and pixel
/// format conversion are libswscale, run by the `scale`/`format` filters.
///
/// Memory stays flat however long the input is: one packet, two `AVFrame`s and the filter
/// graph are reused; each call to ``next()`` allocates only the returned frame's pixel array.
///
/// Corrupt packets are skipped the way the `ffmpeg` tool skips them (and counted in
/// ``corruptPacketCount``); an input that yields no frame at all throws
/// ``VideoIOError/noFrames(path:)``.
public final class VideoReader {
    /// The input as given (for a generator: `"lavfi:"` followed by the source description).
    public let path: String
    /// Width of the returned frames (after the filter chain and resizing).
    public private(set) var width: Int = 0
    /// Height of the returned frames (after the filter chain and resizing).
    public private(set) var height: Int = 0
    /// Width of the decoded video before any filtering (0 when unknown before decoding).
    public private(set) var sourceWidth: Int = 0
    /// Height of the decoded video before any filtering (0 when unknown before decoding).
    public private(set) var sourceHeight: Int = 0
    /// Frames per second of the returned frames, when known (the filter chain's output rate if
    /// it sets one, else the stream's average rate).
    public private(set) var frameRate: Double? = nil
    /// Duration of the input's video stream in seconds, when the container says.
    public private(set) var duration: Double? = nil
    /// Number of frames in the input's video stream, when the container records it (MP4/MOV
    /// do; Matroska, raw streams and generators do not). Filters that drop or add frames
    /// (`fps`, `select`, `trim`) are not accounted for.
    public private(set) var frameCount: Int? = nil
    /// ``frameCount`` when known, else `duration × frameRate` rounded, else nil.
    public var estimatedFrameCount: Int? {
        if let n = frameCount { return n }
        if let d = duration, let r = frameRate, d > 0, r > 0 { return Int(saturating: (d * r).rounded()) }
        return nil
    }
    /// FFmpeg's name of the video codec (`"h264"`, `"png"`, `"rawvideo"`, ...).
    public private(set) var codecName: String = ""
    /// FFmpeg's name of the container/demuxer (`"mov,mp4,m4a,3gp,3g2,mj2"`, `"image2"`, ...).
    public private(set) var formatName: String = ""
    /// Frames returned so far.
    public private(set) var framesRead = 0
    /// Packets or frames the decoder rejected as corrupt and skipped.
    public private(set) var corruptPacketCount = 0

    /// The size of a thumbnail for frames of a given size, set by ``makeThumbnails(size:)``.
    public private(set) var thumbnailSize: ((_ width: Int, _ height: Int) -> (width: Int, height: Int)?)?

    /// Makes every frame carry a ``Frame/thumbnail`` of `size(width, height)` for its size
    /// (after the filter chain and any resizing; nil: none), made from the decoded picture
    /// through the same filter chain and one bicubic resampling into RGB24, as `ffmpeg -vf
    /// scale=W:H` makes it. Generators make none.
    /// - Throws: `invalidArgument` after the first frame was read (frames already in the
    ///   filter graph would go without) or for a size out of range, `filterFailed` if the
    ///   thumbnail's graph cannot be built.
    public func makeThumbnails(size: @escaping (_ width: Int, _ height: Int) -> (width: Int, height: Int)?) throws {
        guard framesRead == 0 && !producedAny else {
            throw VideoIOError.invalidArgument("thumbnails are asked for before the first frame is read")
        }
        thumbnailSize = size
        try rebuildThumbnailGraph()
    }

    private var formatContext: UnsafeMutablePointer<AVFormatContext>?
    private var decoder: UnsafeMutablePointer<AVCodecContext>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var decoded: UnsafeMutablePointer<AVFrame>?
    private var filtered: UnsafeMutablePointer<AVFrame>?
    private var graph: FilterGraph?
    /// The same chain ending in the thumbnail's resampling (see ``thumbnailSize``).
    private var thumbnailGraph: FilterGraph?
    private var thumbnailFrame: UnsafeMutablePointer<AVFrame>?
    /// Thumbnails made, waiting for their frames (the two graphs yield frames in step).
    private var pendingThumbnails: [Thumbnail] = []
    // All stored properties have initial values so that an initializer that throws after
    // allocating still runs `deinit`, which frees the FFmpeg objects.
    private var streamIndex: Int32 = -1
    private var streamTimeBase = AVRational(num: 1, den: 1)
    private var streamFrameRate = AVRational(num: 0, den: 1)
    private var startSeconds: Double = 0
    private let userFilter: String?
    private let tail: [FilterStep]
    private let threads: Int
    private var demuxerEnded = false
    private var graphInputEnded = false
    private var ended = false
    private var nextIndex = 0
    private var producedAny = false
    private var skipBefore: Double? = nil
    private var resyncIndex = false

    /// Opens an input for decoding.
    /// - Parameters:
    ///   - path: a file path, an image-sequence pattern such as `frames/%04d.png`, or a URL.
    ///   - size: the size of the returned frames; nil keeps the (filtered) source size.
    ///   - filter: a filter chain in FFmpeg's `-vf` syntax applied before resizing,
    ///     e.g. `"crop=320:240:10:10,hflip"`.
    ///   - scaling: the resampling algorithm used to reach `size`.
    ///   - inputFormat: force a demuxer by name (like `ffmpeg -f`), e.g. `"image2"`.
    ///   - options: demuxer options (like `ffmpeg` input options), e.g.
    ///     `["framerate": "10", "start_number": "0"]` for image sequences.
    ///   - threads: decoder threads (0 lets FFmpeg choose).
    /// - Throws: ``VideoIOError`` — `fileNotFound`, `openFailed`, `noVideoStream`,
    ///   `decoderFailed`, `unknownFilter`, `filterFailed`, `invalidArgument`.
    public init(path: String, size: (width: Int, height: Int)? = nil, filter: String? = nil,
                scaling: ScaleAlgorithm = .bicubic, inputFormat: String? = nil,
                options: [String: String] = [:], threads: Int = 0) throws {
        self.path = path
        self.userFilter = filter
        self.threads = threads
        self.tail = try VideoReader.makeTail(size: size, scaling: scaling)

        packet = av_packet_alloc()
        decoded = av_frame_alloc()
        filtered = av_frame_alloc()
        guard packet != nil, decoded != nil, filtered != nil else {
            throw VideoIOError.openFailed(path: path, code: EQR_AVERROR_ENOMEM, message: ffErrorString(EQR_AVERROR_ENOMEM))
        }

        var demuxer: UnsafePointer<AVInputFormat>? = nil
        if let name = inputFormat {
            guard let f = av_find_input_format(name) else {
                throw VideoIOError.invalidArgument("unknown input format '\(name)'")
            }
            demuxer = f
        }
        var dict = makeDictionary(options)
        defer { av_dict_free(&dict) }
        var ret = avformat_open_input(&formatContext, path, demuxer, &dict)
        if ret < 0 {
            // avformat_open_input frees the context on failure.
            if ret == EQR_AVERROR_ENOENT {
                throw VideoIOError.fileNotFound(path: path, message: ffErrorString(ret))
            }
            throw VideoIOError.openFailed(path: path, code: ret, message: ffErrorString(ret))
        }
        let fmt = formatContext!
        ret = avformat_find_stream_info(fmt, nil)
        if ret < 0 {
            throw VideoIOError.openFailed(path: path, code: ret, message: ffErrorString(ret))
        }
        var codec: UnsafePointer<AVCodec>? = nil
        ret = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0)
        if ret == EQR_AVERROR_STREAM_NOT_FOUND || (ret < 0 && ret != EQR_AVERROR_DECODER_NOT_FOUND) {
            throw VideoIOError.noVideoStream(path: path)
        }
        if ret < 0 {
            throw VideoIOError.decoderFailed(path: path, code: ret, message: ffErrorString(ret))
        }
        streamIndex = ret
        let stream = fmt.pointee.streams[Int(ret)]!
        let par = stream.pointee.codecpar!
        streamTimeBase = stream.pointee.time_base
        formatName = fmt.pointee.iformat.map { String(cString: $0.pointee.name) } ?? "unknown"
        codecName = String(cString: avcodec_get_name(par.pointee.codec_id))
        sourceWidth = Int(par.pointee.width)
        sourceHeight = Int(par.pointee.height)
        // Discard packets of every other stream inside the demuxer where it supports that.
        for i in 0..<Int(fmt.pointee.nb_streams) where i != Int(ret) {
            fmt.pointee.streams[i]!.pointee.discard = AVDISCARD_ALL
        }

        let avg = stream.pointee.avg_frame_rate
        let rRate = stream.pointee.r_frame_rate
        streamFrameRate = isValidRate(avg) ? avg : rRate
        frameRate = isValidRate(streamFrameRate) ? seconds(streamFrameRate) : nil
        if stream.pointee.start_time != EQR_AV_NOPTS_VALUE {
            startSeconds = Double(stream.pointee.start_time) * seconds(streamTimeBase)
        } else {
            startSeconds = 0
        }
        if stream.pointee.duration != EQR_AV_NOPTS_VALUE && stream.pointee.duration > 0 {
            duration = Double(stream.pointee.duration) * seconds(streamTimeBase)
        } else if fmt.pointee.duration != EQR_AV_NOPTS_VALUE && fmt.pointee.duration > 0 {
            duration = Double(fmt.pointee.duration) / Double(AV_TIME_BASE)
        } else {
            duration = nil
        }
        frameCount = stream.pointee.nb_frames > 0 ? Int(stream.pointee.nb_frames) : nil

        decoder = avcodec_alloc_context3(codec)
        guard let dec = decoder else {
            throw VideoIOError.decoderFailed(path: path, code: EQR_AVERROR_ENOMEM, message: ffErrorString(EQR_AVERROR_ENOMEM))
        }
        ret = avcodec_parameters_to_context(dec, par)
        if ret < 0 { throw VideoIOError.decoderFailed(path: path, code: ret, message: ffErrorString(ret)) }
        dec.pointee.pkt_timebase = streamTimeBase
        dec.pointee.thread_count = Int32(max(0, threads))
        ret = avcodec_open2(dec, codec, nil)
        if ret < 0 { throw VideoIOError.decoderFailed(path: path, code: ret, message: ffErrorString(ret)) }

        width = size?.width ?? sourceWidth
        height = size?.height ?? sourceHeight
        // Build the graph now when the stream says enough, so that filter errors surface here;
        // otherwise it is built from the first decoded frame.
        if par.pointee.width > 0 && par.pointee.height > 0 && par.pointee.format >= 0 {
            let sar = par.pointee.sample_aspect_ratio
            try rebuildGraph(FilterInput(
                width: par.pointee.width, height: par.pointee.height,
                pixelFormat: AVPixelFormat(rawValue: par.pointee.format),
                timeBase: streamTimeBase, sampleAspect: sar, frameRate: streamFrameRate))
        } else if let chain = filter, !chain.trimmingWhitespace().isEmpty {
            for name in FilterGraph.filterNames(in: chain) where avfilter_get_by_name(name) == nil {
                throw VideoIOError.unknownFilter(name: name, chain: chain)
            }
        }
    }

    /// Opens a libavfilter source as input, e.g. `"testsrc2=size=640x480:rate=25:duration=2"`,
    /// `"color=c=red:size=64x64:rate=10:duration=1"` or `"mandelbrot=size=320x240:rate=25"`
    /// (what `ffmpeg -f lavfi -i ...` reads). Sources without a duration never end.
    /// - Parameters:
    ///   - generator: a source filter, optionally followed by more filters.
    ///   - size: the size of the returned frames; nil keeps the generated size.
    ///   - filter: a filter chain applied after the generator, before resizing.
    ///   - scaling: the resampling algorithm used to reach `size`.
    public convenience init(generator: String, size: (width: Int, height: Int)? = nil,
                            filter: String? = nil, scaling: ScaleAlgorithm = .bicubic) throws {
        try self.init(generatorChain: generator, size: size, filter: filter, scaling: scaling)
    }

    private init(generatorChain generator: String, size: (width: Int, height: Int)?, filter: String?,
                 scaling: ScaleAlgorithm) throws {
        path = "lavfi:" + generator
        userFilter = nil
        threads = 0
        tail = try VideoReader.makeTail(size: size, scaling: scaling)
        packet = nil
        decoded = nil
        filtered = av_frame_alloc()
        guard filtered != nil else {
            throw VideoIOError.openFailed(path: path, code: EQR_AVERROR_ENOMEM, message: ffErrorString(EQR_AVERROR_ENOMEM))
        }
        var chain = generator.trimmingWhitespace()
        if let f = filter?.trimmingWhitespace(), !f.isEmpty { chain += "," + f }
        guard !chain.isEmpty else { throw VideoIOError.invalidArgument("empty generator") }
        let g = try FilterGraph(input: nil, chain: chain, tail: tail)
        graph = g
        streamIndex = -1
        streamTimeBase = g.outputTimeBase
        streamFrameRate = g.outputFrameRate
        startSeconds = 0
        sourceWidth = g.outputWidth
        sourceHeight = g.outputHeight
        width = g.outputWidth
        height = g.outputHeight
        frameRate = isValidRate(g.outputFrameRate) ? seconds(g.outputFrameRate) : nil
        duration = nil
        frameCount = nil
        codecName = "rawvideo"
        formatName = "lavfi"
        demuxerEnded = true
        graphInputEnded = true
    }

    deinit {
        graph = nil
        avcodec_free_context(&decoder)
        avformat_close_input(&formatContext)
        av_packet_free(&packet)
        av_frame_free(&decoded)
        av_frame_free(&filtered)
        thumbnailGraph = nil
        av_frame_free(&thumbnailFrame)
    }

    private static func makeTail(size: (width: Int, height: Int)?, scaling: ScaleAlgorithm) throws -> [FilterStep] {
        var steps: [FilterStep] = []
        if let s = size {
            guard s.width > 0, s.height > 0, s.width <= 16384, s.height <= 16384 else {
                throw VideoIOError.invalidArgument("output size \(s.width)x\(s.height) out of range")
            }
            steps.append(FilterStep(name: "scale", arguments: "w=\(s.width):h=\(s.height):flags=\(scaling.rawValue)"))
        }
        steps.append(FilterStep(name: "format", arguments: "pix_fmts=rgb24"))
        return steps
    }

    private func rebuildGraph(_ input: FilterInput) throws {
        graph = nil
        let g = try FilterGraph(input: input, chain: userFilter, tail: tail, threads: 1)
        graph = g
        width = g.outputWidth
        height = g.outputHeight
        let rate = g.outputFrameRate
        if isValidRate(rate) { frameRate = seconds(rate) }
        graphInputEnded = false
        try rebuildThumbnailGraph()
    }

    /// The thumbnail graph for the main graph's input and output size (none without a
    /// ``thumbnailSize`` or for a generator).
    private func rebuildThumbnailGraph() throws {
        thumbnailGraph = nil
        pendingThumbnails = []
        if let input = graph?.input, let size = thumbnailSize?(width, height) {
            guard size.width > 0, size.height > 0, size.width <= 16384, size.height <= 16384 else {
                throw VideoIOError.invalidArgument("thumbnail size \(size.width)x\(size.height) out of range")
            }
            if thumbnailFrame == nil { thumbnailFrame = av_frame_alloc() }
            guard thumbnailFrame != nil else {
                throw VideoIOError.openFailed(path: path, code: EQR_AVERROR_ENOMEM, message: ffErrorString(EQR_AVERROR_ENOMEM))
            }
            thumbnailGraph = try FilterGraph(input: input, chain: userFilter, tail: [
                FilterStep(name: "scale", arguments: "w=\(size.width):h=\(size.height):flags=bicubic"),
                FilterStep(name: "format", arguments: "pix_fmts=rgb24"),
            ], threads: 1)
        }
    }

    /// Passes a decoded frame (nil: the end) through the thumbnail graph, keeping what it
    /// yields for the frames the main graph yields.
    private func pushThumbnail(_ decodedFrame: UnsafeMutablePointer<AVFrame>?) throws {
        guard let thumbnails = thumbnailGraph, let out = thumbnailFrame else { return }
        if let decodedFrame {
            var copy = av_frame_clone(decodedFrame)
            guard copy != nil else { throw VideoIOError.decodeFailed(path: path, code: EQR_AVERROR_ENOMEM, message: ffErrorString(EQR_AVERROR_ENOMEM)) }
            defer { av_frame_free(&copy) }
            try thumbnails.push(copy)
        } else {
            try thumbnails.push(nil)
        }
        while try thumbnails.pull(into: out) == .frame {
            let frame = makeFrame(fromRGB24: out, timestamp: 0, index: 0)
            av_frame_unref(out)
            pendingThumbnails.append(Thumbnail(width: frame.width, height: frame.height, rgb8: frame.rgb8))
        }
    }

    /// Decodes, filters and returns the next frame, or nil at the end of the input.
    /// - Throws: ``VideoIOError/noFrames(path:)`` when the input ends without a single frame;
    ///   `decodeFailed` for read errors other than corrupt data; `filterFailed` when the chain
    ///   fails on a frame (e.g. a crop larger than the frame).
    public func next() throws -> Frame? {
        if ended { return nil }
        while true {
            if let g = graph {
                switch try g.pull(into: filtered!) {
                case .frame:
                    if let frame = takeFilteredFrame() { return frame }
                    continue
                case .endOfStream:
                    return try finishStream()
                case .needInput:
                    if graphInputEnded { return try finishStream() }
                }
            }
            if try decodeOne() {
                let f = decoded!
                if f.pointee.best_effort_timestamp != EQR_AV_NOPTS_VALUE {
                    f.pointee.pts = f.pointee.best_effort_timestamp
                }
                let input = graph?.input
                if input == nil || input!.width != f.pointee.width || input!.height != f.pointee.height
                    || input!.pixelFormat.rawValue != f.pointee.format {
                    // First frame, or the stream changed size/format mid-way.
                    try rebuildGraph(FilterInput(
                        width: f.pointee.width, height: f.pointee.height,
                        pixelFormat: AVPixelFormat(rawValue: f.pointee.format),
                        timeBase: streamTimeBase, sampleAspect: f.pointee.sample_aspect_ratio,
                        frameRate: streamFrameRate))
                }
                try pushThumbnail(f)
                try graph!.push(f)
                av_frame_unref(f)
            } else if let g = graph {
                if graphInputEnded { return try finishStream() }
                try pushThumbnail(nil)
                try g.push(nil)
                graphInputEnded = true
            } else {
                return try finishStream()
            }
        }
    }

    private func finishStream() throws -> Frame? {
        ended = true
        if !producedAny { throw VideoIOError.noFrames(path: path) }
        return nil
    }

    /// Converts the filtered frame to a ``Frame``; nil when it falls before a seek target.
    private func takeFilteredFrame() -> Frame? {
        let f = filtered!
        defer { av_frame_unref(f) }
        let thumbnail = pendingThumbnails.isEmpty ? nil : pendingThumbnails.removeFirst()
        var t: Double
        if f.pointee.pts != EQR_AV_NOPTS_VALUE {
            t = Double(f.pointee.pts) * seconds(graph!.outputTimeBase) - startSeconds
        } else if let r = frameRate, r > 0 {
            t = Double(nextIndex) / r
        } else {
            t = 0
        }
        if t.isNaN || t.isInfinite { t = 0 }
        if let target = skipBefore {
            if t < target { return nil }
            skipBefore = nil
        }
        if resyncIndex {
            resyncIndex = false
            if let r = frameRate, r > 0 { nextIndex = Int(saturating: (t * r).rounded()) }
        }
        var frame = makeFrame(fromRGB24: f, timestamp: t, index: nextIndex)
        frame.thumbnail = thumbnail
        nextIndex += 1
        framesRead += 1
        producedAny = true
        return frame
    }

    /// Gets the next decoded frame into `decoded`; false when the decoder is fully drained.
    private func decodeOne() throws -> Bool {
        guard let dec = decoder, let fmt = formatContext, let pkt = packet, let frame = decoded else { return false }
        while true {
            let r = avcodec_receive_frame(dec, frame)
            if r >= 0 { return true }
            if r == EQR_AVERROR_EOF { return false }
            if r != EQR_AVERROR_EAGAIN {
                if r == EQR_AVERROR_ENOMEM {
                    throw VideoIOError.decodeFailed(path: path, code: r, message: ffErrorString(r))
                }
                corruptPacketCount += 1
                if demuxerEnded { return false }
            }
            if demuxerEnded { return false }
            let rr = av_read_frame(fmt, pkt)
            if rr < 0 {
                if rr != EQR_AVERROR_EOF && rr != EQR_AVERROR_INVALIDDATA {
                    throw VideoIOError.decodeFailed(path: path, code: rr, message: ffErrorString(rr))
                }
                if rr == EQR_AVERROR_INVALIDDATA { corruptPacketCount += 1 }
                demuxerEnded = true
                _ = avcodec_send_packet(dec, nil)
                continue
            }
            defer { av_packet_unref(pkt) }
            if pkt.pointee.stream_index != streamIndex { continue }
            let s = avcodec_send_packet(dec, pkt)
            if s < 0 && s != EQR_AVERROR_EAGAIN {
                if s == EQR_AVERROR_ENOMEM {
                    throw VideoIOError.decodeFailed(path: path, code: s, message: ffErrorString(s))
                }
                corruptPacketCount += 1
            }
        }
    }

    /// Moves to the first frame at or after `time` seconds (from the start of the input).
    /// Seeks to the preceding keyframe and decodes forward, so it costs at most one GOP.
    /// Filters with memory (e.g. `tmix`) restart. Not available for generators.
    public func seek(to time: Double) throws {
        guard let fmt = formatContext, let dec = decoder else {
            throw VideoIOError.invalidArgument("a generator input cannot seek")
        }
        guard time.isFinite, time >= 0 else { throw VideoIOError.invalidArgument("seek time \(time)") }
        let tb = seconds(streamTimeBase)
        guard tb > 0 else { throw VideoIOError.invalidArgument("stream has no time base") }
        let target = Int64(((time + startSeconds) / tb).rounded(.down))
        let ret = avformat_seek_file(fmt, streamIndex, Int64.min, target, target, 0)
        if ret < 0 { throw VideoIOError.decodeFailed(path: path, code: ret, message: ffErrorString(ret)) }
        avcodec_flush_buffers(dec)
        demuxerEnded = false
        ended = false
        if let input = graph?.input { try rebuildGraph(input) }
        let halfFrame = frameRate.map { 0.5 / $0 } ?? 0.0005
        skipBefore = time - halfFrame
        resyncIndex = true
    }
}
