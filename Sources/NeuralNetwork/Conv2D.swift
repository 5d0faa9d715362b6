import Tensors

/// A 2-D convolution over NCHW batches, computed as im2col + one `sgemm` per sample
/// (a 1×1, stride-1, unpadded kernel skips im2col).
///
/// Forward, per sample n: `Y_n[Cout, P] = W[Cout, K] · col(X_n)[K, P] + b`, with
/// `K = Cin·kh·kw` and `P = Hout·Wout`. Backward: `dW += dY_n · col(X_n)ᵀ`,
/// `db += Σ_p dY_n`, `dX_n = col2im(Wᵀ · dY_n)`. The column matrix is rebuilt in backward
/// rather than kept, so the tape holds only the input.
public final class Conv2D: Layer {
    /// Kernel weights `[outputChannels, inputChannels, kernelSize, kernelSize]`.
    public let weight: Parameter
    /// Per-output-channel bias `[outputChannels]`.
    public let bias: Parameter
    /// Input channels.
    public let inputChannels: Int
    /// Output channels.
    public let outputChannels: Int
    /// Square kernel extent.
    public let kernelSize: Int
    /// Step between windows.
    public let stride: Int
    /// Zero padding on every side.
    public let padding: Int

    /// Creates a convolution with He-uniform weights and zero bias.
    public init(
        inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
        name: String = "conv", generator: inout SeededGenerator
    ) {
        precondition(
            inputChannels > 0 && outputChannels > 0 && kernelSize > 0 && stride > 0 && padding >= 0,
            "Conv2D: invalid arguments inputChannels \(inputChannels), outputChannels \(outputChannels), kernelSize \(kernelSize), stride \(stride), padding \(padding)")
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        let fanIn = inputChannels * kernelSize * kernelSize
        weight = Parameter(
            name: name + ".weight",
            value: Initialization.heUniform(
                shape: [outputChannels, inputChannels, kernelSize, kernelSize], fanIn: fanIn, generator: &generator))
        bias = Parameter(name: name + ".bias", value: Tensor(shape: [outputChannels]))
    }

    /// Column-matrix floats per forward tile (256 KB, about a core's L2 share).
    static let tileFloats = 64 * 1024

    /// `rows` cut into consecutive ranges of `rowsPerTile` (the last may be shorter).
    static func tiles(of rows: Range<Int>, rowsPerTile: Int) -> [Range<Int>] {
        Swift.stride(from: rows.lowerBound, to: rows.upperBound, by: rowsPerTile).map { $0..<min($0 + rowsPerTile, rows.upperBound) }
    }

    /// `W'[c, o, ky, kx] = W[o, c, k−1−ky, k−1−kx]`, shaped `[inputChannels, outputChannels·k·k]`.
    func flippedTransposedWeight() -> [Float] {
        let k = kernelSize, w = weight.value.scalars
        var result = [Float](repeating: 0, count: w.count)
        for o in 0..<outputChannels {
            for c in 0..<inputChannels {
                for ky in 0..<k {
                    for kx in 0..<k {
                        result[((c * outputChannels + o) * k + ky) * k + kx] = w[((o * inputChannels + c) * k + (k - 1 - ky)) * k + (k - 1 - kx)]
                    }
                }
            }
        }
        return result
    }

    /// The weight and the bias.
    public var parameters: [Parameter] { [weight, bias] }

    var label: String { "Conv2D(\(inputChannels)→\(outputChannels), \(kernelSize)×\(kernelSize), stride \(stride), padding \(padding))" }

    /// `[N, outputChannels, Hout, Wout]` for an input `[N, inputChannels, H, W]`.
    public func outputShape(for s: [Int]) throws(ShapeError) -> [Int] {
        guard s.count == 4, s[1] == inputChannels else {
            throw ShapeError(layer: label, message: "expects input [N, \(inputChannels), H, W], got \(s)")
        }
        let g = geometry(height: s[2], width: s[3])
        guard g.outputHeight > 0, g.outputWidth > 0, s[2] + 2 * padding >= kernelSize, s[3] + 2 * padding >= kernelSize else {
            throw ShapeError(layer: label, message: "input \(s) is smaller than the kernel")
        }
        return [s[0], outputChannels, g.outputHeight, g.outputWidth]
    }

    func geometry(height: Int, width: Int) -> ConvolutionGeometry {
        ConvolutionGeometry(
            channels: inputChannels, height: height, width: width,
            kernelHeight: kernelSize, kernelWidth: kernelSize, stride: stride, padding: padding)
    }

