import EquivariantModel
import Tensors
import VideoIO

/// A static camera's background at the video's own resolution, learned from the clip:
/// per pixel the colour the frames agree on, and how sure that is.
///
/// ``consensus(of:)`` takes, per pixel, the value that the largest number of sampled frames
/// repeat within the noise tolerance, averaged over those frames. Unlike a temporal median
/// it stays right where the character covers a pixel in most frames: a moving character's
/// colours at one pixel keep changing, the background's do not. On camera footage
/// (``isCameraFootage``) grain splits those votes and the plate is the per-channel median
/// of every sample, the moving region's reference (see ``consensus(of:coverage:)``).
public struct BackgroundPlate: Equatable, Sendable {
    /// The background colours.
    public var image: PlanarImage
    /// Per pixel, in [0, 1]: how well the clip showed the background there (1: seen in
    /// enough frames to be trusted; 0: never seen clearly).
    public var confidence: [Float]
    /// The clip's noise level: the standard deviation of a still pixel from frame to frame
    /// (0 for lossless synthetic clips), in [0, 1] units.
    public var noise: Float
    /// The clip's grain: the fraction of colour values that change by 1 to 3 levels (of
    /// 255) between frames. Sensor noise and lossy coding leave it at 0.2–0.45 on camera
    /// footage; a rendered, losslessly stored clip changes its still pixels by exactly 0, and
    /// its character by more, so it stays low (0.005–0.06 on the photo scenes: a smooth
    /// character moving slowly changes by a few levels too).
    public var grain: Float
    /// The share of the frame that is still but grainy: of an 8×8 grid, the cells where at
    /// least 5 % of the colour values change by 1 to 3 levels between frames and under 1 % by
    /// more than 8 (the upper quartile over the clip's frame pairs). A camera's still
    /// background is grainy wherever the codec kept its noise (0.16–0.81 on camera footage,
    /// also at low bit rates whose grain is under ``cameraGrain``; 0.02 on `tree.avi`, whose
    /// foliage moves everywhere and whose grain marks it); a rendered clip's still
    /// background does not change at all (0–0.01 on the photo scenes).
    public var stillGrain: Float

    /// Grain above this marks camera footage (or any lossily coded clip).
    public static let cameraGrain: Float = 0.1
    /// Still grain above this marks camera footage too.
    public static let cameraStillGrain: Float = 0.1

    /// Whether the clip is camera footage (``grain`` above ``cameraGrain`` or ``stillGrain``
    /// above ``cameraStillGrain``), whose matte is its moving region (see `CharacterMatte`).
    public var isCameraFootage: Bool { Self.isCameraFootage(grain: grain, stillGrain: stillGrain) }

    static func isCameraFootage(grain: Float, stillGrain: Float) -> Bool {
        grain > cameraGrain || stillGrain > cameraStillGrain
    }

    /// A plate from its parts.
    /// - Precondition: `confidence` has one value per pixel.
    public init(image: PlanarImage, confidence: [Float], noise: Float, grain: Float = 0, stillGrain: Float = 0) {
        precondition(confidence.count == image.planeSize, "BackgroundPlate: \(confidence.count) confidences for \(image.planeSize) pixels")
        self.image = image
        self.confidence = confidence
        self.noise = noise
        self.grain = grain
        self.stillGrain = stillGrain
    }

    /// Width in pixels.
    public var width: Int { image.width }
    /// Height in pixels.
    public var height: Int { image.height }

    /// A pixel whose confidence reaches this is trusted; below it, the background there is
    /// unknown and the matte asks the model's coverage instead.
    public static let trustedConfidence: Float = 0.5

    /// The fraction of pixels whose background is trusted (``trustedConfidence``).
    public var trustedFraction: Double {
        Double(confidence.lazy.filter { $0 >= Self.trustedConfidence }.count) / Double(max(confidence.count, 1))
    }

