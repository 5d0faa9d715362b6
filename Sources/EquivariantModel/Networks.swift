import NeuralNetwork
import Tensors

/// Builders for the conv nets of the model. Layer names become checkpoint keys, so they are
/// part of the file format: change them only with a format version bump.
enum Networks {
    /// An encoder (f or h): image [N, 3, R, R] → features [N, C', R/s, R/s], s the feature stride.
    ///
    /// conv3×3 (3→B) · GN · LReLU · conv3×3/2 (B→C') · GN · LReLU · conv3×3/2 (C'→C') · GN ·
    /// LReLU · conv3×3 (C'→C'), the last linear so features can be signed (f and h add up);
    /// with feature stride 2 the third convolution keeps the size (stride 1).
    /// Each GN · LReLU is one fused layer (`GroupNorm(leakySlope:)`). The first two layers
    /// are the stem at R; a two-level encoder's fine head, conv3×3 (B→B, linear, starting at
    /// zero), reads the stem's output.
    static func encoder(_ prefix: String, _ c: ModelConfiguration, _ g: inout SeededGenerator) -> FeatureEncoder {
        let b = c.baseChannels, f = c.featureChannels
        let stem = Sequential([
            Conv2D(inputChannels: 3, outputChannels: b, kernelSize: 3, stride: 1, padding: 1, name: "\(prefix).conv1", generator: &g),
            GroupNorm(groups: c.groups, channels: b, leakySlope: 0.2, name: "\(prefix).norm1"),
        ])
        let body = Sequential([
            Conv2D(inputChannels: b, outputChannels: f, kernelSize: 3, stride: 2, padding: 1, name: "\(prefix).conv2", generator: &g),
            GroupNorm(groups: c.groups, channels: f, leakySlope: 0.2, name: "\(prefix).norm2"),
            Conv2D(inputChannels: f, outputChannels: f, kernelSize: 3, stride: c.featureStride / 2, padding: 1, name: "\(prefix).conv3", generator: &g),
            GroupNorm(groups: c.groups, channels: f, leakySlope: 0.2, name: "\(prefix).norm3"),
            Conv2D(inputChannels: f, outputChannels: f, kernelSize: 3, stride: 1, padding: 1, name: "\(prefix).conv4", generator: &g),
        ])
        return FeatureEncoder(stem: stem, body: body, fineHead: c.fineLevel ? zeroConvolution("\(prefix).fine", channels: b) : nil)
    }

    /// conv3×3 (C→C) with zero weights and bias: a new level that starts by adding nothing.
    /// (Drawn from a generator of its own, so adding a level leaves every other weight as the
    /// seed makes it.)
    static func zeroConvolution(_ name: String, channels: Int) -> Conv2D {
        var unused = SeededGenerator(seed: 0)
        let conv = Conv2D(inputChannels: channels, outputChannels: channels, kernelSize: 3, stride: 1, padding: 1, name: name, generator: &unused)
        conv.weight.value.zero()
        conv.bias.value.zero()
        return conv
    }

    /// The renderer g: features [N, C', R/s, R/s] → image [N, 3, R, R] in (0, 1).
    ///
    /// conv3×3 (C'→C') · GN · LReLU · [`rendererBlocks` residual blocks] · up×2 · conv3×3
    /// (C'→B) · GN · LReLU · up×2 · conv3×3 (B→3) · sigmoid; with feature stride 2 without
    /// the first up×2. A two-level model's fine maps join after the last up×2 (B channels at R);
    /// `frameSizeBlocks` residual blocks (B channels) then run at R before the last convolution.
    static func renderer(_ c: ModelConfiguration, _ g: inout SeededGenerator) -> FeatureDecoder {
        let b = c.baseChannels, f = c.featureChannels
        let blocks: [Layer] = (0..<c.rendererBlocks).map { residualBlock("g.res\($0 + 1)", channels: f, groups: c.groups, &g) }
        let firstUpsampling: [Layer] = c.featureStride == 4 ? [Upsample2x(mode: .bilinear)] : []
        let first: [Layer] = [
            Conv2D(inputChannels: f, outputChannels: f, kernelSize: 3, stride: 1, padding: 1, name: "g.conv1", generator: &g),
            GroupNorm(groups: c.groups, channels: f, leakySlope: 0.2, name: "g.norm1"),
        ]
        let coarse = Sequential(first + blocks + firstUpsampling + [
            Conv2D(inputChannels: f, outputChannels: b, kernelSize: 3, stride: 1, padding: 1, name: "g.conv2", generator: &g),
            GroupNorm(groups: c.groups, channels: b, leakySlope: 0.2, name: "g.norm2"),
            Upsample2x(mode: .bilinear),
        ])
        let frameSize: [Layer] = (0..<c.frameSizeBlocks).map { residualBlock("g.full\($0 + 1)", channels: b, groups: c.groups, &g) }
        return FeatureDecoder(coarse: coarse, tail: Sequential(frameSize + [
            Conv2D(inputChannels: b, outputChannels: 3, kernelSize: 3, stride: 1, padding: 1, name: "g.conv3", generator: &g),
            Sigmoid(),
        ]), readsFineLevel: c.fineLevel)
    }

