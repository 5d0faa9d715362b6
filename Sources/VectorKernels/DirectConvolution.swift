/// Convolutions computed directly, with FMA vectors: no column matrix and no GEMM.
///
/// The thin layers of the model (the RGB input layer 3→32, the RGB output layer 32→3, the
/// coverage head 32→1, and the flipped-kernel input gradient of the RGB output layer) are
/// matrix products with one side only 1–4 wide or 27 deep, where OpenBLAS's packing and
/// blocking cost more than the arithmetic (7–31 % of sgemm). Here each block of outputs ×
/// pixels stays in registers (up to 12 vectors) while the loop runs over the product's
/// depth, reading the shifted planes of ``ShiftedWindows`` in place. The 16-lane build also
/// runs the deep layers where OpenBLAS's kernel is narrower than the CPU (`Conv2D.DeepKernels`).
///
/// **This one file is compiled twice**, as `VectorKernels` (8-lane vectors, AVX2 + FMA) and,
/// through a symbolic link, as `VectorKernels512` (16-lane vectors, AVX-512); each module's
/// `KernelVector.swift` says which ``Vector`` it is, and `Package.swift` gives each module
/// its instruction set. A module's code must only run on a CPU that has that set: callers
/// check first (`Conv2D` does, through `DirectKernelDispatch`). The modules hold nothing but
/// these kernels, which use raw pointers and ``Vector`` only, so no code of theirs is shared
/// with, or runs in place of, the portable modules' code (`VectorKernelsObjectTests` checks
/// the objects' symbols).
public enum DirectConvolution {
    /// Bytes in one ``Vector``.
    @inline(__always) static var vectorBytes: Int { MemoryLayout<Vector>.size }

    /// Computes `y[o·outputStride + j] = Σ_d weight[o·depth + d] · source[sourceOffsets[d] + j]`
    /// for `o` in `0..<outputs` and `j` in `0..<count` (overwriting `y`).
    ///
    /// For a stride-1 convolution over padded planes, `d = c·k² + ky·k + kx` runs over the
    /// window in the stored weight order and `sourceOffsets[d]` is that window element's
    /// plane offset; `count` covers the extended output rows. Every read
    /// `source[sourceOffsets[d] + j]` must be in bounds.
    @inline(never)
    public static func convolve(
        source: UnsafePointer<Float>, sourceOffsets: UnsafePointer<Int>, depth: Int,
        weight: UnsafePointer<Float>, outputs: Int, into y: UnsafeMutablePointer<Float>, outputStride: Int, count: Int
    ) {
        // Four outputs × three vectors, or up to three outputs × four vectors: 12 accumulators;
        // with 32 vector registers (AVX-512) six outputs × three vectors, 18 accumulators, so
        // the planes are read once per six outputs (64→64 at 64×64: 12.9 → 11.0 ms; eight
        // outputs spilled accumulators to the stack and were slower). Each group of outputs
        // sweeps the pixels in turn, writing its rows in sequence.
        let lanes = Vector.scalarCount, groupLimit = vectorRegisters >= 32 ? 6 : 4
        let pixels = outputs % 4 == 0 || outputs > 4 ? 3 * lanes : 4 * lanes
        var o = 0
        while o < outputs {
            let group = outputs - o >= groupLimit ? groupLimit : min(4, outputs - o)
            let w = weight + o * depth, out = y + o * outputStride
            var j = 0
            while j + pixels <= count {
                // Constant block shapes, so each case compiles to its own unrolled loop.
                switch (group, pixels == 4 * lanes) {
                case (6, _): sixOutputBlock(source + j, sourceOffsets, depth, w, out + j, outputStride)
                case (4, _): block(outputs: 4, vectors: 3, source + j, sourceOffsets, depth, w, out + j, outputStride)
                case (3, true): block(outputs: 3, vectors: 4, source + j, sourceOffsets, depth, w, out + j, outputStride)
                case (3, _): block(outputs: 3, vectors: 3, source + j, sourceOffsets, depth, w, out + j, outputStride)
                case (2, true): block(outputs: 2, vectors: 4, source + j, sourceOffsets, depth, w, out + j, outputStride)
                case (2, _): block(outputs: 2, vectors: 3, source + j, sourceOffsets, depth, w, out + j, outputStride)
                case (_, true): block(outputs: 1, vectors: 4, source + j, sourceOffsets, depth, w, out + j, outputStride)
                default: block(outputs: 1, vectors: 3, source + j, sourceOffsets, depth, w, out + j, outputStride)
                }
                j += pixels
            }
            // The remainder: one vector at a time, then single pixels, fused in the same order
            // as the vector lanes: a pixel gets the same bits wherever a block boundary falls
            // (frames split into row blocks differently give the same output).
            while j + lanes <= count {
                for r in 0..<group {
                    block(outputs: 1, vectors: 1, source + j, sourceOffsets, depth, w + r * depth, out + r * outputStride + j, outputStride)
                }
                j += lanes
            }
            while j < count {
                for r in 0..<group {
                    let wr = w + r * depth
                    var sum: Float = 0
                    for d in 0..<depth { sum = sum.addingProduct(wr[d], source[sourceOffsets[d] + j]) }
                    out[r * outputStride + j] = sum
                }
                j += 1
            }
            o += group
        }
    }

