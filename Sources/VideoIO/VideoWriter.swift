import CFFmpeg
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Encodes RGB ``Frame``s into a video file or an image sequence.
///
/// - **Video** (any path whose extension names a container: `.mp4`, `.mkv`, `.mov`, `.avi`,
///   ...): H.264 via libx264 when this FFmpeg has it and the container takes it, else MPEG-4
///   part 2; `yuv420p`; the frame rate given. Encoder name and AVOptions pass through like
///   `ffmpeg -c:v NAME -crf 20 -b:v 2M -preset fast` → `codec: "libx264", options: ["crf":
///   "20", "b:v": "2M", "preset": "fast"]`. The file is written under a hidden temporary name
///   in the same directory (`.name.<pid>-<n>.part`) and renamed to `path` by ``finish()``.
/// - **Image sequence** (a path with a `%d`-style number pattern, e.g. `out/%04d.png`): one
///   PNG/JPEG/BMP/TIFF/PPM per frame via ``ImageFile``, each written atomically, numbered from
///   `start_number` (default 1, as `ffmpeg`).
///
/// Frames pass through libavfilter before encoding: `buffer(rgb24) → [scale to outputSize] →
/// [filter] → format=<pix_fmt> → encoder`, so resizing (e.g. model resolution back to the
/// video's), a post-chain in `-vf` syntax running at output resolution, and the RGB → YUV
/// conversion are all libavfilter/libswscale. (Mirror of ``VideoReader``, whose chain runs at
/// source resolution before resizing to the model.)
///
/// On any error, on ``cancel()``, or when the writer is released without ``finish()``, the
/// temporary file (or the images written so far) is deleted: nothing partial is left under
/// the final name.
///
/// The muxer is set up in one place before its header is written, and every packet reaches
/// it through one function; adding a stream-copied audio track later means adding its
/// stream there and forwarding its packets through the same path.
public final class VideoWriter {
    /// The final output path (or image-sequence pattern).
    public let path: String
    /// Width of the frames passed to ``write(_:)``.
    public let width: Int
    /// Height of the frames passed to ``write(_:)``.
    public let height: Int
    /// Width of the encoded video (after the filter chain and `outputSize`).
    public private(set) var outputWidth: Int = 0
    /// Height of the encoded video (after the filter chain and `outputSize`).
    public private(set) var outputHeight: Int = 0
    /// The frame rate of the input frames, frames per second.
    public let frameRate: Double
    /// The encoder in use (e.g. `"libx264"`, `"mpeg4"`, `"png"`).
    public private(set) var encoderName: String = ""
    /// The pixel format encoded (e.g. `"yuv420p"`).
    public private(set) var pixelFormat: String = ""
    /// Whether the output is an image sequence (the path has a `%d` pattern).
    public let isImageSequence: Bool
    /// Frames accepted by ``write(_:)`` so far.
    public private(set) var framesWritten = 0
    /// The pixels ``write(_:)-(PixelBuffer)`` takes: RGB24, or YUV 4:2:0 when asked for and
    /// the encoder takes it (``write(_:)-(Frame)`` always takes RGB frames).
    public private(set) var inputLayout: PixelLayout = .rgb8

    private enum State { case open, finished, closed }
    private var state = State.open
    private let temporaryPath: String
    private var graph: FilterGraph?
    private var inputFrame: UnsafeMutablePointer<AVFrame>?
    private var filteredFrame: UnsafeMutablePointer<AVFrame>?
    // Video mode.
    private var formatContext: UnsafeMutablePointer<AVFormatContext>?
    private var encoder: UnsafeMutablePointer<AVCodecContext>?
    private var stream: UnsafeMutablePointer<AVStream>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var packetsWritten = 0
    private var audio: AudioPassthrough?
    private var fileOpened = false
    // Image-sequence mode.
    private var imageEncoder: String?
    private var imageOptions: [String: String] = [:]
    private var nextImageNumber = 1
    private var imagesWritten: [String] = []

