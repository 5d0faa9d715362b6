import Tensors
import XCTest

/// A product issued in pieces (``BLAS/gemm(_:_:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:maximumProduct:)``)
/// against a double-precision reference, with B as stored and transposed, α and β, strides
/// wider than the matrices, and pieces of one column up to the whole product.
final class BLASPiecesTests: XCTestCase {
    func testAProductInPiecesEqualsTheWholeProduct() {
        var state: UInt64 = 3
        func random() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int(state >> 40) - (1 << 23)) / Float(1 << 23)
        }
        let m = 7, n = 45, k = 13, lda = k + 2, ldc = n + 3
        let a = (0..<(m * lda)).map { _ in random() }
        for transposeB in [BLAS.Transpose.none, .transposed] {
            let ldb = transposeB == .none ? n + 1 : k + 4
            let b = (0..<((transposeB == .none ? k : n) * ldb)).map { _ in random() }
            let start = (0..<(m * ldc)).map { _ in random() }
            for maximumProduct in [1, m * k * 4, m * k * 10 + 5, m * n * k, .max] {
                var c = start
                a.withUnsafeBufferPointer { a in
                    b.withUnsafeBufferPointer { b in
                        c.withUnsafeMutableBufferPointer { c in
                            BLAS.gemm(.none, transposeB, m: m, n: n, k: k, alpha: 0.5, a: a.baseAddress!, lda: lda, b: b.baseAddress!, ldb: ldb,
                                      beta: 2, c: c.baseAddress!, ldc: ldc, maximumProduct: maximumProduct)
                        }
                    }
                }
                for i in 0..<m {
                    for j in 0..<ldc {
                        guard j < n else {
                            XCTAssertEqual(c[i * ldc + j], start[i * ldc + j], "the padding of C is left alone")
                            continue
                        }
                        var sum = 0.0
                        for p in 0..<k { sum += Double(a[i * lda + p]) * Double(transposeB == .none ? b[p * ldb + j] : b[j * ldb + p]) }
                        let expected = 0.5 * sum + 2 * Double(start[i * ldc + j])
                        XCTAssertEqual(Double(c[i * ldc + j]), expected, accuracy: 1e-4, "\(transposeB) pieces ≤ \(maximumProduct) at \(i),\(j)")
                    }
                }
            }
        }
    }
}
