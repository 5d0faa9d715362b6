import Tensors

/// A 2-D convolution over NCHW batches, computed as GEMMs over shifted windows of the image
/// (``ShiftedWindows``): the image is copied once into zero-padded planes (one per stride
/// phase), and each kernel offset (ky, kx) is one GEMM `W[:, :, ky, kx] · shifted planes` of
/// depth `inputChannels`, accumulated in place. A product too shallow for that (3 input
/// channels) takes one GEMM over a column matrix copied span by span from the same planes.
///
/// Backward per sample n: `dW[:, :, ky, kx] += dY_n · shifted planes(X_n)ᵀ`, `db += Σ_p dY_n`,
/// and, for a stride-1 kernel, `dX` as the convolution of dY with the flipped, transposed
/// kernel, run as forward runs (a stride-2 kernel's `dX_n` is gathered in planes as
/// `Σ W[:, :, ky, kx]ᵀ · dY_n` at the same shifts). The tape holds the input; backward pads
/// it again (a sample's planes, kept for a whole batch, were written to memory no cache
/// holds: forward ran 10–25 % slower, and the training step no faster).
public final class Conv2D: DescribedLayer {
    /// `conv2d` with its channels, kernel, stride and padding.
    public var layerDescription: LayerDescription {
        LayerDescription(op: "conv2d", name: LayerDescription.prefix(of: weight), settings: [
            "in": Double(inputChannels), "out": Double(outputChannels), "kernel": Double(kernelSize), "stride": Double(stride), "padding": Double(padding),
        ])
    }


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
    /// Which code runs a thin stride-1 product (at most four channels on one side: the RGB
    /// layers, a coverage head). Results agree to rounding either way (the sums run in
    /// another order).
    public enum ThinKernels: String, CaseIterable, Sendable {
        /// The direct kernels where they are the faster choice on this machine: the
        /// AVX-512 ones wherever the CPU has AVX-512, the AVX2 ones where it has AVX2 and
        /// FMA and OpenBLAS's kernel is below AVX-512; else OpenBLAS.
        case automatic
        /// The widest direct kernels the CPU has (``DirectKernels``); OpenBLAS on a CPU
        /// without AVX2 and FMA.
        case direct
        /// The 8-lane AVX2 + FMA kernels of `VectorKernels` whenever the CPU has AVX2 and FMA
        /// (else OpenBLAS), also where wider ones exist.
        case directAVX2 = "direct-avx2"
        /// OpenBLAS always.
        case blas
    }

    /// Which code runs a deep product (more than four channels on both sides). Results agree
    /// to rounding either way.
    public enum DeepKernels: String, CaseIterable, Sendable {
        /// The AVX-512 direct kernels where the CPU has AVX-512 and OpenBLAS's kernel is
        /// narrower (an AVX2 kernel set through `OPENBLAS_CORETYPE`, a misdetected CPU), where
        /// they are the faster choice; else OpenBLAS.
        case automatic
        /// The AVX-512 direct kernels wherever the CPU has AVX-512 (else OpenBLAS).
        case direct
        /// OpenBLAS always.
        case blas
    }

    /// The direct kernels, by instruction set.
    public enum DirectKernels: String, Sendable {
        /// 8-lane vectors, AVX2 + FMA (`VectorKernels`).
        case avx2 = "direct-avx2"
        /// 16-lane vectors, AVX-512 (`VectorKernels512`, the same source).
        case avx512 = "direct-avx512"
    }

    /// Which code runs this layer's thin products (default ``ThinKernels/automatic``).
    public var thinKernels = ThinKernels.automatic

    /// Which code runs this layer's deep products (default ``DeepKernels/automatic``).
    public var deepKernels = DeepKernels.automatic

    /// What runs a forward pass without a tape (inference) through a 3×3, stride-1,
    /// padding-1 layer with at least 16 channels on both sides.
    public enum InferenceKernels: String, CaseIterable, Sendable {
        /// Winograd's minimal filtering F(4×4, 3×3): a quarter of the multiply-adds, results
        /// equal to rounding (`WinogradConvolution`).
        case winograd
        /// What training runs: the shifted-window GEMMs, or the direct kernels where
        /// ``Conv2D/productKernels`` says.
        case shiftedWindows = "shifted-windows"
    }

