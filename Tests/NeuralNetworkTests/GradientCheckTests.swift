import NeuralNetwork
import Tensors
import TestSupport
import XCTest

/// Every layer's backward pass against central finite differences.
///
/// The forward passes run in float32 and the projections are summed in double; with
/// ε = 1e-2 the measured relative errors sit around 1e-6..1e-4, so a tolerance of 1e-3 is
/// tight enough to catch a wrong factor, sign, index or missing term (see
/// `testCheckerCatchesAWrongGradient`, which plants a 5 % error).
final class GradientCheckTests: XCTestCase {
    let tolerance = 1e-3

    func assertGradients(_ layer: Layer, input: Tensor, epsilon: Float = 1e-2, file: StaticString = #filePath, line: UInt = #line) {
        for result in checkLayerGradients(layer, input: input, epsilon: epsilon) {
            print(result)
            XCTAssertTrue(result.passes(tolerance), "\(result)", file: file, line: line)
        }
    }

    func testConv2DStrideOnePadded() {
        var g = SeededGenerator(seed: 1)
        let conv = Conv2D(inputChannels: 3, outputChannels: 4, kernelSize: 3, stride: 1, padding: 1, generator: &g)
        conv.bias.value = randomTensor([4], seed: 2)
        assertGradients(conv, input: randomTensor([2, 3, 6, 5], seed: 3))
    }

    func testConv2DStrideTwoOddSize() {
        var g = SeededGenerator(seed: 4)
        let conv = Conv2D(inputChannels: 2, outputChannels: 3, kernelSize: 3, stride: 2, padding: 1, generator: &g)
        assertGradients(conv, input: randomTensor([2, 2, 7, 6], seed: 5))
    }

    func testConv2DFourByFourStrideTwoNoPadding() {
        var g = SeededGenerator(seed: 6)
        let conv = Conv2D(inputChannels: 2, outputChannels: 2, kernelSize: 4, stride: 2, padding: 0, generator: &g)
        assertGradients(conv, input: randomTensor([1, 2, 8, 9], seed: 7))
    }

    /// 1–4 output channels (the renderer's RGB output, the heads) at several widths.
    func testConv2DFewOutputs() {
        var g = SeededGenerator(seed: 40)
        for (outputs, width) in [(3, 11), (1, 8), (4, 17)] {
            let conv = Conv2D(inputChannels: 4, outputChannels: outputs, kernelSize: 3, stride: 1, padding: 1, generator: &g)
            conv.bias.value = randomTensor([outputs], seed: 41)
            assertGradients(conv, input: randomTensor([2, 4, 5, width], seed: 42))
        }
    }

    /// Fewer output than input channels at stride 1, several kernels and paddings: the input
    /// gradient as the convolution with the flipped kernel (thin on its output side).
    func testConv2DNarrowingStrideOne() {
        var g = SeededGenerator(seed: 30)
        for (kernel, padding) in [(3, 1), (5, 1), (3, 0)] {
            let conv = Conv2D(inputChannels: 5, outputChannels: 2, kernelSize: kernel, stride: 1, padding: padding, generator: &g)
            assertGradients(conv, input: randomTensor([2, 5, 7, 6], seed: 31))
        }
    }

    func testConv2DPointwise() {
        var g = SeededGenerator(seed: 8)
        let conv = Conv2D(inputChannels: 5, outputChannels: 3, kernelSize: 1, generator: &g)
        conv.bias.value = randomTensor([3], seed: 9)
        assertGradients(conv, input: randomTensor([2, 5, 4, 3], seed: 10))
    }

    func testUpsampleNearest() {
        for (h, w) in [(3, 4), (1, 1), (1, 5), (4, 1)] {
            assertGradients(Upsample2x(mode: .nearest), input: randomTensor([2, 3, h, w], seed: 11))
        }
    }

    func testUpsampleBilinear() {
        // The edge clamps, single rows and columns, and long interior rows.
        for (h, w) in [(4, 3), (1, 1), (1, 5), (5, 1), (2, 2), (3, 9)] {
            assertGradients(Upsample2x(mode: .bilinear), input: randomTensor([2, 2, h, w], seed: 12))
        }
    }

    func testReLU() {
        assertGradients(ReLU(), input: randomTensor([2, 3, 4, 4], seed: 13, avoidingZeroBy: 0.05))
    }

