import NeuralNetwork
import Tensors
import TestSupport
import XCTest

final class LayerTests: XCTestCase {
    /// The GEMM convolution equals the textbook sum, including bias, stride and padding.
    func testConv2DMatchesDirectConvolution() {
        var g = SeededGenerator(seed: 3)
        for (k, s, p) in [(3, 1, 1), (3, 2, 1), (1, 1, 0), (4, 2, 0)] {
            let conv = Conv2D(inputChannels: 3, outputChannels: 4, kernelSize: k, stride: s, padding: p, generator: &g)
            conv.bias.value = randomTensor([4], seed: 4)
            let x = randomTensor([2, 3, 8, 7], seed: 5)
            let y = conv(x)
            let oh = (8 + 2 * p - k) / s + 1, ow = (7 + 2 * p - k) / s + 1
            XCTAssertEqual(y.shape, [2, 4, oh, ow])
            for n in 0..<2 { for o in 0..<4 { for i in 0..<oh { for j in 0..<ow {
                var sum = Double(conv.bias.value.scalars[o])
                for c in 0..<3 { for ky in 0..<k { for kx in 0..<k {
                    let iy = i * s - p + ky, ix = j * s - p + kx
                    guard iy >= 0, iy < 8, ix >= 0, ix < 7 else { continue }
                    sum += Double(conv.weight.value.scalars[((o * 3 + c) * k + ky) * k + kx]) * Double(x.scalars[((n * 3 + c) * 8 + iy) * 7 + ix])
                } } }
                XCTAssertEqual(Double(y.scalars[((n * 4 + o) * oh + i) * ow + j]), sum, accuracy: 1e-4, "k\(k) s\(s) p\(p)")
            } } } }
        }
    }

    /// Layers with 1–4 output channels (the renderer's RGB output, the coverage and heatmap
    /// heads) equal the textbook sum at several widths, kernels and paddings, a batch of one
    /// (split by rows across the workers) included.
    func testFewOutputChannelsMatchTheTextbookSum() {
        var g = SeededGenerator(seed: 13)
        for (cout, k, p, h, w, batch) in [(1, 3, 1, 9, 8, 2), (2, 3, 1, 6, 13, 1), (3, 3, 1, 11, 21, 3), (4, 5, 2, 7, 10, 2), (3, 3, 0, 5, 12, 1)] {
            let cin = 5
            let conv = Conv2D(inputChannels: cin, outputChannels: cout, kernelSize: k, stride: 1, padding: p, generator: &g)
            conv.bias.value = randomTensor([cout], seed: 4)
            let x = randomTensor([batch, cin, h, w], seed: 5)
            let y = conv(x)
            let oh = h + 2 * p - k + 1, ow = w + 2 * p - k + 1
            XCTAssertEqual(y.shape, [batch, cout, oh, ow])
            var worst = 0.0
            for n in 0..<batch { for o in 0..<cout { for i in 0..<oh { for j in 0..<ow {
                var sum = Double(conv.bias.value.scalars[o])
                for c in 0..<cin { for ky in 0..<k { for kx in 0..<k {
                    let iy = i - p + ky, ix = j - p + kx
                    guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                    sum += Double(conv.weight.value.scalars[((o * cin + c) * k + ky) * k + kx]) * Double(x.scalars[((n * cin + c) * h + iy) * w + ix])
                } } }
                worst = max(worst, abs(Double(y.scalars[((n * cout + o) * oh + i) * ow + j]) - sum))
            } } } }
            XCTAssertLessThan(worst, 1e-4, "\(cout) outputs, k\(k) p\(p), \(h)x\(w)")
        }
    }