    /// Opens an output for writing.
    /// - Parameters:
    ///   - path: the output file (extension picks the container) or an image-sequence pattern.
    ///   - width: width of the frames that will be written.
    ///   - height: height of the frames that will be written.
    ///   - frameRate: frames per second (e.g. 25, 29.97).
    ///   - codec: encoder name (`-c:v`), e.g. `"libx264"`, `"mpeg4"`, `"libx264rgb"`, `"ffv1"`;
    ///     nil picks ``VideoIO/defaultVideoEncoder`` when the container takes it, else the
    ///     container's default. For image sequences, the image encoder (default from the
    ///     extension).
    ///   - options: encoder AVOptions, `ffmpeg`-style keys: `crf`, `b:v`, `preset`, `g`,
    ///     `pix_fmt`, `q:v`, `x264-params`, ... An option the encoder does not use is an error.
    ///     For image sequences `start_number` sets the first number.
    ///   - filter: a filter chain in `-vf` syntax applied after resizing, before encoding; it
    ///     may change the size (the encoded size is what the chain outputs).
    ///   - outputSize: resize the frames to this size first.
    ///   - scaling: the resampling algorithm for `outputSize`.
    ///   - containerFormat: force a muxer by name (`ffmpeg -f`), e.g. `"matroska"`.
    ///   - muxerOptions: muxer AVOptions, e.g. `["movflags": "+faststart"]`.
    ///   - audioSource: copy this file's audio stream (if it has one) into the output without
    ///     re-encoding, interleaved with the video and cut where the video ends.
    ///   - audioSkipping: seconds of that audio to drop first (the video started there, `-ss`).
    ///   - withAlpha: take RGBA pixels and keep their alpha: the encoder's pixel format must
    ///     have an alpha channel (VP9 `yuva420p`, ProRes 4444, PNG, FFV1, QuickTime RLE…);
    ///     one without throws `invalidArgument` naming encoders that have one (image
    ///     sequences: PNG, TIFF).
    ///   - acceptsYUV420: take YUV 4:2:0 pixels (``write(_:)-(PixelBuffer)``) when the encoder
    ///     encodes YUV 4:2:0 and nothing resizes before it, so no full-size RGB → YUV conversion
    ///     runs; ``inputLayout`` says what was chosen.
    /// - Throws: ``VideoIOError`` — `invalidArgument`, `unknownOutputFormat`,
    ///   `encoderNotFound`, `invalidEncoderOption`, `encodeFailed`, `unknownFilter`,
    ///   `filterFailed`, `outputOpenFailed`, `writeFailed`.
    public init(path: String, width: Int, height: Int, frameRate: Double, codec: String? = nil,
                options: [String: String] = [:], filter: String? = nil,
                outputSize: (width: Int, height: Int)? = nil, scaling: ScaleAlgorithm = .bicubic,
                containerFormat: String? = nil, muxerOptions: [String: String] = [:], audioFrom audioSource: String? = nil,
                audioSkipping: Double = 0, acceptsYUV420: Bool = false, withAlpha: Bool = false) throws {
        self.path = path
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.temporaryPath = makeTemporaryPath(besides: path)
        self.isImageSequence = containerFormat == nil && av_filename_number_test(path) != 0
        guard width > 0, height > 0, width <= 16384, height <= 16384 else {
            throw VideoIOError.invalidArgument("frame size \(width)x\(height) out of range")
        }
        guard frameRate.isFinite, frameRate > 0, frameRate <= 1000 else {
            throw VideoIOError.invalidArgument("frame rate \(frameRate) out of range")
        }
        if let s = outputSize, s.width <= 0 || s.height <= 0 || s.width > 16384 || s.height > 16384 {
            throw VideoIOError.invalidArgument("output size \(s.width)x\(s.height) out of range")
        }
        inputFrame = av_frame_alloc()
        filteredFrame = av_frame_alloc()
        guard inputFrame != nil, filteredFrame != nil else {
            throw VideoIOError.encodeFailed(encoder: codec ?? "", code: EQR_AVERROR_ENOMEM, message: ffErrorString(EQR_AVERROR_ENOMEM))
        }
        var head: [FilterStep] = []
        if let s = outputSize {
            head.append(FilterStep(name: "scale", arguments: "w=\(s.width):h=\(s.height):flags=\(scaling.rawValue)"))
        }
        let rate = rational(fromFrameRate: frameRate)
        let input = FilterInput(width: Int32(width), height: Int32(height), pixelFormat: withAlpha ? AV_PIX_FMT_RGBA : AV_PIX_FMT_RGB24,
                                timeBase: AVRational(num: rate.den, den: rate.num),
                                sampleAspect: AVRational(num: 1, den: 1), frameRate: rate)
        do {
            if isImageSequence {
                if let source = audioSource, try AudioPassthrough.open(path: source) != nil {
                    throw VideoIOError.invalidArgument("\(source) has audio, which an image sequence cannot carry (drop it with -an)")
                }
                try openImageSequence(input: input, head: head, filter: filter, codec: codec, options: options, withAlpha: withAlpha)
            } else {
                audio = try audioSource.flatMap { try AudioPassthrough.open(path: $0, skipping: audioSkipping) }
                try openVideo(input: input, head: head, filter: filter, codec: codec, options: options, acceptsYUV420: acceptsYUV420 && outputSize == nil && !withAlpha,
                              containerFormat: containerFormat, muxerOptions: muxerOptions, withAlpha: withAlpha)
            }
        } catch {
            discard()
            throw error
        }
    }