    /// Adds `Σ_j dy[o·dyStride + j] · source[sourceOffsets[d] + j]` (over `j` in `0..<count`)
    /// to `weightGradient[o·depth + d]`, for `o` in `0..<outputs` and `d` in `0..<depth`: the
    /// weight gradient of ``convolve(source:sourceOffsets:depth:weight:outputs:into:outputStride:count:)``
    /// for an output gradient `dy` laid out as its `y`. Meant for few outputs (1–4 per pass
    /// over the pixels); the sums run in the vector's lanes, added across lanes at the end.
    @inline(never)
    public static func accumulateWeightGradient(
        outputGradient dy: UnsafePointer<Float>, outputs: Int, outputStride: Int,
        source: UnsafePointer<Float>, sourceOffsets: UnsafePointer<Int>, depth: Int, count: Int,
        into weightGradient: UnsafeMutablePointer<Float>
    ) {
        var o = 0
        if vectorRegisters >= 32 {
            // Four outputs × four taps (16 accumulators, eight loads per sixteen FMAs) where
            // there are registers for them; the taps past a multiple of four one at a time.
            while outputs - o >= 4 {
                let g = dy + o * outputStride
                var d = 0
                while depth - d >= 4 {
                    fourByFourGradientBlock(g, outputStride, source, sourceOffsets + d, count, weightGradient + o * depth + d, depth)
                    d += 4
                }
                while d < depth {
                    let w = weightGradient + o * depth + d, offsets = sourceOffsets + d
                    gradientBlock(outputs: 3, taps: 1, g, outputStride, source, offsets, count, w, depth)
                    gradientBlock(outputs: 1, taps: 1, g + 3 * outputStride, outputStride, source, offsets, count, w + 3 * depth, depth)
                    d += 1
                }
                o += 4
            }
        }
        while o < outputs {
            let group = min(3, outputs - o)
            var d = 0
            while d < depth {
                let taps = min(3, depth - d)
                let g = dy + o * outputStride, w = weightGradient + o * depth + d, offsets = sourceOffsets + d
                switch (group, taps) {
                case (3, 3): gradientBlock(outputs: 3, taps: 3, g, outputStride, source, offsets, count, w, depth)
                case (3, _): gradientBlock(outputs: 3, taps: 1, g, outputStride, source, offsets, count, w, depth)
                case (2, 3): gradientBlock(outputs: 2, taps: 3, g, outputStride, source, offsets, count, w, depth)
                case (2, _): gradientBlock(outputs: 2, taps: 1, g, outputStride, source, offsets, count, w, depth)
                case (_, 3): gradientBlock(outputs: 1, taps: 3, g, outputStride, source, offsets, count, w, depth)
                default: gradientBlock(outputs: 1, taps: 1, g, outputStride, source, offsets, count, w, depth)
                }
                d += taps == 3 ? 3 : 1
            }
            o += group
        }
    }

