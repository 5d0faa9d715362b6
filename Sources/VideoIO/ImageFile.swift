import CFFmpeg

/// Single image files read and written through FFmpeg's codecs (PNG, JPEG, BMP, TIFF, PPM;
/// reading takes anything FFmpeg decodes, including the first frame of a video).
public enum ImageFile {
    /// Reads an image (or the first frame of any input FFmpeg reads) as an RGB24 frame.
    /// - Parameters:
    ///   - path: the image file.
    ///   - size: resize to this size; nil keeps the image's size.
    ///   - filter: a filter chain in `-vf` syntax applied before resizing.
    ///   - scaling: the resampling algorithm for `size`.
    /// - Throws: the errors of ``VideoReader`` (`fileNotFound`, `openFailed`, `noFrames`, ...).
    public static func read(path: String, size: (width: Int, height: Int)? = nil, filter: String? = nil,
                            scaling: ScaleAlgorithm = .bicubic) throws -> Frame {
        // `pattern_type=none`: a '%' in the file name is a character, not a sequence pattern.
        let reader = try VideoReader(path: path, size: size, filter: filter, scaling: scaling,
                                     options: ["pattern_type": "none"], threads: 1)
        guard let frame = try reader.next() else { throw VideoIOError.noFrames(path: path) }
        return frame
    }

    /// Writes a frame as an image; the format follows the extension (`.png`, `.jpg`/`.jpeg`,
    /// `.bmp`, `.tif`/`.tiff`, `.ppm`). Written to a temporary name in the same directory and
    /// renamed, so `path` never holds a partial image.
    /// - Parameters:
    ///   - frame: the pixels.
    ///   - path: the output file.
    ///   - codec: override the image encoder (e.g. `"png"`, `"mjpeg"`).
    ///   - options: encoder AVOptions, `ffmpeg`-style keys, e.g. `["q:v": "2"]` for JPEG
    ///     quality (1 best … 31 worst; default 2) or `["compression_level": "9"]` for PNG.
    /// - Throws: ``VideoIOError`` — `unknownOutputFormat`, `encoderNotFound`,
    ///   `invalidEncoderOption`, `encodeFailed`, `outputOpenFailed`, `writeFailed`.
    public static func write(_ frame: Frame, to path: String, codec: String? = nil,
                             options: [String: String] = [:]) throws {
        let name = try codec ?? encoderName(forPath: path)
        let bytes = try encode(frame, encoder: name, options: options)
        try writeFileAtomically(bytes, to: path)
    }

    /// Writes caller pixels (RGB or RGBA; an RGBA image keeps its alpha, so the format must
    /// store one, as PNG and TIFF do) to an image file, atomically. Errors as for
    /// ``write(_:to:codec:options:)``, and `invalidArgument` for YUV pixels or an encoder
    /// without alpha for RGBA ones.
    public static func write(pixels: PixelBuffer, to path: String, codec: String? = nil,
                             options: [String: String] = [:]) throws {
        let name = try codec ?? encoderName(forPath: path)
        try writeFileAtomically(try encode(pixels: pixels, encoder: name, options: options), to: path)
    }

    /// Encodes a frame into the bytes of an image file in memory.
    /// - Parameters:
    ///   - frame: the pixels.
    ///   - encoder: an FFmpeg image encoder: `"png"`, `"mjpeg"`, `"bmp"`, `"tiff"`, `"ppm"`, ...
    ///   - options: encoder AVOptions as for ``write(_:to:codec:options:)``.
    public static func encode(_ frame: Frame, encoder: String, options: [String: String] = [:]) throws -> [UInt8] {
        try frame.withPixelBuffer { try encode(pixels: $0, encoder: encoder, options: options) }
    }

