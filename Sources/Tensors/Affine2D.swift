#if canImport(Glibc)
import Glibc
#endif

/// A 2-D affine map `p ↦ A·p + t` (named `Affine2D` so it never clashes with Foundation's `AffineTransform`) on normalised image coordinates ([−1, 1], pixel centres at
/// `(2i + 1)/n − 1`, x to the right, y down), stored as the 2×3 matrix `[a, b, tx; c, d, ty]`.
///
/// Two readings of the same matrix appear in the project, and names say which:
/// a **motion** moves image content (a point at p ends up at M·p); a **sampling matrix** θ
/// (what `SpatialTransformer` takes) maps each output location to the input location it
/// reads. To move content by M, sample with θ = M⁻¹.
public struct Affine2D: Equatable, Sendable, CustomStringConvertible {
    /// Row-major `[a, b, tx, c, d, ty]`.
    public var elements: [Float]

    /// Creates a transform from its six row-major elements.
    public init(_ elements: [Float]) {
        precondition(elements.count == 6, "Affine2D: needs 6 elements, got \(elements.count)")
        self.elements = elements
    }

    /// The identity.
    public static let identity = Affine2D([1, 0, 0, 0, 1, 0])

    /// Rotation by `angle` radians (counter-clockwise on screen, i.e. with y down, positive
    /// angles turn x towards −y), uniform or per-axis scale, shear along x, then translation,
    /// applied about the image centre: `p ↦ T + R·Sh·S·p`.
    public init(angle: Float = 0, scaleX: Float = 1, scaleY: Float = 1, shear: Float = 0, translationX: Float = 0, translationY: Float = 0) {
        let cosA = cosf(angle), sinA = sinf(angle)
        // R = [cos, sin; −sin, cos] (screen-counter-clockwise with y down), Sh = [1, shear; 0, 1], S = diag(sx, sy)
        let r = (cosA, sinA, -sinA, cosA)
        let shs = (scaleX, shear * scaleY, Float(0), scaleY)  // Sh·S
        let a = r.0 * shs.0 + r.1 * shs.2, b = r.0 * shs.1 + r.1 * shs.3
        let c = r.2 * shs.0 + r.3 * shs.2, d = r.2 * shs.1 + r.3 * shs.3
        self.init([a, b, translationX, c, d, translationY])
    }

    /// Where the point `(x, y)` goes.
    public func apply(x: Float, y: Float) -> (x: Float, y: Float) {
        let e = elements
        return (e[0] * x + e[1] * y + e[2], e[3] * x + e[4] * y + e[5])
    }

    /// `self ∘ other`: first `other`, then `self`.
    public func composed(after other: Affine2D) -> Affine2D {
        let p = elements, q = other.elements
        return Affine2D([
            p[0] * q[0] + p[1] * q[3], p[0] * q[1] + p[1] * q[4], p[0] * q[2] + p[1] * q[5] + p[2],
            p[3] * q[0] + p[4] * q[3], p[3] * q[1] + p[4] * q[4], p[3] * q[2] + p[4] * q[5] + p[5],
        ])
    }

    /// The determinant of the linear part.
    public var determinant: Float { elements[0] * elements[4] - elements[1] * elements[3] }

    /// The inverse map, or `nil` when the linear part is singular (or not finite).
    public var inverse: Affine2D? {
        let e = elements, det = determinant
        guard det.isFinite, abs(det) > 1e-12, e.allSatisfy(\.isFinite) else { return nil }
        let ia = e[4] / det, ib = -e[1] / det, ic = -e[3] / det, id = e[0] / det
        return Affine2D([ia, ib, -(ia * e[2] + ib * e[5]), ic, id, -(ic * e[2] + id * e[5])])
    }

    /// `[a, b, tx; c, d, ty]` with three decimals.
    public var description: String {
        let f = elements.map { (Double($0) * 1000).rounded() / 1000 }
        return "[\(f[0]), \(f[1]), \(f[2]); \(f[3]), \(f[4]), \(f[5])]"
    }
}

// MARK: - Batches of sampling matrices

extension Affine2D {
    /// A motion without an inverse, found while building sampling matrices.
    public struct NotInvertible: Error, CustomStringConvertible {
        /// Its position in the list.
        public var index: Int
        /// The motion.
        public var motion: Affine2D
        /// `"motion <index> <matrix> is not invertible"`.
        public var description: String { "motion \(index) \(motion) is not invertible" }
    }

    /// The sampling matrices θ = M⁻¹, as an `[N, 6]` tensor, that move content by each motion
    /// (what `SpatialTransformer` takes).
    public static func samplingMatrices(for motions: [Affine2D]) throws(NotInvertible) -> Tensor {
        var scalars: [Float] = []
        scalars.reserveCapacity(6 * motions.count)
        for (index, motion) in motions.enumerated() {
            guard let inverse = motion.inverse else { throw NotInvertible(index: index, motion: motion) }
            scalars += inverse.elements
        }
        return Tensor(shape: [motions.count, 6], scalars: scalars)
    }

    /// The motions stored row by row in an `[N, 6]` tensor.
    public static func list(from motions: Tensor) -> [Affine2D] {
        precondition(motions.rank == 2 && motions.shape[1] == 6, "Affine2D.list: expects [N, 6], got \(motions.shape)")
        return (0..<motions.shape[0]).map { Affine2D(Array(motions.scalars[($0 * 6)..<($0 * 6 + 6)])) }
    }
}
