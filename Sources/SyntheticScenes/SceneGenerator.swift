import Tensors

/// Synthetic scenes with exact ground truth: a character moved by a smooth random affine walk
/// over a static background, deterministic from a world seed and a sample seed.
///
/// The generator renders its trained and unseen backgrounds and its characters' canonical
/// layers once, at construction; a sample then costs two bilinear warps of a `[4, H, W]`
/// layer and two composites. Everything is a pure function of the configuration, the banks
/// and the seeds, so two generators built alike give bit-identical samples.
///
/// A sample draws a character, a background (from the split), a walk and a time t, and
/// renders x at `A_t` and x' at `A_{t+k}` (k = `frameGap`); `motion = A_{t+k}·A_t⁻¹` moves
/// the character from x to x'.
public struct SceneGenerator: Sendable {
    /// Settings of a generator.
    public struct Configuration: Equatable, Sendable {
        /// Frame side in pixels (frames are square).
        public var resolution: Int
        /// The seed of the banks and of every sample.
        public var worldSeed: UInt64
        /// How many backgrounds training uses (indices `0..<trainedBackgroundCount`).
        public var trainedBackgroundCount: Int
        /// How many held-back backgrounds the `.unseenBackgrounds` split uses.
        public var unseenBackgroundCount: Int
        /// How many characters samples draw from (indices `0..<characterCount`).
        public var characterCount: Int
        /// The gap k between x (time t) and x' (time t + k), in walk frames.
        public var frameGap: Int
        /// Whether the diagonal pairs of trained backgrounds and characters are kept out of
        /// `.trainedBackgrounds` (see `SceneSplit`).
        public var holdsOutPairings: Bool
        /// Bounds and speed of the character walks.
        public var walkLimits: AffineWalk.Limits
        /// Samples draw their time t from `0..<walkHorizon`.
        public var walkHorizon: Int

        /// Creates a configuration; the defaults are the "8 backgrounds × 8 characters" setting
        /// of DESIGN.md at 64×64.
        public init(resolution: Int = 64, worldSeed: UInt64 = 0, trainedBackgroundCount: Int = 8,
                    unseenBackgroundCount: Int = 16, characterCount: Int = 8, frameGap: Int = 1,
                    holdsOutPairings: Bool = true, walkLimits: AffineWalk.Limits = AffineWalk.Limits(),
                    walkHorizon: Int = 10_000) {
            self.resolution = resolution
            self.worldSeed = worldSeed
            self.trainedBackgroundCount = trainedBackgroundCount
            self.unseenBackgroundCount = unseenBackgroundCount
            self.characterCount = characterCount
            self.frameGap = frameGap
            self.holdsOutPairings = holdsOutPairings
            self.walkLimits = walkLimits
            self.walkHorizon = walkHorizon
        }

        /// Throws a `SceneError.invalidConfiguration` naming the first bad value.
        public func validate() throws(SceneError) {
            guard resolution >= 8, resolution <= 1024 else {
                throw SceneError.invalidConfiguration("resolution must be in 8...1024, got \(resolution)")
            }
            guard trainedBackgroundCount >= 1, trainedBackgroundCount <= SceneGenerator.unseenBackgroundIndexOffset else {
                throw SceneError.invalidConfiguration("trainedBackgroundCount must be in 1...\(SceneGenerator.unseenBackgroundIndexOffset), got \(trainedBackgroundCount)")
            }
            guard unseenBackgroundCount >= 0, unseenBackgroundCount <= 100_000 else {
                throw SceneError.invalidConfiguration("unseenBackgroundCount must be in 0...100000, got \(unseenBackgroundCount)")
            }
            guard characterCount >= 1, characterCount <= 100_000 else {
                throw SceneError.invalidConfiguration("characterCount must be in 1...100000, got \(characterCount)")
            }
            guard frameGap >= 0, frameGap <= 10_000 else {
                throw SceneError.invalidConfiguration("frameGap must be in 0...10000, got \(frameGap)")
            }
            guard walkHorizon >= 1, walkHorizon <= 1 << 30 else {
                throw SceneError.invalidConfiguration("walkHorizon must be in 1...\(1 << 30), got \(walkHorizon)")
            }
            if holdsOutPairings, trainedBackgroundCount < 2 || characterCount < 2 {
                throw SceneError.invalidConfiguration(
                    "holdsOutPairings needs at least 2 trained backgrounds and 2 characters (got \(trainedBackgroundCount) and \(characterCount)); set holdsOutPairings to false")
            }
            try walkLimits.validate()
        }
    }

