import VideoIO

/// Finds the cuts of a clip as its frames stream past: a frame starts a new shot when its
/// grey thumbnail differs from the previous frame's far more than the shot's frames have
/// differed from one another so far (so a character's motion, or a slow pan, is no cut).
///
/// A background plate is a static camera's: across a cut it would mix two backgrounds, so
/// `eqr` keeps one plate per shot, and a streaming ``FramePipeline`` starts learning a new
/// plate at each cut.
public struct ShotDetector {
    /// A cut needs at least this mean thumbnail difference (grey levels in [0, 1]).
    public static let minimumChange: Float = 0.1
    /// …and this many times the shot's recent frame-to-frame difference.
    public static let contrast: Float = 4
    static let thumbnailWidth = 32, thumbnailHeight = 24

    private var previous: [Float]?
    private var recent: [Float] = []
    /// Frames offered so far.
    public private(set) var frameCount = 0
    /// The index of each shot's first frame (0 first).
    public private(set) var shotStarts: [Int] = []

    /// A detector before the first frame.
    public init() {}

    /// Offers the clip's next frame; true when it starts a shot (the first frame does).
    @discardableResult
    public mutating func offer(_ frame: PlanarImage) -> Bool {
        let n = frame.planeSize
        return frame.values.withUnsafeBufferPointer { v in
            offer(thumbnail: Self.thumbnail(width: frame.width, height: frame.height) { (v[$0] + v[n + $0] + v[2 * n + $0]) / 3 })
        }
    }

    /// Offers the clip's next decoded frame (read as it is, without a float copy).
    @discardableResult
    public mutating func offer(_ frame: Frame) -> Bool {
        frame.rgb8.withUnsafeBufferPointer { rgb in
            offer(thumbnail: Self.thumbnail(width: frame.width, height: frame.height) {
                (Float(rgb[3 * $0]) + Float(rgb[3 * $0 + 1]) + Float(rgb[3 * $0 + 2])) / (3 * 255)
            })
        }
    }

    private mutating func offer(thumbnail: [Float]) -> Bool {
        defer { frameCount += 1 }
        defer { previous = thumbnail }
        guard let previous else {
            shotStarts.append(frameCount)
            return true
        }
        var change: Float = 0
        for i in 0..<thumbnail.count { change += abs(thumbnail[i] - previous[i]) }
        change /= Float(thumbnail.count)
        let usual = recent.isEmpty ? 0 : recent.reduce(0, +) / Float(recent.count)
        if change > Self.minimumChange && change > Self.contrast * usual + 0.01 {
            shotStarts.append(frameCount)
            recent = []
            return true
        }
        recent.append(change)
        if recent.count > 8 { recent.removeFirst() }
        return false
    }

    /// The mean grey level (`grey(i)` of pixel i, row-major) of each cell of a 32×24 grid
    /// over a `width`×`height` frame.
    @inline(__always)
    static func thumbnail(width: Int, height: Int, grey: (Int) -> Float) -> [Float] {
        var sums = [Float](repeating: 0, count: thumbnailWidth * thumbnailHeight), counts = sums
        // Each column's cell, computed once per frame instead of once per pixel.
        let columnCell = (0..<width).map { $0 * thumbnailWidth / width }
        sums.withUnsafeMutableBufferPointer { sums in
            counts.withUnsafeMutableBufferPointer { counts in
                columnCell.withUnsafeBufferPointer { columnCell in
                    for y in 0..<height {
                        let rowCells = (y * thumbnailHeight / height) * thumbnailWidth, row = y * width
                        for x in 0..<width { sums[rowCells + columnCell[x]] += grey(row + x) }
                        for x in 0..<width { counts[rowCells + columnCell[x]] += 1 }
                    }
                }
            }
        }
        return zip(sums, counts).map { $1 > 0 ? $0 / $1 : 0 }
    }
}
