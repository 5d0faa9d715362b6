import Tensors
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
    /// over a `width`×`height` frame. The grid's rows are summed concurrently, each in the
    /// same order as one pass would (so the sums do not depend on the split).
    @inline(__always)
    static func thumbnail(width: Int, height: Int, grey: (Int) -> Float) -> [Float] {
        var sums = [Float](repeating: 0, count: thumbnailWidth * thumbnailHeight)
        // Each column's cell, computed once per frame instead of once per pixel, and how
        // many columns each cell spans.
        let columnCell = (0..<width).map { $0 * thumbnailWidth / width }
        var columnsPerCell = [Int](repeating: 0, count: thumbnailWidth)
        for cell in columnCell { columnsPerCell[cell] += 1 }
        // The frame rows of grid row `cell`: y with y·24 / height = cell.
        func firstRow(_ cell: Int) -> Int { (cell * height + thumbnailHeight - 1) / thumbnailHeight }
        sums.withUnsafeMutableBufferPointer { sums in
            columnCell.withUnsafeBufferPointer { columnCell in
                let sums = sums
                Parallel.forEach(thumbnailHeight) { cellRow in
                    let rowCells = sums.baseAddress! + cellRow * thumbnailWidth
                    for y in firstRow(cellRow)..<min(firstRow(cellRow + 1), height) {
                        let row = y * width
                        for x in 0..<width { rowCells[columnCell[x]] += grey(row + x) }
                    }
                }
            }
        }
        return (0..<sums.count).map { i in
            let rows = min(firstRow(i / thumbnailWidth + 1), height) - firstRow(i / thumbnailWidth)
            let count = rows * columnsPerCell[i % thumbnailWidth]
            return count > 0 ? sums[i] / Float(count) : 0
        }
    }
}
