import Foundation
import NeuralNetwork

/// The model as data: every network's layers (with the names of their tensors), the input
/// convention, the warp T^z and how a frame is composed, so another framework can rebuild f,
/// h, g and the coverage head from a checkpoint alone (`examples/python/torch_from_checkpoint.py`
/// does it in PyTorch). ``Checkpoint/save(_:optimizer:metadata:to:)`` writes it as JSON under
/// the `architecture` metadata key; `eqr info --architecture` prints it for any checkpoint.
///
/// The description is read from the built layers themselves (``DescribedLayer``), so it
/// cannot drift from what the Swift code computes.
public struct ModelArchitecture: Codable, Equatable, Sendable {
    /// What a network reads.
    public struct Input: Codable, Equatable, Sendable {
        /// `NCHW`, float32.
        public var layout = "NCHW"
        /// `RGB`.
        public var channels = "RGB"
        /// Pixel values: 0 (black) to 1 (full), no mean or scale applied.
        public var range: [Double] = [0, 1]
        /// Frame side in pixels (square frames).
        public var size: Int
    }

    /// f or h: `coarse = body(stem(x))`; a two-level encoder's `fine = fine_head(stem(x))`.
    public struct Encoder: Codable, Equatable, Sendable {
        /// The layers at the frame's size.
        public var stem: [LayerDescription]
        /// The layers from the stem's output down to the coarse maps.
        public var body: [LayerDescription]
        /// The fine level's head (two-level models only).
        public var fineHead: LayerDescription?

        enum CodingKeys: String, CodingKey { case stem, body, fineHead = "fine_head" }
    }

    /// g or the coverage head: `tail(coarse(z.coarse) + z.fine)`, without `+ z.fine` for a
    /// one-level model.
    public struct Decoder: Codable, Equatable, Sendable {
        /// The layers from the coarse maps up to the frame's size.
        public var coarse: [LayerDescription]
        /// The layers after the fine level joins.
        public var tail: [LayerDescription]
    }

    /// T^z: how feature maps are moved by a sampling matrix θ.
    public struct Warp: Codable, Equatable, Sendable {
        /// PyTorch: `grid_sample(x, affine_grid(θ, size, align_corners=False), mode="bilinear",
        /// padding_mode="zeros", align_corners=False)`.
        public var op = "affine_grid_sample"
        /// `bilinear`.
        public var mode = "bilinear"
        /// `zeros`.
        public var padding = "zeros"
        /// false: pixel centres at (2i + 1)/n − 1.
        public var alignCorners = false
        /// θ's meaning.
        public var theta = "2x3 row-major per sample; maps an output location to the input location it samples, in normalised coordinates [-1, 1]; every level uses the same θ"

        enum CodingKeys: String, CodingKey { case op, mode, padding, alignCorners = "align_corners", theta }
    }

    /// Where θ_z comes from.
    public struct Transform: Codable, Equatable, Sendable {
        /// The variant (`given`, `pixels`, `features`).
        public var variant: String
        /// Its output (`direct`, `bounded`, `pose`, `aligned`).
        public var output: String
        /// What it computes, in words.
        public var summary: String
        /// The variant's network, when it has one.
        public var layers: [LayerDescription]?
    }

    /// The description's own version (1).
    public var version = 1
    /// What the networks read.
    public var input: Input
    /// f, the character encoder.
    public var characterEncoder: Encoder
    /// h, the background encoder.
    public var backgroundEncoder: Encoder
    /// g, the renderer.
    public var renderer: Decoder
    /// The coverage head α (layered models only).
    public var coverage: Decoder?
    /// T^z.
    public var warp = Warp()
    /// θ_z's source.
    public var transform: Transform
    /// How a frame is drawn.
    public var composition: String

    enum CodingKeys: String, CodingKey {
        case version, input, characterEncoder = "f", backgroundEncoder = "h", renderer = "g", coverage, warp, transform, composition
    }

    /// The description of `model`'s layers.
    public init(model: EquivariantModel) {
        let c = model.configuration
        func encoder(_ e: FeatureEncoder) -> Encoder {
            Encoder(stem: e.stem.layerDescription.layers ?? [], body: e.body.layerDescription.layers ?? [], fineHead: e.fineHead?.layerDescription)
        }
        func decoder(_ d: FeatureDecoder) -> Decoder {
            Decoder(coarse: d.coarse.layerDescription.layers ?? [], tail: d.tail.layerDescription.layers ?? [])
        }
        input = Input(size: c.resolution)
        characterEncoder = encoder(model.characterEncoder)
        backgroundEncoder = encoder(model.backgroundEncoder)
        renderer = decoder(model.renderer)
        coverage = model.coverage.map(decoder)
        let variant = type(of: model.transform)
        transform = Transform(variant: variant.name, output: c.transformOutput.rawValue, summary: variant.summary,
                              layers: model.transform.networkDescription)
        let warped = "c = T(f(x_character), θ_z)" + (c.fineLevel ? " (each level)" : "")
        composition = c.renderer == .layered
            ? "\(warped); b = h(x_background); frame = α·g(c + b) + (1 − α)·g(b), α = coverage(c)"
            : "\(warped); b = h(x_background); frame = g(c + b)"
    }

    /// The description as compact JSON (keys sorted, so equal models give equal text).
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }
}
