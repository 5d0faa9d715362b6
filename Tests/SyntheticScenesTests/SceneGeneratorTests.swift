import NeuralNetwork
import SyntheticScenes
import Tensors
import XCTest

final class SceneGeneratorTests: XCTestCase {
    static let generator: SceneGenerator = {
        do { return try SceneGenerator() } catch { fatalError("default configuration rejected: \(error)") }
    }()
    var generator: SceneGenerator { SceneGeneratorTests.generator }

    // MARK: - Determinism

    func testSameSeedsGiveIdenticalTensorsAndDifferentSeedsDiffer() throws {
        let twin = try SceneGenerator()
        let batch = generator.batch(size: 6, seed: 77)
        XCTAssertEqual(batch, twin.batch(size: 6, seed: 77))
        XCTAssertEqual(generator.sample(seed: 5), twin.sample(seed: 5))
        XCTAssertNotEqual(batch.frames, generator.batch(size: 6, seed: 78).frames)
        XCTAssertNotEqual(generator.sample(seed: 5).frame, generator.sample(seed: 6).frame)
        let otherWorld = try SceneGenerator(.init(worldSeed: 1))
        XCTAssertGreaterThan((otherWorld.plate(background: 0) - generator.plate(background: 0)).meanAbsolute(), 0.05)
        XCTAssertNotEqual(otherWorld.canonicalLayer(character: 0), generator.canonicalLayer(character: 0))
    }

    func testBatchSamplesEqualSingleSamples() {
        let batch = generator.batch(size: 5, split: .unseenBackgrounds, seed: 9)
        XCTAssertEqual(batch.frames.shape, [5, 3, 64, 64])
        XCTAssertEqual(batch.nextFrames.shape, [5, 3, 64, 64])
        XCTAssertEqual(batch.plates.shape, [5, 3, 64, 64])
        XCTAssertEqual(batch.characterLayers.shape, [5, 4, 64, 64])
        XCTAssertEqual(batch.nextCharacterLayers.shape, [5, 4, 64, 64])
        XCTAssertEqual(batch.motions.shape, [5, 6])
        for i in 0..<5 {
            let single = generator.sample(split: .unseenBackgrounds, seed: SceneGenerator.sampleSeed(batchSeed: 9, index: i))
            XCTAssertEqual(batch.sample(at: i), single)
        }
        let pairs = [(character: 2, background: 5), (character: 0, background: 1003)]
        let fixed = generator.batch(pairings: pairs, seed: 4)
        XCTAssertEqual(fixed.sample(at: 1), generator.sample(character: 0, background: 1003, seed: SceneGenerator.sampleSeed(batchSeed: 4, index: 1)))
    }

    // MARK: - Ground truth

    func testMotionCarriesTheCharacterLayerToTheNextOne() {
        // Warping x's character layer by T^x (sampling with (T^x)⁻¹) reproduces x''s layer up to
        // the blur of a second bilinear resampling and content that enters across the border.
        // Bounds: per sample, mean |Δalpha| ≤ 0.02 and mean |Δ(alpha·RGB)| ≤ 0.02; over all
        // samples ≤ 0.01 (measured ≈ 0.003 and 0.005).
        var totalAlpha = 0.0, totalPremultiplied = 0.0, totalUnmoved = 0.0
        let samples = 40
        for seed in 0..<samples {
            let s = generator.sample(seed: UInt64(seed))
            let theta = Tensor(shape: [1, 6], scalars: s.motion.inverse!.elements)
            let moved = SpatialTransformer().forward(input: s.characterLayer.reshaped(to: [1, 4, 64, 64]), theta: theta, tape: nil)
                .reshaped(to: [4, 64, 64])
            let alphaError = meanAbsoluteDifference(alpha(moved), alpha(s.nextCharacterLayer))
            let premultipliedError = meanAbsoluteDifference(premultiplied(moved), premultiplied(s.nextCharacterLayer))
            XCTAssertLessThanOrEqual(alphaError, 0.02, "sample \(seed)")
            XCTAssertLessThanOrEqual(premultipliedError, 0.02, "sample \(seed)")
            totalAlpha += alphaError; totalPremultiplied += premultipliedError
            totalUnmoved += meanAbsoluteDifference(alpha(s.characterLayer), alpha(s.nextCharacterLayer))
        }
        XCTAssertLessThanOrEqual(totalAlpha / Double(samples), 0.01)
        XCTAssertLessThanOrEqual(totalPremultiplied / Double(samples), 0.01)
        // The motions are not the identity: without the warp the layers differ far more.
        XCTAssertGreaterThan(totalUnmoved, 3 * totalAlpha)
    }