    /// The first index of the unseen backgrounds in a procedural background bank.
    public static let unseenBackgroundIndexOffset = 1000

    /// The settings this generator was built with.
    public let configuration: Configuration
    /// Where backgrounds come from.
    public let backgrounds: BackgroundBank
    /// Where characters come from.
    public let characters: CharacterBank

    private let unseenIndices: [Int]
    private let plateCache: [Int: Tensor]
    private let layerCache: [Tensor]
    private let trainedPairs: [(character: Int, background: Int)]
    private let heldOutPairs: [(character: Int, background: Int)]

    /// A generator with procedural backgrounds and characters drawn from the world seed.
    public init(_ configuration: Configuration = Configuration()) throws(SceneError) {
        try configuration.validate()
        let side = configuration.resolution
        try self.init(
            configuration,
            backgrounds: BackgroundBank(seed: mixSeed(configuration.worldSeed, 1), height: side, width: side),
            characters: CharacterBank(seed: mixSeed(configuration.worldSeed, 2), height: side, width: side))
    }

    /// A generator over given banks (for example photos and cut-outs), whose images must be
    /// `resolution × resolution`. With a photo bank the trained backgrounds are photos
    /// `0..<trainedBackgroundCount` and the unseen ones the next `unseenBackgroundCount`.
    public init(_ configuration: Configuration, backgrounds: BackgroundBank, characters: CharacterBank) throws(SceneError) {
        try configuration.validate()
        let side = configuration.resolution
        guard backgrounds.height == side, backgrounds.width == side else {
            throw SceneError.invalidImage("backgrounds are \(backgrounds.height)×\(backgrounds.width), the resolution is \(side)×\(side)")
        }
        guard characters.height == side, characters.width == side else {
            throw SceneError.invalidImage("characters are \(characters.height)×\(characters.width), the resolution is \(side)×\(side)")
        }
        let trained = configuration.trainedBackgroundCount, unseen = configuration.unseenBackgroundCount
        if let count = backgrounds.imageCount, trained + unseen > count {
            throw SceneError.invalidConfiguration("\(trained) trained + \(unseen) unseen backgrounds need that many photos, the bank has \(count)")
        }
        if let count = characters.cutoutCount, configuration.characterCount > count {
            throw SceneError.invalidConfiguration("characterCount is \(configuration.characterCount), the bank has \(count) cut-outs")
        }
        self.configuration = configuration
        self.backgrounds = backgrounds
        self.characters = characters
        let unseenStart = backgrounds.imageCount == nil ? SceneGenerator.unseenBackgroundIndexOffset : trained
        unseenIndices = Array(unseenStart..<(unseenStart + unseen))

        let plateIndices = Array(0..<trained) + unseenIndices
        var plates = [Tensor](repeating: Tensor(shape: [0]), count: plateIndices.count)
        plates.withUnsafeMutableBufferPointer { out in
            Parallel.forEach(plateIndices.count) { out[$0] = backgrounds.background(at: plateIndices[$0]) }
        }
        plateCache = Dictionary(uniqueKeysWithValues: zip(plateIndices, plates))
        var layers = [Tensor](repeating: Tensor(shape: [0]), count: configuration.characterCount)
        layers.withUnsafeMutableBufferPointer { out in
            Parallel.forEach(configuration.characterCount) { out[$0] = characters.layer(at: $0) }
        }
        layerCache = layers

        var kept: [(character: Int, background: Int)] = [], held: [(character: Int, background: Int)] = []
        let period = max(configuration.characterCount, trained)
        for character in 0..<configuration.characterCount {
            for background in 0..<trained {
                let isHeld = configuration.holdsOutPairings && (background - character + period) % period == 0
                if isHeld { held.append((character, background)) } else { kept.append((character, background)) }
            }
        }
        trainedPairs = kept
        heldOutPairs = held
    }

