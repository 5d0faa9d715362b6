import Tensors

/// A background plate learned while frames stream past (a frei0r plugin or a C caller sees
/// one frame at a time): per pixel two candidate colours with their agreement counts; a
/// frame's colour strengthens the candidate it matches, or replaces the weaker one, and the
/// stronger candidate is the plate. A character passing over a pixel builds the second
/// candidate only while it stays, and loses it to the background once it moves on.
public struct RunningPlate {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    private var primary: [Float]
    private var primaryCount: [Float]
    private var secondary: [Float]
    private var secondaryCount: [Float]
    /// Frames seen.
    public private(set) var frames = 0
    /// Sampled colour values compared with the plate, and how many of them differed by 1 to
    /// 3 levels of 255 (the clip's grain, see ``BackgroundPlate/grain``).
    private var grainSamples = 0, grainCount = 0

    /// Agreement counts stop growing here, so a plate can still change (lighting).
    static let countLimit: Float = 64
    /// Frames of agreement for full confidence.
    static let trustedCount: Float = 8
    /// Colours closer than this (largest channel difference) count as the same.
    static let tolerance: Float = 0.04

    /// An empty plate for `width`×`height` frames.
    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
        primary = [Float](repeating: 0, count: 3 * width * height)
        secondary = primary
        primaryCount = [Float](repeating: 0, count: width * height)
        secondaryCount = primaryCount
    }

    /// Learns from the next frame (of this plate's size).
    public mutating func update(with frame: PlanarImage) {
        precondition(frame.width == width && frame.height == height, "RunningPlate: frame size changed")
        let n = width * height, tolerance = Self.tolerance, limit = Self.countLimit
        measureGrain(of: frame)
        frame.values.withUnsafeBufferPointer { x in
            primary.withUnsafeMutableBufferPointer { p in
                secondary.withUnsafeMutableBufferPointer { q in
                    primaryCount.withUnsafeMutableBufferPointer { pc in
                        secondaryCount.withUnsafeMutableBufferPointer { qc in
                            let p = p, q = q, pc = pc, qc = qc
                            Parallel.forEach(height) { y in
                                for i in (y * width)..<((y + 1) * width) {
                                    let x0 = x[i], x1 = x[n + i], x2 = x[2 * n + i]
                                    let toPrimary = max(abs(x0 - p[i]), abs(x1 - p[n + i]), abs(x2 - p[2 * n + i]))
                                    let toSecondary = max(abs(x0 - q[i]), abs(x1 - q[n + i]), abs(x2 - q[2 * n + i]))
                                    if pc[i] > 0 && toPrimary <= tolerance {
                                        pc[i] = min(pc[i] + 1, limit)
                                        let w = 1 / pc[i]
                                        p[i] += (x0 - p[i]) * w; p[n + i] += (x1 - p[n + i]) * w; p[2 * n + i] += (x2 - p[2 * n + i]) * w
                                    } else if qc[i] > 0 && toSecondary <= tolerance {
                                        qc[i] = min(qc[i] + 1, limit)
                                        let w = 1 / qc[i]
                                        q[i] += (x0 - q[i]) * w; q[n + i] += (x1 - q[n + i]) * w; q[2 * n + i] += (x2 - q[2 * n + i]) * w
                                        if qc[i] > pc[i] {
                                            for k in 0..<3 { let t = p[k * n + i]; p[k * n + i] = q[k * n + i]; q[k * n + i] = t }
                                            let t = pc[i]; pc[i] = qc[i]; qc[i] = t
                                        }
                                    } else if pc[i] == 0 {
                                        p[i] = x0; p[n + i] = x1; p[2 * n + i] = x2
                                        pc[i] = 1
                                    } else {
                                        q[i] = x0; q[n + i] = x1; q[2 * n + i] = x2
                                        qc[i] = 1
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        frames += 1
    }

    /// Counts how many of every 7th colour value of `frame` differ from the plate by 1 to 3
    /// levels, where the plate has seen the pixel: a rendered clip's still pixels repeat the
    /// plate exactly, camera footage's do not.
    private mutating func measureGrain(of frame: PlanarImage) {
        let n = width * height
        frame.values.withUnsafeBufferPointer { x in
            primary.withUnsafeBufferPointer { p in
                primaryCount.withUnsafeBufferPointer { count in
                    for i in Swift.stride(from: 0, to: 3 * n, by: 7) where count[i % n] > 0 {
                        let levels = (abs(x[i] - p[i]) * 255).rounded()
                        grainSamples += 1
                        if levels >= 1 && levels <= 3 { grainCount += 1 }
                    }
                }
            }
        }
    }

    /// The plate as it stands. A pixel is trusted once its colour has held for
    /// ``trustedCount`` frames, or, from the second frame on, for every frame so far while
    /// fewer have been seen: with no frame to compare, a static camera's pixel is background
    /// until it changes, so the first frames are composed from the plate (the character
    /// appears as its parts move) instead of from the model's rendering.
    public var plate: BackgroundPlate {
        // One frame is no evidence (a single image stays the model's to draw).
        let needed = frames < 2 ? Self.trustedCount : min(Self.trustedCount, Float(frames))
        return BackgroundPlate(image: PlanarImage(width: width, height: height, values: primary),
                        confidence: primaryCount.map { min(1, $0 / needed) }, noise: 0.01,
                        grain: grainSamples > 0 ? Float(grainCount) / Float(grainSamples) : 0)
    }
}