    deinit {
        if state == .open { discard() }
        releaseResources()
    }

    // MARK: - Setup

    private func openImageSequence(input: FilterInput, head: [FilterStep], filter: String?,
                                   codec: String?, options: [String: String], withAlpha: Bool) throws {
        var opts = options
        if let start = opts.removeValue(forKey: "start_number") {
            guard let n = Int(start), n >= 0 else { throw VideoIOError.invalidArgument("start_number=\(start)") }
            nextImageNumber = n
        }
        let name = try codec ?? ImageFile.encoderName(forPath: path)
        let encoder = try findVideoEncoder(name)
        // An image format without alpha fails now, not at the first frame.
        if withAlpha { _ = try choosePixelFormatWithAlpha(for: encoder, requested: try EncoderOptions(opts).pixelFormat) }
        imageEncoder = name
        imageOptions = opts
        encoderName = name
        // The directory must exist and be writable now, not at the first frame.
        let dir = splitPath(path).directory
        if access(dir, W_OK) != 0 {
            let code = averrorFromErrno()
            throw VideoIOError.outputOpenFailed(path: path, code: code, message: ffErrorString(code))
        }
        pixelFormat = withAlpha ? "rgba" : "rgb24"
        let g = try FilterGraph(input: input, head: head, chain: filter, tail: [FilterStep(name: "format", arguments: "pix_fmts=\(pixelFormat)")])
        graph = g
        outputWidth = g.outputWidth
        outputHeight = g.outputHeight
        if withAlpha { inputLayout = .rgba8 }
    }

