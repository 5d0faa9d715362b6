import CFFmpeg

/// Encoder option handling shared by ``VideoWriter`` and ``ImageFile``: `ffmpeg`-style keys
/// (`crf`, `b:v`, `-preset`, `q:v`, ...) become AVOptions for `avcodec_open2`.
struct EncoderOptions {
    /// Options passed to `avcodec_open2` (keys normalised: no leading `-`, no `:v` suffix).
    var avOptions: [String: String] = [:]
    /// `q`/`qscale` (the `ffmpeg -q:v` fixed quantiser), applied as `global_quality`.
    var qscale: Double? = nil
    /// `pix_fmt`, chosen by the caller instead of the default.
    var pixelFormat: String? = nil

    init(_ options: [String: String]) throws {
        for (rawKey, value) in options {
            var key = rawKey.trimmingWhitespace()
            while key.hasPrefix("-") { key.removeFirst() }
            if key.hasSuffix(":v") { key.removeLast(2) }
            switch key {
            case "q", "qscale":
                guard let q = Double(value), q.isFinite, q > 0 else {
                    throw VideoIOError.invalidArgument("\(rawKey)=\(value) is not a positive number")
                }
                qscale = q
            case "pix_fmt":
                pixelFormat = value
            default:
                avOptions[key] = value
            }
        }
    }

    /// Whether the caller chose any rate control.
    var hasRateControl: Bool {
        qscale != nil || ["b", "crf", "qp", "global_quality", "cq", "minrate", "maxrate"].contains { avOptions[$0] != nil }
    }

    /// Opens `context` with `codec` and these options; any option the encoder leaves unused
    /// is an error (FFmpeg itself would only warn, which hides typos such as `cfr=20`).
    func open(_ context: UnsafeMutablePointer<AVCodecContext>, codec: UnsafePointer<AVCodec>,
              encoderName: String) throws {
        if let q = qscale {
            context.pointee.flags |= AV_CODEC_FLAG_QSCALE
            context.pointee.global_quality = Int32((q * Double(FF_QP2LAMBDA)).rounded())
        }
        var dict = makeDictionary(avOptions)
        defer { av_dict_free(&dict) }
        let ret = avcodec_open2(context, codec, &dict)
        if ret < 0 {
            throw VideoIOError.encodeFailed(encoder: encoderName, code: ret, message: ffErrorString(ret))
        }
        if let (key, value) = dictionaryEntries(dict).first {
            throw VideoIOError.invalidEncoderOption(encoder: encoderName, key: key, value: value)
        }
    }
}

/// Finds a video (or image) encoder by name.
func findVideoEncoder(_ name: String) throws -> UnsafePointer<AVCodec> {
    guard let codec = avcodec_find_encoder_by_name(name), codec.pointee.type == AVMEDIA_TYPE_VIDEO else {
        throw VideoIOError.encoderNotFound(name: name)
    }
    return codec
}

/// The pixel format to encode in: the caller's choice, else `preferred` when the encoder
/// takes it and is not lossless-only, else FFmpeg's best match for RGB24 among the
/// encoder's formats.
func choosePixelFormat(for codec: UnsafePointer<AVCodec>, requested: String?, preferred: AVPixelFormat) throws -> AVPixelFormat {
    let supported = supportedPixelFormats(codec)
    if let name = requested {
        let f = av_get_pix_fmt(name)
        guard f != AV_PIX_FMT_NONE else { throw VideoIOError.invalidArgument("unknown pixel format '\(name)'") }
        if !supported.isEmpty && !supported.contains(f) {
            throw VideoIOError.invalidArgument(
                "encoder \(String(cString: codec.pointee.name)) does not take pix_fmt \(name)")
        }
        return f
    }
    // A lossless-only encoder (FFV1, PNG, UT Video, ...) keeps RGB as RGB, as ffmpeg does:
    // subsampling its chroma would make "lossless" output lose colour.
    let losslessOnly = avcodec_descriptor_get(codec.pointee.id).map {
        $0.pointee.props & AV_CODEC_PROP_LOSSLESS != 0 && $0.pointee.props & AV_CODEC_PROP_LOSSY == 0
    } ?? false
    if supported.isEmpty || (supported.contains(preferred) && !losslessOnly) { return preferred }
    return codec.pointee.pix_fmts.map { avcodec_find_best_pix_fmt_of_list($0, AV_PIX_FMT_RGB24, 0, nil) } ?? preferred
}

/// The pixel format for RGBA input whose alpha must survive: the caller's choice (it must
/// have alpha), else the encoder's best match for RGBA among its formats with alpha.
func choosePixelFormatWithAlpha(for codec: UnsafePointer<AVCodec>, requested: String?) throws -> AVPixelFormat {
    let name = String(cString: codec.pointee.name)
    func hasAlpha(_ f: AVPixelFormat) -> Bool { av_pix_fmt_desc_get(f).map { $0.pointee.flags & UInt64(AV_PIX_FMT_FLAG_ALPHA) != 0 } ?? false }
    let hint = "for a transparent cutout write .png or .tif images, or a video with -c:v libvpx-vp9 (.webm), prores_ks or qtrle (.mov), ffv1 or png (.mkv)"
    if let requested {
        let f = try choosePixelFormat(for: codec, requested: requested, preferred: AV_PIX_FMT_RGBA)
        guard hasAlpha(f) else { throw VideoIOError.invalidArgument("pix_fmt \(requested) has no alpha channel; \(hint)") }
        return f
    }
    let withAlpha = supportedPixelFormats(codec).filter(hasAlpha)
    guard !withAlpha.isEmpty else { throw VideoIOError.invalidArgument("the \(name) encoder cannot store alpha; \(hint)") }
    var list = withAlpha + [AV_PIX_FMT_NONE]
    return avcodec_find_best_pix_fmt_of_list(&list, AV_PIX_FMT_RGBA, 1, nil)
}

/// Checks that a size suits a pixel format's chroma subsampling (yuv420p needs even sizes).
func checkSubsampling(_ format: AVPixelFormat, width: Int, height: Int) throws {
    guard let desc = av_pix_fmt_desc_get(format) else { return }
    let mw = (1 << Int(desc.pointee.log2_chroma_w)) - 1
    let mh = (1 << Int(desc.pointee.log2_chroma_h)) - 1
    if width & mw != 0 || height & mh != 0 {
        throw VideoIOError.invalidArgument(
            "\(pixelFormatName(format)) needs a size divisible by \(mw + 1)x\(mh + 1), got \(width)x\(height)")
    }
}

/// Sets colour tags matching what libswscale's RGB → YUV conversion produced (BT.601).
func tagColor(_ context: UnsafeMutablePointer<AVCodecContext>, format: AVPixelFormat) {
    guard let desc = av_pix_fmt_desc_get(format) else { return }
    let isRGB = desc.pointee.flags & UInt64(AV_PIX_FMT_FLAG_RGB) != 0
    let isGray = desc.pointee.nb_components <= 2
    if isRGB || isGray { return }
    let name = pixelFormatName(format)
    context.pointee.colorspace = AVCOL_SPC_SMPTE170M
    context.pointee.color_range = name.hasPrefix("yuvj") ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG
}
