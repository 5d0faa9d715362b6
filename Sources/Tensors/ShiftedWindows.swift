/// The layout that turns a convolution into k² GEMMs over shifted views of the image, with
/// no column matrix (im2col), or into one GEMM over a column matrix built by whole-span copies.
///
/// The image is copied once into zero-padded *planes*; a stride-s kernel gets s² of them per
/// channel, one per phase (the pixels `[s·i + py, s·j + px]`), so every window element is a
/// plain shift inside one phase. Outputs are computed on an *extended* row length
/// ``paddedWidth`` (the output width plus the kernel's reach, in phase pixels): output pixel
/// (oy, ox) sits at `oy·paddedWidth + ox`, and window element (ky, kx) of every output pixel
/// is the element of phase ((ky − p) mod s, (kx − p) mod s) at the constant offset
/// ``offset(ky:kx:rows:)``. For each kernel offset, `W[:, :, ky, kx] · shifted planes` is one
/// GEMM whose B operand is a strided view (row stride = the plane stride). The extended
/// columns `ox ≥ outputWidth` hold values nobody needs: ``crop`` drops them, and an output
/// gradient is ``extend``ed with zeros there, so they add nothing going back.
///
/// For a block of output rows `r0..<r1`, each plane holds the phase rows `r0 + low ..< r1 + high`
/// (where the kernel reaches `low ≤ 0` to `high ≥ 0` phase rows), plus a few trailing zeros so
/// the last shift stays inside. Layout: `[phase][channel][planeStride(rows:)]`.
public struct ShiftedWindows: Sendable {
    /// The convolution's geometry.
    public let geometry: ConvolutionGeometry
    /// The reach of the kernel in phase rows and columns: window row `ky` reads phase row
    /// `oy + ⌊(ky − padding) / stride⌋`, from `oy + lowY` to `oy + highY`.
    let lowY: Int, highY: Int, lowX: Int, highX: Int

    /// Whether the layout applies: a geometry with at least one output pixel.
    public static func applies(to g: ConvolutionGeometry) -> Bool {
        g.outputHeight > 0 && g.outputWidth > 0 && g.stride > 0
    }

    /// Creates the layout for a geometry ``applies(to:)`` accepts.
    public init(_ geometry: ConvolutionGeometry) {
        precondition(Self.applies(to: geometry), "ShiftedWindows: no output pixels for \(geometry)")
        self.geometry = geometry
        let s = geometry.stride, p = geometry.padding
        lowY = Self.floorDivision(-p, s)
        highY = Self.floorDivision(geometry.kernelHeight - 1 - p, s)
        lowX = Self.floorDivision(-p, s)
        highX = Self.floorDivision(geometry.kernelWidth - 1 - p, s)
    }

    static func floorDivision(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }

    /// Phases per channel: stride².
    public var phases: Int { geometry.stride * geometry.stride }

    /// Row length of the planes and of the extended output.
    public var paddedWidth: Int { geometry.outputWidth + highX - lowX }

    /// Floats of one extended output plane for `rows` output rows.
    public func extendedCount(rows: Int) -> Int { rows * paddedWidth }

    /// Floats of one plane for `rows` output rows (its row stride as a GEMM operand).
    public func planeStride(rows: Int) -> Int { (rows + highY - lowY) * paddedWidth + highX - lowX }

    /// Floats of all planes (every phase and channel) for `rows` output rows.
    public func planesCount(rows: Int) -> Int { phases * geometry.channels * planeStride(rows: rows) }

    /// Where window element (ky, kx) of output pixel (0, 0) of a block of `rows` rows lies
    /// in the planes of channel 0: the B operand of that offset's GEMM starts there.
    public func offset(ky: Int, kx: Int, rows: Int) -> Int {
        let s = geometry.stride, p = geometry.padding
        let dy = Self.floorDivision(ky - p, s), dx = Self.floorDivision(kx - p, s)
        let phase = (ky - p - dy * s) * s + (kx - p - dx * s)
        return phase * geometry.channels * planeStride(rows: rows) + (dy - lowY) * paddedWidth + (dx - lowX)
    }