    private func openVideo(input: FilterInput, head: [FilterStep], filter: String?, codec: String?,
                           options: [String: String], acceptsYUV420: Bool, containerFormat: String?,
                           muxerOptions: [String: String], withAlpha: Bool) throws {
        guard let oformat = av_guess_format(containerFormat, path, nil) else {
            if let name = containerFormat { throw VideoIOError.invalidArgument("unknown container format '\(name)'") }
            throw VideoIOError.unknownOutputFormat(path: path)
        }
        let muxerName = String(cString: oformat.pointee.name)
        if muxerName == "image2" || muxerName == "image2pipe" {
            throw VideoIOError.invalidArgument(
                "\(path): a single image path; use ImageFile.write, or a %d pattern for an image sequence")
        }
        var encOptions = try EncoderOptions(options)
        // With alpha and no encoder named: the container's usual encoder with alpha.
        let alphaDefaults = ["webm": "libvpx-vp9", "mov": "prores_ks", "matroska": "ffv1", "nut": "ffv1", "avi": "ffv1"]
        if withAlpha && codec == nil && alphaDefaults[muxerName] == nil {
            throw VideoIOError.invalidArgument("\(path): the \(muxerName) container has no usual encoder with alpha; write .webm (VP9), .mov (ProRes 4444) or .mkv (FFV1), or name one with -c:v")
        }
        let codecPointer = try pickEncoder(codec ?? (withAlpha ? alphaDefaults[muxerName] : nil), for: oformat)
        encoderName = String(cString: codecPointer.pointee.name)
        let pixFmt = withAlpha ? try choosePixelFormatWithAlpha(for: codecPointer, requested: encOptions.pixelFormat)
            : try choosePixelFormat(for: codecPointer, requested: encOptions.pixelFormat, preferred: AV_PIX_FMT_YUV420P)
        pixelFormat = pixelFormatName(pixFmt)
        var input = input
        if acceptsYUV420 && pixFmt == AV_PIX_FMT_YUV420P {
            input.pixelFormat = AV_PIX_FMT_YUV420P
            inputLayout = .yuv420p
        } else if withAlpha {
            inputLayout = .rgba8
        }

        let g = try FilterGraph(input: input, head: head, chain: filter,
                                tail: [FilterStep(name: "format", arguments: "pix_fmts=\(pixelFormat)")])
        graph = g
        outputWidth = g.outputWidth
        outputHeight = g.outputHeight
        try checkSubsampling(pixFmt, width: outputWidth, height: outputHeight)

        // Encoder.
        guard let enc = avcodec_alloc_context3(codecPointer), let pkt = av_packet_alloc() else {
            throw VideoIOError.encodeFailed(encoder: encoderName, code: EQR_AVERROR_ENOMEM, message: ffErrorString(EQR_AVERROR_ENOMEM))
        }
        encoder = enc
        packet = pkt
        var rate = g.outputFrameRate
        if !isValidRate(rate) { rate = input.frameRate }
        enc.pointee.width = Int32(outputWidth)
        enc.pointee.height = Int32(outputHeight)
        enc.pointee.pix_fmt = pixFmt
        enc.pointee.time_base = AVRational(num: rate.den, den: rate.num)
        enc.pointee.framerate = rate
        enc.pointee.sample_aspect_ratio = AVRational(num: 1, den: 1)
        enc.pointee.thread_count = 0
        tagColor(enc, format: pixFmt)
        if oformat.pointee.flags & AVFMT_GLOBALHEADER != 0 {
            enc.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER
        }
        let fixedQuantiserCodecs = ["mpeg4", "mpeg2video", "mpeg1video", "mjpeg", "msmpeg4", "msmpeg4v2", "h263p"]
        if !encOptions.hasRateControl && fixedQuantiserCodecs.contains(encoderName) {
            // FFmpeg's default for these is 200 kb/s, far too low for anything useful.
            encOptions.qscale = 3
        }
        try encOptions.open(enc, codec: codecPointer, encoderName: encoderName)

        // Muxer: the one place streams are added before the header (see the type's doc).
        var ctx: UnsafeMutablePointer<AVFormatContext>? = nil
        var ret = avformat_alloc_output_context2(&ctx, oformat, nil, temporaryPath)
        guard ret >= 0, let fmt = ctx else {
            throw VideoIOError.outputOpenFailed(path: path, code: ret, message: ffErrorString(ret))
        }
        formatContext = fmt
        guard let st = avformat_new_stream(fmt, nil) else {
            throw VideoIOError.outputOpenFailed(path: path, code: EQR_AVERROR_ENOMEM, message: ffErrorString(EQR_AVERROR_ENOMEM))
        }
        stream = st
        ret = avcodec_parameters_from_context(st.pointee.codecpar, enc)
        if ret < 0 { throw VideoIOError.encodeFailed(encoder: encoderName, code: ret, message: ffErrorString(ret)) }
        st.pointee.time_base = enc.pointee.time_base
        st.pointee.avg_frame_rate = rate
        try audio?.addStream(to: fmt)

        if oformat.pointee.flags & AVFMT_NOFILE == 0 {
            ret = avio_open(&fmt.pointee.pb, temporaryPath, AVIO_FLAG_WRITE)
            if ret < 0 {
                throw VideoIOError.outputOpenFailed(path: path, code: ret, message: ffErrorString(ret))
            }
            fileOpened = true
        }
        var dict = makeDictionary(muxerOptions)
        defer { av_dict_free(&dict) }
        ret = avformat_write_header(fmt, &dict)
        if ret < 0 { throw VideoIOError.writeFailed(path: path, code: ret, message: ffErrorString(ret)) }
        if let (key, value) = dictionaryEntries(dict).first {
            throw VideoIOError.invalidArgument("muxer \(muxerName) does not take option \(key)=\(value)")
        }
    }