    /// Encodes caller pixels (RGB, or RGBA with its alpha kept) into the bytes of an image
    /// file in memory; see ``encode(_:encoder:options:)``.
    public static func encode(pixels: PixelBuffer, encoder: String, options: [String: String] = [:]) throws -> [UInt8] {
        try pixels.validate()
        guard pixels.layout != .yuv420p else { throw VideoIOError.invalidArgument("an image is encoded from RGB or RGBA pixels, not yuv420p") }
        let codec = try findVideoEncoder(encoder)
        var opts = try EncoderOptions(options)
        let inputFormat = pixels.layout == .rgba8 ? AV_PIX_FMT_RGBA : AV_PIX_FMT_RGB24
        let format = pixels.layout == .rgba8 ? try choosePixelFormatWithAlpha(for: codec, requested: opts.pixelFormat)
            : try choosePixelFormat(for: codec, requested: opts.pixelFormat, preferred: AV_PIX_FMT_RGB24)
        let frame = (width: pixels.width, height: pixels.height)
        try checkSubsampling(format, width: frame.width, height: frame.height)
        if encoder == "mjpeg" && !opts.hasRateControl { opts.qscale = 2 }

        var input = av_frame_alloc()
        var converted = av_frame_alloc()
        var packet = av_packet_alloc()
        var context = avcodec_alloc_context3(codec)
        defer {
            av_frame_free(&input)
            av_frame_free(&converted)
            av_packet_free(&packet)
            avcodec_free_context(&context)
        }
        guard let inFrame = input, let outFrame = converted, let pkt = packet, let ctx = context else {
            throw VideoIOError.encodeFailed(encoder: encoder, code: EQR_AVERROR_ENOMEM, message: ffErrorString(EQR_AVERROR_ENOMEM))
        }
        var ret = fill(inFrame, from: pixels, pts: 0)
        if ret < 0 { throw VideoIOError.encodeFailed(encoder: encoder, code: ret, message: ffErrorString(ret)) }

        // Pixel format conversion (when the encoder does not take the input's) by libavfilter.
        var toEncode = inFrame
        if format != inputFormat {
            let graph = try FilterGraph(
                input: FilterInput(width: Int32(frame.width), height: Int32(frame.height), pixelFormat: inputFormat,
                                   timeBase: AVRational(num: 1, den: 1), sampleAspect: AVRational(num: 1, den: 1),
                                   frameRate: AVRational(num: 0, den: 1)),
                chain: nil, tail: [FilterStep(name: "format", arguments: "pix_fmts=\(pixelFormatName(format))")], threads: 1)
            try graph.push(inFrame)
            try graph.push(nil)
            guard try graph.pull(into: outFrame) == .frame else {
                throw VideoIOError.filterFailed(chain: graph.chainDescription, code: EQR_AVERROR_EOF, message: ffErrorString(EQR_AVERROR_EOF))
            }
            toEncode = outFrame
        }

        ctx.pointee.width = Int32(frame.width)
        ctx.pointee.height = Int32(frame.height)
        ctx.pointee.pix_fmt = format
        ctx.pointee.time_base = AVRational(num: 1, den: 25)
        ctx.pointee.sample_aspect_ratio = AVRational(num: 1, den: 1)
        ctx.pointee.thread_count = 1
        tagColor(ctx, format: format)
        try opts.open(ctx, codec: codec, encoderName: encoder)

        toEncode.pointee.pts = 0
        toEncode.pointee.pict_type = AV_PICTURE_TYPE_NONE
        ret = avcodec_send_frame(ctx, toEncode)
        if ret < 0 { throw VideoIOError.encodeFailed(encoder: encoder, code: ret, message: ffErrorString(ret)) }
        ret = avcodec_send_frame(ctx, nil)
        if ret < 0 && ret != EQR_AVERROR_EOF {
            throw VideoIOError.encodeFailed(encoder: encoder, code: ret, message: ffErrorString(ret))
        }
        var bytes: [UInt8] = []
        while true {
            ret = avcodec_receive_packet(ctx, pkt)
            if ret == EQR_AVERROR_EOF || ret == EQR_AVERROR_EAGAIN { break }
            if ret < 0 { throw VideoIOError.encodeFailed(encoder: encoder, code: ret, message: ffErrorString(ret)) }
            if let data = pkt.pointee.data, pkt.pointee.size > 0 {
                bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(pkt.pointee.size)))
            }
            av_packet_unref(pkt)
        }
        if bytes.isEmpty {
            throw VideoIOError.encodeFailed(encoder: encoder, code: EQR_AVERROR_EOF, message: "encoder produced no data")
        }
        return bytes
    }

    /// Whether `path` names one image file (`out.png`, `frame.jpg`…) rather than a video or
    /// an image sequence pattern (`frame%04d.png`).
    public static func isSingleImagePath(_ path: String) -> Bool {
        !path.contains("%") && (try? encoderName(forPath: path)) != nil
    }

    /// The FFmpeg image encoder for a file extension.
    static func encoderName(forPath path: String) throws -> String {
        switch pathExtension(path) {
        case "png": return "png"
        case "jpg", "jpeg", "jfif": return "mjpeg"
        case "bmp": return "bmp"
        case "tif", "tiff": return "tiff"
        case "ppm", "pnm": return "ppm"
        default: throw VideoIOError.unknownOutputFormat(path: path)
        }
    }
}
