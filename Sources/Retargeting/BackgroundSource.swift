import EquivariantModel
import Foundation
import VideoIO

/// A replacement background read from a file with FFmpeg: a still image (or one-frame
/// video), used for every frame, or a video whose frames follow the character's, looped or
/// held on its last frame when it is shorter. Frames keep the file's own size (after the
/// filter chain); ``FramePipeline`` fits them to the video (``BackgroundFit``).
public final class BackgroundSource {
    /// The file.
    public let path: String
    /// Width of the background's frames (after its filter chain).
    public let width: Int
    /// Height of the background's frames (after its filter chain).
    public let height: Int
    /// Whether a short background video starts again (true) or holds its last frame (false).
    public let loops: Bool
    /// The still background; nil for a moving one.
    public let still: Frame?
    private let reader: VideoReader?
    private var pending: [Frame] = []
    private var last: Frame?

    /// Opens `path` (any image or video FFmpeg reads) once, runs `filter` (FFmpeg `-vf`
    /// syntax) and reads up to two frames to tell still from moving.
    /// - Throws: ``VideoIOError`` for unreadable files, ``ModelError/invalidInput(_:)`` when the
    ///   file has no frames or is not a regular file (a FIFO, a device or a socket: opening a
    ///   FIFO nobody writes would block the host — an editor, ffmpeg — for ever).
    public init(path: String, filter: String? = nil, loops: Bool = true) throws {
        if let problem = RegularFile.problem(path) {
            throw ModelError.invalidInput("the background \(path) \(problem): give an image or video file")
        }
        let reader = try VideoReader(path: path, filter: filter)
        guard let first = try reader.next() else { throw ModelError.invalidInput("the background \(path) has no frames") }
        self.path = path
        self.loops = loops
        width = first.width
        height = first.height
        if let second = try reader.next() {
            self.reader = reader
            still = nil
            pending = [first, second]
        } else {
            self.reader = nil
            still = first
        }
    }

    /// The background frame for the next character frame: the still frame, or the video's
    /// next frame (looping or holding at its end).
    public func nextFrame() throws -> Frame {
        if let still { return still }
        if !pending.isEmpty {
            last = pending.removeFirst()
            return last!
        }
        if let frame = try reader!.next() {
            last = frame
        } else if loops {
            try reader!.seek(to: 0)
            if let frame = try reader!.next() { last = frame }
        }
        return last!
    }
}