    func testLeakyReLU() {
        assertGradients(LeakyReLU(slope: 0.2), input: randomTensor([2, 3, 4, 4], seed: 14, avoidingZeroBy: 0.05))
    }

    func testBoundedAffine() {
        assertGradients(BoundedAffine(linearBound: 0.5, translationBound: 1), input: randomTensor([3, 6], seed: 17, range: -2...2))
    }

    func testSigmoid() {
        assertGradients(Sigmoid(), input: randomTensor([2, 3, 4, 4], seed: 15, range: -3...3))
    }

    func testGroupNorm() {
        let norm = GroupNorm(groups: 2, channels: 4)
        norm.scale.value = randomTensor([4], seed: 16, range: 0.5...1.5)
        norm.shift.value = randomTensor([4], seed: 17)
        assertGradients(norm, input: randomTensor([2, 4, 3, 3], seed: 18, range: -2...2), epsilon: 5e-3)
    }

    /// x + body(x): the identity path adds dy to the body's input gradient.
    func testResidualBlock() {
        var g = SeededGenerator(seed: 50)
        let norm = GroupNorm(groups: 2, channels: 4, leakySlope: 0.2)
        norm.shift.value = randomTensor([4], seed: 51)
        let block = Residual([
            Conv2D(inputChannels: 4, outputChannels: 4, kernelSize: 3, stride: 1, padding: 1, generator: &g), norm,
            Conv2D(inputChannels: 4, outputChannels: 4, kernelSize: 3, stride: 1, padding: 1, generator: &g),
        ])
        assertGradients(block, input: randomTensor([2, 4, 5, 6], seed: 52), epsilon: 5e-3)
        // A body that changes the shape is refused by name.
        let widening = Residual([Conv2D(inputChannels: 4, outputChannels: 5, kernelSize: 1, stride: 1, padding: 0, generator: &g)])
        XCTAssertThrowsError(try widening.outputShape(for: [1, 4, 3, 3])) { XCTAssertTrue("\($0)".contains("Residual"), "\($0)") }
    }

    func testDenseOnFeatureMaps() {
        var g = SeededGenerator(seed: 19)
        let dense = Dense(inputFeatures: 2 * 3 * 3, outputFeatures: 6, generator: &g)
        dense.bias.value = randomTensor([6], seed: 20)
        assertGradients(dense, input: randomTensor([3, 2, 3, 3], seed: 21))
    }

    func testSequentialChain() {
        var g = SeededGenerator(seed: 22)
        let net = Sequential([
            Conv2D(inputChannels: 2, outputChannels: 4, kernelSize: 3, stride: 2, padding: 1, generator: &g),
            GroupNorm(groups: 2, channels: 4),
            LeakyReLU(),
            Upsample2x(mode: .bilinear),
            Conv2D(inputChannels: 4, outputChannels: 2, kernelSize: 3, padding: 1, generator: &g),
            Sigmoid(),
        ])
        assertGradients(net, input: randomTensor([2, 2, 6, 6], seed: 23), epsilon: 5e-3)
    }

    func testSpatialTransformerInputAndTheta() {
        let transformer = SpatialTransformer()
        let input = randomTensor([2, 3, 6, 7], seed: 24)
        // A rotation + scale + shift that moves part of the grid outside (zero padding).
        let theta = Tensor(shape: [2, 6], scalars: [0.9, -0.3, 0.13, 0.25, 1.1, -0.07, 1.2, 0.1, -0.31, -0.05, 0.8, 0.21])
        var generator = SeededGenerator(seed: 25)
        let weights = Tensor(shape: [2, 3, 6, 7], uniformIn: -1...1, generator: &generator)
        let tape = Tape()
        _ = transformer.forward(input: input, theta: theta, tape: tape)
        let (inputGradient, thetaGradient) = transformer.backward(weights, tape: tape)

        let numericInput = numericalGradient(of: {
            projection(transformer.forward(input: $0, theta: theta, tape: nil), weights)
        }, at: input, epsilon: 1e-2)
        // θ moves sample points across pixel-cell boundaries where the derivative jumps (the
        // sampling is piecewise bilinear), so a large step straddles kinks: with ε = 1e-2 the
        // numeric θ gradient is off by ~20 %, with 1e-3 by ~2 %, with 1e-4 it agrees to ~1e-3
        // (float32 rounding then dominates). Use 1e-4 and a tolerance that rounding allows.
        let numericTheta = numericalGradient(of: {
            projection(transformer.forward(input: input, theta: $0, tape: nil), weights)
        }, at: theta, epsilon: 1e-4)
        let inputResult = compare("input", analytic: inputGradient, numeric: numericInput)
        let thetaResult = compare("theta", analytic: thetaGradient, numeric: numericTheta)
        print(inputResult, thetaResult, separator: "\n")
        XCTAssertTrue(inputResult.passes(tolerance), "\(inputResult)")
        XCTAssertTrue(thetaResult.passes(5e-3), "\(thetaResult)")
        // And a wrong θ gradient (here: the x/y chain factors swapped, a classic slip) is caught.
        var wrong = thetaGradient
        for n in 0..<2 { wrong.scalars.swapAt(n * 6 + 2, n * 6 + 5) }
        XCTAssertFalse(compare("theta (planted error)", analytic: wrong, numeric: numericTheta).passes(5e-3))
    }

