import Tensors

/// A 3×3, stride-1, padding-1 convolution by Winograd's minimal filtering F(4×4, 3×3)
/// (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016), the inference
/// path of `Conv2D` between deep layers.
///
/// The output is cut into 4×4 tiles; each comes from the 6×6 block of the zero-padded input
/// around it. With `U = G·g·Gᵀ` (a 3×3 kernel g made 6×6), `V = Bᵀ·d·B` (a 6×6 block d) and
/// `Y = Aᵀ·(U ⊙ V)·A`, a tile takes 36 multiplies per channel pair instead of 144, and the
/// sum over input channels of `U ⊙ V` is 36 GEMMs, one per element ξ of the 6×6 transform:
/// `M[ξ] = U[ξ] (outputs × inputs) · V[ξ] (inputs × tiles)`. The transforms are additions and
/// small multiples, computed along rows of tiles (the row is first split into its four
/// phases, so every step is a contiguous loop).
///
/// A quarter of the shifted-window GEMMs' multiply-adds, in another order and through the
/// transforms: results agree with the other paths to rounding (about 1e-5 of the output's
/// scale), not bit for bit. Training keeps the shifted-window GEMMs, whose planes its
/// backward pass reads.
enum WinogradConvolution {
    /// Output tile side (m of F(m×m, 3×3)).
    static let tile = 4
    /// Input block side: `tile + 2`.
    static let block = 6
    /// Transform elements per tile pair: `block²`.
    static let elements = 36

    /// Whether a convolution runs here at inference: 3×3, stride 1, padding 1, with at least
    /// `Conv2D.shiftedMinimumChannels` channels on both sides (thin layers have their own
    /// direct kernels).
    static func applies(kernelSize: Int, stride: Int, padding: Int, inputs: Int, outputs: Int) -> Bool {
        kernelSize == 3 && stride == 1 && padding == 1
            && min(inputs, outputs) >= Conv2D.shiftedMinimumChannels
    }

    /// `G`, 6×3: the kernel transform.
    static let g: [[Float]] = [
        [1.0 / 4, 0, 0],
        [-1.0 / 6, -1.0 / 6, -1.0 / 6],
        [-1.0 / 6, 1.0 / 6, -1.0 / 6],
        [1.0 / 24, 1.0 / 12, 1.0 / 6],
        [1.0 / 24, -1.0 / 12, 1.0 / 6],
        [0, 0, 1],
    ]

    /// `U[ξ][o][c] = (G · w[o][c] · Gᵀ)[ξ]` for weights `[outputs, inputs, 3, 3]`: one GEMM of
    /// the 36×9 coefficients `G[a][i]·G[b][j]` with the weights laid out as 9 rows of
    /// `outputs·inputs`.
    static func transformedWeights(_ weight: UnsafePointer<Float>, outputs: Int, inputs: Int) -> [Float] {
        let pairs = outputs * inputs
        var coefficients = [Float](repeating: 0, count: elements * 9)
        for a in 0..<block { for b in 0..<block { for i in 0..<3 { for j in 0..<3 {
            coefficients[(a * block + b) * 9 + i * 3 + j] = g[a][i] * g[b][j]
        } } } }
        var byTap = [Float](repeating: 0, count: 9 * pairs)
        for p in 0..<pairs { for k in 0..<9 { byTap[k * pairs + p] = weight[p * 9 + k] } }
        var result = [Float](repeating: 0, count: elements * pairs)
        result.withUnsafeMutableBufferPointer { u in
            BLAS.gemm(.none, .none, m: elements, n: pairs, k: 9, a: coefficients, lda: 9, b: byTap, ldb: pairs,
                      c: u.baseAddress!, ldc: pairs, maximumProduct: BLAS.callingThreadProduct)
        }
        return result
    }

