import ProcessSettings
import Tensors
import TestSupport
import XCTest

final class Im2colTests: XCTestCase {
    let geometries = [
        ConvolutionGeometry(channels: 2, height: 5, width: 6, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1),
        ConvolutionGeometry(channels: 3, height: 7, width: 5, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1),
        ConvolutionGeometry(channels: 1, height: 8, width: 8, kernelHeight: 4, kernelWidth: 4, stride: 2, padding: 0),
        ConvolutionGeometry(channels: 2, height: 4, width: 4, kernelHeight: 5, kernelWidth: 5, stride: 1, padding: 2),
        ConvolutionGeometry(channels: 2, height: 3, width: 3, kernelHeight: 3, kernelWidth: 3, stride: 3, padding: 2),
        // Rows long enough for the 8-wide stride-1 and stride-2 paths, with odd tails.
        ConvolutionGeometry(channels: 2, height: 5, width: 21, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1),
        ConvolutionGeometry(channels: 2, height: 6, width: 37, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1),
        ConvolutionGeometry(channels: 1, height: 5, width: 40, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1),
    ]

    /// im2col equals the definition, element by element.
    func testUnfoldMatchesDefinition() {
        for (index, g) in geometries.enumerated() {
            let image = randomTensor([g.channels, g.height, g.width], seed: UInt64(index))
            var columns = [Float](repeating: .nan, count: g.columnRows * g.columnCount)
            image.withUnsafePointer { x in columns.withUnsafeMutableBufferPointer { Im2col.unfold(x, into: $0.baseAddress!, geometry: g) } }
            for c in 0..<g.channels {
                for ky in 0..<g.kernelHeight {
                    for kx in 0..<g.kernelWidth {
                        for oy in 0..<g.outputHeight {
                            for ox in 0..<g.outputWidth {
                                let iy = oy * g.stride - g.padding + ky, ix = ox * g.stride - g.padding + kx
                                let inside = iy >= 0 && iy < g.height && ix >= 0 && ix < g.width
                                let expected = inside ? image.scalars[(c * g.height + iy) * g.width + ix] : 0
                                let row = (c * g.kernelHeight + ky) * g.kernelWidth + kx
                                XCTAssertEqual(columns[row * g.columnCount + oy * g.outputWidth + ox], expected, "geometry \(index)")
                            }
                        }
                    }
                }
            }
        }
    }