    func testMotionIsNextPoseAfterInversePose() {
        let s = generator.sample(seed: 3)
        let product = s.motion.composed(after: s.pose).elements
        for (a, b) in zip(product, s.nextPose.elements) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        XCTAssertEqual(s.characterLayer, generator.characterLayer(character: s.characterIndex, pose: s.pose))
    }

    func testPlateEqualsTheFrameExactlyWhereAlphaIsZeroAndDiffersUnderTheCharacter() {
        var differences: [Double] = []
        for seed in 0..<20 {
            let s = generator.sample(seed: UInt64(seed))
            XCTAssertEqual(s.plate, generator.plate(background: s.backgroundIndex))
            for (frame, layer) in [(s.frame, s.characterLayer), (s.nextFrame, s.nextCharacterLayer)] {
                let a = alpha(layer)
                var clear = 0, opaque = 0, difference = 0.0
                for k in 0..<4096 {
                    for c in 0..<3 {
                        let f = frame.scalars[c * 4096 + k], p = s.plate.scalars[c * 4096 + k]
                        if a[k] == 0 { XCTAssertEqual(f, p, "sample \(seed) pixel \(k)"); clear += 1 }
                        if a[k] > 0.99 { difference += Double(abs(f - p)); opaque += 1 }
                    }
                }
                XCTAssertGreaterThan(clear, 3 * 4096 / 2, "sample \(seed): the character fills most of the frame")
                XCTAssertGreaterThan(opaque, 0)
                differences.append(difference / Double(max(opaque, 1)))
            }
        }
        // Under the character the frame shows the character, not the plate (bound: mean 0.1,
        // every frame 0.03).
        XCTAssertGreaterThan(differences.reduce(0, +) / Double(differences.count), 0.1)
        XCTAssertGreaterThan(differences.min()!, 0.03)
    }