    /// What runs this layer's forward pass at inference (default ``InferenceKernels/winograd``).
    public var inferenceKernels = InferenceKernels.winograd

    /// Whether a forward pass without a tape runs Winograd's F(4×4, 3×3) here: where it
    /// applies and OpenBLAS runs the layer's products (the AVX-512 direct kernels beat
    /// Winograd on OpenBLAS's AVX2 kernel: 64→32 at 64×64 in 6.8 ms against 12.4).
    public var runsWinogradAtInference: Bool {
        inferenceKernels == .winograd && productKernels == nil
            && WinogradConvolution.applies(kernelSize: kernelSize, stride: stride, padding: padding, inputs: inputChannels, outputs: outputChannels)
    }

    /// The direct kernels this layer's thin products would run on this machine; nil: OpenBLAS.
    public var thinDirectKernels: DirectKernels? {
        switch thinKernels {
        case .automatic: DirectKernelDispatch.automaticChoice
        case .direct: DirectKernelDispatch.widestSupported
        case .directAVX2: DirectKernelDispatch.widestSupported.map { _ in .avx2 }
        case .blas: nil
        }
    }

    /// The direct kernels this layer's deep products would run on this machine; nil: OpenBLAS.
    public var deepDirectKernels: DirectKernels? {
        switch deepKernels {
        case .automatic: DirectKernelDispatch.automaticDeepChoice
        case .direct: DirectKernelDispatch.widestSupported == .avx512 ? .avx512 : nil
        case .blas: nil
        }
    }

    /// The direct kernels a product of this layer's kind runs: a thin one (at most four
    /// channels on one side) with ``thinDirectKernels`` at stride 1 (else OpenBLAS), a deep
    /// one with ``deepDirectKernels``; nil: OpenBLAS.
    func directKernels(inputs: Int, outputs: Int, stride: Int) -> DirectKernels? {
        min(inputs, outputs) <= DirectKernelDispatch.maximumThinChannels ? (stride == 1 ? thinDirectKernels : nil) : deepDirectKernels
    }

    /// The direct kernels that run this layer's forward pass and weight gradient on this
    /// machine; nil: OpenBLAS.
    public var productKernels: DirectKernels? { directKernels(inputs: inputChannels, outputs: outputChannels, stride: stride) }

    /// Whether this layer's forward pass and weight gradient run the direct kernels here.
    public var runsDirectKernels: Bool { productKernels != nil }

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

    /// Floats per tile of rows (256 KB, about a core's L2 share): the planes and outputs one tile's
    /// k² GEMMs share, or one tile of a column matrix.
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

    /// The smallest GEMM depth (channels) for which a product runs as k² GEMMs over shifted
    /// windows; shallower ones (an RGB input) take one GEMM over a column matrix instead.
    static let shiftedMinimumChannels = 16

    /// A stored weight `[outputs, inputs, kk]` as kk matrices `[outputs, inputs]`, one per
    /// window offset: the A operands of the shifted-window GEMMs.
    static func perOffset(_ w: [Float], outputs: Int, inputs: Int, offsets kk: Int) -> [Float] {
        var result = [Float](repeating: 0, count: w.count)
        for o in 0..<outputs {
            for c in 0..<inputs {
                for s in 0..<kk { result[(s * outputs + o) * inputs + c] = w[(o * inputs + c) * kk + s] }
            }
        }
        return result
    }

    /// Output rows per column-matrix tile for a product of depth `depth` over `windows`.
    static func columnTileRows(_ windows: ShiftedWindows, depth: Int) -> Int {
        max(1, min(windows.geometry.outputHeight, tileFloats / max(1, depth * windows.paddedWidth)))
    }