    /// `outputs` (1–3) × `taps` (1 or 3) dot products over `count` pixels, added into
    /// `weightGradient[o·depth + t]`.
    @inline(__always)
    static func gradientBlock(
        outputs: Int, taps: Int, _ dy: UnsafePointer<Float>, _ outputStride: Int, _ source: UnsafePointer<Float>,
        _ offsets: UnsafePointer<Int>, _ count: Int, _ weightGradient: UnsafeMutablePointer<Float>, _ depth: Int
    ) {
        var a0 = Vector(), a1 = Vector(), a2 = Vector()
        var b0 = Vector(), b1 = Vector(), b2 = Vector()
        var c0 = Vector(), c1 = Vector(), c2 = Vector()
        let s0 = UnsafeRawPointer(source + offsets[0])
        let s1 = UnsafeRawPointer(source + (taps > 1 ? offsets[1] : offsets[0]))
        let s2 = UnsafeRawPointer(source + (taps > 2 ? offsets[2] : offsets[0]))
        let g0 = UnsafeRawPointer(dy), g1 = UnsafeRawPointer(dy + (outputs > 1 ? outputStride : 0))
        let g2 = UnsafeRawPointer(dy + (outputs > 2 ? 2 * outputStride : 0))
        var j = 0
        while j + Vector.scalarCount <= count {
            let byte = 4 * j
            let x0 = s0.loadUnaligned(fromByteOffset: byte, as: Vector.self)
            let x1 = taps > 1 ? s1.loadUnaligned(fromByteOffset: byte, as: Vector.self) : Vector()
            let x2 = taps > 2 ? s2.loadUnaligned(fromByteOffset: byte, as: Vector.self) : Vector()
            let ga = g0.loadUnaligned(fromByteOffset: byte, as: Vector.self)
            a0 = a0.addingProduct(ga, x0)
            if taps > 1 { a1 = a1.addingProduct(ga, x1) }
            if taps > 2 { a2 = a2.addingProduct(ga, x2) }
            if outputs > 1 {
                let gb = g1.loadUnaligned(fromByteOffset: byte, as: Vector.self)
                b0 = b0.addingProduct(gb, x0)
                if taps > 1 { b1 = b1.addingProduct(gb, x1) }
                if taps > 2 { b2 = b2.addingProduct(gb, x2) }
            }
            if outputs > 2 {
                let gc = g2.loadUnaligned(fromByteOffset: byte, as: Vector.self)
                c0 = c0.addingProduct(gc, x0)
                if taps > 1 { c1 = c1.addingProduct(gc, x1) }
                if taps > 2 { c2 = c2.addingProduct(gc, x2) }
            }
            j += Vector.scalarCount
        }
        var sa0 = lanesSum(a0), sa1 = lanesSum(a1), sa2 = lanesSum(a2)
        var sb0 = lanesSum(b0), sb1 = lanesSum(b1), sb2 = lanesSum(b2)
        var sc0 = lanesSum(c0), sc1 = lanesSum(c1), sc2 = lanesSum(c2)
        let t0 = source + offsets[0], t1 = source + (taps > 1 ? offsets[1] : offsets[0]), t2 = source + (taps > 2 ? offsets[2] : offsets[0])
        while j < count {
            let x0 = t0[j], x1 = t1[j], x2 = t2[j], ga = dy[j]
            sa0 += ga * x0; sa1 += ga * x1; sa2 += ga * x2
            if outputs > 1 { let gb = dy[outputStride + j]; sb0 += gb * x0; sb1 += gb * x1; sb2 += gb * x2 }
            if outputs > 2 { let gc = dy[2 * outputStride + j]; sc0 += gc * x0; sc1 += gc * x1; sc2 += gc * x2 }
            j += 1
        }
        add(sa0, sa1, sa2, taps: taps, to: weightGradient)
        if outputs > 1 { add(sb0, sb1, sb2, taps: taps, to: weightGradient + depth) }
        if outputs > 2 { add(sc0, sc1, sc2, taps: taps, to: weightGradient + 2 * depth) }
    }

