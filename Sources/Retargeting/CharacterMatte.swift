import Tensors

/// The character's matte at the video's own resolution: where a frame differs from its
/// background plate, refined to the frame's edges.
///
/// 1. Difference: the largest channel difference between the frame and the plate.
/// 2. Hysteresis: pixels above the strong threshold seed the matte, which grows through
///    connected pixels above the weak one (a character whose colours come close to the
///    background's stays whole without admitting isolated noise). Where the plate was never
///    seen clearly, the model's coverage map decides instead (when the model has one).
/// 3. Clean-up: a 3×3 opening removes specks; holes enclosed by the character are filled;
///    the mask grows by a margin (automatic: none for a noiseless clip, 0.5 % of the frame's
///    smaller side for a noisy one, whose motion-blurred and compressed edges and shadows
///    fall below the thresholds).
/// 4. Edges: a guided filter (He et al.) guided by the frame's grey levels turns the binary
///    mask into a soft matte that follows the frame's own edges, at full resolution.
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
    /// `margin`: pixels the matte grows by before its edges are refined; nil for automatic.
    public static func estimate(frame: PlanarImage, plate: BackgroundPlate, coverage: PlanarMask? = nil, margin: Int? = nil) -> PlanarMask {
        precondition(frame.width == plate.width && frame.height == plate.height, "CharacterMatte: frame and plate sizes differ")
        let width = frame.width, height = frame.height, n = width * height
        let strong = max(strongThreshold, 6 * plate.noise), weak = max(weakThreshold, 4 * plate.noise)
        let modelCoverage = coverage?.resized(width: width, height: height)
        // 1–2: seeds and candidates.
        var seed = [Bool](repeating: false, count: n), candidate = seed
        frame.values.withUnsafeBufferPointer { x in
            plate.image.values.withUnsafeBufferPointer { p in
                for i in 0..<n {
                    let d = max(abs(x[i] - p[i]), abs(x[n + i] - p[n + i]), abs(x[2 * n + i] - p[2 * n + i]))
                    if plate.confidence[i] < 0.5, let modelCoverage {
                        seed[i] = modelCoverage.values[i] >= 0.5
                        candidate[i] = modelCoverage.values[i] >= 0.25 || d > strong
                    } else {
                        seed[i] = d > strong
                        candidate[i] = d > weak
                    }
                }
            }
        }
        var mask = grow(seed, through: candidate, width: width, height: height)
        // 3: clean-up.
        mask = dilate(erode(mask, width: width, height: height), width: width, height: height)
        mask = fillHoles(mask, width: width, height: height)
        for _ in 0..<(margin ?? automaticMargin(width: width, height: height, noise: plate.noise)) {
            mask = dilate(mask, width: width, height: height)
        }
        // 4: edges.
        let radius = max(1, Int((Float(min(width, height)) / 64).rounded()))
        let soft = guidedFilter(guide: frame.grey, input: mask.map { $0 ? 1 : 0 }, width: width, height: height, radius: radius, epsilon: guidedEpsilon)
        return PlanarMask(width: width, height: height, values: soft.map { min(max($0, 0), 1) })
    }

    /// The margin for a clip of this size and noise level: 0 below 1/255 of noise.
    public static func automaticMargin(width: Int, height: Int, noise: Float) -> Int {
        noise < 1.0 / 255 ? 0 : max(1, Int((Float(min(width, height)) / 200).rounded()))
    }

    /// The seeds grown through 4-connected candidates.
    static func grow(_ seed: [Bool], through candidate: [Bool], width: Int, height: Int) -> [Bool] {
        var mask = seed
        var stack = [Int]()
        stack.reserveCapacity(1024)
        for i in 0..<seed.count where seed[i] { stack.append(i) }
        while let i = stack.popLast() {
            let x = i % width, y = i / width
            for (nx, ny) in [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)] where nx >= 0 && nx < width && ny >= 0 && ny < height {
                let j = ny * width + nx
                if !mask[j] && candidate[j] { mask[j] = true; stack.append(j) }
            }
        }
        return mask
    }

    /// 3×3 erosion (outside the image counts as set, so the border does not eat the mask).
    static func erode(_ mask: [Bool], width: Int, height: Int) -> [Bool] {
        morphology(mask, width: width, height: height, keepIf: { $0 == 9 })
    }

    /// 3×3 dilation.
    static func dilate(_ mask: [Bool], width: Int, height: Int) -> [Bool] {
        morphology(mask, width: width, height: height, keepIf: { $0 > 0 })
    }

    private static func morphology(_ mask: [Bool], width: Int, height: Int, keepIf: (Int) -> Bool) -> [Bool] {
        var out = [Bool](repeating: false, count: mask.count)
        for y in 0..<height {
            for x in 0..<width {
                var set = 0
                for dy in -1...1 {
                    let yy = min(max(y + dy, 0), height - 1)
                    for dx in -1...1 where mask[yy * width + min(max(x + dx, 0), width - 1)] { set += 1 }
                }
                out[y * width + x] = keepIf(set)
            }
        }
        return out
    }

    /// The mask with every unset region that does not touch the border set.
    static func fillHoles(_ mask: [Bool], width: Int, height: Int) -> [Bool] {
        var outside = [Bool](repeating: false, count: mask.count)
        var stack = [Int]()
        for x in 0..<width { stack.append(x); stack.append((height - 1) * width + x) }
        for y in 0..<height { stack.append(y * width); stack.append(y * width + width - 1) }
        stack = stack.filter { !mask[$0] }
        for i in stack { outside[i] = true }
        while let i = stack.popLast() {
            let x = i % width, y = i / width
            for (nx, ny) in [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)] where nx >= 0 && nx < width && ny >= 0 && ny < height {
                let j = ny * width + nx
                if !mask[j] && !outside[j] { outside[j] = true; stack.append(j) }
            }
        }
        return outside.map { !$0 }
    }

    /// He, Sun and Tang's guided filter with a grey guide: `input` smoothed inside windows of
    /// `(2·radius + 1)²` pixels as a local linear function of the guide.
    public static func guidedFilter(guide: [Float], input: [Float], width: Int, height: Int, radius: Int, epsilon: Float) -> [Float] {
        let n = width * height
        let meanGuide = boxMean(guide, width: width, height: height, radius: radius)
        let meanInput = boxMean(input, width: width, height: height, radius: radius)
        let meanProduct = boxMean((0..<n).map { guide[$0] * input[$0] }, width: width, height: height, radius: radius)
        let meanSquare = boxMean(guide.map { $0 * $0 }, width: width, height: height, radius: radius)
        var a = [Float](repeating: 0, count: n), b = a
        for i in 0..<n {
            let variance = meanSquare[i] - meanGuide[i] * meanGuide[i]
            a[i] = (meanProduct[i] - meanGuide[i] * meanInput[i]) / (variance + epsilon)
            b[i] = meanInput[i] - a[i] * meanGuide[i]
        }
        let meanA = boxMean(a, width: width, height: height, radius: radius)
        let meanB = boxMean(b, width: width, height: height, radius: radius)
        return (0..<n).map { meanA[$0] * guide[$0] + meanB[$0] }
    }

    /// The mean over a `(2·radius + 1)²` window, clamped at the borders (summed-area table,
    /// in Double so large frames do not lose precision).
    static func boxMean(_ values: [Float], width: Int, height: Int, radius: Int) -> [Float] {
        let stride = width + 1
        var table = [Double](repeating: 0, count: stride * (height + 1))
        for y in 0..<height {
            var row = 0.0
            for x in 0..<width {
                row += Double(values[y * width + x])
                table[(y + 1) * stride + x + 1] = table[y * stride + x + 1] + row
            }
        }
        var out = [Float](repeating: 0, count: values.count)
        for y in 0..<height {
            let y0 = max(y - radius, 0), y1 = min(y + radius + 1, height)
            for x in 0..<width {
                let x0 = max(x - radius, 0), x1 = min(x + radius + 1, width)
                let sum = table[y1 * stride + x1] - table[y0 * stride + x1] - table[y1 * stride + x0] + table[y0 * stride + x0]
                out[y * width + x] = Float(sum / Double((y1 - y0) * (x1 - x0)))
            }
        }
        return out
    }
}