    /// Scratch floats `convolve` needs for its column matrix (0 with `perOffset`).
    static func columnScratch(_ windows: ShiftedWindows, deep: Bool) -> Int {
        let g = windows.geometry, depth = g.columnRows
        return deep ? 0 : depth * columnTileRows(windows, depth: depth) * windows.paddedWidth
    }

    /// Convolves planes made by `windows.pad` for `rows` output rows into extended outputs
    /// `y = [outputs, extendedCount(rows)]` (overwritten): k² GEMMs of depth `channels`
    /// with `perOffset` weights, else one GEMM per tile over a column matrix with the stored
    /// weights `[outputs, channels·kk]`. Tiles of rows keep each tile's planes in cache.
    static func convolve(
        _ windows: ShiftedWindows, planes: UnsafePointer<Float>, rows: Int, weight: UnsafePointer<Float>,
        perOffset: UnsafePointer<Float>?, outputs: Int, columns: UnsafeMutablePointer<Float>, into y: UnsafeMutablePointer<Float>,
        maximumProduct: Int = .max
    ) {
        let g = windows.geometry, kw = g.kernelWidth, kk = g.kernelHeight * kw, inputs = g.channels
        let wq = windows.paddedWidth, extended = windows.extendedCount(rows: rows), stride = windows.planeStride(rows: rows)
        if let perOffset {
            let tileRows = windows.tileRows(channels: inputs * windows.phases + outputs, floats: tileFloats)
            for tile in tiles(of: 0..<rows, rowsPerTile: tileRows) {
                let start = tile.lowerBound * wq
                for s in 0..<kk {
                    BLAS.gemm(.none, .none, m: outputs, n: tile.count * wq, k: inputs, a: perOffset + s * outputs * inputs, lda: inputs,
                              b: planes + windows.offset(ky: s / kw, kx: s % kw, rows: rows) + start, ldb: stride,
                              beta: s == 0 ? 0 : 1, c: y + start, ldc: extended, maximumProduct: maximumProduct)
                }
            }
            return
        }
        let depth = g.columnRows
        for tile in tiles(of: 0..<rows, rowsPerTile: columnTileRows(windows, depth: depth)) {
            let width = tile.count * wq
            windows.unfold(planes, rows: rows, tile: tile, into: columns)
            BLAS.gemm(.none, .none, m: outputs, n: width, k: depth, a: weight, lda: depth, b: columns, ldb: width,
                      beta: 0, c: y + tile.lowerBound * wq, ldc: extended, maximumProduct: maximumProduct)
        }
    }

    /// What a forward pass keeps for backward: its input.
    struct Record {
        var input: Tensor
    }

    /// Convolves every sample; with a tape, keeps the input.
    public func forward(_ input: Tensor, tape: Tape?) -> Tensor {
        let outShape = checkedOutputShape(input)
        if tape == nil && runsWinogradAtInference { return winogradForward(input, outputShape: outShape) }
        var output = Tensor(uninitializedShape: outShape)
        output.withUnsafeMutablePointer { out in
            input.withUnsafePointer { x in
                weight.value.withUnsafePointer { w in
                    bias.value.withUnsafePointer { b in
                        Self.convolveBatch(x, batch: input.shape[0], geometry(height: input.shape[2], width: input.shape[3]), weight: w,
                                           outputs: outputChannels, bias: b, kernels: productKernels, into: out)
                    }
                }
            }
        }
        tape?.push(Record(input: input))
        return output
    }

