import NeuralNetwork
import Tensors
import TestSupport
import XCTest

/// Every path of `Conv2D` (k² GEMMs over shifted windows for deep products, one GEMM over a
/// column matrix for shallow ones, the flipped-kernel input gradient, stride phases, tiles
/// of rows) against the textbook sums in double precision: forward, weight, bias and input
/// gradients.
final class ConvolutionPathsTests: XCTestCase {
    struct Case {
        var cin: Int, cout: Int, kernel: Int, stride: Int, padding: Int, height: Int, width: Int, batch: Int
    }

    func testEveryPathMatchesTheTextbookSums() {
        let cases = [
            Case(cin: 17, cout: 18, kernel: 3, stride: 1, padding: 1, height: 9, width: 11, batch: 3),  // deep, both ways
            Case(cin: 16, cout: 3, kernel: 3, stride: 1, padding: 1, height: 12, width: 10, batch: 2),  // RGB out: flipped dX
            Case(cin: 3, cout: 16, kernel: 3, stride: 1, padding: 1, height: 10, width: 13, batch: 2),  // RGB in: column matrix
            Case(cin: 16, cout: 17, kernel: 3, stride: 2, padding: 1, height: 12, width: 14, batch: 2),  // stride phases
            Case(cin: 16, cout: 16, kernel: 3, stride: 2, padding: 1, height: 11, width: 9, batch: 1),  // odd sizes, rows split
            Case(cin: 18, cout: 16, kernel: 4, stride: 2, padding: 0, height: 11, width: 12, batch: 2),  // pixels no window reads
            Case(cin: 16, cout: 16, kernel: 5, stride: 1, padding: 2, height: 7, width: 6, batch: 1),
            Case(cin: 16, cout: 16, kernel: 3, stride: 1, padding: 0, height: 8, width: 9, batch: 2),
            Case(cin: 4, cout: 5, kernel: 3, stride: 2, padding: 1, height: 9, width: 10, batch: 2),  // shallow, strided
            Case(cin: 16, cout: 17, kernel: 3, stride: 1, padding: 1, height: 70, width: 66, batch: 1),  // several tiles of rows
            // Thin products (the direct kernels where the CPU has them): register blocks of 3 and
            // 4 vectors (8 or 16 lanes), single vectors and single pixels at a row block's end.
            Case(cin: 32, cout: 3, kernel: 3, stride: 1, padding: 1, height: 13, width: 29, batch: 2),
            Case(cin: 20, cout: 1, kernel: 3, stride: 1, padding: 1, height: 9, width: 7, batch: 3),
            Case(cin: 3, cout: 32, kernel: 3, stride: 1, padding: 1, height: 17, width: 23, batch: 2),
            Case(cin: 2, cout: 5, kernel: 5, stride: 1, padding: 2, height: 6, width: 31, batch: 1),
            Case(cin: 4, cout: 6, kernel: 3, stride: 1, padding: 0, height: 8, width: 40, batch: 1),
            Case(cin: 32, cout: 64, kernel: 3, stride: 2, padding: 1, height: 32, width: 32, batch: 12),
            Case(cin: 64, cout: 64, kernel: 3, stride: 1, padding: 1, height: 16, width: 16, batch: 12),
            Case(cin: 64, cout: 64, kernel: 3, stride: 2, padding: 1, height: 16, width: 16, batch: 12),
        ]
        var generator = SeededGenerator(seed: 21)
        // Every case with the widest direct kernels this CPU has (thin layers; the deep ones
        // too where it has AVX-512), with the AVX2 ones for thin layers and OpenBLAS for deep
        // ones (both where the CPU has them), and with OpenBLAS.
        let choices: [(Conv2D.ThinKernels, Conv2D.DeepKernels)] = [(.direct, .direct), (.directAVX2, .blas), (.blas, .blas)]
        for (index, c) in (cases + cases + cases).enumerated() {
            let conv = Conv2D(inputChannels: c.cin, outputChannels: c.cout, kernelSize: c.kernel, stride: c.stride, padding: c.padding,
                              generator: &generator)
            (conv.thinKernels, conv.deepKernels) = choices[index / cases.count]
            conv.bias.value = randomTensor([c.cout], seed: UInt64(index + 1))
            let x = randomTensor([c.batch, c.cin, c.height, c.width], seed: UInt64(100 + index))
            let tape = Tape()
            let y = conv.forward(x, tape: tape)
            let oh = (c.height + 2 * c.padding - c.kernel) / c.stride + 1, ow = (c.width + 2 * c.padding - c.kernel) / c.stride + 1
            XCTAssertEqual(y.shape, [c.batch, c.cout, oh, ow])
            let dy = randomTensor(y.shape, seed: UInt64(200 + index))
            conv.weight.zeroGradient()
            conv.bias.zeroGradient()
            let dx = conv.backward(dy, tape: tape)

            let w = conv.weight.value.scalars.map(Double.init), xs = x.scalars.map(Double.init), dys = dy.scalars.map(Double.init)
            var expectedY = [Double](repeating: 0, count: y.count), expectedDX = [Double](repeating: 0, count: x.count)
            var expectedDW = [Double](repeating: 0, count: w.count), expectedDB = [Double](repeating: 0, count: c.cout)
            for n in 0..<c.batch { for o in 0..<c.cout { for i in 0..<oh { for j in 0..<ow {
                let outIndex = ((n * c.cout + o) * oh + i) * ow + j
                var sum = Double(conv.bias.value.scalars[o])
                expectedDB[o] += dys[outIndex]
                for ci in 0..<c.cin { for ky in 0..<c.kernel { for kx in 0..<c.kernel {
                    let iy = i * c.stride - c.padding + ky, ix = j * c.stride - c.padding + kx
                    guard iy >= 0, iy < c.height, ix >= 0, ix < c.width else { continue }
                    let wIndex = ((o * c.cin + ci) * c.kernel + ky) * c.kernel + kx, xIndex = ((n * c.cin + ci) * c.height + iy) * c.width + ix
                    sum += w[wIndex] * xs[xIndex]
                    expectedDW[wIndex] += dys[outIndex] * xs[xIndex]
                    expectedDX[xIndex] += dys[outIndex] * w[wIndex]
                } } }
                expectedY[outIndex] = sum
            } } } }
            let label = "case \(index % cases.count) (\(conv.productKernels?.rawValue ?? "OpenBLAS")): \(c)"
            XCTAssertLessThan(worstError(y.scalars, expectedY), 1e-4, "forward, \(label)")
            XCTAssertLessThan(worstError(dx.scalars, expectedDX), 1e-4, "input gradient, \(label)")
            XCTAssertLessThan(worstError(conv.weight.gradient.scalars, expectedDW), 1e-3, "weight gradient, \(label)")
            XCTAssertLessThan(worstError(conv.bias.gradient.scalars, expectedDB), 1e-3, "bias gradient, \(label)")
        }
    }

