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
/// (``isCameraFootage``) grain splits those votes and the median is the steadier estimate,
/// so there the plate is the per-channel median, except where the consensus is repeated
/// by more than twice as many samples (see ``consensus(of:coverage:)``).
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
    /// its character by more, so it stays near 0 (0.01–0.02 on the photo scenes).
    public var grain: Float

    /// Grain above this marks camera footage (or any lossily coded clip).
    public static let cameraGrain: Float = 0.1

    /// Whether the clip is camera footage (``grain`` above ``cameraGrain``), whose matte is
    /// its moving region (see `CharacterMatte`).
    public var isCameraFootage: Bool { grain > Self.cameraGrain }

    /// A plate from its parts.
    /// - Precondition: `confidence` has one value per pixel.
    public init(image: PlanarImage, confidence: [Float], noise: Float, grain: Float = 0) {
        precondition(confidence.count == image.planeSize, "BackgroundPlate: \(confidence.count) confidences for \(image.planeSize) pixels")
        self.image = image
        self.confidence = confidence
        self.noise = noise
        self.grain = grain
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
    /// On camera footage (grain above ``cameraGrain``) a pixel's value is the per-channel
    /// median of all the samples, unless fewer than half as many samples repeat the median
    /// (within the tolerance) as repeat the consensus: then the median is a character that
    /// covers the pixel in most frames with changing colours, and the consensus stays.
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
        let votes: [[Float]]? = coverage?.map { $0.resized(width: width, height: height).values.map { 1 - min(max($0, 0), 1) } }
        let (noise, grain) = estimateNoise(samples)
        let tolerance = Int((max(0.02, 3 * noise) * 255).rounded(.up))
        let count = samples.count, plane = width * height
        var values = [Float](repeating: 0, count: 3 * plane)
        var confidence = [Float](repeating: 0, count: plane), support = confidence
        let trusted = max(3, Float(count) * trustedFraction)
        // The samples side by side in one buffer, so the loops below read them through one
        // pointer (no array of arrays, no bounds checks).
        let frameBytes = 3 * plane
        var pixels = [UInt8](repeating: 0, count: count * frameBytes)
        pixels.withUnsafeMutableBufferPointer { all in
            for (s, sample) in samples.enumerated() {
                sample.rgb8.withUnsafeBufferPointer { (all.baseAddress! + s * frameBytes).update(from: $0.baseAddress!, count: frameBytes) }
            }
        }
        let tolerance32 = Int32(tolerance)
        let medianPlate = grain > cameraGrain
        values.withUnsafeMutableBufferPointer { out in
            confidence.withUnsafeMutableBufferPointer { sure in
              support.withUnsafeMutableBufferPointer { agreeing in
                pixels.withUnsafeBufferPointer { pixels in
                let out = out, sure = sure, agreeing = agreeing
                Parallel.forEach(height) { y in
                    let r = UnsafeMutablePointer<Int32>.allocate(capacity: 6 * count), g = r + count, b = g + count, sorted = b + count
                    defer { r.deallocate() }
                    var counts = [Int](repeating: 0, count: count)
                    var meanCoverage = [Float](repeating: 0, count: count)
                    for x in 0..<width {
                        let p = 3 * (y * width + x)
                        for s in 0..<count {
                            let sample = pixels.baseAddress! + s * frameBytes + p
                            r[s] = Int32(sample[0]); g[s] = Int32(sample[1]); b[s] = Int32(sample[2])
                        }
                        let pixel = y * width + x
                        var best = 0, bestCount = 0
                        for i in 0..<count {
                            // How many samples agree with sample i (branch-free, so it vectorises).
                            let ri = r[i], gi = g[i], bi = b[i]
                            var agreeing: Int32 = 0
                            for j in 0..<count {
                                agreeing &+= max(abs(ri &- r[j]), abs(gi &- g[j]), abs(bi &- b[j])) <= tolerance32 ? 1 : 0
                            }
                            counts[i] = Int(agreeing)
                            if let votes {
                                var character: Float = 0
                                for j in 0..<count where abs(ri - r[j]) <= tolerance32 && abs(gi - g[j]) <= tolerance32 && abs(bi - b[j]) <= tolerance32 {
                                    character += 1 - votes[j][pixel]
                                }
                                meanCoverage[i] = character / Float(agreeing)
                            }
                            if Int(agreeing) > bestCount { bestCount = Int(agreeing); best = i }
                        }
                        if votes != nil && meanCoverage[best] > vetoAbove {
                            var alternative = -1
                            for i in 0..<count where meanCoverage[i] < acceptBelow && Float(counts[i]) >= trusted
                                && (alternative < 0 || counts[i] > counts[alternative]) {
                                alternative = i
                            }
                            if alternative >= 0 { best = alternative; bestCount = counts[alternative] }
                        }
                        let bestScore = Float(bestCount)
                        var sums: (Float, Float, Float) = (0, 0, 0), weight: Float = 0
                        for j in 0..<count where abs(r[best] - r[j]) <= tolerance32 && abs(g[best] - g[j]) <= tolerance32 && abs(b[best] - b[j]) <= tolerance32 {
                            sums.0 += Float(r[j]); sums.1 += Float(g[j]); sums.2 += Float(b[j])
                            weight += 1
                        }
                        let scale = 1 / (255 * weight)
                        out[pixel] = sums.0 * scale
                        out[plane + pixel] = sums.1 * scale
                        out[2 * plane + pixel] = sums.2 * scale
                        if medianPlate {
                            // Camera footage: the per-channel median of every sample (twice
                            // it, in levels), unless fewer than half as many samples repeat it
                            // as repeat the consensus: then it is a character that covers
                            // the pixel in most frames, its colours changing, and the
                            // consensus is the background.
                            sorted.update(from: r, count: 3 * count)
                            let twiceMedian = (twiceMedian(sorting: sorted, count: count), twiceMedian(sorting: sorted + count, count: count),
                                               twiceMedian(sorting: sorted + 2 * count, count: count))
                            var medianSupport: Int32 = 0
                            for j in 0..<count {
                                let apart = max(abs(2 * r[j] - twiceMedian.0), abs(2 * g[j] - twiceMedian.1), abs(2 * b[j] - twiceMedian.2))
                                medianSupport &+= apart <= 2 * tolerance32 ? 1 : 0
                            }
                            if 2 * Int(medianSupport) >= bestCount {
                                out[pixel] = Float(twiceMedian.0) / 510
                                out[plane + pixel] = Float(twiceMedian.1) / 510
                                out[2 * plane + pixel] = Float(twiceMedian.2) / 510
                            }
                        }
                        sure[pixel] = min(1, bestScore / trusted)
                        agreeing[pixel] = bestScore / Float(count)
                    }
                }
                }
              }
            }
        }
        var plate = BackgroundPlate(image: PlanarImage(width: width, height: height, values: values), confidence: confidence, noise: noise, grain: grain)
        plate.support = support
        return plate
    }

    /// Twice the median of `count` values (the sum of the two middle ones, so it stays an
    /// integer), sorting them in place.
    @inline(__always) static func twiceMedian(sorting values: UnsafeMutablePointer<Int32>, count: Int) -> Int32 {
        var buffer = UnsafeMutableBufferPointer(start: values, count: count)
        buffer.sort()
        return buffer[count / 2] + buffer[(count - 1) / 2]
    }

    /// Camera noise above this is motion (a moving camera), not noise.
    static let maximumNoise: Float = 0.015

    /// The noise of still pixels: the lower quartile of the absolute differences between
    /// consecutive samples (most pixels of a static shot do not change, and a quartile holds
    /// while a character changes up to half of them), converted to a standard deviation;
    /// and the grain, the fraction of those differences from 1 to 3 levels.
    static func estimateNoise(_ samples: [Frame]) -> (noise: Float, grain: Float) {
        var histogram = [Int](repeating: 0, count: 256)
        var total = 0
        for (a, b) in zip(samples, samples.dropFirst()).prefix(8) {
            a.rgb8.withUnsafeBufferPointer { p in
                b.rgb8.withUnsafeBufferPointer { q in
                    for i in Swift.stride(from: 0, to: p.count, by: 7) {
                        histogram[abs(Int(p[i]) - Int(q[i]))] += 1
                        total += 1
                    }
                }
            }
        }
        guard total > 0 else { return (0, 0) }
        let grain = Float(histogram[1...3].reduce(0, +)) / Float(total)
        var seen = 0
        for (level, n) in histogram.enumerated() {
            seen += n
            // For two samples of N(0, σ²), the lower quartile of |a − b| is 0.4506·σ.
            if 4 * seen >= total { return (min(Float(level) / 255 / 0.4506, maximumNoise), grain) }
        }
        return (0, grain)
    }
}