    /// Convolves every sample of `x` `[batch, inputs, height, width]` into `y`
    /// `[batch, outputs, height, width]` with transformed weights `u` (``transformedWeights``)
    /// and `bias`, on `Parallel.workerCount` workers. GEMMs are issued in pieces that OpenBLAS
    /// runs on the calling thread (as for all inference), so every worker takes part.
    static func forward(
        _ x: UnsafePointer<Float>, batch: Int, inputs: Int, height: Int, width: Int,
        transformedWeights u: UnsafePointer<Float>, bias: UnsafePointer<Float>, outputs: Int, into y: UnsafeMutablePointer<Float>
    ) {
        // Rows of tiles are padded to a multiple of four tiles (the transforms run four at a
        // time); the padding's tiles are computed and never written out.
        let tilesY = (height + tile - 1) / tile, tilesX = ((width + tile - 1) / tile + 3) / 4 * 4, tiles = tilesY * tilesX
        let plane = height * width
        ScratchPool.withBuffer(count: elements * (inputs + outputs) * tiles) { scratch in
            let v = scratch, m = scratch + elements * inputs * tiles
            for n in 0..<batch {
                let image = x + n * inputs * plane, out = y + n * outputs * plane
                Parallel.forEach(inputs) { c in
                    transformInput(image + c * plane, height: height, width: width, tilesX: tilesX, tilesY: tilesY,
                                   into: v + c * tiles, elementStride: inputs * tiles)
                }
                Parallel.forEach(elements) { e in
                    BLAS.gemm(.none, .none, m: outputs, n: tiles, k: inputs, a: u + e * outputs * inputs, lda: inputs,
                              b: v + e * inputs * tiles, ldb: tiles, c: m + e * outputs * tiles, ldc: tiles,
                              maximumProduct: BLAS.callingThreadProduct)
                }
                Parallel.forEach(outputs) { o in
                    transformOutput(m + o * tiles, elementStride: outputs * tiles, bias: bias[o], tilesX: tilesX, tilesY: tilesY,
                                    into: out + o * plane, height: height, width: width)
                }
            }
        }
    }

