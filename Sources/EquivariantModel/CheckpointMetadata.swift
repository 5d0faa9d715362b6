/// The metadata keys of a checkpoint (all values are strings). The architecture keys make a
/// file self-describing; the training keys record how it was made and let `eqr train`,
/// `eqr eval` and `eqr demo` rebuild the same synthetic world.
public enum CheckpointMetadata {
    // MARK: Format and architecture (written by ``Checkpoint/save(_:optimizer:metadata:to:)``)

    /// Every network's layers, the input convention, the warp and the composition as JSON
    /// (``ModelArchitecture``), for rebuilding the model in another framework. Written on
    /// every save; informative only (loading rebuilds the layers from the keys above).
    public static let architecture = "architecture"
    /// `equivariant-renderer`.
    public static let format = "format"
    /// The format version, an integer.
    public static let formatVersion = "format_version"
    /// The T^z variant's name.
    public static let variant = "variant"
    /// The renderer, `additive` or `layered` (absent in files written before it existed:
    /// additive).
    public static let renderer = "renderer"
    /// How a learned T^z predictor's output becomes θ_z, `direct` or `bounded` (absent in
    /// files written before it existed: direct).
    public static let transformOutput = "transform_output"
    /// The renderer's residual blocks, an integer (absent when 0, and in files written
    /// before they existed).
    public static let rendererBlocks = "renderer_blocks"
    /// The renderer's residual blocks at the frame's size, an integer (absent when 0, and in
    /// files written before they existed).
    public static let frameSizeBlocks = "frame_size_blocks"
    /// The feature maps' stride, 2 or 4 (absent when 4, and in files written before it
    /// could be chosen).
    public static let featureStride = "feature_stride"
    /// "true" for a model whose f and h also emit a fine level at R (absent: one level).
    public static let fineLevel = "fine_level"
    /// The model's frame side in pixels.
    public static let resolution = "resolution"
    /// Channels of the feature maps.
    public static let featureChannels = "feature_channels"
    /// Channels of the full-resolution layers.
    public static let baseChannels = "base_channels"
    /// GroupNorm groups.
    public static let groups = "groups"
    /// Adam's step count; present only when the file carries the optimiser state.
    public static let adamStep = "adam_step"

    // MARK: Training facts

    /// The training step the file was written at.
    public static let step = "step"
    /// Wall-clock seconds of training so far (summed over resumed runs).
    public static let trainingSeconds = "training_seconds"
    /// The loss weights as JSON.
    public static let lossWeights = "loss_weights"
    /// A one-line description of the training data.
    public static let data = "data"
    /// Pairs per batch.
    public static let batchSize = "batch_size"
    /// Processes of the data-parallel run that wrote the checkpoint (absent: one); each
    /// trained on batch_size / processes pairs of every step.
    public static let processes = "processes"
    /// The seed of the run.
    public static let seed = "seed"
    /// Worker threads of the run.
    public static let threads = "threads"
    /// Adam's learning rate.
    public static let learningRate = "learning_rate"
    /// The T^z predictor's learning-rate scale.
    public static let transformLearningRateScale = "transform_lr_scale"
    /// The global gradient-norm clip (0 = off).
    public static let gradientClipNorm = "gradient_clip_norm"
    /// A layered model's coverage-head learning-rate scale.
    public static let coverageLearningRateScale = "coverage_lr_scale"
    /// The learning-rate schedule (`constant`, or `cosine` with its warm-up).
    public static let learningRateSchedule = "lr_schedule"
    /// The loss of rendered frames (`mse`, `l1`).
    public static let imageLoss = "image_loss"
    /// Whose background features the scene loss used (`same`, `distant`).
    public static let sceneBackground = "scene_background"
    /// What the drawn-motion term moved (`frame` or `patch`), when it was on.
    public static let drawnMotionRegion = "drawn_motion_region"
    /// The checkpoint f, h and g were started from.
    public static let initFrom = "init_from"
    /// The clips a model was fitted to by `eqr fit` (file names).
    public static let fitClips = "fit_clips"
    /// The checkpoint an inference-only export was made from.
    public static let exportedFrom = "exported_from"
    /// ``CheckpointChecksum`` of the tensors, checked at load when present.
    public static let checksum = "checksum"

    // MARK: The synthetic world (see `SceneWorld` in the Training module)

    /// Seed of the procedural backgrounds and characters.
    public static let worldSeed = "world_seed"
    /// How many backgrounds are trained on.
    public static let trainedBackgrounds = "trained_backgrounds"
    /// How many characters the world has.
    public static let characters = "characters"
    /// The folder of photo backgrounds, when photos replaced procedural textures.
    public static let backgroundImages = "background_images"
    /// Crops per background photo (absent when 1, the whole photo).
    public static let backgroundCrops = "background_crops"
    /// The directory of photos that textured the synthetic characters, when one did.
    public static let characterImages = "character_images"
    /// Procedural backgrounds trained on beside the photo ones (absent when none).
    public static let proceduralBackgrounds = "procedural_backgrounds"
    /// Characters that keep their procedural colours beside the photo-textured ones (absent when none).
    public static let proceduralCharacters = "procedural_characters"
}