    /// Output rows per tile so that a tile's share of `channels` planes and extended outputs
    /// (≈ `channels · tileRows · paddedWidth` floats) stays within `floats`: the k² GEMMs of a
    /// tile then re-read it from cache.
    public func tileRows(channels: Int, floats: Int) -> Int {
        max(1, min(geometry.outputHeight, floats / max(1, channels * paddedWidth)))
    }

    /// The image columns of phase `px` in a plane row: plane columns `u` (image column
    /// `s·(u + lowX) + px`) that lie inside the image.
    func validColumns(phase px: Int) -> Range<Int> {
        let g = geometry, first = -lowX
        let last = (g.width - 1 - px) < 0 ? first - 1 : (g.width - 1 - px) / g.stride - lowX
        return first..<max(first, min(paddedWidth, last + 1))
    }

    /// Copies the image pixels that output rows `rows` read into ``planesCount(rows:)``
    /// floats of zero-padded planes.
    public func pad(_ image: UnsafePointer<Float>, into planes: UnsafeMutablePointer<Float>, outputRows rows: Range<Int>) {
        let g = geometry, s = g.stride, wq = paddedWidth, stride = planeStride(rows: rows.count)
        let storedRows = rows.count + highY - lowY
        if s == 2 {
            padPairs(image, into: planes, outputRows: rows)
            return
        }
        for py in 0..<s {
            for px in 0..<s {
                let columns = validColumns(phase: px)
                for c in 0..<g.channels {
                    let source = image + c * g.height * g.width, plane = planes + ((py * s + px) * g.channels + c) * stride
                    for t in 0..<storedRows {
                        let destination = plane + t * wq
                        let y = s * (rows.lowerBound + lowY + t) + py
                        guard y >= 0, y < g.height, !columns.isEmpty else {
                            destination.update(repeating: 0, count: wq)
                            continue
                        }
                        destination.update(repeating: 0, count: columns.lowerBound)
                        RowKernels.gather(from: source + y * g.width + s * (columns.lowerBound + lowX) + px, stride: s,
                                          into: destination + columns.lowerBound, count: columns.count)
                        (destination + columns.upperBound).update(repeating: 0, count: wq - columns.upperBound)
                    }
                    (plane + storedRows * wq).update(repeating: 0, count: stride - storedRows * wq)
                }
            }
        }
    }

    /// ``pad`` for stride 2: each image row is split into its two column phases in one pass.
    private func padPairs(_ image: UnsafePointer<Float>, into planes: UnsafeMutablePointer<Float>, outputRows rows: Range<Int>) {
        let g = geometry, wq = paddedWidth, stride = planeStride(rows: rows.count)
        let storedRows = rows.count + highY - lowY
        let even = validColumns(phase: 0), odd = validColumns(phase: 1)
        precondition(odd.isEmpty || odd.lowerBound == even.lowerBound, "ShiftedWindows: the phases of a row start together")
        for py in 0..<2 {
            for c in 0..<g.channels {
                let source = image + c * g.height * g.width
                let evenPlane = planes + ((py * 2) * g.channels + c) * stride, oddPlane = planes + ((py * 2 + 1) * g.channels + c) * stride
                for t in 0..<storedRows {
                    let evenRow = evenPlane + t * wq, oddRow = oddPlane + t * wq
                    let y = 2 * (rows.lowerBound + lowY + t) + py
                    guard y >= 0, y < g.height, !even.isEmpty else {
                        evenRow.update(repeating: 0, count: wq)
                        oddRow.update(repeating: 0, count: wq)
                        continue
                    }
                    evenRow.update(repeating: 0, count: even.lowerBound)
                    oddRow.update(repeating: 0, count: even.lowerBound)
                    let oddStart = odd.isEmpty ? even.lowerBound : odd.lowerBound
                    RowKernels.deinterleave(source + y * g.width + 2 * (even.lowerBound + lowX), even: evenRow + even.lowerBound, evenCount: even.count,
                                            odd: oddRow + oddStart, oddCount: odd.count)
                    (evenRow + even.upperBound).update(repeating: 0, count: wq - even.upperBound)
                    (oddRow + oddStart + odd.count).update(repeating: 0, count: wq - oddStart - odd.count)
                }
                (evenPlane + storedRows * wq).update(repeating: 0, count: stride - storedRows * wq)
                (oddPlane + storedRows * wq).update(repeating: 0, count: stride - storedRows * wq)
            }
        }
    }

