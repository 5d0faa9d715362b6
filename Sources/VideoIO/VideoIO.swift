import CFFmpeg

/// Video and image I/O on FFmpeg's libraries (libavformat, libavcodec, libavfilter,
/// libswscale, libavutil).
///
/// The module's public API holds no FFmpeg or C types. Its parts:
/// - ``VideoReader``: decode any input FFmpeg reads (video file, image file, image-sequence
///   pattern, or a libavfilter source such as `testsrc2`) into RGB ``Frame``s at a requested
///   size, through an optional `-vf`-style filter chain run by libavfilter.
/// - ``VideoWriter``: encode frames to a video (H.264 via libx264 when present, else MPEG-4)
///   or to an image sequence; output is written under a temporary name and renamed when
///   complete.
/// - ``ImageFile``: single PNG/JPEG/BMP/TIFF/PPM images.
/// - ``FramePairCache``: decode once at model resolution into a compact 8-bit store for random
///   access to frame pairs (t, t+k).
/// - ``ContactSheet``: a labelled grid of frames for reports.
/// - ``VideoIOError``: every failure, with FFmpeg's own message where FFmpeg reported it.
public enum VideoIO {
    /// The versions of the FFmpeg libraries linked at run time, e.g.
    /// `"libavformat 59.27.100, libavcodec 59.37.100, ..."`.
    public static var libraryVersions: String {
        func v(_ name: String, _ n: UInt32) -> String { "\(name) \(n >> 16).\((n >> 8) & 0xff).\(n & 0xff)" }
        return [
            v("libavformat", avformat_version()), v("libavcodec", avcodec_version()),
            v("libavfilter", avfilter_version()), v("libswscale", swscale_version()),
            v("libavutil", avutil_version()),
        ].joined(separator: ", ")
    }

    /// Whether this FFmpeg build has an encoder with the given name (e.g. `"libx264"`).
    public static func hasEncoder(_ name: String) -> Bool {
        avcodec_find_encoder_by_name(name) != nil
    }

    /// The encoder ``VideoWriter`` uses when none is named and the container accepts it:
    /// `"libx264"` when this FFmpeg has it, else `"mpeg4"`.
    public static var defaultVideoEncoder: String {
        hasEncoder("libx264") ? "libx264" : "mpeg4"
    }
}
