
/// The architecture of an equivariant renderer: everything needed to rebuild the layers.
public struct ModelConfiguration: Equatable, Codable, Sendable {
    /// Frame side in pixels (frames are square), a multiple of 8.
    public var resolution: Int
    /// Channels C' of the feature maps of f and h (spatial size resolution / featureStride).
    public var featureChannels: Int
    /// Channels of the full-resolution layers.
    public var baseChannels: Int
    /// GroupNorm groups (divides both channel counts).
    public var groups: Int
    /// The name of the T^z variant (one of ``TransformVariants/names``).
    public var variant: String
    /// How a frame is drawn from the features (``RendererKind``).
    public var renderer: RendererKind
    /// How a learned T^z predictor's output becomes θ_z (ignored by `given`).
    public var transformOutput: TransformOutput
    /// Residual blocks of the renderer g at the feature maps' size (0: the prototype's
    /// three-convolution g). Each is conv3×3 · GN · LReLU · conv3×3 · GN plus the identity.
    public var rendererBlocks: Int
    /// Residual blocks of g at the frame's size R (B channels), after the last up×2 (and
    /// after a fine level joins), before the output convolution: capacity for detail the
    /// bilinear up×2 cannot draw. 0 (every model before them) keeps g's single layer at R.
    public var frameSizeBlocks: Int
    /// How much smaller than a frame the feature maps are on each side: 4 (the note's
    /// prototype) or 2 (finer maps: f and h keep their last convolutions at R/2, and g and
    /// the coverage head upsample once).
    public var featureStride: Int
    /// Whether f and h also emit a fine level at the frame's size R (B channels), warped by
    /// the same θ_z and joined into g and the coverage head at R (``FeatureMaps``).
    public var fineLevel: Bool

    /// Creates a configuration; defaults follow the prototype in DESIGN.md.
    public init(resolution: Int = 64, featureChannels: Int = 64, baseChannels: Int = 32, groups: Int = 8, variant: String, renderer: RendererKind = .additive,
                transformOutput: TransformOutput = .direct, rendererBlocks: Int = 0, featureStride: Int = 4, fineLevel: Bool = false,
                frameSizeBlocks: Int = 0) {
        self.resolution = resolution
        self.featureChannels = featureChannels
        self.baseChannels = baseChannels
        self.groups = groups
        self.variant = variant
        self.renderer = renderer
        self.transformOutput = transformOutput
        self.rendererBlocks = rendererBlocks
        self.frameSizeBlocks = frameSizeBlocks
        self.featureStride = featureStride
        self.fineLevel = fineLevel
    }

    /// The T^z variant's type; nil for an unknown name (``validate()`` refuses it).
    public var variantType: (any TransformVariant.Type)? { TransformVariants.named(variant) }

    /// Side of the feature maps: resolution / featureStride.
    public var featureSize: Int { resolution / featureStride }

    /// The shapes of one frame's feature maps, coarse level first.
    public var featureShapes: [[Int]] {
        [[1, featureChannels, featureSize, featureSize]] + (fineLevel ? [[1, baseChannels, resolution, resolution]] : [])
    }

    /// Scalars in one frame's feature maps, all levels.
    public var featureCount: Int { featureShapes.reduce(0) { $0 + $1.reduce(1, *) } }

    /// Throws a `ModelError.invalidConfiguration` naming the bad value.
    public func validate() throws {
        guard variantType != nil else {
            throw ModelError.invalidConfiguration("unknown variant '\(variant)' (expected \(TransformVariants.nameList))")
        }
        guard resolution >= 16, resolution <= 1024, resolution % 8 == 0 else {
            throw ModelError.invalidConfiguration("resolution must be a multiple of 8 in 16...1024, got \(resolution)")
        }
        guard featureChannels > 0, featureChannels <= 1024, baseChannels > 0, baseChannels <= 1024 else {
            throw ModelError.invalidConfiguration("channel counts must be in 1...1024, got features \(featureChannels), base \(baseChannels)")
        }
        if transformOutput == .pose && variant != FeaturesTransform.name {
            throw ModelError.invalidConfiguration("the pose output reads the character features: it needs the `features` variant, not `\(variant)`")
        }
        if transformOutput == .aligned && variant != PixelsTransform.name {
            throw ModelError.invalidConfiguration("the aligned output aligns the frame pair: it needs the `pixels` variant, not `\(variant)`")
        }
        guard featureStride == 2 || featureStride == 4 else {
            throw ModelError.invalidConfiguration("the feature stride must be 2 or 4, got \(featureStride)")
        }
        guard (0...16).contains(rendererBlocks) else {
            throw ModelError.invalidConfiguration("renderer blocks must be in 0...16, got \(rendererBlocks)")
        }
        guard (0...4).contains(frameSizeBlocks) else {
            throw ModelError.invalidConfiguration("frame-size blocks must be in 0...4, got \(frameSizeBlocks)")
        }
        guard groups > 0, featureChannels % groups == 0, baseChannels % groups == 0 else {
            throw ModelError.invalidConfiguration("groups (\(groups)) must divide featureChannels (\(featureChannels)) and baseChannels (\(baseChannels))")
        }
    }
}