    // MARK: - Splits

    /// The background indices a split draws from.
    public func backgroundIndices(for split: SceneSplit) -> [Int] {
        switch split {
        case .trainedBackgrounds: return Array(Set(trainedPairs.map(\.background))).sorted()
        case .heldOutPairings: return Array(Set(heldOutPairs.map(\.background))).sorted()
        case .unseenBackgrounds: return unseenIndices
        }
    }

    /// Whether `(character, background)` is kept out of `.trainedBackgrounds`.
    public func isHeldOutPairing(character: Int, background: Int) -> Bool {
        heldOutPairs.contains { $0.character == character && $0.background == background }
    }

    /// The (character, background) pairs a split draws from, uniformly.
    public func pairings(for split: SceneSplit) -> [(character: Int, background: Int)] {
        switch split {
        case .trainedBackgrounds: return trainedPairs
        case .heldOutPairings: return heldOutPairs
        case .unseenBackgrounds:
            return (0..<configuration.characterCount).flatMap { c in unseenIndices.map { (character: c, background: $0) } }
        }
    }

    // MARK: - Ground truth for any pose

    /// The clean background `index`, `[3, H, W]` (cached for the trained and unseen sets).
    ///
    /// - Precondition: `backgrounds.contains(index)`.
    public func plate(background index: Int) -> Tensor {
        plateCache[index] ?? backgrounds.background(at: index)
    }

    /// The character `index` in its canonical pose, `[4, H, W]` (cached below `characterCount`).
    ///
    /// - Precondition: `characters.contains(index)`.
    public func canonicalLayer(character index: Int) -> Tensor {
        index >= 0 && index < layerCache.count ? layerCache[index] : characters.layer(at: index)
    }

    /// The character `index` placed at `pose` (a motion from its canonical pose), `[4, H, W]`.
    ///
    /// - Precondition: the index is in the bank and `pose` is invertible.
    public func characterLayer(character index: Int, pose: Affine2D) -> Tensor {
        let side = configuration.resolution
        return Compositor.move(canonicalLayer(character: index).reshaped(to: [1, 4, side, side]), by: [pose])
            .reshaped(to: [4, side, side])
    }

    /// The ground-truth frame of character `character` at `pose` over background `background`,
    /// `[3, H, W]` — bit-identical to a sample's frame with the same character, pose and background.
    ///
    /// - Precondition: the indices are in the banks and `pose` is invertible.
    public func composite(character: Int, pose: Affine2D, background: Int) -> Tensor {
        composite(character: character, pose: pose, plate: plate(background: background))
    }

    /// The ground-truth frame of character `character` at `pose` over any `plate` `[3, H, W]`.
    ///
    /// - Precondition: the plate is `[3, resolution, resolution]`, the index is in the bank
    ///   and `pose` is invertible.
    public func composite(character: Int, pose: Affine2D, plate: Tensor) -> Tensor {
        let side = configuration.resolution
        precondition(plate.shape == [3, side, side], "SceneGenerator.composite: plate must be [3, \(side), \(side)], got \(plate.shape)")
        let layer = characterLayer(character: character, pose: pose).reshaped(to: [1, 4, side, side])
        return Compositor.composite(layers: layer, over: plate.reshaped(to: [1, 3, side, side])).reshaped(to: [3, side, side])
    }

    // MARK: - Samples