    /// col2im is the adjoint of im2col: ⟨unfold(x), y⟩ = ⟨x, fold(y)⟩.
    func testFoldIsTheAdjointOfUnfold() {
        for (index, g) in geometries.enumerated() {
            let x = randomTensor([g.channels, g.height, g.width], seed: UInt64(10 + index))
            let y = randomTensor([g.columnRows, g.columnCount], seed: UInt64(20 + index))
            var unfolded = [Float](repeating: 0, count: g.columnRows * g.columnCount)
            var folded = Tensor(shape: x.shape)
            x.withUnsafePointer { p in unfolded.withUnsafeMutableBufferPointer { Im2col.unfold(p, into: $0.baseAddress!, geometry: g) } }
            y.withUnsafePointer { p in folded.withUnsafeMutablePointer { Im2col.fold(p, into: $0, geometry: g) } }
            let left = zip(unfolded, y.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let right = zip(x.scalars, folded.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            XCTAssertEqual(left, right, accuracy: 1e-4 * max(1, abs(left)), "geometry \(index)")
        }
    }
}

final class BLASTests: XCTestCase {
    func testMatmulMatchesNaiveProductForEveryTransposition() {
        let a = randomTensor([4, 3], seed: 1), b = randomTensor([3, 5], seed: 2)
        var expected = [Float](repeating: 0, count: 20)
        for i in 0..<4 { for j in 0..<5 { for k in 0..<3 { expected[i * 5 + j] += a.scalars[i * 3 + k] * b.scalars[k * 5 + j] } } }
        func transposed(_ t: Tensor) -> Tensor {
            let (r, c) = (t.shape[0], t.shape[1])
            return Tensor(shape: [c, r], scalars: (0..<(r * c)).map { t.scalars[($0 % r) * c + $0 / r] })
        }
        for (product, label) in [
            (BLAS.matmul(a, b), "AB"), (BLAS.matmul(transposed(a), b, transposeA: .transposed), "(Aᵀ)ᵀB"),
            (BLAS.matmul(a, transposed(b), transposeB: .transposed), "A(Bᵀ)ᵀ"),
            (BLAS.matmul(transposed(a), transposed(b), transposeA: .transposed, transposeB: .transposed), "(Aᵀ)ᵀ(Bᵀ)ᵀ"),
        ] {
            XCTAssertEqual(product.shape, [4, 5], label)
            for i in 0..<20 { XCTAssertEqual(product.scalars[i], expected[i], accuracy: 1e-5, label) }
        }
    }

    func testThreadCountCanBeSet() {
        let saved = BLAS.threadCount
        ProcessSettings.blasThreadCount = 1
        XCTAssertEqual(BLAS.threadCount, 1)
        ProcessSettings.blasThreadCount = saved
    }
}

final class TensorTests: XCTestCase {
    func testSeededGeneratorIsDeterministic() {
        var a = SeededGenerator(seed: 9), b = SeededGenerator(seed: 9), c = SeededGenerator(seed: 10)
        let x = (0..<5).map { _ in a.next() }
        XCTAssertEqual(x, (0..<5).map { _ in b.next() })
        XCTAssertNotEqual(x, (0..<5).map { _ in c.next() })
        for _ in 0..<1000 { XCTAssert((0..<1).contains(a.nextUnitFloat())) }
    }

    func testBatchesRoundTrip() {
        let t = randomTensor([3, 2, 2], seed: 3)
        let joined = Tensor.concatenatingBatches([t.batches(0..<1), t.batches(1..<3)])
        XCTAssertEqual(joined, t)
        XCTAssertEqual(t.batches(1..<2).shape, [1, 2, 2])
    }

    func testArithmetic() {
        let a = Tensor(shape: [2], scalars: [1, 2]), b = Tensor(shape: [2], scalars: [3, 5])
        XCTAssertEqual((a + b).scalars, [4, 7])
        XCTAssertEqual((b - a).scalars, [2, 3])
        XCTAssertEqual((a * 3).scalars, [3, 6])
        XCTAssertEqual(b.sum(), 8)
        XCTAssertFalse(Tensor(shape: [1], scalars: [.nan]).isFinite)
    }

    /// Tensors large enough to be split across the workers give the element-by-element result.
    func testLargeTensorsSplitAcrossWorkersGiveTheSameResult() {
        let count = 5 * Parallel.elementwiseChunk + 7
        let a = randomTensor([count], seed: 11), b = randomTensor([count], seed: 12)
        var sum = a
        sum += b
        let expected = (0..<count).map { a.scalars[$0] + b.scalars[$0] }
        XCTAssertEqual((a + b).scalars, expected)
        XCTAssertEqual(sum.scalars, expected)
        XCTAssertEqual((a - b).scalars, (0..<count).map { a.scalars[$0] - b.scalars[$0] })
        XCTAssertEqual((a * 3).scalars, a.scalars.map { $0 * 3 })
        let joined = Tensor.concatenatingBatches([a.reshaped(to: [1, count]), b.reshaped(to: [1, count])])
        XCTAssertEqual(joined.scalars, a.scalars + b.scalars)
        XCTAssertEqual(joined.batches(1..<2).scalars, b.scalars)
    }
}

final class Affine2DTests: XCTestCase {
    func testInverseAndComposition() {
        let m = Affine2D(angle: 0.4, scaleX: 1.3, scaleY: 0.8, shear: 0.2, translationX: 0.1, translationY: -0.3)
        let identity = m.composed(after: m.inverse!)
        for (a, b) in zip(identity.elements, Affine2D.identity.elements) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        let p = m.apply(x: 0.5, y: -0.25)
        let back = m.inverse!.apply(x: p.x, y: p.y)
        XCTAssertEqual(back.x, 0.5, accuracy: 1e-5)
        XCTAssertEqual(back.y, -0.25, accuracy: 1e-5)
        XCTAssertNil(Affine2D([1, 2, 0, 2, 4, 0]).inverse)
    }

    func testTranslationAndRotationMoveAsDocumented() {
        XCTAssertEqual(Affine2D(translationX: 0.5).apply(x: 0, y: 0).x, 0.5)
        let quarter = Affine2D(angle: .pi / 2).apply(x: 1, y: 0)  // x axis turns towards −y (up on screen)
        XCTAssertEqual(quarter.x, 0, accuracy: 1e-6)
        XCTAssertEqual(quarter.y, -1, accuracy: 1e-6)
    }
}

final class ChannelTests: XCTestCase {
    func testChannelConcatenationRoundTrips() {
        let a = randomTensor([2, 3, 2, 2], seed: 1), b = randomTensor([2, 1, 2, 2], seed: 2)
        let joined = Tensor.concatenatingChannels([a, b])
        XCTAssertEqual(joined.shape, [2, 4, 2, 2])
        XCTAssertEqual(Array(joined.scalars[12..<16]), b.scalars[0..<4].map { $0 })  // sample 0, channel 3
        let parts = joined.splittingChannels([3, 1])
        XCTAssertEqual(parts[0], a)
        XCTAssertEqual(parts[1], b)
    }
}