    /// conv3×3 · GN · LReLU · conv3×3 · GN, added to its input. The second norm starts at
    /// a scale of 0.1, so a new block starts close to the identity.
    static func residualBlock(_ prefix: String, channels: Int, groups: Int, _ g: inout SeededGenerator) -> Residual {
        let last = GroupNorm(groups: groups, channels: channels, name: "\(prefix).norm2")
        last.scale.value = last.scale.value * 0.1
        return Residual([
            Conv2D(inputChannels: channels, outputChannels: channels, kernelSize: 3, stride: 1, padding: 1, name: "\(prefix).conv1", generator: &g),
            GroupNorm(groups: groups, channels: channels, leakySlope: 0.2, name: "\(prefix).norm1"),
            Conv2D(inputChannels: channels, outputChannels: channels, kernelSize: 3, stride: 1, padding: 1, name: "\(prefix).conv2", generator: &g),
            last,
        ])
    }

    /// The coverage head of the layered renderer: character features [N, C', R/4, R/4] →
    /// α [N, 1, R, R] in (0, 1). conv3×3 (C'→B) · LReLU · up×2 · up×2 (one up×2 with
    /// feature stride 2) · conv3×3 (B→1) · sigmoid; a two-level model's fine character maps
    /// join before the last convolution.
    ///
    /// It starts at α ≈ 0.95 everywhere (small last weights, bias 3), i.e. at the note's
    /// additive model, and the scene loss and the sparsity prior carve the background out of
    /// it. Started at α ≈ 0.5, α fell to 0 everywhere within 300 steps of a `given-64`
    /// fine-tune and never came back (the sigmoid saturates).
    static func coverage(_ c: ModelConfiguration, _ g: inout SeededGenerator) -> FeatureDecoder {
        let head = Conv2D(inputChannels: c.baseChannels, outputChannels: 1, kernelSize: 3, stride: 1, padding: 1, name: "a.conv2", generator: &g)
        head.weight.value = head.weight.value * 0.1
        head.bias.value = Tensor(shape: [1], repeating: 3)
        let upsampling: [Layer] = (0..<(c.featureStride == 4 ? 2 : 1)).map { _ in Upsample2x(mode: .bilinear) }
        let first: [Layer] = [
            Conv2D(inputChannels: c.featureChannels, outputChannels: c.baseChannels, kernelSize: 3, stride: 1, padding: 1, name: "a.conv1", generator: &g),
            LeakyReLU(slope: 0.2),
        ]
        return FeatureDecoder(coarse: Sequential(first + upsampling), tail: Sequential([head, Sigmoid()]), readsFineLevel: c.fineLevel)
    }

    /// The `pose` output's keypoint detectors: character features [N, C', S, S] → heatmap
    /// logits [N, K, S, S]. conv3×3 (C'→16) · LReLU · conv3×3 (16→K); the last layer starts
    /// small, so the heatmaps start nearly flat (keypoints near the centre, θ_z ≈ identity)
    /// but different (identical keypoints would fit no motion and get no gradient).
    static func heatmap(_ prefix: String, inputChannels: Int, keypoints: Int, _ g: inout SeededGenerator) -> Sequential {
        let head = Conv2D(inputChannels: 16, outputChannels: keypoints, kernelSize: 3, stride: 1, padding: 1, name: "\(prefix).heat2", generator: &g)
        head.weight.value = head.weight.value * 0.1
        head.bias.value.zero()
        return Sequential([
            Conv2D(inputChannels: inputChannels, outputChannels: 16, kernelSize: 3, stride: 1, padding: 1, name: "\(prefix).heat1", generator: &g),
            LeakyReLU(slope: 0.2),
            head,
        ])
    }

    /// A localisation net regressing a sampling matrix θ (6 numbers) from a stack of maps:
    /// strided convs down to side/8 of `inputSize`, then two dense layers. The last layer
    /// starts at zero weights and identity bias, so training starts from T^z = identity; with
    /// the `bounded` output it starts at zero bias followed by `BoundedAffine` (also the
    /// identity).
    static func localisation(
        _ prefix: String, inputChannels: Int, inputSize: Int, convolutions: [Int], output: TransformOutput, _ g: inout SeededGenerator
    ) -> Sequential {
        var layers: [Layer] = []
        var channels = inputChannels, size = inputSize
        for (i, out) in convolutions.enumerated() {
            layers.append(Conv2D(inputChannels: channels, outputChannels: out, kernelSize: 3, stride: 2, padding: 1,
                                 name: "\(prefix).conv\(i + 1)", generator: &g))
            layers.append(LeakyReLU(slope: 0.2))
            channels = out
            size = (size + 1) / 2
        }
        let hidden = Dense(inputFeatures: channels * size * size, outputFeatures: 64, name: "\(prefix).dense1", generator: &g)
        let head = Dense(inputFeatures: 64, outputFeatures: 6, name: "\(prefix).dense2", generator: &g)
        head.weight.value.zero()
        layers += [hidden, LeakyReLU(slope: 0.2), head]
        switch output {
        case .direct: head.bias.value = Tensor(shape: [6], scalars: SpatialTransformer.identity)
        case .bounded, .pose, .aligned:  // (pose uses `heatmap`, aligned no net: never this one)
            head.bias.value.zero()
            layers.append(BoundedAffine())
        }
        return Sequential(layers)
    }
}