    /// Convolves a batch `x = [batch, g.channels, g.height, g.width]` with weights in the stored
    /// order `[outputs, g.channels·kh·kw]` into `out = [batch, outputs, Hout, Wout]`, adding
    /// `bias` if given, with the direct `kernels` (nil: OpenBLAS).
    ///
    /// Work is split into tasks of (sample, block of output rows): one task per sample when
    /// the batch fills the workers, else each sample's rows are split so a single frame
    /// still uses every core. Each task pads its rows into planes and runs its own GEMMs
    /// (`convolve`) in pieces OpenBLAS runs on the calling thread, so the tasks run on every
    /// worker whatever OpenBLAS's thread count.
    static func convolveBatch(
        _ x: UnsafePointer<Float>, batch: Int, _ g: ConvolutionGeometry, weight w: UnsafePointer<Float>, outputs cout: Int,
        bias b: UnsafePointer<Float>?, kernels: DirectKernels?, into out: UnsafeMutablePointer<Float>
    ) {
        let oh = g.outputHeight, cin = g.channels, kk = g.kernelHeight * g.kernelWidth
        let inPlane = cin * g.height * g.width, outPlane = cout * g.columnCount
        // The split depends on the worker count only, never on OpenBLAS's threads, so every
        // process computes the same products (the same pixels from the host and the plugins).
        let blocks = batch >= Parallel.workerCount ? 1 : min(oh, (Parallel.workerCount + batch - 1) / batch)
        let windows = ShiftedWindows(g), deep = cin >= shiftedMinimumChannels, direct = kernels != nil
        let perOffset = deep && !direct ? Self.perOffset(Array(UnsafeBufferPointer(start: w, count: cout * cin * kk)), outputs: cout, inputs: cin, offsets: kk) : []
        let columnCount = direct ? 0 : columnScratch(windows, deep: deep)
        // Products go in pieces that OpenBLAS runs on the calling thread, on every worker:
        // where a host runs OpenBLAS with several threads (ffmpeg does), those threads never
        // wake, so they do not spin between products against the host's own (28 % of a plugin
        // run's samples); and pieces of a few hundred columns stay in cache (training's 64→64
        // and 64→32 layers ran 10–20 % faster than as whole products). The same pieces in every
        // process, so the same pixels.
        let maximumProduct = BLAS.callingThreadProduct
        perOffset.withUnsafeBufferPointer { perOffset in
            Parallel.forEach(batch * blocks) { task in
                let n = task / blocks, block = task % blocks
                let rows = (block * oh / blocks)..<((block + 1) * oh / blocks)
                let planesCount = windows.planesCount(rows: rows.count), extended = windows.extendedCount(rows: rows.count)
                ScratchPool.withBuffer(count: planesCount + cout * extended + columnCount) { scratch in
                    let planes = scratch, y = scratch + planesCount
                    windows.pad(x + n * inPlane, into: planes, outputRows: rows)
                    if let kernels {
                        DirectKernelDispatch.convolve(kernels, windows, planes: planes, rows: rows.count, weight: w, outputs: cout, into: y)
                    } else {
                        convolve(windows, planes: planes, rows: rows.count, weight: w, perOffset: deep ? perOffset.baseAddress! : nil,
                                 outputs: cout, columns: y + cout * extended, into: y, maximumProduct: maximumProduct)
                    }
                    windows.crop(y, channels: cout, rows: rows.count, into: out + n * outPlane, firstRow: rows.lowerBound, bias: b)
                }
            }
        }
    }

