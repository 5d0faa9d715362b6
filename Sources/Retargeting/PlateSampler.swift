import VideoIO

/// Keeps an evenly spaced sample of a clip's frames for ``BackgroundPlate/consensus(of:)``
/// without knowing the clip's length: every `stride`-th frame is kept, and when the sample
/// is full every other one is dropped and the stride doubles.
public struct PlateSampler {
    /// The most frames kept.
    public let capacity: Int
    /// The frames kept so far.
    public private(set) var samples: [Frame] = []
    private var stride = 1
    private var offered = 0

    /// A sampler keeping at most `capacity` frames, and at most `byteBudget` bytes of pixels
    /// (so a 4K clip keeps fewer frames than a small one). The default 128 keeps every frame
    /// of a clip of up to 128 frames for camera footage's median plate; the consensus vote
    /// takes at most ``BackgroundPlate/votingSamples`` of them.
    public init(capacity: Int = 128, byteBudget: Int = 384 << 20, frameBytes: Int) {
        self.capacity = max(2, min(capacity, byteBudget / max(frameBytes, 1)))
    }

    /// Offers the clip's next frame.
    public mutating func offer(_ frame: Frame) {
        defer { offered += 1 }
        guard offered % stride == 0 else { return }
        samples.append(frame)
        if samples.count > capacity {
            samples = samples.enumerated().filter { $0.offset % 2 == 0 }.map { $0.element }
            stride *= 2
        }
    }
}