    /// Convolves every sample; with a tape, keeps the input.
    ///
    /// Work is split into tasks of (sample, block of output rows): one task per sample when
    /// the batch fills the workers, else each sample's rows are split so a single frame
    /// still uses every core. Each task unfolds its rows and runs its own GEMM. The tasks run
    /// on `Parallel.gemmWorkerCount` workers: one when OpenBLAS splits each GEMM itself.
    public func forward(_ input: Tensor, tape: Tape?) -> Tensor {
        let outShape = checkedOutputShape(input)
        let g = geometry(height: input.shape[2], width: input.shape[3])
        let batch = input.shape[0], k = g.columnRows, p = g.columnCount, oh = g.outputHeight, ow = g.outputWidth
        let inPlane = inputChannels * g.height * g.width, outPlane = outputChannels * p
        // The split depends on the worker count only, never on OpenBLAS's threads, so every
        // process computes the same products (the same pixels from the host and the plugins).
        let blocks = batch >= Parallel.workerCount ? 1 : min(oh, (Parallel.workerCount + batch - 1) / batch)
        var output = Tensor(uninitializedShape: outShape)  // bias, then the GEMM adds on top
        let cout = outputChannels
        output.withUnsafeMutablePointer { out in
            input.withUnsafePointer { x in
                weight.value.withUnsafePointer { w in
                    bias.value.withUnsafePointer { b in
                        Parallel.forEach(batch * blocks, workers: Parallel.gemmWorkerCount) { task in
                            let n = task / blocks, block = task % blocks
                            let rows = (block * oh / blocks)..<((block + 1) * oh / blocks)
                            let width = rows.count * ow
                            let y = out + n * outPlane + rows.lowerBound * ow
                            // Bias first, then the GEMM accumulates on top (beta = 1).
                            for c in 0..<cout { (y + c * p).update(repeating: b[c], count: width) }
                            if g.isPointwise {
                                BLAS.gemm(.none, .none, m: cout, n: width, k: k, a: w, lda: k,
                                          b: x + n * inPlane + rows.lowerBound * ow, ldb: p, beta: 1, c: y, ldc: p)
                                return
                            }
                            // Unfold and multiply in tiles of rows whose column block stays in
                            // cache (≈256 KB), so the GEMM reads what im2col just wrote.
                            let tileRows = max(1, min(rows.count, Self.tileFloats / max(1, k * ow)))
                            ScratchPool.withBuffer(count: k * tileRows * ow) { col in
                                for tile in Self.tiles(of: rows, rowsPerTile: tileRows) {
                                    let tileWidth = tile.count * ow
                                    Im2col.unfold(x + n * inPlane, into: col, geometry: g, outputRows: tile)
                                    BLAS.gemm(.none, .none, m: cout, n: tileWidth, k: k, a: w, lda: k, b: col, ldb: tileWidth,
                                              beta: 1, c: out + n * outPlane + tile.lowerBound * ow, ldc: p)
                                }
                            }
                        }
                    }
                }
            }
        }
        tape?.push(input)
        return output
    }

    /// Accumulates weight and bias gradients; returns the input gradient.
    ///
    /// Samples are split into one contiguous chunk per worker; each chunk accumulates into
    /// its own partial weight/bias gradient, and the partials are added in chunk order, so
    /// the result is deterministic for a given worker count.
    public func backward(_ outputGradient: Tensor, tape: Tape) -> Tensor {
        gradients(outputGradient, tape: tape, needsInputGradient: true)!
    }

    /// Accumulates weight and bias gradients without computing the input gradient (the
    /// GEMM and col2im of dX are skipped): for a first layer, whose input is data.
    public func backwardParameters(_ outputGradient: Tensor, tape: Tape) {
        _ = gradients(outputGradient, tape: tape, needsInputGradient: false)
    }