    /// `V = Bᵀ·d·B` for every 6×6 block d of one zero-padded plane; element ξ of tile t goes
    /// to `v[ξ·elementStride + t]`. Each input row's transform along x is computed once (block
    /// rows overlap by two), then the transform down the six rows of each block row.
    static func transformInput(
        _ image: UnsafePointer<Float>, height: Int, width: Int, tilesX: Int, tilesY: Int,
        into v: UnsafeMutablePointer<Float>, elementStride: Int
    ) {
        let span = tilesX + 1, groups = (span + 3) / 4
        // A row with its zero padding (padded[x + 1] = row[x]), and its phases
        // (phases[r][k] = padded[4k + r]), four tiles at a time by a 4×4 transpose.
        let padded = UnsafeMutablePointer<Float>.allocate(capacity: 16 * groups)
        padded.initialize(repeating: 0, count: 16 * groups)
        let phases = UnsafeMutablePointer<Float>.allocate(capacity: tile * 4 * groups)
        let paddedRows = tile * tilesY + 2, rowFloats = block * tilesX
        let rows = UnsafeMutablePointer<Float>.allocate(capacity: paddedRows * rowFloats)
        defer { padded.deallocate(); phases.deallocate(); rows.deallocate() }
        for row in 0..<paddedRows {
            let yIn = row - 1, out = rows + row * rowFloats
            guard yIn >= 0 && yIn < height else {
                out.initialize(repeating: 0, count: rowFloats)
                continue
            }
            (padded + 1).update(from: image + yIn * width, count: width)
            for group in 0..<groups {
                let (p0, p1, p2, p3) = transposed(load(padded + 16 * group), load(padded + 16 * group + 4),
                                                  load(padded + 16 * group + 8), load(padded + 16 * group + 12))
                store(p0, phases + 4 * group)
                store(p1, phases + 4 * groups + 4 * group)
                store(p2, phases + 8 * groups + 4 * group)
                store(p3, phases + 12 * groups + 4 * group)
            }
            let stride = 4 * groups
            transformB(phases, phases + stride, phases + 2 * stride, phases + 3 * stride, phases + 1, phases + stride + 1,
                       into: out, stride: tilesX, count: tilesX)
        }
        // Down the six rows of each block row: element (a, b) of tile (ty, tx) to v.
        for ty in 0..<tilesY {
            let first = rows + tile * ty * rowFloats
            for b in 0..<block {
                let column = { (i: Int) in UnsafePointer(first + i * rowFloats + b * tilesX) }
                transformB(column(0), column(1), column(2), column(3), column(4), column(5),
                           into: v + b * elementStride + ty * tilesX, stride: block * elementStride, count: tilesX)
            }
        }
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> SIMD4<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self) }

    @inline(__always)
    static func load(_ p: UnsafeMutablePointer<Float>) -> SIMD4<Float> { load(UnsafePointer(p)) }

    @inline(__always)
    static func store(_ value: SIMD4<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: value, as: SIMD4<Float>.self)
    }

    /// The 4×4 transpose of the rows a, b, c, d.
    @inline(__always)
    static func transposed(_ a: SIMD4<Float>, _ b: SIMD4<Float>, _ c: SIMD4<Float>, _ d: SIMD4<Float>)
        -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
        (SIMD4(a[0], b[0], c[0], d[0]), SIMD4(a[1], b[1], c[1], d[1]), SIMD4(a[2], b[2], c[2], d[2]), SIMD4(a[3], b[3], c[3], d[3]))
    }

    /// `Bᵀ·(d0 … d5)` along one axis, element-wise over `count` (a multiple of 4): output a
    /// to `out + a·stride`.
    @inline(__always)
    static func transformB(
        _ d0: UnsafePointer<Float>, _ d1: UnsafePointer<Float>, _ d2: UnsafePointer<Float>,
        _ d3: UnsafePointer<Float>, _ d4: UnsafePointer<Float>, _ d5: UnsafePointer<Float>,
        into out: UnsafeMutablePointer<Float>, stride: Int, count: Int
    ) {
        let o0 = out, o1 = out + stride, o2 = out + 2 * stride, o3 = out + 3 * stride, o4 = out + 4 * stride, o5 = out + 5 * stride
        for k in Swift.stride(from: 0, to: count, by: 4) {
            let a0 = load(d0 + k), a1 = load(d1 + k), a2 = load(d2 + k), a3 = load(d3 + k), a4 = load(d4 + k), a5 = load(d5 + k)
            store(4 * a0 - 5 * a2 + a4, o0 + k)
            store(-4 * (a1 + a2) + a3 + a4, o1 + k)
            store(4 * (a1 - a2) - a3 + a4, o2 + k)
            store(2 * (a3 - a1) - a2 + a4, o3 + k)
            store(2 * (a1 - a3) - a2 + a4, o4 + k)
            store(4 * a1 - 5 * a3 + a5, o5 + k)
        }
    }

    /// `Y = Aᵀ·M·A` for every tile of one output channel (element ξ of tile t at
    /// `m[ξ·elementStride + t]`), plus `bias`, into the channel's plane (cropped to it).
    static func transformOutput(
        _ m: UnsafePointer<Float>, elementStride: Int, bias: Float, tilesX: Int, tilesY: Int,
        into plane: UnsafeMutablePointer<Float>, height: Int, width: Int
    ) {
        // Down the six rows of each element column (a), then along each of the four rows (b).
        let down = UnsafeMutablePointer<Float>.allocate(capacity: tile * block * tilesX)
        let across = UnsafeMutablePointer<Float>.allocate(capacity: tile * tilesX)
        defer { down.deallocate(); across.deallocate() }
        for ty in 0..<tilesY {
            for b in 0..<block {
                let element = { (a: Int) in m + (a * block + b) * elementStride + ty * tilesX }
                transformA(element(0), element(1), element(2), element(3), element(4), element(5),
                           into: down + b * tilesX, stride: block * tilesX, count: tilesX, bias: 0)
            }
            for r in 0..<tile {
                let yOut = tile * ty + r
                guard yOut < height else { break }
                let s = UnsafePointer(down + r * block * tilesX)
                transformA(s, s + tilesX, s + 2 * tilesX, s + 3 * tilesX, s + 4 * tilesX, s + 5 * tilesX,
                           into: across, stride: tilesX, count: tilesX, bias: bias)
                // row[4·tx + q] = across[q][tx]: four tiles at a time by a 4×4 transpose, then
                // the tiles the row's end cuts.
                let row = plane + yOut * width, wholeGroups = width / 16
                for group in 0..<wholeGroups {
                    let (t0, t1, t2, t3) = transposed(load(across + 4 * group), load(across + tilesX + 4 * group),
                                                      load(across + 2 * tilesX + 4 * group), load(across + 3 * tilesX + 4 * group))
                    store(t0, row + 16 * group)
                    store(t1, row + 16 * group + 4)
                    store(t2, row + 16 * group + 8)
                    store(t3, row + 16 * group + 12)
                }
                for xOut in (16 * wholeGroups)..<width { row[xOut] = across[(xOut % tile) * tilesX + xOut / tile] }
            }
        }
    }

    /// `Aᵀ·(m0 … m5) + bias` along one axis, element-wise over `count` (a multiple of 4):
    /// output q to `out + q·stride`.
    @inline(__always)
    static func transformA(
        _ m0: UnsafePointer<Float>, _ m1: UnsafePointer<Float>, _ m2: UnsafePointer<Float>,
        _ m3: UnsafePointer<Float>, _ m4: UnsafePointer<Float>, _ m5: UnsafePointer<Float>,
        into out: UnsafeMutablePointer<Float>, stride: Int, count: Int, bias: Float
    ) {
        let o0 = out, o1 = out + stride, o2 = out + 2 * stride, o3 = out + 3 * stride
        for k in Swift.stride(from: 0, to: count, by: 4) {
            let a0 = load(m0 + k), a1 = load(m1 + k), a2 = load(m2 + k), a3 = load(m3 + k), a4 = load(m4 + k), a5 = load(m5 + k)
            let sum12 = a1 + a2, difference12 = a1 - a2, sum34 = a3 + a4, difference34 = a3 - a4
            store(a0 + sum12 + sum34 + bias, o0 + k)
            store(difference12 + 2 * difference34 + bias, o1 + k)
            store(sum12 + 4 * sum34 + bias, o2 + k)
            store(difference12 + 8 * difference34 + a5 + bias, o3 + k)
        }
    }
}
