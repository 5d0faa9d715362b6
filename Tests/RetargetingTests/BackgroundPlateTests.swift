import Retargeting
import VideoIO
import XCTest

/// The clip's background plate: a consensus that survives a character covering a pixel in
/// most frames (where a temporal median fails), its confidence, the noise estimate, the
/// sampler and the streaming plate.
final class BackgroundPlateTests: XCTestCase {
    let width = 12, height = 10

    /// A fixed background colour per pixel.
    func background(_ x: Int, _ y: Int) -> (UInt8, UInt8, UInt8) { (UInt8(20 * x % 256), UInt8(25 * y % 256), UInt8((7 * x + 11 * y) % 256)) }

    /// Frame `t`: the background, with a "character" of changing colours over columns 2...8
    /// in frames where `covered(t)`.
    func frame(_ t: Int, covered: (Int) -> Bool) throws -> Frame {
        var rgb = [UInt8]()
        for y in 0..<height {
            for x in 0..<width {
                if covered(t) && (2...8).contains(x) {
                    rgb += [UInt8(23 * t + 5 * x), UInt8(220 - 19 * t + 3 * y), UInt8(30 + 20 * t)]  // 17 or more apart from frame to frame
                } else {
                    let c = background(x, y)
                    rgb += [c.0, c.1, c.2]
                }
            }
        }
        return try Frame(width: width, height: height, rgb8: rgb, index: t)
    }

    func testConsensusFindsTheBackgroundUnderACharacterThatCoversItMostOfTheTime() throws {
        // Covered in 7 of 10 frames: the median of those pixels is a character colour.
        let frames = try (0..<10).map { try frame($0, covered: { $0 % 10 < 7 }) }
        let plate = try BackgroundPlate.consensus(of: frames)
        XCTAssertEqual(plate.noise, 0, "a lossless clip has no noise")
        var medianWrong = 0
        for y in 0..<height {
            for x in 0..<width {
                let c = background(x, y), i = y * width + x, n = width * height
                XCTAssertEqual(plate.image.values[i], Float(c.0) / 255, accuracy: 1e-5, "red at \(x),\(y)")
                XCTAssertEqual(plate.image.values[n + i], Float(c.1) / 255, accuracy: 1e-5)
                XCTAssertEqual(plate.image.values[2 * n + i], Float(c.2) / 255, accuracy: 1e-5)
                XCTAssertEqual(plate.confidence[i], 1, "3 of 10 frames agree: trusted")
                let reds = frames.map { $0.pixel(x: x, y: y).red }.sorted()
                if reds[5] != c.0 { medianWrong += 1 }
            }
        }
        XCTAssertGreaterThan(medianWrong, 20, "the test must be one a temporal median fails")
        // 3 of 10 frames show the background under the character: below 40 %, unsteady.
        XCTAssertEqual(plate.support?[3 * width + 4] ?? 0, 0.3, accuracy: 1e-6)
        XCTAssertEqual(plate.support?[0] ?? 0, 1)
        XCTAssertEqual(plate.unsteadyFraction ?? 0, Double(7 * height) / Double(width * height), accuracy: 1e-9)
        XCTAssertNil(RunningPlate(width: 2, height: 2).plate.unsteadyFraction)
    }