    /// Camera footage's plate on the moving region's detection grid
    /// (``CharacterMatte/detectionGrid(width:height:)``): the per-channel median of the
    /// sampled frames' thumbnails. Nil for a rendered clip, a plate learned while streaming,
    /// or a frame no larger than the grid (whose moving region is found at full size).
    public var detection: PlanarImage?

    /// Per pixel, the fraction of the sampled frames that show its background colour (1 for
    /// a pixel never covered); nil for a plate learned while streaming.
    public var support: [Float]?

    /// The fraction of pixels whose colour fewer than 40 % of the sampled frames agree on:
    /// near 0 for a static camera (a character rarely covers a pixel most of the time), large
    /// for a moving camera, a cut or a character that fills the frame; nil without support.
    public var unsteadyFraction: Double? {
        support.map { Double($0.lazy.filter { $0 < 0.4 }.count) / Double(max($0.count, 1)) }
    }

    /// Colours closer than this (largest channel difference) count as the same background.
    public var tolerance: Float { max(0.02, 3 * noise) }

    /// The model's veto: a colour it covers by more than this on average is not background
    /// if another one that it covers by less than ``acceptBelow`` is repeated enough.
    static let vetoAbove: Float = 0.7
    static let acceptBelow: Float = 0.3

    /// The fraction of frames that must agree on a pixel's colour for full confidence.
    static let trustedFraction: Float = 0.2