    /// Four outputs × four taps of dot products over `count` pixels, added into
    /// `weightGradient[o·depth + t]`; each sum in the same order as in ``gradientBlock``.
    @inline(__always)
    static func fourByFourGradientBlock(
        _ dy: UnsafePointer<Float>, _ outputStride: Int, _ source: UnsafePointer<Float>, _ offsets: UnsafePointer<Int>,
        _ count: Int, _ weightGradient: UnsafeMutablePointer<Float>, _ depth: Int
    ) {
        var a0 = Vector(), a1 = Vector(), a2 = Vector(), a3 = Vector(), b0 = Vector(), b1 = Vector(), b2 = Vector(), b3 = Vector()
        var c0 = Vector(), c1 = Vector(), c2 = Vector(), c3 = Vector(), d0 = Vector(), d1 = Vector(), d2 = Vector(), d3 = Vector()
        let t0 = source + offsets[0], t1 = source + offsets[1], t2 = source + offsets[2], t3 = source + offsets[3]
        let u0 = dy, u1 = dy + outputStride, u2 = dy + 2 * outputStride, u3 = dy + 3 * outputStride
        var j = 0
        while j + Vector.scalarCount <= count {
            let byte = 4 * j
            let x0 = UnsafeRawPointer(t0).loadUnaligned(fromByteOffset: byte, as: Vector.self)
            let x1 = UnsafeRawPointer(t1).loadUnaligned(fromByteOffset: byte, as: Vector.self)
            let x2 = UnsafeRawPointer(t2).loadUnaligned(fromByteOffset: byte, as: Vector.self)
            let x3 = UnsafeRawPointer(t3).loadUnaligned(fromByteOffset: byte, as: Vector.self)
            let ga = UnsafeRawPointer(u0).loadUnaligned(fromByteOffset: byte, as: Vector.self)
            a0 = a0.addingProduct(ga, x0); a1 = a1.addingProduct(ga, x1); a2 = a2.addingProduct(ga, x2); a3 = a3.addingProduct(ga, x3)
            let gb = UnsafeRawPointer(u1).loadUnaligned(fromByteOffset: byte, as: Vector.self)
            b0 = b0.addingProduct(gb, x0); b1 = b1.addingProduct(gb, x1); b2 = b2.addingProduct(gb, x2); b3 = b3.addingProduct(gb, x3)
            let gc = UnsafeRawPointer(u2).loadUnaligned(fromByteOffset: byte, as: Vector.self)
            c0 = c0.addingProduct(gc, x0); c1 = c1.addingProduct(gc, x1); c2 = c2.addingProduct(gc, x2); c3 = c3.addingProduct(gc, x3)
            let gd = UnsafeRawPointer(u3).loadUnaligned(fromByteOffset: byte, as: Vector.self)
            d0 = d0.addingProduct(gd, x0); d1 = d1.addingProduct(gd, x1); d2 = d2.addingProduct(gd, x2); d3 = d3.addingProduct(gd, x3)
            j += Vector.scalarCount
        }
        // sums[4·k + t]: output k, tap t.
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { sums in
            sums[0] = lanesSum(a0); sums[1] = lanesSum(a1); sums[2] = lanesSum(a2); sums[3] = lanesSum(a3)
            sums[4] = lanesSum(b0); sums[5] = lanesSum(b1); sums[6] = lanesSum(b2); sums[7] = lanesSum(b3)
            sums[8] = lanesSum(c0); sums[9] = lanesSum(c1); sums[10] = lanesSum(c2); sums[11] = lanesSum(c3)
            sums[12] = lanesSum(d0); sums[13] = lanesSum(d1); sums[14] = lanesSum(d2); sums[15] = lanesSum(d3)
            while j < count {
                for k in 0..<4 {
                    let g = dy[k * outputStride + j]
                    for t in 0..<4 { sums[4 * k + t] += g * source[offsets[t] + j] }
                }
                j += 1
            }
            for k in 0..<4 {
                for t in 0..<4 { weightGradient[k * depth + t] += sums[4 * k + t] }
            }
        }
    }

