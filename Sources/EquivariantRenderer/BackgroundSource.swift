import Tensors
import VideoIO

/// A replacement background read from a file with FFmpeg: a still image (or one-frame
/// video), used for every frame, or a video whose frames follow the character's, looped or
/// held on its last frame when it is shorter. Shared by the `eqr` host, the C library and
/// the frei0r plugin so that backgrounds behave the same everywhere.
public final class BackgroundSource {
    /// The file.
    public let path: String
    /// Width of the background after its filter chain, before resizing to the model.
    public let width: Int
    /// Height of the background after its filter chain, before resizing to the model.
    public let height: Int
    /// Whether a short background video starts again (true) or holds its last frame (false).
    public let loops: Bool
    /// The frame of a still background at the model's resolution; nil for a moving one.
    public let still: Tensor?
    private let reader: VideoReader?
    private var pending: [Tensor] = []
    private var last: Tensor?

    /// Opens `path` (any image or video FFmpeg reads), runs `filter` (FFmpeg `-vf` syntax)
    /// and resizes frames to `side`×`side`; reads up to two frames to tell still from moving.
    /// - Throws: ``VideoIOError`` for unreadable files, ``ModelError/invalidInput(_:)`` when the
    ///   file has no frames.
    public init(path: String, side: Int, filter: String? = nil, loops: Bool = true) throws {
        let probe = try VideoReader(path: path, filter: filter)
        self.path = path
        self.loops = loops
        width = probe.width
        height = probe.height
        let reader = try VideoReader(path: path, size: (side, side), filter: filter)
        guard let first = try reader.next() else { throw ModelError.invalidInput("the background \(path) has no frames") }
        if let second = try reader.next() {
            self.reader = reader
            still = nil
            pending = [first.modelTensor, second.modelTensor]
        } else {
            self.reader = nil
            still = first.modelTensor
        }
    }

    /// The background frame for the next character frame: the still frame, or the video's
    /// next frame (looping or holding at its end).
    public func nextFrame() throws -> Tensor {
        if let still { return still }
        if !pending.isEmpty {
            last = pending.removeFirst()
            return last!
        }
        if let frame = try reader!.next() {
            last = frame.modelTensor
        } else if loops {
            try reader!.seek(to: 0)
            if let frame = try reader!.next() { last = frame.modelTensor }
        }
        return last!
    }
}
