import Tensors

/// Moving characters in their canonical pose: procedural textured shapes, deterministic from
/// `(seed, index)`, or caller-supplied RGBA cut-outs.
///
/// A character is a layer `[4, H, W]`: channels 0–2 are RGB in [0, 1] (not premultiplied),
/// channel 3 is the alpha mask in [0, 1]. A procedural character is an ellipse, rounded
/// polygon, star or blob centred in the frame, covering `coverageRange` of the frame area,
/// with a 1.5 px soft edge, a dark outline, internal stripes/checks/rings and spots in 2–3
/// saturated colours, and an off-centre "eye" so that rotation and scale are visible. Its
/// RGB continues (in the outline colour) outside the mask, so bilinear warps do not darken
/// the edge.
public struct CharacterBank: Sendable {
    /// Layer height in pixels.
    public let height: Int
    /// Layer width in pixels.
    public let width: Int

    /// The fraction of the frame area a procedural character's alpha covers in canonical pose.
    public static let coverageRange: ClosedRange<Float> = 0.15...0.25

    private enum Source: Sendable {
        case procedural(seed: UInt64)
        case cutouts([Tensor])
    }

    private let source: Source

    /// A procedural bank: `layer(at:)` accepts any non-negative index.
    public init(seed: UInt64, height: Int, width: Int) throws(SceneError) {
        guard height >= 8, width >= 8, height <= 4096, width <= 4096 else {
            throw SceneError.invalidConfiguration("character size must be in 8...4096 on each side, got \(height)×\(width)")
        }
        self.height = height
        self.width = width
        source = .procedural(seed: seed)
    }

    /// A bank of caller-supplied RGBA cut-outs `[4, H, W]` (RGB then alpha, values in [0, 1]),
    /// all of one size, each centred where the caller wants its pivot. Index `i` is `cutouts[i]`.
    public init(cutouts: [Tensor]) throws(SceneError) {
        guard let first = cutouts.first else { throw SceneError.invalidImage("no character cut-outs given") }
        guard first.rank == 3, first.shape[0] == 4, first.shape[1] > 0, first.shape[2] > 0 else {
            throw SceneError.invalidImage("character cut-out 0 must be [4, H, W] (RGB + alpha), got \(first.shape)")
        }
        for (i, cutout) in cutouts.enumerated() {
            guard cutout.shape == first.shape else {
                throw SceneError.invalidImage("character cut-out \(i) has shape \(cutout.shape), cut-out 0 has \(first.shape)")
            }
            guard cutout.scalars.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 1 }) else {
                throw SceneError.invalidImage("character cut-out \(i) has values outside [0, 1] (or not finite)")
            }
            let plane = first.shape[1] * first.shape[2]
            guard cutout.scalars[(3 * plane)...].contains(where: { $0 > 0 }) else {
                throw SceneError.invalidImage("character cut-out \(i) has an empty alpha channel")
            }
        }
        height = first.shape[1]
        width = first.shape[2]
        source = .cutouts(cutouts)
    }

    /// The number of cut-outs, or `nil` for a procedural bank (any index ≥ 0 is valid).
    public var cutoutCount: Int? {
        if case .cutouts(let cutouts) = source { return cutouts.count }
        return nil
    }

    /// Whether `index` names a character of this bank.
    public func contains(_ index: Int) -> Bool {
        guard index >= 0 else { return false }
        return cutoutCount.map { index < $0 } ?? true
    }

    /// The character `index` in canonical pose, `[4, H, W]` (RGB, alpha).
    ///
    /// - Precondition: `contains(index)`.
    public func layer(at index: Int) -> Tensor {
        precondition(contains(index), "CharacterBank: index \(index) is outside the bank (\(cutoutCount.map { "0..<\($0)" } ?? "0 and above"))")
        switch source {
        case .cutouts(let cutouts): return cutouts[index]
        case .procedural(let seed):
            // Shape kinds cycle with the index (from a seed-dependent start) so any run of four
            // consecutive characters holds one of each kind.
            let kind = Int((mixSeed(seed, 0xC4A2_AC7E) % 4 + UInt64(index % 4)) % 4)
            return ProceduralCharacter(seed: mixSeed(seed, UInt64(index)), kind: kind).render(height: height, width: width)
        }
    }
}
