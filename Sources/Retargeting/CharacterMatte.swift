import Tensors

/// The character's matte at the video's own resolution: where a frame differs from its
/// background plate, refined to the frame's edges.
///
/// Camera footage (``BackgroundPlate/isCameraFootage``) takes its moving region instead
/// (``movingRegion(frame:plate:coverage:spread:pool:)``; ``MatteStyle`` chooses otherwise);
/// a rendered clip takes these steps:
/// 1. Difference: the largest channel difference between the frame and the plate.
/// 2. Hysteresis: pixels above the strong threshold seed the matte, which grows through
///    connected pixels above the weak one (a character whose colours come close to the
///    background's stays whole without admitting isolated noise). Where the plate was never
///    seen clearly, the model's coverage map decides instead (when the model has one).
/// 3. Clean-up: a 3×3 opening removes specks; holes enclosed by the character are filled;
/// 4. Edges: a guided filter (He et al.) guided by the frame's grey levels turns the binary
///    mask into a soft matte that follows the frame's own edges, at full resolution; outside
///    the mask, α is capped by the frame's difference from the plate (d / strong threshold),
///    so pixels that show the plate exactly stay background; inside it (away from its edge),
///    pixels that seeded the mask stay fully opaque.
/// 5. Margin: the soft matte grows outwards whole by a margin (automatic: none for a
///    noiseless clip, 0.5 % of the frame's smaller side for a noisy one, whose
///    motion-blurred and compressed edges and shadows fall below the thresholds), so the
///    ring it adds keeps the frame's own pixels instead of fading into a halo.
public enum CharacterMatte {
    /// Differences above this seed the character (raised for noisy clips).
    static let strongThreshold: Float = 0.08
    /// Differences above this extend a seeded region.
    static let weakThreshold: Float = 0.05
    /// The guided filter's regularisation (smaller follows the guide's edges more closely).
    static let guidedEpsilon: Float = 1e-4