    /// A first layer's parameters-only backward gives the full backward's parameter gradients.
    func testParametersOnlyBackwardMatchesTheFullBackward() {
        var generator = SeededGenerator(seed: 5)
        for (cin, cout, stride) in [(3, 8, 1), (4, 6, 2), (6, 2, 1), (5, 5, 1)] {
            let network = Sequential([
                Conv2D(inputChannels: cin, outputChannels: cout, kernelSize: 3, stride: stride, padding: 1, generator: &generator),
                LeakyReLU(slope: 0.2),
            ])
            let input = randomTensor([2, cin, 11, 13], seed: 7)
            var gradients: [[Float]] = []
            for parametersOnly in [false, true] {
                for parameter in network.parameters { parameter.zeroGradient() }
                let tape = Tape()
                let output = network.forward(input, tape: tape)
                let outputGradient = randomTensor(output.shape, seed: 9)
                if parametersOnly { network.backwardParameters(outputGradient, tape: tape) } else { _ = network.backward(outputGradient, tape: tape) }
                XCTAssertEqual(tape.count, 0)
                gradients.append(network.parameters.flatMap { $0.gradient.scalars })
            }
            XCTAssertEqual(gradients[0], gradients[1], "\(cin)→\(cout) stride \(stride)")
            XCTAssertTrue(gradients[0].contains { $0 != 0 })
        }
    }

    func testGroupNormNormalisesEachGroup() {
        let norm = GroupNorm(groups: 2, channels: 4)
        let y = norm(randomTensor([1, 4, 5, 5], seed: 1, range: 3...9))
        for group in 0..<2 {
            let values = y.scalars[(group * 50)..<((group + 1) * 50)].map(Double.init)
            let mean = values.reduce(0, +) / 50
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 50
            XCTAssertEqual(mean, 0, accuracy: 1e-5)
            XCTAssertEqual(variance, 1, accuracy: 1e-3)
        }
    }

    /// GroupNorm with the fused leaky ReLU computes exactly what GroupNorm followed by
    /// LeakyReLU computes, forward and backward (the same operations in the same order).
    func testFusedLeakyReLUEqualsTheTwoLayers() {
        for (groups, channels, h, w, batch) in [(2, 4, 5, 5, 2), (8, 32, 16, 16, 3), (1, 3, 1, 7, 1)] {
            let fused = GroupNorm(groups: groups, channels: channels, leakySlope: 0.2)
            let plain = GroupNorm(groups: groups, channels: channels)
            for norm in [fused, plain] {
                norm.scale.value = randomTensor([channels], seed: 3, range: -1.5...1.5)
                norm.shift.value = randomTensor([channels], seed: 4)
            }
            let pair = Sequential([plain, LeakyReLU(slope: 0.2)])
            let x = randomTensor([batch, channels, h, w], seed: 5, range: -2...2)
            let dy = randomTensor([batch, channels, h, w], seed: 6)
            let fusedTape = Tape(), pairTape = Tape()
            let yFused = fused.forward(x, tape: fusedTape), yPair = pair.forward(x, tape: pairTape)
            XCTAssertEqual(yFused.scalars, yPair.scalars)
            XCTAssertTrue(yFused.scalars.contains { $0 < 0 } && yFused.scalars.contains { $0 > 0 })
            XCTAssertEqual(fused.backward(dy, tape: fusedTape).scalars, pair.backward(dy, tape: pairTape).scalars)
            XCTAssertEqual(fused.scale.gradient.scalars, plain.scale.gradient.scalars)
            XCTAssertEqual(fused.shift.gradient.scalars, plain.shift.gradient.scalars)
        }
    }

    func testNearestUpsampleRepeatsPixels() {
        let y = Upsample2x(mode: .nearest)(Tensor(shape: [1, 1, 1, 2], scalars: [1, 2]))
        XCTAssertEqual(y.scalars, [1, 1, 2, 2, 1, 1, 2, 2])
    }

    func testBilinearUpsampleUsesPixelCentres() {
        // Input [0, 4] → output centres at input coordinates −0.25(clamped 0), 0.25, 0.75, 1.25(clamped 1).
        let y = Upsample2x(mode: .bilinear)(Tensor(shape: [1, 1, 1, 2], scalars: [0, 4]))
        XCTAssertEqual(Array(y.scalars[0..<4]), [0, 1, 3, 4])
    }