    /// The consensus plate of a clip's sampled frames (all of one size; at least 2).
    ///
    /// `coverage`, when given, holds per sample the model's coverage map of the character
    /// (any size). The model can veto: where the most repeated colour is one the model sees
    /// as character (mean α above 0.7 over the frames showing it) and another colour that
    /// enough frames repeat is one it sees as background (mean α below 0.3), that one is the
    /// background — so a character that stays on some pixels most of the time does not
    /// become background there, while a model unsure of a scene changes nothing.
    ///
    /// At most ``votingSamples`` samples, evenly spaced, vote (each is compared with every
    /// other); the noise and grain are measured on them too.
    ///
    /// On camera footage (``isCameraFootage``) a pixel's value is the per-channel
    /// median of all the samples, voters or not, whatever the vote found: grain splits the
    /// votes, and the median is also the reference of the moving region that the
    /// real-footage check (`real_clip_check.py`) takes as the subject. A consensus guard
    /// (keep the consensus where fewer than half as many samples repeated the median) cost
    /// 15.7 dB outside the subject on `tree.avi`, whose swaying leaves it took for a
    /// character over the sky, and 0.9 / 0.9 dB on `vtest.avi` (README, *Real footage*). So
    /// a character that covers a pixel in more than half the samples is background there.
    /// - Throws: ``ModelError/invalidInput(_:)`` for fewer than 2 frames, mixed sizes or a
    ///   coverage list of another length.
    public static func consensus(of samples: [Frame], coverage: [PlanarMask]? = nil) throws -> BackgroundPlate {
        guard samples.count >= 2, let first = samples.first else {
            throw ModelError.invalidInput("a background plate needs at least 2 frames, got \(samples.count)")
        }
        let width = first.width, height = first.height
        guard samples.allSatisfy({ $0.width == width && $0.height == height }) else {
            throw ModelError.invalidInput("the frames of a background plate differ in size")
        }
        if let coverage, coverage.count != samples.count {
            throw ModelError.invalidInput("\(coverage.count) coverage maps for \(samples.count) frames")
        }
        // The voters (at most ``votingSamples``, evenly spaced) go first: the vote compares
        // every voter with every other, so its cost grows with the square of their number;
        // the median of camera footage takes every sample.
        let order = votingOrder(count: samples.count)
        let samples = order.map { samples[$0] }
        let voters = min(samples.count, votingSamples)
        // The voters' coverage at the frames' size in levels 0...255, voter after voter: the
        // vote sums it in integers, so the pairwise loop vectorises (float sums in order
        // do not) and the 48² comparisons per pixel stay one pass.
        let plane = width * height
        let coverageLevels: [UInt8]? = coverage.map { coverage in
            var levels = [UInt8](repeating: 0, count: voters * plane)
            for (v, index) in order.prefix(voters).enumerated() {
                let resized = coverage[index].resized(width: width, height: height).values
                for i in 0..<plane { levels[v * plane + i] = UInt8(level: resized[i]) }
            }
            return levels
        }
        let (noise, grain, stillGrain) = estimateNoise(Array(samples.prefix(voters)))
        let tolerance = Int((max(0.02, 3 * noise) * 255).rounded(.up))
        let count = samples.count
        var values = [Float](repeating: 0, count: 3 * plane)
        var confidence = [Float](repeating: 0, count: plane), support = confidence
        let trusted = max(3, Float(voters) * trustedFraction)
        // The samples side by side in one buffer, so the loops below read them through one
        // pointer (no array of arrays, no bounds checks); only camera footage's median reads
        // the samples beyond the voters.
        let medianPlate = isCameraFootage(grain: grain, stillGrain: stillGrain)
        let stored = medianPlate ? count : voters
        let frameBytes = 3 * plane
        var pixels = [UInt8](repeating: 0, count: stored * frameBytes)
        pixels.withUnsafeMutableBufferPointer { all in
            for (s, sample) in samples.prefix(stored).enumerated() {
                sample.rgb8.withUnsafeBufferPointer { (all.baseAddress! + s * frameBytes).update(from: $0.baseAddress!, count: frameBytes) }
            }
        }
        let tolerance32 = Int32(tolerance)
        let hasVotes = coverageLevels != nil
        values.withUnsafeMutableBufferPointer { out in
            confidence.withUnsafeMutableBufferPointer { sure in
              support.withUnsafeMutableBufferPointer { agreeing in
                pixels.withUnsafeBufferPointer { pixels in
                (coverageLevels ?? []).withUnsafeBufferPointer { coverageLevels in
                let out = out, sure = sure, agreeing = agreeing
                Parallel.forEach(height) { y in
                    let r = UnsafeMutablePointer<Int32>.allocate(capacity: 7 * count), g = r + count, b = g + count, sorted = b + count
                    let alpha = sorted + 3 * count  // the voters' coverage levels at this pixel (0 without a model)
                    alpha.initialize(repeating: 0, count: count)
                    defer { r.deallocate() }
                    var counts = [Int](repeating: 0, count: count)
                    var meanCoverage = [Float](repeating: 0, count: count)
                    for x in 0..<width {
                        let p = 3 * (y * width + x)
                        for s in 0..<stored {
                            let sample = pixels.baseAddress! + s * frameBytes + p
                            r[s] = Int32(sample[0]); g[s] = Int32(sample[1]); b[s] = Int32(sample[2])
                        }
                        let pixel = y * width + x
                        if hasVotes { for j in 0..<voters { alpha[j] = Int32(coverageLevels[j * plane + pixel]) } }
                        var best = 0, bestCount = 0
                        for i in 0..<voters {
                            // How many voters agree with voter i, and how much the model
                            // covers those (branch-free integer sums, so both vectorise).
                            let ri = r[i], gi = g[i], bi = b[i]
                            var agreeing: Int32 = 0, character: Int32 = 0
                            for j in 0..<voters {
                                let agrees: Int32 = levelDistance(ri, gi, bi, r[j], g[j], b[j]) <= tolerance32 ? 1 : 0
                                agreeing &+= agrees
                                character &+= agrees &* alpha[j]
                            }
                            meanCoverage[i] = Float(character) / (255 * Float(agreeing))
                            counts[i] = Int(agreeing)
                            if Int(agreeing) > bestCount { bestCount = Int(agreeing); best = i }
                        }
                        if hasVotes && meanCoverage[best] > vetoAbove {
                            var alternative = -1
                            for i in 0..<voters where meanCoverage[i] < acceptBelow && Float(counts[i]) >= trusted
                                && (alternative < 0 || counts[i] > counts[alternative]) {
                                alternative = i
                            }
                            if alternative >= 0 { best = alternative; bestCount = counts[alternative] }
                        }
                        let bestScore = Float(bestCount)
                        var sums: (Float, Float, Float) = (0, 0, 0), weight: Float = 0
                        for j in 0..<voters where levelDistance(r[best], g[best], b[best], r[j], g[j], b[j]) <= tolerance32 {
                            sums.0 += Float(r[j]); sums.1 += Float(g[j]); sums.2 += Float(b[j])
                            weight += 1
                        }
                        let scale = 1 / (255 * weight)
                        out[pixel] = sums.0 * scale
                        out[plane + pixel] = sums.1 * scale
                        out[2 * plane + pixel] = sums.2 * scale
                        if medianPlate {
                            // Camera footage: the per-channel median of every sample, voter
                            // or not.
                            sorted.update(from: r, count: 3 * count)
                            out[pixel] = median(sorting: sorted, count: count)
                            out[plane + pixel] = median(sorting: sorted + count, count: count)
                            out[2 * plane + pixel] = median(sorting: sorted + 2 * count, count: count)
                        }
                        sure[pixel] = min(1, bestScore / trusted)
                        agreeing[pixel] = bestScore / Float(voters)
                    }
                }
                }
                }
              }
            }
        }
        var plate = BackgroundPlate(image: PlanarImage(width: width, height: height, values: values), confidence: confidence, noise: noise,
                                    grain: grain, stillGrain: stillGrain)
        plate.support = support
        if medianPlate, let grid = CharacterMatte.detectionGrid(width: width, height: height) {
            plate.detection = try detectionMedian(of: samples, width: grid.width, height: grid.height)
        }
        return plate
    }

