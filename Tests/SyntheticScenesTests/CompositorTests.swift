import NeuralNetwork
import SyntheticScenes
import Tensors
import XCTest

final class CompositorTests: XCTestCase {
    func testMoveIsBitIdenticalToTheSpatialTransformer() {
        var g = SeededGenerator(seed: 8)
        let maps = Tensor(shape: [6, 4, 20, 24], uniformIn: 0...1, generator: &g)
        var motions = (0..<5).map { AffineWalk(seed: UInt64($0)).pose(at: Double($0) * 40) }
        motions.append(Affine2D(angle: 0.3, scaleX: 0.4, scaleY: 0.5, translationX: 0.9, translationY: -0.8))  // mostly outside
        let theta = Compositor.samplingMatrices(for: motions)
        XCTAssertEqual(Compositor.move(maps, by: motions), SpatialTransformer().forward(input: maps, theta: theta, tape: nil))
    }

    func testSamplingMatricesAreInverseMotions() {
        let motion = Affine2D(angle: 0.4, scaleX: 1.2, scaleY: 0.9, shear: 0.1, translationX: 0.2, translationY: -0.1)
        let theta = Compositor.samplingMatrices(for: [motion])
        let product = Affine2D(theta.scalars).composed(after: motion).elements
        for (a, b) in zip(product, Affine2D.identity.elements) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    func testCompositeBlendsByAlphaAndKeepsThePlateWhereAlphaIsZero() {
        var g = SeededGenerator(seed: 2)
        var layers = Tensor(shape: [2, 4, 5, 5], uniformIn: 0...1, generator: &g)
        for n in 0..<2 { for k in 0..<5 { layers.scalars[(n * 4 + 3) * 25 + k] = 0 } }  // first row transparent
        let plates = Tensor(shape: [2, 3, 5, 5], uniformIn: 0...1, generator: &g)
        let frames = Compositor.composite(layers: layers, over: plates)
        for n in 0..<2 {
            for c in 0..<3 {
                for k in 0..<25 {
                    let a = layers.scalars[(n * 4 + 3) * 25 + k], rgb = layers.scalars[(n * 4 + c) * 25 + k]
                    let plate = plates.scalars[(n * 3 + c) * 25 + k], frame = frames.scalars[(n * 3 + c) * 25 + k]
                    if k < 5 { XCTAssertEqual(frame, plate) } else { XCTAssertEqual(frame, a * rgb + (1 - a) * plate, accuracy: 1e-6) }
                }
            }
        }
    }
}