    func testLossGradients() {
        let prediction = randomTensor([2, 3, 4], seed: 26)
        let target = randomTensor([2, 3, 4], seed: 27)
        for (name, loss) in [("mse", Loss.meanSquaredError), ("l1", Loss.l1)] {
            let analytic = loss(prediction, target).gradient
            let numeric = numericalGradient(of: { Double(loss($0, target).value) }, at: prediction, epsilon: 1e-3)
            let result = compare(name, analytic: analytic, numeric: numeric)
            print(result)
            XCTAssertTrue(result.passes(tolerance), "\(result)")
        }
    }

    /// SSIM's gradient against finite differences, on images in [0, 1] (where its stabilisers
    /// are meant to act), and its value: 0 for identical images, larger for a blurred copy
    /// than for a copy shifted in brightness by the same mean absolute error.
    func testStructuralSimilarityGradientAndValue() {
        let prediction = randomTensor([2, 2, 5, 6], seed: 31, range: 0...1)
        let target = randomTensor([2, 2, 5, 6], seed: 32, range: 0...1)
        let analytic = StructuralSimilarity.loss(prediction, target).gradient
        let numeric = numericalGradient(of: { Double(StructuralSimilarity.loss($0, target).value) }, at: prediction, epsilon: 1e-3)
        let result = compare("ssim", analytic: analytic, numeric: numeric)
        print(result)
        XCTAssertTrue(result.passes(tolerance), "\(result)")
        // The check can fail: a gradient 10 % too large is caught.
        let wrong = analytic * 1.1
        XCTAssertFalse(compare("ssim (planted error)", analytic: wrong, numeric: numeric).passes(tolerance))

        XCTAssertEqual(StructuralSimilarity.loss(target, target).value, 0, accuracy: 1e-6)
        // A horizontal 1-2-1 blur of the target, against a brightness shift of equal mean |error|.
        var blurred = target
        let width = 6
        for row in 0..<(target.count / width) {
            for x in 1..<(width - 1) {
                let i = row * width + x
                blurred.scalars[i] = (target.scalars[i - 1] + 2 * target.scalars[i] + target.scalars[i + 1]) / 4
            }
        }
        let error = (blurred - target).meanAbsolute()
        let shifted = target + Tensor(shape: target.shape, repeating: Float(error))
        XCTAssertGreaterThan(StructuralSimilarity.loss(blurred, target).value, 2 * StructuralSimilarity.loss(shifted, target).value)
    }

    /// The check must be able to fail: a layer whose backward is slightly wrong is caught.
    func testCheckerCatchesAWrongGradient() {
        final class SlightlyWrongSigmoid: Layer {
            let inner = Sigmoid()
            func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] { inputShape }
            func forward(_ input: Tensor, tape: Tape?) -> Tensor { inner.forward(input, tape: tape) }
            func backward(_ outputGradient: Tensor, tape: Tape) -> Tensor {
                inner.backward(outputGradient, tape: tape) * 1.05  // 5 % too large
            }
        }
        let results = checkLayerGradients(SlightlyWrongSigmoid(), input: randomTensor([2, 2, 3, 3], seed: 28))
        XCTAssertFalse(results[0].passes(tolerance), "a 5 % gradient error went unnoticed: \(results[0])")
    }
}