    /// The largest per-channel difference of two colours in levels, without overflow checks
    /// (`abs` traps on `Int32.min`, and its check kept the vote's loop from vectorising).
    @inline(__always)
    static func levelDistance(_ r0: Int32, _ g0: Int32, _ b0: Int32, _ r1: Int32, _ g1: Int32, _ b1: Int32) -> Int32 {
        let dr = r0 &- r1, dg = g0 &- g1, db = b0 &- b1
        return max(max(dr, 0 &- dr), max(dg, 0 &- dg), max(db, 0 &- db))
    }

    /// The per-channel median of the samples' thumbnails at `width`×`height`, for the moving
    /// region of camera footage: the readers' (``Frame/thumbnail``) when every sample has one
    /// of that size, else made from the frames by ``detectionThumbnail(of:width:height:scaler:)``.
    /// An even number of samples takes the mean of the two middle values.
    static func detectionMedian(of samples: [Frame], width: Int, height: Int) throws -> PlanarImage {
        let values = 3 * width * height, count = samples.count
        // The thumbnails as levels, side by side (a quarter of the floats' memory).
        var levels = [UInt8](repeating: 0, count: count * values)
        if samples.allSatisfy({ $0.thumbnail?.width == width && $0.thumbnail?.height == height }) {
            for (s, sample) in samples.enumerated() { levels.replaceSubrange((s * values)..<((s + 1) * values), with: sample.thumbnail!.rgb8) }
        } else {
            let scaler = PixelScaler()
            for (s, sample) in samples.enumerated() {
                let planar = try sample.withPixelBuffer { try detectionThumbnail(of: $0, width: width, height: height, scaler: scaler) }
                Self.thumbnail(planar).rgb8.withUnsafeBufferPointer { levels.replaceSubrange((s * values)..<((s + 1) * values), with: $0) }
            }
        }
        return levels.withUnsafeBufferPointer { packedMedian(of: $0, count: count, width: width, height: height) }
    }

