/// A layer as data: what another framework needs to rebuild it and load its weights.
///
/// `op` names the operation (PyTorch equivalents in brackets):
/// - `conv2d` (`nn.Conv2d`): `in`, `out`, `kernel`, `stride`, `padding` (zeros on every side);
///   tensors `<name>.weight` `[out, in, k, k]` and `<name>.bias` `[out]`;
/// - `group_norm` (`nn.GroupNorm`, then `F.leaky_relu` when `leaky_relu` is present):
///   `groups`, `channels`, `eps`, optional `leaky_relu` (the negative slope of an activation
///   fused after the norm); tensors `<name>.scale` (PyTorch's `weight`) and `<name>.shift`
///   (`bias`);
/// - `dense` (`nn.Linear`): `in`, `out`; `<name>.weight` `[out, in]`, `<name>.bias`;
/// - `leaky_relu` (`F.leaky_relu`): `slope`; `relu`; `sigmoid`;
/// - `upsample2x` (`F.interpolate(scale_factor=2, mode=…, align_corners=False)` for
///   bilinear): `mode` `nearest` or `bilinear`;
/// - `bounded_affine`: six numbers u to θ = `[I + linear·tanh(u_A) | translation·tanh(u_t)]`;
/// - `residual`: `x + layers(x)`; `sequential`: `layers` in order.
public struct LayerDescription: Codable, Equatable, Sendable {
    /// The operation (see the type's documentation).
    public var op: String
    /// The prefix of the layer's tensors in a checkpoint (layers with parameters only).
    public var name: String?
    /// The operation's numbers: channel counts, kernel, stride, padding, groups, eps, slopes.
    public var settings: [String: Double]?
    /// Interpolation of an upsampling layer.
    public var mode: String?
    /// The inner layers of `residual` and `sequential`.
    public var layers: [LayerDescription]?

    /// Describes one operation.
    public init(op: String, name: String? = nil, settings: [String: Double]? = nil, mode: String? = nil, layers: [LayerDescription]? = nil) {
        self.op = op
        self.name = name
        self.settings = settings
        self.mode = mode
        self.layers = layers
    }

    /// The tensor-name prefix of a parameter named `<prefix>.<suffix>`.
    static func prefix(of parameter: Parameter) -> String {
        guard let dot = parameter.name.lastIndex(of: ".") else { return parameter.name }
        return String(parameter.name[..<dot])
    }

    /// A `Float` setting as the decimal it was written as (1e-5, not 9.99999974e-06).
    static func decimal(_ value: Float) -> Double { Double("\(value)") ?? Double(value) }
}