    /// The fixed-tap bilinear doubling equals sampling at `(o + 0.5)/2 − 0.5` (clamped) on
    /// both axes, for planes of one row or column, even and odd sizes.
    func testBilinearUpsampleMatchesTheSamplingFormula() {
        for (h, w) in [(1, 1), (1, 6), (5, 1), (2, 3), (7, 9), (16, 16)] {
            let x = randomTensor([2, 3, h, w], seed: UInt64(h * 31 + w))
            let y = Upsample2x(mode: .bilinear)(x)
            func taps(_ o: Int, _ extent: Int) -> (Int, Int, Double) {
                let source = max(0, (Double(o) + 0.5) / 2 - 0.5), low = min(Int(source), extent - 1)
                return (low, min(low + 1, extent - 1), source - Double(low))
            }
            var worst = 0.0
            for plane in 0..<6 { for oy in 0..<(2 * h) { for ox in 0..<(2 * w) {
                let (r0, r1, wy) = taps(oy, h), (c0, c1, wx) = taps(ox, w)
                func v(_ r: Int, _ c: Int) -> Double { Double(x.scalars[(plane * h + r) * w + c]) }
                let expected = (1 - wy) * ((1 - wx) * v(r0, c0) + wx * v(r0, c1)) + wy * ((1 - wx) * v(r1, c0) + wx * v(r1, c1))
                worst = max(worst, abs(Double(y.scalars[(plane * 2 * h + oy) * 2 * w + ox]) - expected))
            } } }
            XCTAssertLessThan(worst, 1e-6, "\(h)×\(w)")
        }
    }

    func testInferenceLeavesNoRecordAndTrainingMirrorsForward() {
        var g = SeededGenerator(seed: 1)
        let net = Sequential([Conv2D(inputChannels: 1, outputChannels: 2, kernelSize: 3, padding: 1, generator: &g), ReLU()])
        let tape = Tape()
        let x = randomTensor([1, 1, 4, 4], seed: 2)
        XCTAssertEqual(net.forward(x, tape: tape), net(x))
        XCTAssertEqual(tape.count, 2)
        _ = net.backward(Tensor(shape: [1, 2, 4, 4], repeating: 1), tape: tape)
        XCTAssertEqual(tape.count, 0)
    }

    // MARK: - Bad arguments name the layer and the shapes

    func testConvRejectsWrongChannelCount() {
        var g = SeededGenerator(seed: 1)
        let conv = Conv2D(inputChannels: 3, outputChannels: 32, kernelSize: 3, stride: 2, padding: 1, generator: &g)
        XCTAssertThrowsError(try conv.outputShape(for: [16, 4, 64, 64])) { error in
            XCTAssertEqual("\(error)", "Conv2D(3→32, 3×3, stride 2, padding 1): expects input [N, 3, H, W], got [16, 4, 64, 64]")
        }
        XCTAssertThrowsError(try conv.outputShape(for: [16, 3, 64])) { error in
            XCTAssertTrue("\(error)".contains("got [16, 3, 64]"))
        }
    }

    func testConvRejectsInputSmallerThanKernel() {
        var g = SeededGenerator(seed: 1)
        let conv = Conv2D(inputChannels: 1, outputChannels: 1, kernelSize: 5, generator: &g)
        XCTAssertThrowsError(try conv.outputShape(for: [1, 1, 3, 8])) { error in
            XCTAssertEqual("\(error)", "Conv2D(1→1, 5×5, stride 1, padding 0): input [1, 1, 3, 8] is smaller than the kernel")
        }
    }

    func testSequentialReportsTheFirstLayerThatRefuses() {
        var g = SeededGenerator(seed: 1)
        let net = Sequential([
            Conv2D(inputChannels: 3, outputChannels: 8, kernelSize: 3, padding: 1, generator: &g),
            GroupNorm(groups: 2, channels: 6),
        ])
        XCTAssertThrowsError(try net.outputShape(for: [2, 3, 8, 8])) { error in
            XCTAssertEqual("\(error)", "GroupNorm(2 groups, 6 channels): expects input [N, 6, H, W], got [2, 8, 8, 8]")
        }
    }

    func testDenseRejectsWrongFeatureCount() {
        var g = SeededGenerator(seed: 1)
        XCTAssertThrowsError(try Dense(inputFeatures: 12, outputFeatures: 6, generator: &g).outputShape(for: [4, 2, 3, 3])) { error in
            XCTAssertTrue("\(error)".hasPrefix("Dense(12→6): expects input [N, 12]"), "\(error)")
        }
    }
}