    /// The per-channel median of `count` packed RGB thumbnails of `width`×`height` stored one
    /// after the other in `levels`, as a planar image (levels / 255). An even count takes the
    /// mean of the two middle values.
    static func packedMedian(of levels: UnsafeBufferPointer<UInt8>, count: Int, width: Int, height: Int) -> PlanarImage {
        let plane = width * height, values = 3 * plane
        precondition(count > 0 && levels.count >= count * values, "packedMedian: \(levels.count) levels for \(count) thumbnails of \(width)×\(height)")
        // Per value in planar order: thumbnails are packed RGB, the median planar.
        var median = [Float](repeating: 0, count: values)
        median.withUnsafeMutableBufferPointer { median in
            let median = median
            Parallel.forEachChunk(of: values) { range in
                var column = [UInt8](repeating: 0, count: count)
                for i in range {
                    let packed = 3 * (i % plane) + i / plane
                    for s in 0..<count { column[s] = levels[s * values + packed] }
                    column.sort()
                    median[i] = Self.median(low: column[(count - 1) / 2], high: column[count / 2], count: count)
                }
            }
        }
        return PlanarImage(width: width, height: height, values: median)
    }

    /// A frame's thumbnail at `width`×`height` on the moving region's detection grid:
    /// libswscale's bicubic resampling of its RGB planes, values in levels / 255.
    public static func detectionThumbnail(of frame: PixelBuffer, width: Int, height: Int, scaler: PixelScaler) throws -> PlanarImage {
        PlanarImage(width: width, height: height, values: try scaler.planarFloat(from: frame, width: width, height: height))
    }

    /// A reader's thumbnail (``Frame/thumbnail``) as planar values in levels / 255.
    public static func detectionThumbnail(_ thumbnail: Thumbnail) -> PlanarImage {
        let plane = thumbnail.width * thumbnail.height
        var values = [Float](repeating: 0, count: 3 * plane)
        for i in 0..<plane { for c in 0..<3 { values[c * plane + i] = Float(thumbnail.rgb8[3 * i + c]) / 255 } }
        return PlanarImage(width: thumbnail.width, height: thumbnail.height, values: values)
    }

    /// Planar values in [0, 1] as a packed thumbnail (rounded to levels).
    static func thumbnail(_ image: PlanarImage) -> Thumbnail {
        let plane = image.planeSize
        var rgb = [UInt8](repeating: 0, count: 3 * plane)
        for i in 0..<plane { for c in 0..<3 { rgb[3 * i + c] = UInt8((min(max(image.values[c * plane + i], 0), 1) * 255).rounded()) } }
        return Thumbnail(width: image.width, height: image.height, rgb8: rgb)
    }

    /// The most samples that vote on a pixel's consensus colour (every pair is compared).
    public static let votingSamples = 48

    /// The samples' indices with the voters first: at most ``votingSamples`` of them, evenly
    /// spaced over the clip, then the others in order.
    static func votingOrder(count: Int) -> [Int] {
        guard count > votingSamples else { return Array(0..<count) }
        let voters = (0..<votingSamples).map { $0 * count / votingSamples }
        let chosen = Set(voters)
        return voters + (0..<count).filter { !chosen.contains($0) }
    }

    /// The median of `count` levels in [0, 1] (sorting them in place): of an even count, the
    /// mean of the two middle values as float arithmetic takes it (as a NumPy median of
    /// frames in [0, 1] does), so a difference that lands exactly on the moving threshold
    /// falls the same way.
    @inline(__always) static func median(sorting values: UnsafeMutablePointer<Int32>, count: Int) -> Float {
        var buffer = UnsafeMutableBufferPointer(start: values, count: count)
        buffer.sort()
        return median(low: buffer[(count - 1) / 2], high: buffer[count / 2], count: count)
    }

