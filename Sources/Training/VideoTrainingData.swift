import EquivariantModel
import Foundation
import Tensors
import VideoIO

/// Frame pairs (t, t + k) from real videos (any input FFmpeg reads), decoded once at model
/// resolution into `FramePairCache`s. No motion is known: for `pixels` and `features` models.
public final class VideoTrainingData: TrainingData {
    private let caches: [FramePairCache]
    /// The frame gap k (the smallest, when gaps vary).
    public let offset: Int
    /// The largest frame gap: each pair's gap is drawn from `offset...maximumOffset`.
    public let maximumOffset: Int
    /// Seed of the pair sampling.
    public let seed: UInt64
    /// Model resolution.
    public let resolution: Int
    /// Whether batches carry a distant frame x'' of each pair's clip (see ``Trainer``).
    public let distantFrames: Bool

    /// How far from both frames of a pair its distant frame lies, at least: 16 frames, or a
    /// quarter of a shorter clip.
    static func minimumDistance(frameCount: Int) -> Int { max(1, min(16, frameCount / 4)) }

    /// Decodes every path once at `resolution`×`resolution` (after the optional `-vf` chain).
    /// With `maximumOffset` above `offset`, each pair's gap is drawn between the two (pairs at
    /// several gaps: slow motions show at the larger ones).
    public init(paths: [String], resolution: Int, offset: Int = 1, maximumOffset: Int? = nil, filter: String? = nil, seed: UInt64,
                distantFrames: Bool = false) throws {
        guard !paths.isEmpty else { throw ModelError.invalidInput("no training videos given") }
        guard offset >= 1 else { throw ModelError.invalidInput("frame gap must be ≥ 1, got \(offset)") }
        let maximumOffset = maximumOffset ?? offset
        guard maximumOffset >= offset else { throw ModelError.invalidInput("the largest frame gap (\(maximumOffset)) is below the smallest (\(offset))") }
        caches = try paths.map { try FramePairCache(path: $0, size: (resolution, resolution), filter: filter) }
        for cache in caches where cache.pairCount(offset: maximumOffset) == 0 {
            throw ModelError.invalidInput("\(cache.path) has \(cache.count) frames, too few for pairs \(maximumOffset) apart")
        }
        self.offset = offset
        self.maximumOffset = maximumOffset
        self.seed = seed
        self.resolution = resolution
        self.distantFrames = distantFrames
    }

    /// Video pairs carry no motion.
    public var providesMotion: Bool { false }

    /// The files and the pair count.
    public var summary: String {
        "video: " + caches.map { "\(URL(fileURLWithPath: $0.path).lastPathComponent) (\($0.count) frames)" }.joined(separator: ", ") + ", gap \(offset)" + (maximumOffset > offset ? "–\(maximumOffset)" : "")
            + (distantFrames ? ", distant frames" : "")
    }

    /// Random pairs, files weighted by their pair counts.
    public func batch(step: Int, size: Int) throws -> TrainingBatch {
        var generator = SeededGenerator(seed: seed &+ UInt64(step) &* 0x9E37_79B9_7F4A_7C15)
        let plane = 3 * resolution * resolution
        var frames = Tensor(shape: [size, 3, resolution, resolution]), next = frames
        var distant: Tensor? = distantFrames ? frames : nil
        let counts = caches.map { $0.pairCount(offset: maximumOffset) }
        let total = counts.reduce(0, +)
        for n in 0..<size {
            var pick = Int(generator.next() % UInt64(total)), file = 0
            while pick >= counts[file] { pick -= counts[file]; file += 1 }
            // A single gap draws nothing, so its sequence is what it was before gaps could vary.
            let gap = maximumOffset == offset ? offset : offset + Int(generator.next() % UInt64(maximumOffset - offset + 1))
            // Either direction of time is a valid pair.
            let (a, b) = generator.next() & 1 == 0 ? (pick, pick + gap) : (pick + gap, pick)
            try frames.scalars.withUnsafeMutableBufferPointer {
                try caches[file].writePlanarFloat(at: a, into: UnsafeMutableBufferPointer(rebasing: $0[(n * plane)..<((n + 1) * plane)]))
            }
            try next.scalars.withUnsafeMutableBufferPointer {
                try caches[file].writePlanarFloat(at: b, into: UnsafeMutableBufferPointer(rebasing: $0[(n * plane)..<((n + 1) * plane)]))
            }
            if distant != nil {
                let c = Self.distantIndex(from: a, b, frameCount: caches[file].count, generator: &generator)
                try distant!.scalars.withUnsafeMutableBufferPointer {
                    try caches[file].writePlanarFloat(at: c, into: UnsafeMutableBufferPointer(rebasing: $0[(n * plane)..<((n + 1) * plane)]))
                }
            }
        }
        return TrainingBatch(frames: frames, nextFrames: next, distantFrames: distant)
    }

    /// A random frame of the clip at least ``minimumDistance(frameCount:)`` from frames a and
    /// b when the clip has one, else the frame farthest from both.
    static func distantIndex(from a: Int, _ b: Int, frameCount: Int, generator: inout SeededGenerator) -> Int {
        let distance = minimumDistance(frameCount: frameCount)
        let far = (0..<frameCount).filter { abs($0 - a) >= distance && abs($0 - b) >= distance }
        if !far.isEmpty { return far[Int(generator.next() % UInt64(far.count))] }
        return (0..<frameCount).max { min(abs($0 - a), abs($0 - b)) < min(abs($1 - a), abs($1 - b)) }!
    }
}