    /// Inference through Winograd's F(4×4, 3×3) against the textbook sums: sizes that are
    /// and are not multiples of the 4×4 tile (one smaller than a tile), batches, channel
    /// counts that are not multiples of anything; and the layers it must leave alone.
    func testWinogradInferenceMatchesTheTextbookSums() {
        let cases = [
            Case(cin: 16, cout: 16, kernel: 3, stride: 1, padding: 1, height: 8, width: 8, batch: 1),
            Case(cin: 17, cout: 18, kernel: 3, stride: 1, padding: 1, height: 9, width: 11, batch: 3),
            Case(cin: 64, cout: 32, kernel: 3, stride: 1, padding: 1, height: 13, width: 30, batch: 2),
            Case(cin: 20, cout: 64, kernel: 3, stride: 1, padding: 1, height: 3, width: 2, batch: 2),
            Case(cin: 64, cout: 64, kernel: 3, stride: 1, padding: 1, height: 64, width: 64, batch: 1),
        ]
        var generator = SeededGenerator(seed: 23)
        for (index, c) in cases.enumerated() {
            let conv = Conv2D(inputChannels: c.cin, outputChannels: c.cout, kernelSize: c.kernel, stride: c.stride, padding: c.padding,
                              generator: &generator)
            // Winograd runs where OpenBLAS runs the layer (not where the AVX-512 direct kernels
            // replace OpenBLAS's narrower kernel).
            conv.deepKernels = .blas
            XCTAssertTrue(conv.runsWinogradAtInference, "\(c)")
            conv.bias.value = randomTensor([c.cout], seed: UInt64(index + 1))
            let x = randomTensor([c.batch, c.cin, c.height, c.width], seed: UInt64(300 + index))
            let y = conv.forward(x, tape: nil)
            XCTAssertEqual(y.shape, [c.batch, c.cout, c.height, c.width])
            let w = conv.weight.value.scalars.map(Double.init), xs = x.scalars.map(Double.init)
            var expected = [Double](repeating: 0, count: y.count)
            for n in 0..<c.batch { for o in 0..<c.cout { for i in 0..<c.height { for j in 0..<c.width {
                var sum = Double(conv.bias.value.scalars[o])
                for ci in 0..<c.cin { for ky in 0..<3 { for kx in 0..<3 {
                    let iy = i - 1 + ky, ix = j - 1 + kx
                    guard iy >= 0, iy < c.height, ix >= 0, ix < c.width else { continue }
                    sum += w[((o * c.cin + ci) * 3 + ky) * 3 + kx] * xs[((n * c.cin + ci) * c.height + iy) * c.width + ix]
                } } }
                expected[((n * c.cout + o) * c.height + i) * c.width + j] = sum
            } } } }
            let scale = expected.map(abs).max()!
            XCTAssertLessThan(worstError(y.scalars, expected), 2e-5 * scale, "Winograd forward, \(c)")
            // The training path (a tape) and the shifted windows agree with it to rounding.
            conv.inferenceKernels = .shiftedWindows
            XCTAssertFalse(conv.runsWinogradAtInference)
            XCTAssertLessThan(worstError(conv.forward(x, tape: nil).scalars, expected), 1e-5 * scale, "shifted windows, \(c)")
        }
        for other in [(3, 16, 3, 1, 1), (16, 3, 3, 1, 1), (16, 16, 3, 2, 1), (16, 16, 5, 1, 2), (16, 16, 3, 1, 0)] {
            let conv = Conv2D(inputChannels: other.0, outputChannels: other.1, kernelSize: other.2, stride: other.3, padding: other.4,
                              generator: &generator)
            conv.deepKernels = .blas
            XCTAssertFalse(conv.runsWinogradAtInference, "\(other)")
        }
        // Where the direct kernels run a deep layer, inference runs them too.
        let direct = Conv2D(inputChannels: 16, outputChannels: 16, kernelSize: 3, padding: 1, generator: &generator)
        direct.deepKernels = .direct
        XCTAssertEqual(direct.runsWinogradAtInference, direct.productKernels == nil)
    }