    /// What one sample draws before rendering.
    struct Draw {
        var character: Int, background: Int, walkSeed: UInt64, time: Int
    }

    /// The seed of sample `index` of `batch(size:split:seed:)` with batch seed `batchSeed`:
    /// that sample equals `sample(split:seed: sampleSeed(batchSeed:index:))`.
    public static func sampleSeed(batchSeed: UInt64, index: Int) -> UInt64 {
        mixSeed(mixSeed(batchSeed, 0xBA7C_4000), UInt64(index))
    }

    private func draw(split: SceneSplit, seed: UInt64) -> Draw {
        var g = SeededGenerator(seed: mixSeed(mixSeed(configuration.worldSeed, 3), seed))
        let pair: (character: Int, background: Int)
        switch split {
        case .trainedBackgrounds, .heldOutPairings:
            let pairs = split == .trainedBackgrounds ? trainedPairs : heldOutPairs
            precondition(!pairs.isEmpty, "SceneGenerator: split \(split) is empty (holdsOutPairings is \(configuration.holdsOutPairings))")
            pair = pairs[Int(g.next() % UInt64(pairs.count))]
        case .unseenBackgrounds:
            precondition(!unseenIndices.isEmpty, "SceneGenerator: split unseenBackgrounds is empty (unseenBackgroundCount is 0)")
            pair = (Int(g.next() % UInt64(configuration.characterCount)), unseenIndices[Int(g.next() % UInt64(unseenIndices.count))])
        }
        return Draw(character: pair.character, background: pair.background, walkSeed: g.next(),
                    time: Int(g.next() % UInt64(configuration.walkHorizon)))
    }

    private func draw(character: Int, background: Int, seed: UInt64) -> Draw {
        precondition(characters.contains(character), "SceneGenerator: character \(character) is not in the character bank")
        precondition(backgrounds.contains(background), "SceneGenerator: background \(background) is not in the background bank")
        var g = SeededGenerator(seed: mixSeed(mixSeed(configuration.worldSeed, 4), seed))
        return Draw(character: character, background: background, walkSeed: g.next(),
                    time: Int(g.next() % UInt64(configuration.walkHorizon)))
    }

    /// A sample from `split`, deterministic from `seed` (character, background, walk and time).
    ///
    /// - Precondition: the split is not empty.
    public func sample(split: SceneSplit = .trainedBackgrounds, seed: UInt64) -> SceneSample {
        render([draw(split: split, seed: seed)]).sample(at: 0)
    }

    /// A sample of a fixed character and background (any pairing, for evaluation); the walk
    /// and time are deterministic from `seed`.
    ///
    /// - Precondition: the indices are in the banks.
    public func sample(character: Int, background: Int, seed: UInt64) -> SceneSample {
        render([draw(character: character, background: background, seed: seed)]).sample(at: 0)
    }

    /// `size` samples from `split`, stacked; sample i uses the seed
    /// `SceneGenerator.sampleSeed(batchSeed: seed, index: i)`. With `distantFrames`, each
    /// sample also gets its scene at another time of its walk, drawn from the sample's walk
    /// seed and time (the other fields are the same either way); about `emptyDistantFraction`
    /// of those distant frames show the background alone, as when the character has left the
    /// view (which ones is drawn from the same seed and time). `samples`: only these samples
    /// of the batch (a data-parallel shard), each exactly as in the whole batch.
    ///
    /// - Precondition: `size >= 1`, the split is not empty, `emptyDistantFraction` is in 0...1
    ///   and `samples` is a non-empty part of `0..<size`.
    public func batch(size: Int, split: SceneSplit = .trainedBackgrounds, seed: UInt64, distantFrames: Bool = false,
                      emptyDistantFraction: Double = 0, samples: Range<Int>? = nil) -> SceneBatch {
        precondition(size >= 1, "SceneGenerator.batch: size must be at least 1, got \(size)")
        precondition((0...1).contains(emptyDistantFraction), "SceneGenerator.batch: empty distant fraction must be in 0...1, got \(emptyDistantFraction)")
        let indices = samples ?? 0..<size
        precondition(!indices.isEmpty && indices.lowerBound >= 0 && indices.upperBound <= size, "SceneGenerator.batch: samples \(indices) outside a batch of \(size)")
        return render(indices.map { draw(split: split, seed: SceneGenerator.sampleSeed(batchSeed: seed, index: $0)) },
                      distantFrames: distantFrames, emptyDistantFraction: emptyDistantFraction)
    }