    @inline(__always)
    static func add(_ s0: Float, _ s1: Float, _ s2: Float, taps: Int, to w: UnsafeMutablePointer<Float>) {
        w[0] += s0
        if taps > 1 { w[1] += s1 }
        if taps > 2 { w[2] += s2 }
    }

    /// One register block: `outputs` (1–4) rows of `vectors` (1–4) × ``Vector`` pixels, summed over
    /// the depth. Inlined with constant `outputs` and `vectors`, so unused accumulators vanish.
    @inline(__always)
    static func block(
        outputs: Int, vectors: Int, _ source: UnsafePointer<Float>, _ offsets: UnsafePointer<Int>, _ depth: Int,
        _ weight: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ outputStride: Int
    ) {
        var a0 = Vector(), a1 = Vector(), a2 = Vector(), a3 = Vector()
        var b0 = Vector(), b1 = Vector(), b2 = Vector(), b3 = Vector()
        var c0 = Vector(), c1 = Vector(), c2 = Vector(), c3 = Vector()
        var d0 = Vector(), d1 = Vector(), d2 = Vector(), d3 = Vector()
        for d in 0..<depth {
            let p = UnsafeRawPointer(source + offsets[d])
            let v0 = p.loadUnaligned(as: Vector.self)
            let v1 = vectors > 1 ? p.loadUnaligned(fromByteOffset: Self.vectorBytes, as: Vector.self) : Vector()
            let v2 = vectors > 2 ? p.loadUnaligned(fromByteOffset: 2 * Self.vectorBytes, as: Vector.self) : Vector()
            let v3 = vectors > 3 ? p.loadUnaligned(fromByteOffset: 3 * Self.vectorBytes, as: Vector.self) : Vector()
            accumulate(&a0, &a1, &a2, &a3, v0, v1, v2, v3, times: weight[d], vectors: vectors)
            if outputs > 1 { accumulate(&b0, &b1, &b2, &b3, v0, v1, v2, v3, times: weight[depth + d], vectors: vectors) }
            if outputs > 2 { accumulate(&c0, &c1, &c2, &c3, v0, v1, v2, v3, times: weight[2 * depth + d], vectors: vectors) }
            if outputs > 3 { accumulate(&d0, &d1, &d2, &d3, v0, v1, v2, v3, times: weight[3 * depth + d], vectors: vectors) }
        }
        store(a0, a1, a2, a3, vectors: vectors, to: y)
        if outputs > 1 { store(b0, b1, b2, b3, vectors: vectors, to: y + outputStride) }
        if outputs > 2 { store(c0, c1, c2, c3, vectors: vectors, to: y + 2 * outputStride) }
        if outputs > 3 { store(d0, d1, d2, d3, vectors: vectors, to: y + 3 * outputStride) }
    }

