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

    /// Creates the source.
    public init(generator: SceneGenerator, seed: UInt64, distantFrames: Bool = false) {
        self.generator = generator
        self.seed = seed
        self.distantFrames = distantFrames
    }

    /// Synthetic pairs carry their motion.
    public var providesMotion: Bool { true }

    /// The scene settings.
    public var summary: String {
        let c = generator.configuration
        return "synthetic: \(c.trainedBackgroundCount) backgrounds x \(c.characterCount) characters, world seed \(c.worldSeed), gap \(c.frameGap), held-out pairings \(c.holdsOutPairings)"
            + (distantFrames ? ", distant frames" : "")
    }

    /// The batch for `step`.
    public func batch(step: Int, size: Int) throws -> TrainingBatch {
        let scenes = generator.batch(size: size, split: .trainedBackgrounds, seed: seed &+ UInt64(step) &* 0x9E37_79B9_7F4A_7C15,
                                     distantFrames: distantFrames)
        return TrainingBatch(frames: scenes.frames, nextFrames: scenes.nextFrames, motions: scenes.motions, distantFrames: scenes.distantFrames)
    }
}
