import EquivariantModel
import Tensors
import XCTest

/// The pose output's geometry: keypoints found by soft-argmax, and the affine map between
/// two frames' keypoints.
final class PoseEstimateTests: XCTestCase {
    /// Logits [1, K, S, S] peaked at the given points (normalised coordinates).
    func peaks(at points: [(Float, Float)], size: Int) -> Tensor {
        var t = Tensor(shape: [1, points.count, size, size])
        for (k, p) in points.enumerated() {
            for y in 0..<size { for x in 0..<size {
                let cx = Float(2 * x + 1) / Float(size) - 1, cy = Float(2 * y + 1) / Float(size) - 1
                t.scalars[(k * size + y) * size + x] = -((cx - p.0) * (cx - p.0) + (cy - p.1) * (cy - p.1)) / 0.002
            } }
        }
        return t
    }

    /// Keypoints moved by a known motion give back its sampling matrix.
    func testRecoversAnAffineMotionFromKeypoints() throws {
        let points: [(Float, Float)] = [(-0.4, -0.3), (0.35, -0.2), (0.1, 0.45), (-0.2, 0.25)]
        for motion in [Affine2D(angle: 0.2, scaleX: 1.1, scaleY: 1.1, translationX: 0.1, translationY: -0.05),
                       Affine2D(angle: -0.1, scaleX: 0.9, scaleY: 1.05, shear: 0.05, translationX: -0.08, translationY: 0.12),
                       Affine2D.identity] {
            let moved = points.map { motion.apply(x: $0.0, y: $0.1) }
            let logits = Tensor.concatenatingBatches([peaks(at: points, size: 32), peaks(at: moved.map { ($0.x, $0.y) }, size: 32)])
            let theta = PoseEstimate.theta(fromHeatmaps: logits)
            let truth = try Affine2D.samplingMatrices(for: [motion])
            XCTAssertLessThan(zip(theta.scalars, truth.scalars).map { abs($0 - $1) }.max()!, 0.03, "\(motion): \(theta.scalars) vs \(truth.scalars)")
        }
    }

    /// Flat heatmaps (the start of training) mean no motion.
    func testFlatHeatmapsGiveTheIdentity() {
        let theta = PoseEstimate.theta(fromHeatmaps: Tensor(shape: [2, 4, 8, 8]))
        XCTAssertEqual(theta.scalars.map { ($0 * 1e5).rounded() / 1e5 }, [1, 0, 0, 0, 1, 0])
    }
}