    /// The shared backward; the input gradient only when `needsInputGradient`.
    private func gradients(_ outputGradient: Tensor, tape: Tape, needsInputGradient: Bool) -> Tensor? {
        let input = tape.pop(Tensor.self, for: label)
        let outShape = checkedOutputShape(input)
        requireShape(outputGradient.shape == outShape, label, "output gradient \(outputGradient.shape) does not match output \(outShape)")
        let g = geometry(height: input.shape[2], width: input.shape[3])
        let batch = input.shape[0], k = g.columnRows, p = g.columnCount, cout = outputChannels
        let inPlane = inputChannels * g.height * g.width, outPlane = cout * p
        let oh = g.outputHeight, ow = g.outputWidth
        let chunks = min(batch, Parallel.workerCount)
        // The input gradient of a stride-1 convolution is itself a convolution of dY with the
        // flipped, transposed kernel (padding k − 1 − p). With fewer output than input
        // channels that GEMM is much smaller than col2im's, whose Wᵀ·dY has Cin·k² rows.
        let gradientGeometry: ConvolutionGeometry? =
            (stride == 1 && cout < inputChannels && padding <= kernelSize - 1 && !g.isPointwise)
            ? ConvolutionGeometry(channels: cout, height: oh, width: ow, kernelHeight: kernelSize, kernelWidth: kernelSize,
                                  stride: 1, padding: kernelSize - 1 - padding)
            : nil
        let flipped = gradientGeometry == nil ? [] : flippedTransposedWeight()
        let weightTileRows = max(1, min(oh, Self.tileFloats / max(1, k * ow)))
        let inputTileRows = max(1, min(g.height, Self.tileFloats / max(1, cout * kernelSize * kernelSize * g.width)))
        let scratchCount = g.isPointwise ? 0 : max(
            k * weightTileRows * ow,
            !needsInputGradient ? 0 : gradientGeometry == nil ? k * p : cout * kernelSize * kernelSize * inputTileRows * g.width)
        let partialSize = cout * k + cout
        var partials = [Float](repeating: 0, count: chunks * partialSize)
        // col2im adds into zeros; the other paths write every element (GEMM with beta 0).
        let foldsInputGradient = gradientGeometry == nil && !g.isPointwise
        var inputGradient = !needsInputGradient ? Tensor(shape: [1])  // (never written without dX)
            : foldsInputGradient ? Tensor(shape: input.shape) : Tensor(uninitializedShape: input.shape)
        inputGradient.withUnsafeMutablePointer { dx in
            input.withUnsafePointer { x in
                outputGradient.withUnsafePointer { dy in
                    weight.value.withUnsafePointer { w in
                        partials.withUnsafeMutableBufferPointer { partialBuffer in
                            let partialBase = partialBuffer.baseAddress!
                            flipped.withUnsafeBufferPointer { flippedBuffer in
                            Parallel.forEach(chunks, workers: Parallel.gemmWorkerCount) { chunk in
                                let dw = partialBase + chunk * partialSize, db = dw + cout * k
                                ScratchPool.withBuffer(count: scratchCount) { col in
                                    for n in (chunk * batch / chunks)..<((chunk + 1) * batch / chunks) {
                                        let dyn = dy + n * outPlane, xn = x + n * inPlane, dxn = dx + n * inPlane
                                        for c in 0..<cout { db[c] += Float(LaneSums.sum(dyn + c * p, p)) }
                                        if g.isPointwise {
                                            // dW += dY_n · X_nᵀ, dX_n = Wᵀ · dY_n
                                            BLAS.gemm(.none, .transposed, m: cout, n: k, k: p, a: dyn, lda: p, b: xn, ldb: p, beta: 1, c: dw, ldc: k)
                                            if !needsInputGradient { continue }
                                            BLAS.gemm(.transposed, .none, m: k, n: p, k: cout, a: w, lda: k, b: dyn, ldb: p, beta: 0, c: dxn, ldc: p)
                                            continue
                                        }
                                        // dW += dY_n · col(X_n)ᵀ, tile by tile of output rows.
                                        for tile in Self.tiles(of: 0..<oh, rowsPerTile: weightTileRows) {
                                            Im2col.unfold(xn, into: col, geometry: g, outputRows: tile)
                                            BLAS.gemm(.none, .transposed, m: cout, n: k, k: tile.count * ow, a: dyn + tile.lowerBound * ow, lda: p,
                                                      b: col, ldb: tile.count * ow, beta: 1, c: dw, ldc: k)
                                        }
                                        if !needsInputGradient { continue }
                                        if let gradientGeometry {
                                            // dX_n = conv(dY_n, flipped Wᵀ), tile by tile of input rows.
                                            let kk = gradientGeometry.columnRows
                                            for tile in Self.tiles(of: 0..<g.height, rowsPerTile: inputTileRows) {
                                                Im2col.unfold(dyn, into: col, geometry: gradientGeometry, outputRows: tile)
                                                BLAS.gemm(.none, .none, m: inputChannels, n: tile.count * g.width, k: kk, a: flippedBuffer.baseAddress!, lda: kk,
                                                          b: col, ldb: tile.count * g.width, beta: 0, c: dxn + tile.lowerBound * g.width, ldc: g.height * g.width)
                                            }
                                        } else {
                                            // dX_n = col2im(Wᵀ · dY_n)
                                            BLAS.gemm(.transposed, .none, m: k, n: p, k: cout, a: w, lda: k, b: dyn, ldb: p, beta: 0, c: col, ldc: p)
                                            Im2col.fold(col, into: dxn, geometry: g)
                                        }
                                    }
                                }
                            }
                            }
                        }
                    }
                }
            }
        }
        weight.gradient.withUnsafeMutablePointer { dw in
            bias.gradient.withUnsafeMutablePointer { db in
                partials.withUnsafeBufferPointer { partial in
                    for chunk in 0..<chunks {
                        let base = chunk * partialSize
                        for i in 0..<(cout * k) { dw[i] += partial[base + i] }
                        for c in 0..<cout { db[c] += partial[base + cout * k + c] }
                    }
                }
            }
        }
        return needsInputGradient ? inputGradient : nil
    }
}