    /// Whether a draw's distant frame shows its background alone, with probability `fraction`
    /// (deterministic from the draw's walk seed and time).
    func hasEmptyDistantFrame(_ d: Draw, fraction: Double) -> Bool {
        guard fraction > 0 else { return false }
        var g = SeededGenerator(seed: mixSeed(mixSeed(d.walkSeed, UInt64(d.time)), 0xE4D7_F4A3))
        return Double(g.next() >> 11) / Double(1 << 53) < fraction
    }

    /// The walk time of a draw's distant frame: uniform over the walk's horizon, at least
    /// 8 frames away from t and t + k.
    func distantTime(of d: Draw) -> Int {
        let horizon = configuration.walkHorizon
        var g = SeededGenerator(seed: mixSeed(mixSeed(d.walkSeed, UInt64(d.time)), 0xD157_A27))
        for _ in 0..<64 {
            let t = Int(g.next() % UInt64(horizon))
            if abs(t - d.time) >= 8 && abs(t - d.time - configuration.frameGap) >= 8 { return t }
        }
        return d.time + configuration.frameGap + 8
    }

    /// A batch of fixed (character, background) pairings, sample i deterministic from
    /// `(pairings[i], SceneGenerator.sampleSeed(batchSeed: seed, index: i))` like
    /// `sample(character:background:seed:)`.
    ///
    /// - Precondition: `pairings` is not empty and its indices are in the banks.
    public func batch(pairings: [(character: Int, background: Int)], seed: UInt64) -> SceneBatch {
        precondition(!pairings.isEmpty, "SceneGenerator.batch: no pairings given")
        return render(pairings.enumerated().map { i, pair in
            draw(character: pair.character, background: pair.background, seed: SceneGenerator.sampleSeed(batchSeed: seed, index: i))
        })
    }

    private func render(_ draws: [Draw], distantFrames: Bool = false, emptyDistantFraction: Double = 0) -> SceneBatch {
        let n = draws.count, side = configuration.resolution, plane = side * side
        let gap = Double(configuration.frameGap)
        var poses: [Affine2D] = [], nextPoses: [Affine2D] = []
        for d in draws {
            let walk = AffineWalk(seed: d.walkSeed, limits: configuration.walkLimits)
            poses.append(walk.pose(at: Double(d.time)))
            nextPoses.append(walk.pose(at: Double(d.time) + gap))
        }
        // Canonical layers twice (for A_t, then for A_{t+k}): one warp call for all 2N.
        var canonical = Tensor(shape: [2 * n, 4, side, side])
        var plates = Tensor(shape: [n, 3, side, side])
        canonical.withUnsafeMutablePointer { out in
            for (i, d) in draws.enumerated() {
                canonicalLayer(character: d.character).withUnsafePointer { source in
                    (out + i * 4 * plane).update(from: source, count: 4 * plane)
                    (out + (n + i) * 4 * plane).update(from: source, count: 4 * plane)
                }
            }
        }
        plates.withUnsafeMutablePointer { out in
            for (i, d) in draws.enumerated() {
                plate(background: d.background).withUnsafePointer { (out + i * 3 * plane).update(from: $0, count: 3 * plane) }
            }
        }
        let warped = Compositor.move(canonical, by: poses + nextPoses)
        let layers = warped.batches(0..<n), nextLayers = warped.batches(n..<(2 * n))
        let motions = zip(poses, nextPoses).map { AffineWalk.motion(from: $0, to: $1) }
        func stack(_ transforms: [Affine2D]) -> Tensor {
            Tensor(shape: [transforms.count, 6], scalars: transforms.flatMap(\.elements))
        }
        var distant: Tensor?
        if distantFrames {
            let distantPoses = draws.map { AffineWalk(seed: $0.walkSeed, limits: configuration.walkLimits).pose(at: Double(distantTime(of: $0))) }
            var frames = Compositor.composite(layers: Compositor.move(canonical.batches(0..<n), by: distantPoses), over: plates)
            let empty = draws.indices.filter { hasEmptyDistantFrame(draws[$0], fraction: emptyDistantFraction) }
            if !empty.isEmpty {
                frames.withUnsafeMutablePointer { out in
                    plates.withUnsafePointer { p in
                        for i in empty { (out + i * 3 * plane).update(from: p + i * 3 * plane, count: 3 * plane) }
                    }
                }
            }
            distant = frames
        }
        return SceneBatch(
            frames: Compositor.composite(layers: layers, over: plates),
            nextFrames: Compositor.composite(layers: nextLayers, over: plates),
            motions: stack(motions), poses: stack(poses), nextPoses: stack(nextPoses), plates: plates,
            characterLayers: layers, nextCharacterLayers: nextLayers,
            backgroundIndices: draws.map(\.background), characterIndices: draws.map(\.character), times: draws.map(\.time),
            distantFrames: distant)
    }