    /// Six outputs × three vectors of pixels, summed over the depth (18 accumulators and six
    /// broadcast weights; only for a 32-register vector set). Each output's sum runs in the
    /// same order as in ``block(outputs:vectors:_:_:_:_:_:_:)``, so its bits do not depend on
    /// the block.
    @inline(__always)
    static func sixOutputBlock(
        _ source: UnsafePointer<Float>, _ offsets: UnsafePointer<Int>, _ depth: Int,
        _ weight: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ outputStride: Int
    ) {
        var a0 = Vector(), a1 = Vector(), a2 = Vector(), b0 = Vector(), b1 = Vector(), b2 = Vector()
        var c0 = Vector(), c1 = Vector(), c2 = Vector(), d0 = Vector(), d1 = Vector(), d2 = Vector()
        var e0 = Vector(), e1 = Vector(), e2 = Vector(), f0 = Vector(), f1 = Vector(), f2 = Vector()
        for d in 0..<depth {
            let p = UnsafeRawPointer(source + offsets[d])
            let v0 = p.loadUnaligned(as: Vector.self)
            let v1 = p.loadUnaligned(fromByteOffset: Self.vectorBytes, as: Vector.self)
            let v2 = p.loadUnaligned(fromByteOffset: 2 * Self.vectorBytes, as: Vector.self)
            var w = Vector(repeating: weight[d])
            a0 = a0.addingProduct(v0, w); a1 = a1.addingProduct(v1, w); a2 = a2.addingProduct(v2, w)
            w = Vector(repeating: weight[depth + d])
            b0 = b0.addingProduct(v0, w); b1 = b1.addingProduct(v1, w); b2 = b2.addingProduct(v2, w)
            w = Vector(repeating: weight[2 * depth + d])
            c0 = c0.addingProduct(v0, w); c1 = c1.addingProduct(v1, w); c2 = c2.addingProduct(v2, w)
            w = Vector(repeating: weight[3 * depth + d])
            d0 = d0.addingProduct(v0, w); d1 = d1.addingProduct(v1, w); d2 = d2.addingProduct(v2, w)
            w = Vector(repeating: weight[4 * depth + d])
            e0 = e0.addingProduct(v0, w); e1 = e1.addingProduct(v1, w); e2 = e2.addingProduct(v2, w)
            w = Vector(repeating: weight[5 * depth + d])
            f0 = f0.addingProduct(v0, w); f1 = f1.addingProduct(v1, w); f2 = f2.addingProduct(v2, w)
        }
        let unused = Vector()
        store(a0, a1, a2, unused, vectors: 3, to: y)
        store(b0, b1, b2, unused, vectors: 3, to: y + outputStride)
        store(c0, c1, c2, unused, vectors: 3, to: y + 2 * outputStride)
        store(d0, d1, d2, unused, vectors: 3, to: y + 3 * outputStride)
        store(e0, e1, e2, unused, vectors: 3, to: y + 4 * outputStride)
        store(f0, f1, f2, unused, vectors: 3, to: y + 5 * outputStride)
    }

    /// One output's row of accumulators += `vectors` input vectors × one weight.
    @inline(__always)
    static func accumulate(
        _ a0: inout Vector, _ a1: inout Vector, _ a2: inout Vector, _ a3: inout Vector,
        _ v0: Vector, _ v1: Vector, _ v2: Vector, _ v3: Vector, times weight: Float, vectors: Int
    ) {
        let w = Vector(repeating: weight)
        a0 = a0.addingProduct(v0, w)
        if vectors > 1 { a1 = a1.addingProduct(v1, w) }
        if vectors > 2 { a2 = a2.addingProduct(v2, w) }
        if vectors > 3 { a3 = a3.addingProduct(v3, w) }
    }

    @inline(__always)
    static func store(_ v0: Vector, _ v1: Vector, _ v2: Vector, _ v3: Vector, vectors: Int,
                      to y: UnsafeMutablePointer<Float>) {
        let p = UnsafeMutableRawPointer(y)
        p.storeBytes(of: v0, as: Vector.self)
        if vectors > 1 { p.storeBytes(of: v1, toByteOffset: Self.vectorBytes, as: Vector.self) }
        if vectors > 2 { p.storeBytes(of: v2, toByteOffset: 2 * Self.vectorBytes, as: Vector.self) }
        if vectors > 3 { p.storeBytes(of: v3, toByteOffset: 3 * Self.vectorBytes, as: Vector.self) }
    }
}