    /// The forward pass of an inference through ``WinogradConvolution``.
    private func winogradForward(_ input: Tensor, outputShape: [Int]) -> Tensor {
        var output = Tensor(uninitializedShape: outputShape)
        let transformed = weight.value.withUnsafePointer {
            WinogradConvolution.transformedWeights($0, outputs: outputChannels, inputs: inputChannels)
        }
        output.withUnsafeMutablePointer { out in
            input.withUnsafePointer { x in
                bias.value.withUnsafePointer { b in
                    transformed.withUnsafeBufferPointer { u in
                        WinogradConvolution.forward(x, batch: input.shape[0], inputs: inputChannels, height: input.shape[2], width: input.shape[3],
                                                    transformedWeights: u.baseAddress!, bias: b, outputs: outputChannels, into: out)
                    }
                }
            }
        }
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

    /// Accumulates weight and bias gradients without computing the input gradient (its
    /// GEMMs are skipped): for a first layer, whose input is data.
    public func backwardParameters(_ outputGradient: Tensor, tape: Tape) {
        _ = gradients(outputGradient, tape: tape, needsInputGradient: false)
    }

    /// The shared backward; the input gradient only when `needsInputGradient`.
    private func gradients(_ outputGradient: Tensor, tape: Tape, needsInputGradient: Bool) -> Tensor? {
        let record = tape.pop(Record.self, for: label)
        let inputShape = record.input.shape
        let outShape = checkedOutputShape(for: inputShape)
        requireShape(outputGradient.shape == outShape, label, "output gradient \(outputGradient.shape) does not match output \(outShape)")
        let g = geometry(height: inputShape[2], width: inputShape[3])
        let batch = inputShape[0], depth = g.columnRows, p = g.columnCount, cout = outputChannels, cin = inputChannels
        let inPlane = cin * g.height * g.width, outPlane = cout * p, kk = kernelSize * kernelSize, oh = g.outputHeight
        let chunks = min(batch, Parallel.workerCount)
        let windows = ShiftedWindows(g)
        let wq = windows.paddedWidth, extended = windows.extendedCount(rows: oh), planeStride = windows.planeStride(rows: oh)
        let planesCount = windows.planesCount(rows: oh)
        // dW with the direct kernels where they run the layer (dot products over the pixels),
        // else per offset (k² GEMMs as deep as the image, `cin` wide) when the input is deep,
        // else one GEMM per tile over the column matrix.
        let kernels = productKernels, directWeight = kernels != nil
        let deepWeight = cin >= Self.shiftedMinimumChannels && !directWeight
        // dX of a stride-1 layer is the convolution of dY with the flipped, transposed kernel,
        // run as forward runs (`convolveBatch`: pieces on every worker, or the direct kernels)
        // after the weight gradient; a stride-2 layer's is gathered in planes,
        // Σ W[ky, kx]ᵀ · dY at the window shifts, beside its weight gradient.
        let flippedGeometry: ConvolutionGeometry? = (needsInputGradient && stride == 1 && padding <= kernelSize - 1)
            ? ConvolutionGeometry(channels: cout, height: oh, width: g.outputWidth, kernelHeight: kernelSize, kernelWidth: kernelSize,
                                  stride: 1, padding: kernelSize - 1 - padding)
            : nil
        let gathersInputGradient = needsInputGradient && flippedGeometry == nil
        // The gathered dX with the direct kernels: each phase's planes in one pass.
        let phaseProducts = gathersInputGradient ? directKernels(inputs: cout, outputs: cin, stride: 1).map {
            PhaseProducts(kernels: $0, windows: windows, weight: weight.value.scalars, outputs: cout, rows: oh)
        } : nil
        // Without any GEMM in the loop below, every worker takes part.
        let chunkWorkers = directWeight && (!gathersInputGradient || phaseProducts != nil) ? Parallel.workerCount : Parallel.gemmWorkerCount
        let perOffset = deepWeight || (gathersInputGradient && phaseProducts == nil)
            ? Self.perOffset(weight.value.scalars, outputs: cout, inputs: cin, offsets: kk) : []
        // [planes | dY extended | column matrix when shallow | the gathered input gradient's planes | dY with margins]
        let weightScratch = planesCount + cout * extended + Self.columnScratch(windows, deep: deepWeight || directWeight)
        let inputScratch = gathersInputGradient ? planesCount + (phaseProducts.map { cout * $0.rowLength } ?? 0) : 0
        let tileRows = windows.tileRows(channels: cin * windows.phases + cout, floats: Self.tileFloats)
        let partialSize = cout * depth + cout
        var partials = [Float](repeating: 0, count: chunks * partialSize)
        var inputGradient = needsInputGradient ? Tensor(uninitializedShape: inputShape) : Tensor(shape: [1])  // (never written without dX)
        inputGradient.withUnsafeMutablePointer { dx in
            record.input.withUnsafePointer { source in
                outputGradient.withUnsafePointer { dy in
                    partials.withUnsafeMutableBufferPointer { partialBuffer in
                        perOffset.withUnsafeBufferPointer { perOffset in
                            Parallel.forEach(chunks, workers: chunkWorkers) { chunk in
                                // dW as [kk, cout, cin] when deep (and not direct), else as stored, [cout, cin·kk].
                                let dw = partialBuffer.baseAddress! + chunk * partialSize, db = dw + cout * depth
                                ScratchPool.withBuffer(count: weightScratch + inputScratch) { scratch in
                                    let planes = scratch, dyExtended = scratch + planesCount, columns = dyExtended + cout * extended
                                    for n in (chunk * batch / chunks)..<((chunk + 1) * batch / chunks) {
                                        let dyn = dy + n * outPlane
                                        for c in 0..<cout { db[c] += Float(LaneSums.sum(dyn + c * p, p)) }
                                        windows.pad(source + n * inPlane, into: planes, outputRows: 0..<oh)
                                        windows.extend(dyn, channels: cout, into: dyExtended)
                                        if directWeight {
                                            DirectKernelDispatch.accumulateWeightGradient(kernels!, windows, planes: planes, rows: oh, outputGradient: dyExtended,
                                                                                     outputs: cout, into: dw)
                                        } else if deepWeight {
                                            for tile in Self.tiles(of: 0..<oh, rowsPerTile: tileRows) {
                                                let start = tile.lowerBound * wq
                                                for s in 0..<kk {
                                                    BLAS.gemm(.none, .transposed, m: cout, n: cin, k: tile.count * wq, a: dyExtended + start, lda: extended,
                                                              b: planes + windows.offset(ky: s / kernelSize, kx: s % kernelSize, rows: oh) + start, ldb: planeStride,
                                                              beta: 1, c: dw + s * cout * cin, ldc: cin)
                                                }
                                            }
                                        } else {
                                            for tile in Self.tiles(of: 0..<oh, rowsPerTile: Self.columnTileRows(windows, depth: depth)) {
                                                windows.unfold(planes, rows: oh, tile: tile, into: columns)
                                                BLAS.gemm(.none, .transposed, m: cout, n: depth, k: tile.count * wq, a: dyExtended + tile.lowerBound * wq,
                                                          lda: extended, b: columns, ldb: tile.count * wq, beta: 1, c: dw, ldc: depth)
                                            }
                                        }
                                        guard gathersInputGradient else { continue }
                                        let dPlanes = scratch + weightScratch
                                        if let phaseProducts {
                                            phaseProducts.gather(dyExtended, extended: extended, margined: dPlanes + planesCount, into: dPlanes)
                                            windows.unpad(dPlanes, into: dx + n * inPlane)
                                            continue
                                        }
                                        // planes(dX_n) at the shift of (ky, kx) += W[ky, kx]ᵀ · dY_n (extended)
                                        dPlanes.update(repeating: 0, count: planesCount)
                                        for tile in Self.tiles(of: 0..<oh, rowsPerTile: tileRows) {
                                            let start = tile.lowerBound * wq
                                            for s in 0..<kk {
                                                BLAS.gemm(.transposed, .none, m: cin, n: tile.count * wq, k: cout, a: perOffset.baseAddress! + s * cout * cin, lda: cin,
                                                          b: dyExtended + start, ldb: extended, beta: 1,
                                                          c: dPlanes + windows.offset(ky: s / kernelSize, kx: s % kernelSize, rows: oh) + start, ldc: planeStride)
                                            }
                                        }
                                        windows.unpad(dPlanes, into: dx + n * inPlane)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            if let flippedGeometry {
                // dX = conv(dY, flipped Wᵀ)
                let flipped = flippedTransposedWeight()
                outputGradient.withUnsafePointer { dy in
                    flipped.withUnsafeBufferPointer { flipped in
                        Self.convolveBatch(dy, batch: batch, flippedGeometry, weight: flipped.baseAddress!, outputs: cin, bias: nil,
                                           kernels: directKernels(inputs: cout, outputs: cin, stride: 1), into: dx)
                    }
                }
            }
        }
        weight.gradient.withUnsafeMutablePointer { dw in
            bias.gradient.withUnsafeMutablePointer { db in
                partials.withUnsafeBufferPointer { partial in
                    for chunk in 0..<chunks {
                        let base = chunk * partialSize
                        if deepWeight {
                            // [kk, cout, cin] → [cout, cin, kk]
                            for o in 0..<cout {
                                for c in 0..<cin {
                                    for s in 0..<kk { dw[(o * cin + c) * kk + s] += partial[base + (s * cout + o) * cin + c] }
                                }
                            }
                        } else {
                            for i in 0..<(cout * depth) { dw[i] += partial[base + i] }
                        }
                        for c in 0..<cout { db[c] += partial[base + cout * depth + c] }
                    }
                }
            }
        }
        return needsInputGradient ? inputGradient : nil
    }
}

extension Conv2D {
    /// A stride-2 layer's input gradient in planes (`Σ W[ky, kx]ᵀ · dY` added at each window
    /// offset) for the direct kernels: the offsets that land in one stride phase's planes are
    /// one direct convolution of dY, whose rows get zero margins so every shift reads inside
    /// them; each phase's planes are written once, nothing is added twice.
    struct PhaseProducts {
        let kernels: DirectKernels
        /// Floats per channel of the margined dY: the margin, then the plane's stride.
        let rowLength: Int
        let margin: Int, planeStride: Int, phaseSize: Int, inputs: Int, outputs: Int
        /// Per phase: the weights `[inputs, outputs·taps]` and each (output, tap)'s row offset.
        let weights: [[Float]], offsets: [[Int]]

        init(kernels: DirectKernels, windows: ShiftedWindows, weight: [Float], outputs: Int, rows: Int) {
            let g = windows.geometry, k = g.kernelWidth, kk = g.kernelHeight * k, inputs = g.channels
            let planeStride = windows.planeStride(rows: rows), phaseSize = inputs * planeStride
            var taps = [[(tap: Int, shift: Int)]](repeating: [], count: windows.phases)
            for s in 0..<kk {
                let offset = windows.offset(ky: s / k, kx: s % k, rows: rows)
                taps[offset / phaseSize].append((s, offset % phaseSize))
            }
            let margin = taps.joined().map(\.shift).max() ?? 0, rowLength = margin + planeStride
            weights = taps.map { phase in
                var w = [Float](repeating: 0, count: inputs * outputs * phase.count)
                for c in 0..<inputs {
                    for o in 0..<outputs {
                        for (t, tap) in phase.enumerated() { w[(c * outputs + o) * phase.count + t] = weight[(o * inputs + c) * kk + tap.tap] }
                    }
                }
                return w
            }
            offsets = taps.map { phase in (0..<outputs).flatMap { o in phase.map { o * rowLength + margin - $0.shift } } }
            (self.kernels, self.rowLength, self.margin, self.planeStride, self.phaseSize) = (kernels, rowLength, margin, planeStride, phaseSize)
            (self.inputs, self.outputs) = (inputs, outputs)
        }

        /// Writes every phase's planes from dY on the extended rows (`[outputs, extended]`),
        /// through `margined` (`outputs · rowLength` floats of scratch).
        func gather(_ dyExtended: UnsafePointer<Float>, extended: Int, margined: UnsafeMutablePointer<Float>, into planes: UnsafeMutablePointer<Float>) {
            for o in 0..<outputs {
                let row = margined + o * rowLength
                row.update(repeating: 0, count: margin)
                (row + margin).update(from: dyExtended + o * extended, count: extended)
                (row + margin + extended).update(repeating: 0, count: rowLength - margin - extended)
            }
            for (phase, offsets) in offsets.enumerated() {
                let y = planes + phase * phaseSize
                guard !offsets.isEmpty else {
                    y.update(repeating: 0, count: phaseSize)
                    continue
                }
                weights[phase].withUnsafeBufferPointer { w in
                    offsets.withUnsafeBufferPointer { offsets in
                        DirectKernelDispatch.convolve(kernels, source: margined, offsets: offsets, weight: w.baseAddress!, outputs: inputs, into: y,
                                                      outputStride: planeStride, count: planeStride)
                    }
                }
            }
        }
    }
}

