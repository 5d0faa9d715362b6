import CFFmpeg

/// Every failure of the VideoIO module. Cases that come from an FFmpeg call carry FFmpeg's
/// error code (a negative `AVERROR` value) and its message from `av_strerror`.
public enum VideoIOError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The input does not exist (FFmpeg reported `ENOENT`).
    case fileNotFound(path: String, message: String)
    /// FFmpeg could not open or probe the input (unknown format, random bytes, a truncated
    /// container without its index, ...).
    case openFailed(path: String, code: Int32, message: String)
    /// The input opened but holds no video stream.
    case noVideoStream(path: String)
    /// The input's video codec has no decoder in this FFmpeg build, or it failed to open.
    case decoderFailed(path: String, code: Int32, message: String)
    /// Reading or decoding failed part-way with an error that is not corrupt data.
    case decodeFailed(path: String, code: Int32, message: String)
    /// The input decoded to zero frames (or the filter chain dropped them all).
    case noFrames(path: String)
    /// A filter chain names a filter this FFmpeg build does not have.
    case unknownFilter(name: String, chain: String)
    /// libavfilter rejected a filter chain (bad option, bad value, bad syntax, ...).
    case filterFailed(chain: String, code: Int32, message: String)
    /// No encoder with this name exists, or it is not a video/image encoder.
    case encoderNotFound(name: String)
    /// The encoder did not accept an option (the key was left unused by `avcodec_open2`).
    case invalidEncoderOption(encoder: String, key: String, value: String)
    /// The encoder failed to open or to encode.
    case encodeFailed(encoder: String, code: Int32, message: String)
    /// No muxer/image encoder fits the output path's extension (or the named format).
    case unknownOutputFormat(path: String)
    /// The output could not be created (missing directory, permissions, ...).
    case outputOpenFailed(path: String, code: Int32, message: String)
    /// Writing, finishing or renaming the output failed; nothing is left under the final name.
    case writeFailed(path: String, code: Int32, message: String)
    /// A frame of the wrong size was given to a writer.
    case frameSizeMismatch(expectedWidth: Int, expectedHeight: Int, width: Int, height: Int)
    /// An argument is out of range (sizes, frame rate, indices, buffer lengths, ...).
    case invalidArgument(String)
    /// The writer was already finished, cancelled, or failed earlier.
    case writerClosed(path: String)

    /// FFmpeg's error code when the failure came from an FFmpeg call.
    public var ffmpegCode: Int32? {
        switch self {
        case .openFailed(_, let c, _), .decoderFailed(_, let c, _), .decodeFailed(_, let c, _),
             .filterFailed(_, let c, _), .encodeFailed(_, let c, _), .outputOpenFailed(_, let c, _),
             .writeFailed(_, let c, _):
            return c
        case .fileNotFound:
            return EQR_AVERROR_ENOENT
        default:
            return nil
        }
    }

    /// A readable one-line description including FFmpeg's message where there is one.
    public var description: String {
        switch self {
        case .fileNotFound(let p, let m): return "\(p): \(m)"
        case .openFailed(let p, _, let m): return "cannot open input \(p): \(m)"
        case .noVideoStream(let p): return "\(p): no video stream"
        case .decoderFailed(let p, _, let m): return "\(p): cannot open decoder: \(m)"
        case .decodeFailed(let p, _, let m): return "\(p): decoding failed: \(m)"
        case .noFrames(let p): return "\(p): no frame could be decoded (the file is empty, damaged or truncated, or its start is past the end)"
        case .unknownFilter(let n, let c): return "no such filter: '\(n)' in filter chain '\(c)'"
        case .filterFailed(let c, _, let m): return "filter chain '\(c)': \(m)"
        case .encoderNotFound(let n): return "no such video encoder: '\(n)'"
        case .invalidEncoderOption(let e, let k, let v): return "encoder \(e) does not accept option \(k)=\(v)"
        case .encodeFailed(let e, _, let m): return "encoder \(e): \(m)"
        case .unknownOutputFormat(let p): return "\(p): cannot choose an output format from the file name"
        case .outputOpenFailed(let p, _, let m): return "cannot create output \(p): \(m)"
        case .writeFailed(let p, _, let m): return "writing \(p) failed: \(m)"
        case .frameSizeMismatch(let ew, let eh, let w, let h):
            return "frame is \(w)x\(h), expected \(ew)x\(eh)"
        case .invalidArgument(let m): return "invalid argument: \(m)"
        case .writerClosed(let p): return "\(p): writer already finished or failed"
        }
    }
}
