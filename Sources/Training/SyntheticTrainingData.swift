import EquivariantModel
import SyntheticScenes
import Tensors

/// Training pairs from synthetic scenes, with their exact motions: the trained backgrounds
/// and characters of a `SceneGenerator`, minus the pairings it holds out for evaluation.
public final class SyntheticTrainingData: TrainingData {
    /// The scene generator.
    public let generator: SceneGenerator
    /// Seed of the batch sequence (step s uses a seed derived from it and s).
    public let seed: UInt64
    /// Whether batches carry a distant frame of each scene (the scene loss then draws the
    /// prediction over its background features; see ``Trainer``).
    public let distantFrames: Bool
    /// The fraction of distant frames that show the background alone, as when the character
    /// has left the view: h must then render a background without the character's colours
    /// beside it, as it does for a user's new background. The trainer is not told which.
    public let emptyDistantFraction: Double

    /// Creates the source; `emptyDistantFraction` must be in 0...1 and counts only with
    /// `distantFrames` (without them there are no distant frames to empty).
    public init(generator: SceneGenerator, seed: UInt64, distantFrames: Bool = false, emptyDistantFraction: Double = 0) {
        precondition((0...1).contains(emptyDistantFraction), "SyntheticTrainingData: empty distant fraction must be in 0...1")
        self.generator = generator
        self.seed = seed
        self.distantFrames = distantFrames
        self.emptyDistantFraction = distantFrames ? emptyDistantFraction : 0
    }

    /// Synthetic pairs carry their motion.
    public var providesMotion: Bool { true }

    /// The scene settings.
    public var summary: String {
        let c = generator.configuration
        return "synthetic: \(c.trainedBackgroundCount) backgrounds x \(c.characterCount) characters, world seed \(c.worldSeed), gap \(c.frameGap), held-out pairings \(c.holdsOutPairings)"
            + (distantFrames ? ", distant frames" : "")
            + (emptyDistantFraction > 0 ? " (\(emptyDistantFraction) of them empty)" : "")
    }

    /// The batch for `step`.
    public func batch(step: Int, size: Int) throws -> TrainingBatch {
        try batch(step: step, size: size, samples: 0..<size)
    }

    /// Pairs `samples` of the batch for `step`, drawn alone (each pair has its own seed).
    public func batch(step: Int, size: Int, samples: Range<Int>) throws -> TrainingBatch {
        let scenes = generator.batch(size: size, split: .trainedBackgrounds, seed: seed &+ UInt64(step) &* 0x9E37_79B9_7F4A_7C15,
                                     distantFrames: distantFrames, emptyDistantFraction: emptyDistantFraction, samples: samples)
        return TrainingBatch(frames: scenes.frames, nextFrames: scenes.nextFrames, motions: scenes.motions, distantFrames: scenes.distantFrames)
    }
}
