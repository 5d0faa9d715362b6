import EquivariantModel

/// Small models for the model, retargeting and training tests (fast enough for gradient
/// checks and short runs).
public enum ModelFixtures {
    /// A 32×32 model with 16 feature channels.
    public static func smallModel(_ variant: String, seed: UInt64 = 1, renderer: RendererKind = .additive) throws -> EquivariantModel {
        try EquivariantModel(configuration: ModelConfiguration(resolution: 32, featureChannels: 16, baseChannels: 8, groups: 4, variant: variant, renderer: renderer), seed: seed)
    }

    /// A 16×16 model with 4 feature channels (for finite differences).
    public static func tinyModel(_ variant: String, seed: UInt64 = 1, renderer: RendererKind = .additive,
                                 transformOutput: TransformOutput = .direct, rendererBlocks: Int = 0, featureStride: Int = 4,
                                 fineLevel: Bool = false, frameSizeBlocks: Int = 0) throws -> EquivariantModel {
        try EquivariantModel(configuration: ModelConfiguration(resolution: 16, featureChannels: 4, baseChannels: 4, groups: 2, variant: variant, renderer: renderer,
                                                               transformOutput: transformOutput, rendererBlocks: rendererBlocks,
                                                               featureStride: featureStride, fineLevel: fineLevel,
                                                               frameSizeBlocks: frameSizeBlocks), seed: seed)
    }
}