    // MARK: - Clips

    /// `frames` consecutive frames (walk times `t₀ ..< t₀ + frames`) of character `character`
    /// over background `background`; the walk and t₀ are deterministic from `seed`.
    ///
    /// - Precondition: `frames >= 1` and the indices are in the banks.
    public func clip(frames: Int, character: Int, background: Int, seed: UInt64) -> SceneClip {
        precondition(frames >= 1, "SceneGenerator.clip: needs at least 1 frame, got \(frames)")
        precondition(characters.contains(character), "SceneGenerator.clip: character \(character) is not in the character bank")
        precondition(backgrounds.contains(background), "SceneGenerator.clip: background \(background) is not in the background bank")
        var g = SeededGenerator(seed: mixSeed(mixSeed(configuration.worldSeed, 5), seed))
        let walkSeed = g.next(), start = Int(g.next() % UInt64(configuration.walkHorizon))
        let walk = AffineWalk(seed: walkSeed, limits: configuration.walkLimits)
        let parameters = (0..<frames).map { walk.parameters(at: Double(start + $0)) }
        let poses = parameters.map(\.transform)
        let side = configuration.resolution, plane = side * side
        let layer = canonicalLayer(character: character), plate = plate(background: background)
        var rendered: [Tensor] = []
        rendered.reserveCapacity(frames)
        let chunk = 32
        for first in stride(from: 0, to: frames, by: chunk) {
            let m = min(chunk, frames - first)
            var layers = Tensor(shape: [m, 4, side, side]), plates = Tensor(shape: [m, 3, side, side])
            layers.withUnsafeMutablePointer { out in
                layer.withUnsafePointer { for i in 0..<m { (out + i * 4 * plane).update(from: $0, count: 4 * plane) } }
            }
            plates.withUnsafeMutablePointer { out in
                plate.withUnsafePointer { for i in 0..<m { (out + i * 3 * plane).update(from: $0, count: 3 * plane) } }
            }
            let composited = Compositor.composite(layers: Compositor.move(layers, by: Array(poses[first..<(first + m)])), over: plates)
            for i in 0..<m { rendered.append(composited.batches(i..<(i + 1)).reshaped(to: [3, side, side])) }
        }
        return SceneClip(frames: rendered, poses: poses, parameters: parameters, plate: plate,
                         characterIndex: character, backgroundIndex: background, startTime: start, walkSeed: walkSeed)
    }
}