    /// The soft matte of `frame` over `plate` (same size), in [0, 1]. `coverage` is the
    /// model's coverage map at any size, used where the plate is not trusted.
    ///
    /// `margin`: pixels the refined matte grows by (its ring keeps α = 1); nil for automatic.
    /// `style`: ``MatteStyle/automatic`` takes the moving region for camera footage.
    /// `thumbnail`: the frame on the plate's detection grid (see ``BackgroundPlate/detection``),
    /// where the moving region is then found.
    /// `pool` keeps the filter's buffers between calls (see ``ScratchPool``).
    public static func estimate(frame: PlanarImage, plate: BackgroundPlate, coverage: PlanarMask? = nil, margin: Int? = nil,
                                style: MatteStyle = .automatic, thumbnail: PlanarImage? = nil, pool: ScratchPool = ScratchPool()) -> PlanarMask {
        precondition(frame.width == plate.width && frame.height == plate.height, "CharacterMatte: frame and plate sizes differ")
        if style.takesMovingRegion(over: plate) {
            if findsRegionOnGrid(plate: plate, style: style, thumbnail: thumbnail), let thumbnail, let detection = plate.detection {
                return movingRegion(thumbnail: thumbnail, plate: detection, width: frame.width, height: frame.height, spread: margin)
            }
            return movingRegion(frame: frame, plate: plate, coverage: coverage, spread: margin, pool: pool)
        }
        let width = frame.width, height = frame.height, n = width * height
        let strong = max(strongThreshold, 6 * plate.noise), weak = max(weakThreshold, 4 * plate.noise)
        let modelCoverage = coverage?.resized(width: width, height: height)
        // 1–2: seeds and candidates.
        var seed = [Bool](repeating: false, count: n), candidate = seed
        // The largest channel difference to the plate, or ∞ where the plate is not trusted.
        var difference = pool.take(n)
        let coverageValues = modelCoverage?.values ?? []
        difference.withUnsafeMutableBufferPointer { difference in
            let difference = difference
            frame.values.withUnsafeBufferPointer { x in
                plate.image.values.withUnsafeBufferPointer { p in
                    plate.confidence.withUnsafeBufferPointer { confidence in
                        coverageValues.withUnsafeBufferPointer { coverage in
                            seed.withUnsafeMutableBufferPointer { seed in
                                candidate.withUnsafeMutableBufferPointer { candidate in
                                    let seed = seed, candidate = candidate
                                    Parallel.forEach(height) { y in
                                        for i in (y * width)..<((y + 1) * width) {
                                            let d = max(abs(x[i] - p[i]), abs(x[n + i] - p[n + i]), abs(x[2 * n + i] - p[2 * n + i]))
                                            if confidence[i] < BackgroundPlate.trustedConfidence && !coverage.isEmpty {
                                                seed[i] = coverage[i] >= 0.5
                                                candidate[i] = coverage[i] >= 0.25 || d > strong
                                                difference[i] = .infinity
                                            } else {
                                                seed[i] = d > strong
                                                candidate[i] = d > weak
                                                difference[i] = d
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
        var mask = grow(seed, through: candidate, width: width, height: height)
        // 3: clean-up.
        mask = dilate(erode(mask, width: width, height: height), width: width, height: height)
        mask = fillHoles(mask, width: width, height: height)
        // 4: edges, then the margin: the refined matte grows outwards whole, so the ring it
        // adds keeps the frame's own pixels (growing the binary mask first would let the
        // filter fade the ring into a half-transparent halo).
        let radius = max(1, Int((Float(min(width, height)) / 64).rounded()))
        var refined = refineEdges(mask, guide: frame, radius: radius, pool: pool)
        // Outside the mask the filter's soft edge may claim only as much as the frame differs
        // from the plate (α ≤ d / strong threshold): over a textured background the filter
        // spills α into pixels that show the plate exactly, a halo of the old background.
        // Inside, the character is opaque wherever it clearly differs from the plate: the
        // filter's window (radius ≈ 1/64 of the frame) is as wide as a small figure, so it
        // left thin characters half transparent. The two pixels along the mask's edge keep
        // the soft value, which an anti-aliased edge needs (one pixel cost 0.6 dB on the photo
        // benchmark at 256).
        let interior = erode(erode(mask, width: width, height: height), width: width, height: height)
        mask.withUnsafeBufferPointer { mask in
            interior.withUnsafeBufferPointer { interior in
                seed.withUnsafeBufferPointer { seed in
                    difference.withUnsafeBufferPointer { difference in
                        refined.withUnsafeMutableBufferPointer { refined in
                            let refined = refined
                            Parallel.forEachChunk(of: n) { range in
                                for i in range {
                                    if !mask[i] {
                                        if refined[i] > 0 { refined[i] = min(refined[i], difference[i] / strong) }
                                    } else if interior[i] && seed[i] {
                                        refined[i] = 1
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        pool.give(difference)
        let grow = margin ?? automaticMargin(width: width, height: height, noise: plate.noise)
        return PlanarMask(width: width, height: height, values: grow > 0 ? maximumFilter(refined, width: width, height: height, radius: grow) : refined)
    }

    /// The largest value in the (2·radius + 1)² window around each pixel (the window clamped
    /// at the image's edges), for values ≥ 0: only the box around the positive values,
    /// grown by the radius, can change, so the filter runs there.
    public static func maximumFilter(_ values: [Float], width: Int, height: Int, radius: Int) -> [Float] {
        guard let box = boundingBox(of: values.map { $0 > 0 }, width: width, height: height) else { return values }
        let x0 = max(box.minX - radius, 0), x1 = min(box.maxX + radius, width - 1)
        let y0 = max(box.minY - radius, 0), y1 = min(box.maxY + radius, height - 1)
        let w = x1 - x0 + 1, h = y1 - y0 + 1
        var crop = [Float](repeating: 0, count: w * h)
        values.withUnsafeBufferPointer { values in
            crop.withUnsafeMutableBufferPointer { crop in
                for y in 0..<h { (crop.baseAddress! + y * w).update(from: values.baseAddress! + (y0 + y) * width + x0, count: w) }
            }
        }
        // A (2r + 1)² maximum is r 3×3 maxima in a row.
        for _ in 0..<radius { crop = window3x3(crop, width: w, height: h, Largest.self) }
        var out = values
        crop.withUnsafeBufferPointer { crop in
            out.withUnsafeMutableBufferPointer { out in
                for y in 0..<h { (out.baseAddress! + (y0 + y) * width + x0).update(from: crop.baseAddress! + y * w, count: w) }
            }
        }
        return out
    }

    /// An associative fold over a window (static, so that
    /// ``window3x3(_:width:height:_:)`` is specialised and inlined per fold).
    protocol WindowFold {
        associatedtype Value
        static func combine(_ a: Value, _ b: Value) -> Value
    }
    enum Largest: WindowFold {
        @inline(__always) static func combine(_ a: Float, _ b: Float) -> Float { max(a, b) }
    }
    /// Set if any is set, on masks as bytes (0 or 1): a maximum, which vectorises where
    /// Bool's short-circuit `||` branches.
    enum AnySet: WindowFold {
        @inline(__always) static func combine(_ a: UInt8, _ b: UInt8) -> UInt8 { max(a, b) }
    }
    /// Set if all are set, on masks as bytes: a minimum.
    enum AllSet: WindowFold {
        @inline(__always) static func combine(_ a: UInt8, _ b: UInt8) -> UInt8 { min(a, b) }
    }

    /// The fold over the 3×3 window around each pixel, separably (rows, then columns), the
    /// image's edge pixels repeated outwards. Each worker takes a band of rows and folds the
    /// rows it needs (its band and one row either side) itself, so the pass is one hand-off to
    /// the workers instead of two.
    static func window3x3<F: WindowFold>(_ values: [F.Value], width: Int, height: Int, _ fold: F.Type) -> [F.Value] {
        var out = values
        values.withUnsafeBufferPointer { v in
            out.withUnsafeMutableBufferPointer { o in window3x3(v, into: o, width: width, height: height, fold) }
        }
        return out
    }

    /// ``window3x3(_:width:height:_:)`` from one buffer into another of the same size.
    static func window3x3<F: WindowFold>(
        _ v: UnsafeBufferPointer<F.Value>, into o: UnsafeMutableBufferPointer<F.Value>, width: Int, height: Int, _ fold: F.Type
    ) {
        guard width > 0, height > 0 else { return }
        let bands = min(Parallel.workerCount, max(1, height / 16))
        Parallel.forEach(bands) { band in
            let y0 = height * band / bands, y1 = height * (band + 1) / bands
            // The row folds of rows y0 − 1 ... y1 (clamped), in a ring of three rows.
            let ring = UnsafeMutablePointer<F.Value>.allocate(capacity: 3 * width)
            defer { ring.deinitialize(count: 3 * width); ring.deallocate() }
            ring.initialize(repeating: v[0], count: 3 * width)
            @inline(__always) func foldRow(_ y: Int) {
                let row = y * width, r = ring + (y + 3) % 3 * width
                // The two edge pixels clamp; the ones between need no clamping (and vectorise).
                let last = width - 1
                r[0] = F.combine(F.combine(v[row], v[row]), v[row + min(1, last)])
                r[last] = F.combine(F.combine(v[row + max(last - 1, 0)], v[row + last]), v[row + last])
                if width > 2 {
                    for x in 1..<(width - 1) { r[x] = F.combine(F.combine(v[row + x - 1], v[row + x]), v[row + x + 1]) }
                }
            }
            foldRow(max(y0 - 1, 0))
            foldRow(y0)
            for y in y0..<y1 {
                if y + 1 < height { foldRow(y + 1) }
                let above = ring + (max(y - 1, 0) + 3) % 3 * width, here = ring + (y + 3) % 3 * width
                let below = ring + (min(y + 1, height - 1) + 3) % 3 * width, row = o.baseAddress! + y * width
                for x in 0..<width { row[x] = F.combine(F.combine(above[x], here[x]), below[x]) }
            }
        }
    }

    /// The guided filter of the binary mask, in [0, 1]. Far from the mask (beyond two window
    /// radii of its bounding box) every window holds only zeros, so the filter's output is 0
    /// there and it runs on the box around the mask alone.
    static func refineEdges(_ mask: [Bool], guide frame: PlanarImage, radius: Int, pool: ScratchPool) -> [Float] {
        let width = frame.width, height = frame.height, n = width * height
        var out = [Float](repeating: 0, count: n)
        guard let box = boundingBox(of: mask, width: width, height: height) else { return out }
        let reach = 2 * radius + 1
        let x0 = max(box.minX - reach, 0), x1 = min(box.maxX + reach, width - 1), y0 = max(box.minY - reach, 0), y1 = min(box.maxY + reach, height - 1)
        let w = x1 - x0 + 1, h = y1 - y0 + 1
        var guide = pool.take(w * h), input = pool.take(w * h)
        frame.values.withUnsafeBufferPointer { v in
            mask.withUnsafeBufferPointer { mask in
                guide.withUnsafeMutableBufferPointer { guide in
                    input.withUnsafeMutableBufferPointer { input in
                        let guide = guide, input = input
                        Parallel.forEach(h) { y in
                            for x in 0..<w {
                                let i = (y0 + y) * width + x0 + x
                                guide[y * w + x] = (v[i] + v[n + i] + v[2 * n + i]) / 3
                                input[y * w + x] = mask[i] ? 1 : 0
                            }
                        }
                    }
                }
            }
        }
        let soft = radius >= 4
            ? fastGuidedFilter(guide: guide, input: input, width: w, height: h, radius: radius, epsilon: guidedEpsilon, pool: pool)
            : guidedFilter(guide: guide, input: input, width: w, height: h, radius: radius, epsilon: guidedEpsilon, pool: pool)
        soft.withUnsafeBufferPointer { soft in
            out.withUnsafeMutableBufferPointer { out in
                let out = out
                Parallel.forEach(h) { y in
                    for x in 0..<w { out[(y0 + y) * width + x0 + x] = min(max(soft[y * w + x], 0), 1) }
                }
            }
        }
        pool.give(guide, input, soft)
        return out
    }

    /// Whether ``estimate(frame:plate:coverage:margin:style:thumbnail:pool:)`` finds the
    /// moving region on the plate's detection grid: camera footage larger than the grid, with
    /// the frame's `thumbnail` on it. That matte reads no coverage, so a caller need not
    /// compute one.
    public static func findsRegionOnGrid(plate: BackgroundPlate, style: MatteStyle, thumbnail: PlanarImage?) -> Bool {
        guard style.takesMovingRegion(over: plate), let thumbnail, let detection = plate.detection else { return false }
        return thumbnail.width == detection.width && thumbnail.height == detection.height
    }

    /// The margin for a clip of this size and noise level: 0 below 1/255 of noise.
    public static func automaticMargin(width: Int, height: Int, noise: Float) -> Int {
        noise < 1.0 / 255 ? 0 : max(1, Int((Float(min(width, height)) / 200).rounded()))
    }

    /// The smallest box holding every set pixel, or nil for an empty mask.
    static func boundingBox(of mask: [Bool], width: Int, height: Int) -> (minX: Int, maxX: Int, minY: Int, maxY: Int)? {
        var minX = width, maxX = -1, minY = height, maxY = -1
        mask.withUnsafeBufferPointer { mask in
            for y in 0..<height {
                let row = mask.baseAddress! + y * width
                // The row's first and last set pixel (a row is usually empty or set at its ends).
                guard let first = (0..<width).first(where: { row[$0] }) else { continue }
                let last = (first..<width).last(where: { row[$0] })!
                minX = min(minX, first); maxX = max(maxX, last)
                if minY == height { minY = y }
                maxY = y
            }
        }
        return maxX >= 0 ? (minX, maxX, minY, maxY) : nil
    }

    /// The seeds grown through 4-connected candidates.
    static func grow(_ seed: [Bool], through candidate: [Bool], width: Int, height: Int) -> [Bool] {
        var mask = seed
        var stack = [Int]()
        stack.reserveCapacity(1024)
        for i in 0..<seed.count where seed[i] { stack.append(i) }
        mask.withUnsafeMutableBufferPointer { mask in
            candidate.withUnsafeBufferPointer { candidate in
                while let i = stack.popLast() {
                    let x = i % width
                    if x > 0, !mask[i - 1], candidate[i - 1] { mask[i - 1] = true; stack.append(i - 1) }
                    if x < width - 1, !mask[i + 1], candidate[i + 1] { mask[i + 1] = true; stack.append(i + 1) }
                    if i >= width, !mask[i - width], candidate[i - width] { mask[i - width] = true; stack.append(i - width) }
                    if i + width < mask.count, !mask[i + width], candidate[i + width] { mask[i + width] = true; stack.append(i + width) }
                }
            }
        }
        return mask
    }

    /// 3×3 erosion (outside the image counts as set, so the border does not eat the mask).
    static func erode(_ mask: [Bool], width: Int, height: Int) -> [Bool] {
        morphology(mask, width: width, height: height, dilating: false)
    }

    /// 3×3 dilation.
    static func dilate(_ mask: [Bool], width: Int, height: Int) -> [Bool] {
        morphology(mask, width: width, height: height, dilating: true)
    }

    /// A 3×3 minimum (erosion) or maximum (dilation), separably: rows, then columns; the
    /// image's edge pixels repeat outwards. The mask is folded as bytes (0 or 1).
    private static func morphology(_ mask: [Bool], width: Int, height: Int, dilating: Bool) -> [Bool] {
        var out = [Bool](repeating: false, count: mask.count)
        // A Bool is one byte holding 0 or 1, so the masks are folded in place as bytes.
        mask.withUnsafeBufferPointer { mask in
            mask.withMemoryRebound(to: UInt8.self) { bytes in
                out.withUnsafeMutableBufferPointer { out in
                    out.withMemoryRebound(to: UInt8.self) { folded in
                        if dilating {
                            window3x3(bytes, into: folded, width: width, height: height, AnySet.self)
                        } else {
                            window3x3(bytes, into: folded, width: width, height: height, AllSet.self)
                        }
                    }
                }
            }
        }
        return out
    }

    /// The mask with every unset region that does not touch the border set. Only the mask's
    /// bounding box (grown by a pixel) can hold a hole, so the flood runs there.
    static func fillHoles(_ mask: [Bool], width: Int, height: Int) -> [Bool] {
        guard let box = boundingBox(of: mask, width: width, height: height) else { return mask }
        let x0 = max(box.minX - 1, 0), x1 = min(box.maxX + 1, width - 1), y0 = max(box.minY - 1, 0), y1 = min(box.maxY + 1, height - 1)
        // Flood the outside from the box's border, a row span at a time (scanline fill: a
        // span is marked in one pass and only the starts of the open runs next to it are
        // pushed, so the stack holds far fewer entries than pixels).
        var filled = mask
        var outside = [Bool](repeating: false, count: mask.count)
        mask.withUnsafeBufferPointer { mask in
            outside.withUnsafeMutableBufferPointer { outside in
                var stack: [(x: Int32, y: Int32)] = []
                stack.reserveCapacity(256)
                @inline(__always) func open(_ x: Int, _ y: Int) -> Bool { !mask[y * width + x] && !outside[y * width + x] }
                /// Pushes the start of every open run of row y within x ∈ [from, to].
                func pushRuns(_ y: Int, _ from: Int, _ to: Int) {
                    var x = from
                    while x <= to {
                        if open(x, y) {
                            stack.append((Int32(x), Int32(y)))
                            while x <= to && open(x, y) { x += 1 }
                        } else {
                            x += 1
                        }
                    }
                }
                pushRuns(y0, x0, x1)
                pushRuns(y1, x0, x1)
                for y in y0...y1 {
                    if open(x0, y) { stack.append((Int32(x0), Int32(y))) }
                    if open(x1, y) { stack.append((Int32(x1), Int32(y))) }
                }
                while let (sx, sy) = stack.popLast() {
                    let x = Int(sx), y = Int(sy)
                    guard open(x, y) else { continue }
                    var left = x, right = x
                    while left > x0 && open(left - 1, y) { left -= 1 }
                    while right < x1 && open(right + 1, y) { right += 1 }
                    for i in (y * width + left)...(y * width + right) { outside[i] = true }
                    if y > y0 { pushRuns(y - 1, left, right) }
                    if y < y1 { pushRuns(y + 1, left, right) }
                }
            }
        }
        for y in y0...y1 {
            for x in x0...x1 where !mask[y * width + x] && !outside[y * width + x] { filled[y * width + x] = true }
        }
        return filled
    }

    /// He, Sun and Tang's guided filter with a grey guide: `input` smoothed inside windows of
    /// `(2·radius + 1)²` pixels as a local linear function of the guide.
    public static func guidedFilter(guide: [Float], input: [Float], width: Int, height: Int, radius: Int, epsilon: Float,
                                    pool: ScratchPool = ScratchPool()) -> [Float] {
        let n = width * height
        var out = pool.take(n)
        linearCoefficients(guide: guide, input: input, width: width, height: height, radius: radius, epsilon: epsilon, pool: pool) { meanA, meanB in
            applyLinear(a: meanA, b: meanB, guide: guide, into: &out)
        }
        return out
    }

    /// The box means of the guided filter's coefficients a and b (`q = a·I + b` per window),
    /// handed to `body`; their buffers go back to the pool afterwards.
    private static func linearCoefficients(guide: [Float], input: [Float], width: Int, height: Int, radius: Int, epsilon: Float,
                                           pool: ScratchPool, _ body: ([Float], [Float]) -> Void) {
        let n = width * height
        var product = pool.take(n), square = pool.take(n)
        guide.withUnsafeBufferPointer { guide in
            input.withUnsafeBufferPointer { input in
                product.withUnsafeMutableBufferPointer { product in
                    square.withUnsafeMutableBufferPointer { square in
                        let product = product, square = square
                        Parallel.forEachChunk(of: n) { range in
                            for i in range {
                                product[i] = guide[i] * input[i]
                                square[i] = guide[i] * guide[i]
                            }
                        }
                    }
                }
            }
        }
        let means = boxMeans([guide, input, product, square], width: width, height: height, radius: radius, pool: pool)
        let meanGuide = means[0], meanInput = means[1], meanProduct = means[2], meanSquare = means[3]
        var a = pool.take(n), b = pool.take(n)
        meanGuide.withUnsafeBufferPointer { meanGuide in
            meanInput.withUnsafeBufferPointer { meanInput in
                meanProduct.withUnsafeBufferPointer { meanProduct in
                    meanSquare.withUnsafeBufferPointer { meanSquare in
                        a.withUnsafeMutableBufferPointer { a in
                            b.withUnsafeMutableBufferPointer { b in
                                let a = a, b = b
                                Parallel.forEachChunk(of: n) { range in
                                    for i in range {
                                        let variance = meanSquare[i] - meanGuide[i] * meanGuide[i]
                                        a[i] = (meanProduct[i] - meanGuide[i] * meanInput[i]) / (variance + epsilon)
                                        b[i] = meanInput[i] - a[i] * meanGuide[i]
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        let meansAB = boxMeans([a, b], width: width, height: height, radius: radius, pool: pool)
        let meanA = meansAB[0], meanB = meansAB[1]
        body(meanA, meanB)
        pool.give(product, square, meanGuide, meanInput, meanProduct, meanSquare, a, b, meanA, meanB)
    }

    /// `out = a·guide + b`, element-wise, spread over the cores.
    private static func applyLinear(a: [Float], b: [Float], guide: [Float], into out: inout [Float]) {
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                guide.withUnsafeBufferPointer { guide in
                    out.withUnsafeMutableBufferPointer { out in
                        let out = out
                        Parallel.forEachChunk(of: out.count) { range in
                            for i in range { out[i] = a[i] * guide[i] + b[i] }
                        }
                    }
                }
            }
        }
    }

    /// The guided filter's coefficients computed at half resolution (He and Sun's "fast
    /// guided filter"): the local linear model `q = a·I + b` varies slowly, so `a` and `b` are
    /// fitted on 2×2-averaged images with half the radius, upsampled bilinearly and applied
    /// to the full-resolution guide — a quarter of the box filtering, the same edges.
    static func fastGuidedFilter(guide: [Float], input: [Float], width: Int, height: Int, radius: Int, epsilon: Float, pool: ScratchPool) -> [Float] {
        let w = (width + 1) / 2, h = (height + 1) / 2
        func half(_ values: [Float]) -> [Float] {
            var out = pool.take(w * h)
            values.withUnsafeBufferPointer { values in
                out.withUnsafeMutableBufferPointer { out in
                    let out = out
                    Parallel.forEach(h) { y in
                        let y0 = 2 * y, y1 = min(2 * y + 1, height - 1)
                        for x in 0..<w {
                            let x0 = 2 * x, x1 = min(2 * x + 1, width - 1)
                            out[y * w + x] = (values[y0 * width + x0] + values[y0 * width + x1] + values[y1 * width + x0] + values[y1 * width + x1]) / 4
                        }
                    }
                }
            }
            return out
        }
        let smallGuide = half(guide), smallInput = half(input)
        var out = pool.take(width * height)
        linearCoefficients(guide: smallGuide, input: smallInput, width: w, height: h, radius: radius / 2, epsilon: epsilon, pool: pool) { meanA, meanB in
            let a = PlanarMask(width: w, height: h, values: meanA).resized(width: width, height: height).values
            let b = PlanarMask(width: w, height: h, values: meanB).resized(width: width, height: height).values
            applyLinear(a: a, b: b, guide: guide, into: &out)
        }
        pool.give(smallGuide, smallInput)
        return out
    }

    /// The means over a `(2·radius + 1)²` window of each of `inputs` (all `width`×`height`),
    /// clamped at the borders: a running sum along each row, then down each column. All the
    /// inputs' rows form one parallel loop and all their column blocks another, so a batch
    /// costs two hand-offs to the workers, not two per input (waking a worker costs as much
    /// as a small filter pass inside a host process).
    static func boxMeans(_ inputs: [[Float]], width: Int, height: Int, radius: Int, pool: ScratchPool) -> [[Float]] {
        let count = width * height, k = inputs.count
        // One buffer each for the row sums and the means of all the inputs, side by side.
        var rows = pool.take(k * count), out = pool.take(k * count)
        let interior = 1 / Float(2 * radius + 1)
        let sources = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: k)
        defer { sources.deallocate() }
        withPointers(to: inputs, sources) {
            rows.withUnsafeMutableBufferPointer { r in
                let r = r
                Parallel.forEach(k * height) { task in
                    let input = task / height, y = task % height
                    let v = sources[input] + y * width, row = r.baseAddress! + input * count + y * width
                    var sum: Float = 0
                    for x in 0..<min(radius, width) { sum += v[x] }
                    for x in 0..<width {
                        if x + radius < width { sum += v[x + radius] }
                        if x - radius - 1 >= 0 { sum -= v[x - radius - 1] }
                        row[x] = sum * (x >= radius && x + radius < width ? interior : 1 / Float(min(x + radius, width - 1) - max(x - radius, 0) + 1))
                    }
                }
            }
        }
        // Columns in blocks of 64: each block keeps a running sum of its rows.
        let blocks = (width + 63) / 64
        rows.withUnsafeBufferPointer { rows in
            out.withUnsafeMutableBufferPointer { o in
                let o = o
                Parallel.forEach(k * blocks) { task in
                    let input = task / blocks, block = task % blocks
                    let r = rows.baseAddress! + input * count, o = o.baseAddress! + input * count
                    let x0 = block * 64, x1 = min(x0 + 64, width)
                    let sum = UnsafeMutablePointer<Float>.allocate(capacity: x1 - x0)
                    defer { sum.deallocate() }
                    sum.initialize(repeating: 0, count: x1 - x0)
                    for y in 0..<min(radius, height) { for x in x0..<x1 { sum[x - x0] += r[y * width + x] } }
                    for y in 0..<height {
                        if y + radius < height { let row = (y + radius) * width; for x in x0..<x1 { sum[x - x0] += r[row + x] } }
                        if y - radius - 1 >= 0 { let row = (y - radius - 1) * width; for x in x0..<x1 { sum[x - x0] -= r[row + x] } }
                        let scale = 1 / Float(min(y + radius, height - 1) - max(y - radius, 0) + 1), row = y * width
                        for x in x0..<x1 { o[row + x] = sum[x - x0] * scale }
                    }
                }
            }
        }
        pool.give(rows)
        let means = (0..<k).map { input in
            var mean = pool.take(count)
            mean.withUnsafeMutableBufferPointer { mean in
                out.withUnsafeBufferPointer { (mean.baseAddress!).update(from: $0.baseAddress! + input * count, count: count) }
            }
            return mean
        }
        pool.give(out)
        return means
    }

    /// Calls `body` with `pointers[i]` set to the storage of `arrays[i]`, all valid at once.
    private static func withPointers(to arrays: [[Float]], _ pointers: UnsafeMutablePointer<UnsafePointer<Float>>, _ body: () -> Void,
                                     from index: Int = 0) {
        guard index < arrays.count else { return body() }
        arrays[index].withUnsafeBufferPointer { buffer in
            pointers[index] = buffer.baseAddress!
            withPointers(to: arrays, pointers, body, from: index + 1)
        }
    }
}
