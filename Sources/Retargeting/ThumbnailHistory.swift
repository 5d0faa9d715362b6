/// The detection plate of a stream: the per-channel median of thumbnails kept evenly spaced
/// over the frames seen so far, on the moving region's detection grid.
///
/// A clip read ahead finds camera footage's moving region against the median of thumbnails
/// sampled over the whole clip (``BackgroundPlate/detection``); a stream (a plugin, the C
/// library) can only look back. This keeps up to ``capacity`` thumbnails: every frame while
/// there is room, then every other one of them and every second frame from then on (and so
/// on), so the kept ones always span the stream evenly; their median converges on the whole
/// clip's as the stream goes on. Waving foliage, whose colour has no single value, gets the
/// median a look-ahead plate would give it, where a two-candidate running plate keeps
/// whichever colour came last.
public struct ThumbnailHistory {
    /// Grid width in pixels.
    public let width: Int
    /// Grid height in pixels.
    public let height: Int
    /// The most thumbnails kept.
    public static let capacity = 48
    /// Packed RGB levels of the kept thumbnails, one after the other.
    private var levels: [UInt8]
    /// Thumbnails kept.
    public private(set) var count = 0
    /// Every `spacing`-th frame is kept.
    private var spacing = 1
    /// Frames offered.
    public private(set) var frames = 0
    /// The median as last computed, and the count it was computed from.
    private var cached: (count: Int, median: PlanarImage)?

    /// An empty history for thumbnails of `width`×`height`.
    public init(width: Int, height: Int) {
        precondition(width > 0 && height > 0, "ThumbnailHistory: empty grid")
        self.width = width
        self.height = height
        levels = [UInt8](repeating: 0, count: Self.capacity * 3 * width * height)
    }

    /// Offers the next frame's thumbnail (planar values in [0, 1], of the grid's size).
    public mutating func add(_ thumbnail: PlanarImage) {
        precondition(thumbnail.width == width && thumbnail.height == height, "ThumbnailHistory: thumbnail size changed")
        defer { frames += 1 }
        if frames % spacing != 0 { return }
        if count == Self.capacity {
            // Keep every other thumbnail and from now on every other frame of those kept.
            let values = 3 * width * height
            for k in 1..<(Self.capacity / 2) {
                levels.withUnsafeMutableBufferPointer { $0.baseAddress!.advanced(by: k * values).update(from: $0.baseAddress!.advanced(by: 2 * k * values), count: values) }
            }
            count = Self.capacity / 2
            spacing *= 2
            if frames % spacing != 0 { return }
        }
        let packed = BackgroundPlate.thumbnail(thumbnail).rgb8, values = packed.count
        levels.replaceSubrange((count * values)..<((count + 1) * values), with: packed)
        count += 1
    }

    /// The median of the kept thumbnails (nil before the first). It is recomputed while
    /// there are few thumbnails and then after every fourth one kept (a median of many
    /// moves little with one more), so its cost stays a small share of a stream's frames.
    public mutating func median() -> PlanarImage? {
        guard count > 0 else { return nil }
        if let cached, !isStale(cached.count) { return cached.median }
        let median = levels.withUnsafeBufferPointer { BackgroundPlate.packedMedian(of: $0, count: count, width: width, height: height) }
        cached = (count, median)
        return median
    }

    /// Whether a median of `computedFrom` thumbnails is out of date now that `count` are kept:
    /// any change while there are at most 8, a drop (thumbnails were thinned out), or 4 more.
    private func isStale(_ computedFrom: Int) -> Bool {
        computedFrom != count && (count <= 8 || count < computedFrom || count >= computedFrom + 4)
    }
}