    func testCompositeHelperReproducesSampleFrames() {
        for seed in 0..<4 {
            let s = generator.sample(split: .heldOutPairings, seed: UInt64(seed))
            XCTAssertEqual(generator.composite(character: s.characterIndex, pose: s.pose, background: s.backgroundIndex), s.frame)
            XCTAssertEqual(generator.composite(character: s.characterIndex, pose: s.nextPose, plate: s.plate), s.nextFrame)
        }
        // Any character over any plate, including backgrounds outside both splits.
        let frame = generator.composite(character: 5, pose: .identity, background: 4242)
        XCTAssertEqual(frame.shape, [3, 64, 64])
        XCTAssertTrue(frame.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    func testDistantFramesShowTheSameSceneAtAnotherPose() {
        let plain = generator.batch(size: 6, seed: 31)
        let withDistant = generator.batch(size: 6, seed: 31, distantFrames: true)
        XCTAssertNil(plain.distantFrames)
        var rest = withDistant
        rest.distantFrames = nil
        XCTAssertEqual(rest, plain, "asking for distant frames changes nothing else")
        let distant = try! XCTUnwrap(withDistant.distantFrames)
        XCTAssertEqual(distant.shape, plain.frames.shape)
        XCTAssertEqual(distant, generator.batch(size: 6, seed: 31, distantFrames: true).distantFrames, "deterministic")
        let plane = 3 * 64 * 64
        for i in 0..<6 {
            let frame = Array(plain.frames.scalars[(i * plane)..<((i + 1) * plane)])
            let other = Array(distant.scalars[(i * plane)..<((i + 1) * plane)])
            let plate = Array(plain.plates.scalars[(i * plane)..<((i + 1) * plane)])
            // The character stands elsewhere…
            let moved = zip(frame, other).map { abs($0 - $1) }.reduce(0, +) / Float(plane)
            XCTAssertGreaterThan(moved, 0.005, "sample \(i): the distant frame shows another pose")
            // …over the same background: most of the frame is exactly the plate in both.
            let plateBoth = (0..<plane).filter { frame[$0] == plate[$0] && other[$0] == plate[$0] }.count
            XCTAssertGreaterThan(Double(plateBoth) / Double(plane), 0.3, "sample \(i): the same plate")
        }
    }

    func testEmptyDistantFramesShowThePlateAloneAndChangeNothingElse() {
        let plane = 3 * 64 * 64, size = 40
        let withCharacter = generator.batch(size: size, seed: 7, distantFrames: true)
        let emptied = generator.batch(size: size, seed: 7, distantFrames: true, emptyDistantFraction: 0.25)
        let allEmpty = generator.batch(size: size, seed: 7, distantFrames: true, emptyDistantFraction: 1)
        XCTAssertEqual(allEmpty.distantFrames, withCharacter.plates, "fraction 1: every distant frame is its plate")
        var rest = emptied
        rest.distantFrames = withCharacter.distantFrames
        XCTAssertEqual(rest, withCharacter, "only distant frames change")
        XCTAssertEqual(emptied, generator.batch(size: size, seed: 7, distantFrames: true, emptyDistantFraction: 0.25), "deterministic")
        let chunk = { (t: Tensor, i: Int) in Array(t.scalars[(i * plane)..<((i + 1) * plane)]) }
        var empty = 0
        for i in 0..<size {
            let frame = chunk(emptied.distantFrames!, i)
            if frame == chunk(emptied.plates, i) {
                empty += 1
            } else {
                XCTAssertEqual(frame, chunk(withCharacter.distantFrames!, i), "sample \(i): kept frames keep their character")
            }
        }
        XCTAssertTrue((4...18).contains(empty), "about a quarter of 40 emptied, got \(empty)")
    }

    func testCharactersStayMostlyInFrame() {
        // Alpha mass inside the frame ≥ 80 % of the canonical mass scaled by |det A_t| (the
        // mass the posed character would have on an unbounded canvas), at every 4th frame of
        // 40 walks of 200 frames.
        var worst = Double.infinity
        for seed in 0..<40 {
            let character = seed % 8
            let clip = generator.clip(frames: 200, character: character, background: 0, seed: UInt64(seed))
            let canonicalMass = Double(alpha(generator.canonicalLayer(character: character)).reduce(0, +))
            for pose in clip.poses.enumerated().filter({ $0.offset % 4 == 0 }).map(\.element) {
                let mass = Double(alpha(generator.characterLayer(character: character, pose: pose)).reduce(0, +))
                worst = min(worst, mass / (canonicalMass * Double(abs(pose.determinant))))
            }
        }
        XCTAssertGreaterThanOrEqual(worst, 0.8, "a character left the frame")
    }

    // MARK: - Splits

    func testTrainedAndUnseenBackgroundsAreDisjointAndDifferent() {
        let trained = generator.backgroundIndices(for: .trainedBackgrounds)
        let unseen = generator.backgroundIndices(for: .unseenBackgrounds)
        XCTAssertEqual(trained, Array(0..<8))
        XCTAssertEqual(unseen, Array(1000..<1016))
        XCTAssertTrue(Set(trained).isDisjoint(with: unseen))
        for seed in 0..<50 {
            XCTAssertTrue(trained.contains(generator.sample(split: .trainedBackgrounds, seed: UInt64(seed)).backgroundIndex))
            XCTAssertTrue(unseen.contains(generator.sample(split: .unseenBackgrounds, seed: UInt64(seed)).backgroundIndex))
        }
        // Bound: every unseen plate differs from every trained plate by a mean absolute 0.05.
        for u in unseen {
            for t in trained {
                XCTAssertGreaterThan((generator.plate(background: u) - generator.plate(background: t)).meanAbsolute(), 0.05, "\(u) vs \(t)")
            }
        }
    }

    func testHeldOutPairingsNeverAppearInTraining() throws {
        XCTAssertEqual(generator.pairings(for: .heldOutPairings).count, 8)
        XCTAssertEqual(generator.pairings(for: .trainedBackgrounds).count, 56)
        var trainedCharacters = Set<Int>(), trainedBackgrounds = Set<Int>()
        for seed in 0..<300 {
            let s = generator.sample(split: .trainedBackgrounds, seed: UInt64(seed))
            XCTAssertFalse(generator.isHeldOutPairing(character: s.characterIndex, background: s.backgroundIndex))
            trainedCharacters.insert(s.characterIndex); trainedBackgrounds.insert(s.backgroundIndex)
            let h = generator.sample(split: .heldOutPairings, seed: UInt64(seed))
            XCTAssertTrue(generator.isHeldOutPairing(character: h.characterIndex, background: h.backgroundIndex))
        }
        XCTAssertEqual(trainedCharacters, Set(0..<8))
        XCTAssertEqual(trainedBackgrounds, Set(0..<8))
        let open = try SceneGenerator(.init(holdsOutPairings: false))
        XCTAssertEqual(open.pairings(for: .trainedBackgrounds).count, 64)
        XCTAssertTrue(open.pairings(for: .heldOutPairings).isEmpty)
    }

    // MARK: - Clips and other banks

    func testClipRendersConsecutivePoses() {
        let clip = generator.clip(frames: 40, character: 3, background: 1001, seed: 12)
        XCTAssertEqual(clip.frames.count, 40)
        XCTAssertEqual(clip.poses.count, 40)
        XCTAssertEqual(clip.parameters.map(\.transform), clip.poses)
        XCTAssertEqual(clip.plate, generator.plate(background: 1001))
        for i in [0, 31, 32, 39] {
            XCTAssertEqual(clip.frames[i].shape, [3, 64, 64])
            XCTAssertEqual(clip.frames[i], generator.composite(character: 3, pose: clip.poses[i], background: 1001))
        }
        XCTAssertEqual(clip, generator.clip(frames: 40, character: 3, background: 1001, seed: 12))
        XCTAssertNotEqual(clip.frames[0], clip.frames[1])
    }

    func testPhotoAndCutoutBanks() throws {
        let photos = (0..<5).map { Tensor(shape: [3, 16, 16], repeating: Float($0) / 5) }
        var cutout = Tensor(shape: [4, 16, 16], repeating: 0)
        for i in 4..<12 { for j in 4..<12 { for c in 0..<4 { cutout.scalars[c * 256 + i * 16 + j] = 1 } } }
        let configuration = SceneGenerator.Configuration(resolution: 16, trainedBackgroundCount: 3, unseenBackgroundCount: 2,
                                                         characterCount: 1, holdsOutPairings: false)
        let generator = try SceneGenerator(configuration, backgrounds: BackgroundBank(images: photos),
                                           characters: CharacterBank(cutouts: [cutout]))
        XCTAssertEqual(generator.backgroundIndices(for: .trainedBackgrounds), [0, 1, 2])
        XCTAssertEqual(generator.backgroundIndices(for: .unseenBackgrounds), [3, 4])
        let s = generator.sample(split: .unseenBackgrounds, seed: 1)
        XCTAssertEqual(s.plate, photos[s.backgroundIndex])
        XCTAssertEqual(s.frame.shape, [3, 16, 16])

        var tooMany = configuration
        tooMany.unseenBackgroundCount = 3
        XCTAssertThrowsError(try SceneGenerator(tooMany, backgrounds: BackgroundBank(images: photos), characters: CharacterBank(cutouts: [cutout])))
        var wrongSize = configuration
        wrongSize.resolution = 32
        XCTAssertThrowsError(try SceneGenerator(wrongSize, backgrounds: BackgroundBank(images: photos), characters: CharacterBank(cutouts: [cutout])))
    }

    func testInvalidConfigurationsThrow() {
        XCTAssertThrowsError(try SceneGenerator(.init(resolution: 4)))
        XCTAssertThrowsError(try SceneGenerator(.init(trainedBackgroundCount: 0)))
        XCTAssertThrowsError(try SceneGenerator(.init(characterCount: 0)))
        XCTAssertThrowsError(try SceneGenerator(.init(frameGap: -1)))
        XCTAssertThrowsError(try SceneGenerator(.init(trainedBackgroundCount: 1)), "holding out pairings needs two backgrounds")
        XCTAssertNoThrow(try SceneGenerator(.init(resolution: 32, trainedBackgroundCount: 1, holdsOutPairings: false)))
        XCTAssertThrowsError(try SceneGenerator(.init(walkLimits: .init(maxTranslation: -1))))
    }
}