    /// The model's veto: where a character stands still long enough to win the vote (the
    /// same colour in 7 of 10 frames), a model that covers it (α 0.9) and not the colour the
    /// other frames repeat (α 0.1) gets the background back; a model unsure there (α 0.5
    /// everywhere) changes nothing.
    func testTheModelVetoesACharacterThatHeldStillLongEnoughToWinTheVote() throws {
        let still: (UInt8, UInt8, UInt8) = (250, 5, 128)
        let frames = try (0..<10).map { t -> Frame in
            var rgb = [UInt8]()
            for y in 0..<height {
                for x in 0..<width {
                    let c = t < 7 && (2...8).contains(x) ? still : background(x, y)
                    rgb += [c.0, c.1, c.2]
                }
            }
            return try Frame(width: width, height: height, rgb8: rgb, index: t)
        }
        // Coverage maps at half the size, as a model's are smaller than the frame.
        let sure = (0..<10).map { t in
            PlanarMask(width: width / 2, height: height / 2, values: (0..<(width / 2 * height / 2)).map { i in
                t < 7 && (1...4).contains(i % (width / 2)) ? 0.9 : 0.1
            })
        }
        let unsure = (0..<10).map { _ in PlanarMask(width: width / 2, height: height / 2, values: [Float](repeating: 0.5, count: width / 2 * height / 2)) }
        let vetoed = try BackgroundPlate.consensus(of: frames, coverage: sure)
        let kept = try BackgroundPlate.consensus(of: frames, coverage: unsure)
        let plain = try BackgroundPlate.consensus(of: frames)
        XCTAssertEqual(kept.image, plain.image, "an unsure model changes nothing")
        let n = width * height
        for y in 0..<height {
            for (x, inside) in [(0, false), (1, false), (4, true), (5, true), (11, false)] {
                let i = y * width + x, c = background(x, y)
                XCTAssertEqual(plain.image.values[i], Float(inside ? still.0 : c.0) / 255, accuracy: 1e-5, "the vote alone at \(x),\(y)")
                XCTAssertEqual(vetoed.image.values[i], Float(c.0) / 255, accuracy: 1e-5, "vetoed red at \(x),\(y)")
                XCTAssertEqual(vetoed.image.values[2 * n + i], Float(c.2) / 255, accuracy: 1e-5, "vetoed blue at \(x),\(y)")
                if inside { XCTAssertEqual(vetoed.support?[i] ?? 0, 0.3, accuracy: 1e-6, "3 of 10 frames show the background there") }
            }
        }
    }

    func testAPixelNeverSeenHasLowConfidence() throws {
        let frames = try (0..<10).map { try frame($0, covered: { _ in true }) }
        let plate = try BackgroundPlate.consensus(of: frames)
        XCTAssertLessThan(plate.confidence[3 * 1 + 4], 0.5, "covered by changing colours in every frame")
        XCTAssertEqual(plate.confidence[0], 1)
        XCTAssertThrowsError(try BackgroundPlate.consensus(of: [frames[0]]))
        XCTAssertThrowsError(try BackgroundPlate.consensus(of: [frames[0], try Frame(width: 3, height: 3, red: 0, green: 0, blue: 0)]))
    }