    private func pickEncoder(_ name: String?, for oformat: UnsafePointer<AVOutputFormat>) throws -> UnsafePointer<AVCodec> {
        if let name = name { return try findVideoEncoder(name) }
        for candidate in ["libx264", "mpeg4"] {
            if let c = avcodec_find_encoder_by_name(candidate),
               avformat_query_codec(oformat, c.pointee.id, FF_COMPLIANCE_NORMAL) != 0 {
                return c
            }
        }
        let id = oformat.pointee.video_codec
        guard id != AV_CODEC_ID_NONE, let c = avcodec_find_encoder(id) else {
            throw VideoIOError.encoderNotFound(name: "default for \(String(cString: oformat.pointee.name))")
        }
        return c
    }

    // MARK: - Writing

    /// Encodes one frame. Its size must be `width × height`.
    /// - Throws: ``VideoIOError`` — `frameSizeMismatch`, `writerClosed`, `filterFailed`,
    ///   `encodeFailed`, `writeFailed`, `outputOpenFailed`. After an error (other than a size
    ///   mismatch) the writer is closed and its partial output removed.
    public func write(_ frame: Frame) throws {
        guard inputLayout == .rgb8 else { throw VideoIOError.invalidArgument("this writer takes \(inputLayout) pixels; write a PixelBuffer") }
        try frame.withPixelBuffer { try write($0) }
    }

    /// Encodes one frame of pixels in ``inputLayout`` (a packed RGB24 buffer or a YUV 4:2:0
    /// one); its size must be `width × height`. Errors as for ``write(_:)-(Frame)``.
    public func write(_ pixels: PixelBuffer) throws {
        guard state == .open else { throw VideoIOError.writerClosed(path: path) }
        guard pixels.width == width, pixels.height == height else {
            throw VideoIOError.frameSizeMismatch(expectedWidth: width, expectedHeight: height,
                                                 width: pixels.width, height: pixels.height)
        }
        guard pixels.layout == inputLayout else { throw VideoIOError.invalidArgument("this writer takes \(inputLayout) pixels, got \(pixels.layout)") }
        try pixels.validate()
        do {
            let ret = fill(inputFrame!, from: pixels, pts: Int64(framesWritten))
            if ret < 0 { throw VideoIOError.encodeFailed(encoder: encoderName, code: ret, message: ffErrorString(ret)) }
            try graph!.push(inputFrame!)
            framesWritten += 1
            try drainGraph()
            try audio?.copy(upTo: Double(framesWritten) / frameRate) { try writePacket($0) }
        } catch {
            discard()
            throw error
        }
    }

    /// Flushes the encoder, completes the file and renames it to ``path`` (for image
    /// sequences: completes the remaining images).
    /// - Throws: ``VideoIOError/noFrames(path:)`` when no frame was written (nothing is
    ///   created), `writeFailed` when the trailer or rename fails (nothing is left under the
    ///   final name), `writerClosed` when already finished.
    public func finish() throws {
        guard state == .open else { throw VideoIOError.writerClosed(path: path) }
        do {
            try graph!.push(nil)
            try drainGraph()
            if isImageSequence {
                if imagesWritten.isEmpty { throw VideoIOError.noFrames(path: path) }
            } else {
                try send(nil)
                if packetsWritten == 0 { throw VideoIOError.noFrames(path: path) }
                try audio?.copy(upTo: Double(framesWritten) / frameRate) { try writePacket($0) }
                try completeOutput(formatContext!, fileOpened: &fileOpened, temporary: temporaryPath, path: path)
            }
            state = .finished
            releaseResources()
        } catch {
            discard()
            throw error
        }
    }