    /// The layout itself: padded planes put every image pixel a window reads where
    /// `offset(ky:kx:rows:)` says, for strides 1 to 3, and `unpad` is its inverse.
    func testPlanesHoldEveryWindowElementAtItsOffset() {
        // Rows long enough for the 8-wide stride-2 gather and scatter, with odd tails.
        let shapes = [(1, 3, 1, 5, 7), (2, 3, 1, 9, 8), (3, 5, 2, 10, 11), (2, 4, 0, 7, 9), (3, 3, 2, 3, 3), (1, 3, 1, 5, 21),
                      (2, 3, 1, 6, 37), (2, 3, 1, 5, 40), (1, 5, 2, 4, 4)]
        for (stride, kernel, padding, height, width) in shapes {
            let g = ConvolutionGeometry(channels: 2, height: height, width: width, kernelHeight: kernel, kernelWidth: kernel,
                                        stride: stride, padding: padding)
            let windows = ShiftedWindows(g)
            let image = (0..<(2 * height * width)).map { Float($0 + 1) }
            for rows in [0..<g.outputHeight, 1..<g.outputHeight] {
                var planes = [Float](repeating: .nan, count: windows.planesCount(rows: rows.count))
                image.withUnsafeBufferPointer { source in
                    planes.withUnsafeMutableBufferPointer { windows.pad(source.baseAddress!, into: $0.baseAddress!, outputRows: rows) }
                }
                XCTAssertFalse(planes.contains { $0.isNaN }, "every plane float is written")
                for c in 0..<2 { for oy in rows { for ox in 0..<g.outputWidth { for ky in 0..<kernel { for kx in 0..<kernel {
                    let iy = oy * stride - padding + ky, ix = ox * stride - padding + kx
                    let inside = iy >= 0 && iy < height && ix >= 0 && ix < width
                    let expected: Float = inside ? image[(c * height + iy) * width + ix] : 0
                    let index = windows.offset(ky: ky, kx: kx, rows: rows.count) + c * windows.planeStride(rows: rows.count)
                        + (oy - rows.lowerBound) * windows.paddedWidth + ox
                    XCTAssertEqual(planes[index], expected, "s\(stride) k\(kernel) p\(padding) c\(c) (\(oy), \(ox)) (\(ky), \(kx))")
                } } } } }
                guard rows.lowerBound == 0 else { continue }
                var back = [Float](repeating: .nan, count: image.count)
                planes.withUnsafeBufferPointer { planes in
                    back.withUnsafeMutableBufferPointer { windows.unpad(planes.baseAddress!, into: $0.baseAddress!) }
                }
                for c in 0..<2 { for iy in 0..<height { for ix in 0..<width {
                    // A pixel no window reads comes back as 0.
                    let read = (0..<g.outputHeight).contains { oy in (0..<kernel).contains { oy * stride - padding + $0 == iy } }
                        && (0..<g.outputWidth).contains { ox in (0..<kernel).contains { ox * stride - padding + $0 == ix } }
                    XCTAssertEqual(back[(c * height + iy) * width + ix], read ? image[(c * height + iy) * width + ix] : 0)
                } } }
            }
        }
    }

    private func worstError(_ actual: [Float], _ expected: [Double]) -> Double {
        precondition(actual.count == expected.count)
        return zip(actual, expected).map { abs(Double($0) - $1) }.max() ?? 0
    }
}