    func testNoiseEstimate() throws {
        var generator = SystemRandomNumberGenerator()
        let noisy = try (0..<6).map { _ -> Frame in
            // Gaussian noise of σ = 4/255 around mid grey (Box–Muller).
            let rgb = (0..<(3 * 64 * 64)).map { _ -> UInt8 in
                let u = Double.random(in: 1e-9..<1, using: &generator), v = Double.random(in: 0..<1, using: &generator)
                let gauss = (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
                return UInt8(max(0, min(255, 128 + 4 * gauss)).rounded())
            }
            return try Frame(width: 64, height: 64, rgb8: rgb)
        }
        let plate = try BackgroundPlate.consensus(of: noisy)
        XCTAssertEqual(plate.noise * 255, 4, accuracy: 1.2)
        XCTAssertEqual(plate.tolerance, 3 * plate.noise, accuracy: 1e-6)
    }

    func testSamplerKeepsAnEvenSampleWithinItsCapacity() throws {
        var sampler = PlateSampler(capacity: 8, frameBytes: 3)
        for t in 0..<100 { sampler.offer(try Frame(width: 1, height: 1, rgb8: [UInt8(t), 0, 0], index: t)) }
        let kept = sampler.samples.map(\.index)
        XCTAssertLessThanOrEqual(kept.count, 8)
        XCTAssertGreaterThanOrEqual(kept.count, 4)
        XCTAssertEqual(kept.first, 0)
        let gaps = Set(zip(kept, kept.dropFirst()).map { $1 - $0 })
        XCTAssertEqual(gaps.count, 1, "evenly spaced: \(kept)")
        XCTAssertGreaterThan(kept.last!, 60, "spans the clip: \(kept)")
        XCTAssertEqual(PlateSampler(capacity: 48, byteBudget: 1000, frameBytes: 300).capacity, 3, "a byte budget caps big frames")
    }

    func testRunningPlateLearnsTheBackgroundOnceTheCharacterMovesOn() throws {
        // Covered for the first 3 frames, then 5 frames of background.
        var running = RunningPlate(width: width, height: height)
        for t in 0..<8 { running.update(with: PlanarImage(try frame(t, covered: { $0 < 3 }))) }
        let plate = running.plate
        let truth = PlanarImage(try frame(0, covered: { _ in false }))
        for i in 0..<truth.values.count { XCTAssertEqual(plate.image.values[i], truth.values[i], accuracy: 1e-5, "value \(i)") }
        XCTAssertEqual(running.frames, 8)
    }

    /// With no frame to compare, a pixel is trusted while its colour has held for every frame
    /// so far: the first frames are composed from the plate, and a character that then moves
    /// in differs from it; a pixel that keeps changing falls back to untrusted.
    func testRunningPlateTrustsAStillPixelFromTheFirstFrame() throws {
        var running = RunningPlate(width: width, height: height)
        running.update(with: PlanarImage(try frame(0, covered: { _ in false })))
        XCTAssertEqual(running.plate.trustedFraction, 0, "one frame is no evidence: a single image stays the model's")
        let covered = PlanarImage(try frame(1, covered: { _ in true }))
        running.update(with: covered)
        let plate = running.plate
        XCTAssertEqual(plate.trustedFraction, 1, "the first colour held for half of the frames")
        let matte = CharacterMatte.estimate(frame: covered, plate: plate)
        for y in 0..<height {
            for x in [0, 5, 11] { XCTAssertEqual(matte.values[y * width + x], x == 5 ? 1 : 0, accuracy: 0.05, "(\(x), \(y))") }
        }
        // Eight more frames of a changing character: columns 2...8 are no longer trusted,
        // the rest are.
        for t in 2..<10 { running.update(with: PlanarImage(try frame(t, covered: { _ in true }))) }
        let later = running.plate
        XCTAssertLessThan(later.confidence[5], BackgroundPlate.trustedConfidence)
        XCTAssertEqual(later.confidence[0], 1)
        XCTAssertEqual(later.trustedFraction, Double(width - 7) / Double(width), accuracy: 1e-9)
    }

    /// Frames of `frame(_:covered:)` with camera grain: values moved by −2…2 levels.
    /// (`seed` draws other grain for the same frame; t by default.)
    func grainy(_ t: Int, seed: Int? = nil, covered: (Int) -> Bool) throws -> Frame {
        let clean = try frame(t, covered: covered)
        var state = UInt64((seed ?? t) + 1) &* 0x9E3779B97F4A7C15
        let rgb = clean.rgb8.map { value -> UInt8 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(clamping: Int(value) + Int(state >> 61) % 5 - 2)
        }
        return try Frame(width: width, height: height, rgb8: rgb, index: t)
    }

    func testGrainTellsCameraFootageFromARenderedClip() throws {
        let rendered = try BackgroundPlate.consensus(of: (0..<10).map { try frame($0, covered: { $0 % 3 == 0 }) })
        XCTAssertLessThan(rendered.grain, 0.05)
        XCTAssertFalse(rendered.isCameraFootage)
        let camera = try BackgroundPlate.consensus(of: (0..<10).map { try grainy($0, covered: { $0 % 3 == 0 }) })
        XCTAssertGreaterThan(camera.grain, 0.2, "values moved by 1–2 levels between frames")
        XCTAssertTrue(camera.isCameraFootage)
        // The streaming plate measures the same against what it has learned.
        var running = RunningPlate(width: width, height: height), grainyRunning = running
        for t in 0..<8 {
            running.update(with: PlanarImage(try frame(t, covered: { $0 % 3 == 0 })))
            grainyRunning.update(with: PlanarImage(try grainy(t, covered: { $0 % 3 == 0 })))
        }
        XCTAssertLessThan(running.plate.grain, 0.05)
        XCTAssertFalse(running.plate.isCameraFootage)
        XCTAssertGreaterThan(grainyRunning.plate.grain, 0.2)
        XCTAssertTrue(grainyRunning.plate.isCameraFootage)
        XCTAssertEqual(RunningPlate(width: 2, height: 2).plate.grain, 0, "nothing seen, no grain")
    }

    /// The per-channel median of `frames` at (x, y), as a NumPy median of frames in [0, 1] takes it.
    func median(_ frames: [Frame], _ x: Int, _ y: Int, channel c: Int) -> Float {
        let values = frames.map { frame -> UInt8 in
            let p = frame.pixel(x: x, y: y)
            return [p.red, p.green, p.blue][c]
        }.sorted()
        let n = values.count
        return n % 2 == 1 ? Float(values[n / 2]) / 255 : (Float(values[n / 2 - 1]) / 255 + Float(values[n / 2]) / 255) / 2
    }

    func testCameraFootagesPlateIsTheMedianOfEverySample() throws {
        // Covered in 3 of 9 frames: the median of each channel is a background value.
        let frames = try (0..<9).map { try grainy($0, covered: { $0 % 3 == 1 }) }
        let plate = try BackgroundPlate.consensus(of: frames)
        XCTAssertTrue(plate.isCameraFootage)
        let n = width * height
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<3 {
                    XCTAssertEqual(plate.image.values[c * n + y * width + x], median(frames, x, y, channel: c), "channel \(c) at \(x),\(y)")
                }
                let truth = background(x, y), red = plate.image.values[y * width + x] * 255
                XCTAssertEqual(red, Float(truth.0), accuracy: 2.01, "within the grain of the background at \(x),\(y)")
            }
        }
        // More samples than vote: the median still takes every one (an even count: the
        // mean of the middle two), and covered in 7 of 10 frames the median is the
        // character's (what the real-footage check takes as background too).
        let many = try (0..<70).map { try grainy($0 % 10, seed: $0, covered: { $0 < 7 }) }
        XCTAssertGreaterThan(many.count, BackgroundPlate.votingSamples)
        let manyPlate = try BackgroundPlate.consensus(of: many)
        XCTAssertTrue(manyPlate.isCameraFootage)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<3 { XCTAssertEqual(manyPlate.image.values[c * n + y * width + x], median(many, x, y, channel: c), "channel \(c) at \(x),\(y)") }
            }
        }
        // A rendered clip keeps the consensus, which finds the background under it.
        let rendered = try (0..<10).map { try frame($0, covered: { $0 % 10 < 7 }) }
        let renderedPlate = try BackgroundPlate.consensus(of: rendered)
        XCTAssertFalse(renderedPlate.isCameraFootage)
        XCTAssertEqual(renderedPlate.image.values[5] * 255, Float(background(5, 0).0), accuracy: 1e-3)
        XCTAssertNil(renderedPlate.detection)
    }

    func testRepeatedFramesAndCodedStillBackgroundsStillReadAsCameraFootage() throws {
        let frames = try (0..<12).map { try grainy($0, covered: { $0 % 3 == 0 }) }
        let plain = try BackgroundPlate.consensus(of: frames)
        // Every frame twice (a frame-rate conversion): a repeated pair tells nothing.
        let doubled = try BackgroundPlate.consensus(of: frames.flatMap { [$0, $0] })
        XCTAssertEqual(doubled.grain, plain.grain, accuracy: 0.05)
        XCTAssertTrue(doubled.isCameraFootage)
        // Grain on few values (a codec that keeps little of it): the grain is under the
        // camera bar, but the still background is grainy all over.
        let sparse = try (0..<10).map { t -> Frame in
            let clean = try frame(t, covered: { $0 % 3 == 0 })
            var state = UInt64(t + 7) &* 0x9E3779B97F4A7C15
            let rgb = clean.rgb8.map { value -> UInt8 in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return state >> 58 < 3 ? UInt8(clamping: Int(value) + 1) : value  // 3 values in 64 move by a level
            }
            return try Frame(width: width, height: height, rgb8: rgb, index: t)
        }
        let sparsePlate = try BackgroundPlate.consensus(of: sparse)
        XCTAssertLessThan(sparsePlate.grain, BackgroundPlate.cameraGrain)
        XCTAssertGreaterThan(sparsePlate.stillGrain, BackgroundPlate.cameraStillGrain)
        XCTAssertTrue(sparsePlate.isCameraFootage)
        let rendered = try BackgroundPlate.consensus(of: (0..<10).map { try frame($0, covered: { $0 % 3 == 0 }) })
        XCTAssertEqual(rendered.stillGrain, 0, "a rendered clip's still background does not change")
    }

    func testCameraFootageLargerThanTheDetectionGridGetsAPlateThere() throws {
        // 400×300 grainy frames: the detection grid is 320×240.
        func large(_ t: Int, thumbnail: Bool) throws -> Frame {
            var state = UInt64(t + 3) &* 0x9E3779B97F4A7C15
            let rgb = (0..<(3 * 400 * 300)).map { i -> UInt8 in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return UInt8(clamping: 60 + (i / 3 % 400) / 4 + Int(state >> 61) % 5 - 2 + (t % 4 == 0 && i / 1200 < 40 ? 90 : 0))
            }
            var frame = try Frame(width: 400, height: 300, rgb8: rgb, index: t)
            if thumbnail { frame.thumbnail = Thumbnail(width: 320, height: 240, rgb8: [UInt8](repeating: UInt8(10 * t), count: 3 * 320 * 240)) }
            return frame
        }
        let frames = try (0..<7).map { try large($0, thumbnail: false) }
        let plate = try BackgroundPlate.consensus(of: frames)
        XCTAssertTrue(plate.isCameraFootage)
        let detection = try XCTUnwrap(plate.detection)
        XCTAssertEqual([detection.width, detection.height], [320, 240])
        // The median of the frames' thumbnails, resampled here as the plate resampled them.
        let scaler = PixelScaler()
        let thumbnails = try frames.map { frame in try frame.withPixelBuffer { try BackgroundPlate.detectionThumbnail(of: $0, width: 320, height: 240, scaler: scaler) } }
        for i in stride(from: 0, to: 3 * 320 * 240, by: 997) {
            let values = thumbnails.map { $0.values[i] }.sorted()
            XCTAssertEqual(detection.values[i], values[3], accuracy: 0.5 / 255, "value \(i)")
        }
        // Frames that carry their reader's thumbnails: the median of those.
        let withThumbnails = try BackgroundPlate.consensus(of: (0..<7).map { try large($0, thumbnail: true) })
        XCTAssertEqual(withThumbnails.detection?.values.min(), 30 / 255)
        XCTAssertEqual(withThumbnails.detection?.values.max(), 30 / 255)
        // No detection plate at or under the grid's size.
        XCTAssertNil(CharacterMatte.detectionGrid(width: 320, height: 240))
        XCTAssertNil(try BackgroundPlate.consensus(of: (0..<7).map { try grainy($0, covered: { $0 % 3 == 0 }) }).detection)
    }

    /// A plate handed to another process (a segment-parallel render) comes back equal, with
    /// and without its optional fields; bytes that are not a plate are refused.
    func testPlateBytesRoundTrip() throws {
        let frames = try (0..<10).map { try frame($0, covered: { $0 % 10 < 7 }) }
        var plate = try BackgroundPlate.consensus(of: frames)
        XCTAssertNotNil(plate.support)
        plate.detection = PlanarImage(width: 3, height: 2, values: (0..<18).map { Float($0) / 17 })
        plate.grain = 0.25
        plate.stillGrain = 0.125
        XCTAssertEqual(try BackgroundPlate(bytes: plate.bytes), plate)
        plate.detection = nil
        plate.support = nil
        XCTAssertEqual(try BackgroundPlate(bytes: plate.bytes), plate)
        let bytes = plate.bytes
        XCTAssertThrowsError(try BackgroundPlate(bytes: Array(bytes.dropLast())))
        XCTAssertThrowsError(try BackgroundPlate(bytes: bytes + [0]))
        XCTAssertThrowsError(try BackgroundPlate(bytes: [UInt8](repeating: 255, count: 64)))
        XCTAssertThrowsError(try BackgroundPlate(bytes: []))
    }
}