    /// Abandons the output: deletes the temporary file (or the images written so far).
    /// Calling it after ``finish()`` does nothing.
    public func cancel() {
        if state == .open { discard() }
    }

    private func drainGraph() throws {
        guard let g = graph, let f = filteredFrame else { return }
        while try g.pull(into: f) == .frame {
            defer { av_frame_unref(f) }
            if isImageSequence {
                try writeImage(f)
            } else {
                if f.pointee.pts != EQR_AV_NOPTS_VALUE {
                    f.pointee.pts = av_rescale_q(f.pointee.pts, g.outputTimeBase, encoder!.pointee.time_base)
                }
                f.pointee.pict_type = AV_PICTURE_TYPE_NONE
                try send(f)
            }
        }
    }

    /// Sends a frame (nil: flush) to the encoder and writes every packet it returns.
    private func send(_ frame: UnsafeMutablePointer<AVFrame>?) throws {
        guard let enc = encoder, let pkt = packet else { return }
        var ret = avcodec_send_frame(enc, frame)
        if ret < 0 && ret != EQR_AVERROR_EOF {
            throw VideoIOError.encodeFailed(encoder: encoderName, code: ret, message: ffErrorString(ret))
        }
        while true {
            ret = avcodec_receive_packet(enc, pkt)
            if ret == EQR_AVERROR_EAGAIN || ret == EQR_AVERROR_EOF { return }
            if ret < 0 { throw VideoIOError.encodeFailed(encoder: encoderName, code: ret, message: ffErrorString(ret)) }
            av_packet_rescale_ts(pkt, enc.pointee.time_base, stream!.pointee.time_base)
            pkt.pointee.stream_index = stream!.pointee.index
            try writePacket(pkt)
        }
    }

    /// The single path by which packets reach the muxer (takes the packet's reference).
    private func writePacket(_ pkt: UnsafeMutablePointer<AVPacket>) throws {
        let ret = av_interleaved_write_frame(formatContext!, pkt)
        if ret < 0 { throw VideoIOError.writeFailed(path: path, code: ret, message: ffErrorString(ret)) }
        packetsWritten += 1
    }

    private func writeImage(_ f: UnsafeMutablePointer<AVFrame>) throws {
        var buffer = [CChar](repeating: 0, count: 4096)
        let ret = av_get_frame_filename2(&buffer, Int32(buffer.count), path, Int32(nextImageNumber), 0)
        if ret < 0 { throw VideoIOError.invalidArgument("cannot number \(path)") }
        let name = String(cString: buffer)
        // The filtered frame as it is (RGB24, or RGBA with its alpha), no copy.
        let pixels = PixelBuffer(base: UnsafeMutableRawPointer(f.pointee.data.0!), width: Int(f.pointee.width), height: Int(f.pointee.height),
                                 stride: Int(f.pointee.linesize.0), layout: inputLayout == .rgba8 ? .rgba8 : .rgb8)
        try ImageFile.write(pixels: pixels, to: name, codec: imageEncoder, options: imageOptions)
        imagesWritten.append(name)
        nextImageNumber += 1
    }

    // MARK: - Cleanup

    /// Closes everything and removes partial output.
    private func discard() {
        state = .closed
        if let fmt = formatContext, fileOpened {
            avio_closep(&fmt.pointee.pb)
            fileOpened = false
        }
        unlink(temporaryPath)
        for name in imagesWritten { unlink(name) }
        imagesWritten.removeAll()
        releaseResources()
    }

    private func releaseResources() {
        graph = nil
        audio = nil
        if let fmt = formatContext {
            if fileOpened { avio_closep(&fmt.pointee.pb); fileOpened = false }
            avformat_free_context(fmt)
            formatContext = nil
        }
        stream = nil
        avcodec_free_context(&encoder)
        av_packet_free(&packet)
        av_frame_free(&inputFrame)
        av_frame_free(&filteredFrame)
    }
}