    /// Writes the input gradient gathered in full planes (``planeStride(rows:)`` for all
    /// output rows) back to image layout: every image pixel some window reads gets its
    /// plane element, every other pixel 0.
    public func unpad(_ planes: UnsafePointer<Float>, into image: UnsafeMutablePointer<Float>) {
        let g = geometry, s = g.stride, wq = paddedWidth, stride = planeStride(rows: g.outputHeight)
        let storedRows = g.outputHeight + highY - lowY
        if s == 1, lowY <= 0, storedRows + lowY >= g.height, validColumns(phase: 0) == -lowX..<(g.width - lowX) {
            // Stride 1 with every image pixel in the planes (the usual padding): row copies.
            for c in 0..<g.channels {
                for y in 0..<g.height {
                    (image + (c * g.height + y) * g.width).update(from: planes + c * stride + (y - lowY) * wq - lowX, count: g.width)
                }
            }
            return
        }
        image.update(repeating: 0, count: g.channels * g.height * g.width)
        for py in 0..<s {
            for px in 0..<s {
                let columns = validColumns(phase: px)
                if columns.isEmpty { continue }
                for c in 0..<g.channels {
                    let destination = image + c * g.height * g.width, plane = planes + ((py * s + px) * g.channels + c) * stride
                    for t in 0..<storedRows {
                        let y = s * (lowY + t) + py
                        guard y >= 0, y < g.height else { continue }
                        RowKernels.scatterAdd(plane + t * wq + columns.lowerBound,
                                              into: destination + y * g.width + s * (columns.lowerBound + lowX) + px,
                                              stride: s, count: columns.count)
                    }
                }
            }
        }
    }

    /// Fills a column matrix `[channels·kh·kw, extendedCount(rows: tile.count)]` (rows in
    /// weight order `(c·kh + ky)·kw + kx`) for the output rows `tile` of a block of `rows`
    /// rows, from that block's planes made by ``pad``: one span copy per row. For thin products, where k² GEMMs of depth `channels` would be too shallow.
    public func unfold(_ planes: UnsafePointer<Float>, rows: Int, tile: Range<Int>, into columns: UnsafeMutablePointer<Float>) {
        let g = geometry, width = extendedCount(rows: tile.count), stride = planeStride(rows: rows), start = tile.lowerBound * paddedWidth
        for c in 0..<g.channels {
            for ky in 0..<g.kernelHeight {
                for kx in 0..<g.kernelWidth {
                    (columns + ((c * g.kernelHeight + ky) * g.kernelWidth + kx) * width)
                        .update(from: planes + offset(ky: ky, kx: kx, rows: rows) + c * stride + start, count: width)
                }
            }
        }
    }

    /// Copies `channels` extended planes of `rows` rows into an output of `outputHeight ×
    /// outputWidth` planes starting at row `firstRow`, dropping the extended columns and
    /// adding `bias[c]` when given.
    public func crop(
        _ extended: UnsafePointer<Float>, channels: Int, rows: Int, into output: UnsafeMutablePointer<Float>, firstRow: Int,
        bias: UnsafePointer<Float>? = nil
    ) {
        let g = geometry, wq = paddedWidth, ow = g.outputWidth, plane = g.outputHeight * ow
        for c in 0..<channels {
            let b = bias?[c] ?? 0
            for r in 0..<rows {
                let source = extended + (c * rows + r) * wq, destination = output + c * plane + (firstRow + r) * ow
                if bias == nil {
                    destination.update(from: source, count: ow)
                } else {
                    for x in 0..<ow { destination[x] = source[x] + b }
                }
            }
        }
    }

    /// Lays `channels` full output planes (`outputHeight × outputWidth`) out on the extended
    /// width, zeros in the extended columns: an output gradient ready for the GEMMs.
    public func extend(_ planes: UnsafePointer<Float>, channels: Int, into extended: UnsafeMutablePointer<Float>) {
        let g = geometry, wq = paddedWidth, ow = g.outputWidth, oh = g.outputHeight
        for c in 0..<channels {
            for r in 0..<oh {
                let destination = extended + (c * oh + r) * wq
                destination.update(from: planes + (c * oh + r) * ow, count: ow)
                (destination + ow).update(repeating: 0, count: wq - ow)
            }
        }
    }
}