    /// The median from the two middle levels of `count` sorted values (one and the same for
    /// an odd count).
    @inline(__always) static func median<Level: BinaryInteger>(low: Level, high: Level, count: Int) -> Float {
        count % 2 == 1 ? Float(high) / 255 : (Float(low) / 255 + Float(high) / 255) / 2
    }

    /// Camera noise above this is motion (a moving camera), not noise.
    static let maximumNoise: Float = 0.015

    /// The noise of still pixels, the grain and the still grain of a clip's samples (in
    /// order), from consecutive pairs of samples; a pair that is (nearly) one frame twice —
    /// a repeated frame, as a frame-rate conversion or a static stretch leaves — tells
    /// nothing and is skipped.
    /// - noise: the lower quartile of the absolute differences in the first 8 pairs (most
    ///   pixels of a static shot do not change, and a quartile holds while a character
    ///   changes up to half of them), converted to a standard deviation;
    /// - grain: the median over the pairs of the fraction of differences of 1 to 3 levels;
    /// - still grain: per pair, the share of the cells of an 8×8 grid that are still but
    ///   grainy (at least 5 % of their differences of 1 to 3 levels, under 1 % above 8); the
    ///   upper quartile over the pairs.
    static func estimateNoise(_ samples: [Frame]) -> (noise: Float, grain: Float, stillGrain: Float) {
        guard let first = samples.first else { return (0, 0, 0) }
        let width = first.width, height = first.height, grid = 8
        var histogram = [Int](repeating: 0, count: 256)
        var total = 0, noisePairs = 0
        var grains: [Float] = [], stillGrains: [Float] = []
        var small = [Int](repeating: 0, count: grid * grid), large = small, counted = small
        for (a, b) in zip(samples, samples.dropFirst()) {
            var pairHistogram = [Int](repeating: 0, count: 256)
            for c in 0..<small.count { small[c] = 0; large[c] = 0; counted[c] = 0 }
            var pairTotal = 0
            a.rgb8.withUnsafeBufferPointer { p in
                b.rgb8.withUnsafeBufferPointer { q in
                    for y in Swift.stride(from: 0, to: height, by: 2) {
                        let row = (y * grid / height) * grid
                        for x in Swift.stride(from: y % 4 / 2, to: width, by: 2) {
                            let cell = row + x * grid / width, i = 3 * (y * width + x)
                            for k in i..<(i + 3) {
                                let d = abs(Int(p[k]) - Int(q[k]))
                                pairHistogram[d] += 1
                                if d >= 1 && d <= 3 { small[cell] += 1 } else if d > 8 { large[cell] += 1 }
                                counted[cell] += 1
                            }
                            pairTotal += 3
                        }
                    }
                }
            }
            guard pairTotal > 0, Float(pairHistogram[0]) < 0.99 * Float(pairTotal) else { continue }
            if noisePairs < 8 {
                for level in 0..<256 { histogram[level] += pairHistogram[level] }
                total += pairTotal
                noisePairs += 1
            }
            grains.append(Float(pairHistogram[1...3].reduce(0, +)) / Float(pairTotal))
            var still = 0
            for c in 0..<counted.count where counted[c] > 0
                && 20 * small[c] >= counted[c] && 100 * large[c] < counted[c] { still += 1 }
            stillGrains.append(Float(still) / Float(grid * grid))
        }
        guard total > 0 else { return (0, 0, 0) }
        let grain = grains.sorted()[grains.count / 2]
        let stillGrain = stillGrains.sorted()[stillGrains.count * 3 / 4]
        var seen = 0
        for (level, n) in histogram.enumerated() {
            seen += n
            // For two samples of N(0, σ²), the lower quartile of |a − b| is 0.4506·σ.
            if 4 * seen >= total { return (min(Float(level) / 255 / 0.4506, maximumNoise), grain, stillGrain) }
        }
        return (0, grain, stillGrain)
    }
}
