import EquivariantModel
import Foundation
import NeuralNetwork
import SafeTensors
import Tensors
import TestSupport
import XCTest

final class CheckpointTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("eqr-checkpoint-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func testSaveLoadGivesIdenticalOutputsAndOptimizerState() throws {
        for source in TransformVariants.names {
            let model = try ModelFixtures.tinyModel(source, seed: 3)
            let trainer = try Trainer(model: model)
            try trainer.train(on: ModelGradientTests.batch(seed: 4))
            let url = directory.appendingPathComponent("\(source).safetensors")
            try Checkpoint.save(model, optimizer: trainer.optimizer, metadata: ["note": "test"], to: url)
            let loaded = try Checkpoint.load(contentsOf: url, expectedVariant: source)
            let frames = ModelGradientTests.batch(seed: 5).frames
            XCTAssertEqual(try loaded.model.reconstruct(frames), try model.reconstruct(frames), "\(source)")
            XCTAssertEqual(loaded.optimizerState, trainer.optimizer.state)
            XCTAssertEqual(loaded.metadata["note"], "test")
            XCTAssertEqual(loaded.metadata["variant"], source)
            XCTAssertEqual(loaded.model.configuration, model.configuration)
        }
    }

    /// A flipped bit inside the weights leaves a valid safetensors file; the checksum in the
    /// metadata refuses it. A file without a checksum (written before it existed) still loads.
    func testDamagedWeightsAreRefusedByTheChecksum() throws {
        let model = try ModelFixtures.tinyModel("features", seed: 3)
        let url = directory.appendingPathComponent("m.safetensors")
        try Checkpoint.save(model, to: url)
        var bytes = [UInt8](try Data(contentsOf: url))
        let headerLength = Int(bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        bytes[8 + headerLength + (bytes.count - 8 - headerLength) / 2] ^= 0x04  // one bit of a mantissa, mid-file
        let damaged = directory.appendingPathComponent("damaged.safetensors")
        try Data(bytes).write(to: damaged)
        XCTAssertNotNil(try? SafeTensors.read(contentsOf: damaged), "still a well-formed file")
        XCTAssertThrowsError(try Checkpoint.load(contentsOf: damaged)) { XCTAssertTrue("\($0)".contains("do not match the file's checksum"), "\($0)") }
        XCTAssertNoThrow(try Checkpoint.load(contentsOf: url))
        var file = try SafeTensors.read(contentsOf: url)
        file.metadata.removeValue(forKey: CheckpointMetadata.checksum)
        let older = directory.appendingPathComponent("older.safetensors")
        try SafeTensors.write(file.tensors, metadata: file.metadata, to: older)
        XCTAssertNoThrow(try Checkpoint.load(contentsOf: older))
    }

    func testOtherVariantIsRefused() throws {
        let url = directory.appendingPathComponent("m.safetensors")
        try Checkpoint.save(try ModelFixtures.tinyModel("pixels"), to: url)
        XCTAssertThrowsError(try Checkpoint.load(contentsOf: url, expectedVariant: "features")) { error in
            XCTAssertTrue("\(error)".contains("holds a 'pixels' model, but a 'features' model was requested"), "\(error)")
        }
    }

    func testTruncatedFileIsAClearError() throws {
        let url = directory.appendingPathComponent("m.safetensors")
        try Checkpoint.save(try ModelFixtures.tinyModel("given"), to: url)
        let bytes = try Data(contentsOf: url)
        for length in [0, 5, 100, bytes.count / 2, bytes.count - 1] {
            try bytes.prefix(length).write(to: url)
            XCTAssertThrowsError(try Checkpoint.load(contentsOf: url)) { error in
                guard case ModelError.invalidCheckpoint(let message) = error else { return XCTFail("\(error)") }
                XCTAssertTrue(message.contains(url.path), message)
            }
        }
    }

    func testBadHeaderAndRandomBytesAreErrors() throws {
        let url = directory.appendingPathComponent("m.safetensors")
        var generator = SeededGenerator(seed: 1)
        try Data((0..<4096).map { _ in UInt8(truncatingIfNeeded: generator.next()) }).write(to: url)
        XCTAssertThrowsError(try Checkpoint.load(contentsOf: url))
        var header = Data([20, 0, 0, 0, 0, 0, 0, 0])
        header += Data("{\"a\": [not json]    ".utf8)
        try header.write(to: url)
        XCTAssertThrowsError(try Checkpoint.load(contentsOf: url)) { XCTAssertTrue("\($0)".contains("invalid checkpoint")) }
        XCTAssertThrowsError(try Checkpoint.load(contentsOf: directory.appendingPathComponent("missing.safetensors")))
    }

    func testWrongShapesAndForeignFilesAreNamed() throws {
        let url = directory.appendingPathComponent("m.safetensors")
        let model = try ModelFixtures.tinyModel("given")
        var tensors: [String: Tensor] = [:]
        for p in model.parameters { tensors[p.name] = p.value }
        let metadata = ["format": "equivariant-renderer", "format_version": "1", "variant": "given", "resolution": "16",
                        "feature_channels": "4", "base_channels": "4", "groups": "2"]
        tensors["g.conv3.weight"] = Tensor(shape: [3, 4, 5, 5])
        try SafeTensors.write(tensors, metadata: metadata, to: url)
        XCTAssertThrowsError(try Checkpoint.load(contentsOf: url)) { error in
            XCTAssertTrue("\(error)".contains("tensor 'g.conv3.weight' has shape [3, 4, 5, 5], the architecture needs [3, 4, 3, 3]"), "\(error)")
        }
        try SafeTensors.write(["x": Tensor(shape: [1])], metadata: [:], to: url)
        XCTAssertThrowsError(try Checkpoint.load(contentsOf: url)) { error in
            XCTAssertTrue("\(error)".contains("metadata has no 'format'"), "\(error)")
        }
        var hostile = metadata
        hostile["resolution"] = "99999999"
        try SafeTensors.write(["x": Tensor(shape: [1])], metadata: hostile, to: url)
        XCTAssertThrowsError(try Checkpoint.load(contentsOf: url)) { error in
            XCTAssertTrue("\(error)".contains("resolution must be"), "\(error)")
        }
    }

    func testNaNWeightsAreRefused() throws {
        let url = directory.appendingPathComponent("m.safetensors")
        let model = try ModelFixtures.tinyModel("features")
        model.renderer.parameters[0].value.scalars[0] = .nan
        try Checkpoint.save(model, to: url)
        XCTAssertThrowsError(try Checkpoint.load(contentsOf: url)) { XCTAssertTrue("\($0)".contains("NaN"), "\($0)") }
    }
}

final class WeightCopyTests: XCTestCase {
    func testCopyEncodersAndRendererKeepsThePredictor() throws {
        let given = try ModelFixtures.tinyModel("given", seed: 1)
        let pixels = try ModelFixtures.tinyModel("pixels", seed: 2)
        let predictorBefore = pixels.transform.parameters.map(\.value)
        let copied = try pixels.copyEncodersAndRenderer(from: given)
        XCTAssertEqual(copied, given.characterEncoder.parameters.count + given.backgroundEncoder.parameters.count + given.renderer.parameters.count)
        let frames = ModelGradientTests.batch(seed: 3).frames
        XCTAssertEqual(try pixels.reconstruct(frames), try given.reconstruct(frames))
        XCTAssertEqual(pixels.transform.parameters.map(\.value), predictorBefore)
        let wider = try EquivariantModel(configuration: ModelConfiguration(resolution: 16, featureChannels: 8, baseChannels: 4, groups: 2, variant: "pixels"), seed: 1)
        XCTAssertThrowsError(try wider.copyEncodersAndRenderer(from: given)) { XCTAssertTrue("\($0)".contains("cannot copy"), "\($0)") }
    }

    /// Convolution and norm weights do not depend on the frame size: a 32×32 model starts
    /// from a 16×16 one's f, h and g, and then renders its own size.
    func testAModelOfAnotherResolutionTakesTheWeights() throws {
        let source = try ModelFixtures.tinyModel("given", seed: 1, renderer: .layered)
        let target = try EquivariantModel(configuration: ModelConfiguration(resolution: 32, featureChannels: 4, baseChannels: 4, groups: 2,
                                                                            variant: "given", renderer: .layered), seed: 2)
        let copied = try target.copyEncodersAndRenderer(from: source)
        let shared = { (m: EquivariantModel) in m.parameters.filter { p in !m.transform.parameters.contains { $0 === p } } }
        XCTAssertEqual(copied, shared(source).count, "every tensor of f, h, g and α")
        XCTAssertEqual(shared(target).map(\.value), shared(source).map(\.value))
        var frames = Tensor(shape: [1, 3, 32, 32], repeating: 0.5)
        for i in 0..<frames.count { frames.scalars[i] = Float(i % 7) / 7 }
        XCTAssertEqual(try target.reconstruct(frames).shape, [1, 3, 32, 32])
    }

    /// Weights are matched by name: a renderer with residual blocks takes everything a plain
    /// model has and keeps its blocks' own weights.
    func testARendererWithBlocksTakesTheSharedLayers() throws {
        let source = try ModelFixtures.tinyModel("given", seed: 1, renderer: .layered)
        let target = try ModelFixtures.tinyModel("given", seed: 2, renderer: .layered, rendererBlocks: 2)
        let blockParameters = target.renderer.parameters.filter { $0.name.hasPrefix("g.res") }
        XCTAssertEqual(blockParameters.count, 2 * 8, "two blocks of conv, norm, conv, norm (weights and biases, scales and shifts)")
        let blocksBefore = blockParameters.map(\.value)
        let copied = try target.copyEncodersAndRenderer(from: source)
        XCTAssertEqual(copied, source.characterEncoder.parameters.count + source.backgroundEncoder.parameters.count
                       + source.renderer.parameters.count + source.coverage!.parameters.count, "every tensor of the plain model's f, h, g and α")
        XCTAssertEqual(blockParameters.map(\.value), blocksBefore)
        for p in source.renderer.parameters {
            XCTAssertEqual(target.renderer.parameters.first { $0.name == p.name }?.value, p.value, p.name)
        }
        // The new blocks start close to the identity: the render moves only a little.
        let frames = ModelGradientTests.batch(seed: 3).frames
        let a = try source.reconstruct(frames), b = try target.reconstruct(frames)
        let change = zip(a.scalars, b.scalars).map { abs($0 - $1) }.max()!
        XCTAssertGreaterThan(change, 0)
        XCTAssertLessThan(change, 0.2)
    }

    func testALayeredModelTakesTheCoverageHeadToo() throws {
        let source = try ModelFixtures.tinyModel("given", seed: 1, renderer: .layered)
        let target = try ModelFixtures.tinyModel("pixels", seed: 2, renderer: .layered)
        let copied = try target.copyEncodersAndRenderer(from: source)
        XCTAssertEqual(copied, source.characterEncoder.parameters.count + source.backgroundEncoder.parameters.count
                       + source.renderer.parameters.count + source.coverage!.parameters.count)
        let frames = ModelGradientTests.batch(seed: 3).frames
        XCTAssertEqual(try target.reconstruct(frames), try source.reconstruct(frames), "the same composite, α included")
        // An additive source leaves a layered target's coverage head as it was.
        let additive = try ModelFixtures.tinyModel("given", seed: 4)
        let before = target.coverage!.parameters.map(\.value)
        try target.copyEncodersAndRenderer(from: additive)
        XCTAssertEqual(target.coverage!.parameters.map(\.value), before)
    }
}

/// The layered renderer: saved and loaded with its coverage head; the composite blends the
/// two renders by α and falls back to g(c + b) where α = 1.
final class LayeredRendererTests: XCTestCase {
    func testCheckpointRoundTripKeepsTheRenderer() throws {
        let model = try ModelFixtures.tinyModel("features", seed: 4, renderer: .layered)
        XCTAssertNotNil(model.coverage)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("eqr-layered-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Checkpoint.save(model, to: url)
        let loaded = try Checkpoint.load(contentsOf: url)
        XCTAssertEqual(loaded.model.configuration.renderer, .layered)
        XCTAssertEqual(loaded.metadata["renderer"], "layered")
        let frames = randomTensor([2, 3, 16, 16], seed: 3, range: 0...1)
        XCTAssertEqual(try loaded.model.reconstruct(frames), try model.reconstruct(frames))
        // An additive model has no coverage head and its composite is g(c + b).
        let additive = try ModelFixtures.tinyModel("features", seed: 4)
        XCTAssertNil(additive.coverage)
        let c = try additive.encodeCharacter(frames), b = try additive.encodeBackground(frames)
        XCTAssertEqual(additive.compose(character: c, background: b), additive.render(c + b))
    }

    func testCheckpointRoundTripKeepsTheRendererBlocksAndFeatureStride() throws {
        let model = try ModelFixtures.tinyModel("given", seed: 5, renderer: .layered, rendererBlocks: 2, featureStride: 2)
        XCTAssertEqual(try model.encodeCharacter(randomTensor([1, 3, 16, 16], seed: 1, range: 0...1)).coarse.shape, [1, 4, 8, 8], "features at R/2")
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("eqr-blocks-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Checkpoint.save(model, to: url)
        let loaded = try Checkpoint.load(contentsOf: url)
        XCTAssertEqual(loaded.model.configuration.rendererBlocks, 2)
        XCTAssertEqual(loaded.model.configuration.featureStride, 2)
        XCTAssertEqual(loaded.metadata["renderer_blocks"], "2")
        XCTAssertEqual(loaded.metadata["feature_stride"], "2")
        let frames = randomTensor([2, 3, 16, 16], seed: 6, range: 0...1)
        XCTAssertEqual(try loaded.model.reconstruct(frames), try model.reconstruct(frames))
        // A plain renderer writes no key, so its files stay as before.
        try Checkpoint.save(try ModelFixtures.tinyModel("given", seed: 5), to: url)
        let plain = try Checkpoint.load(contentsOf: url)
        XCTAssertNil(plain.metadata["renderer_blocks"])
        XCTAssertNil(plain.metadata["feature_stride"])
        XCTAssertEqual(plain.model.configuration.featureStride, 4)
        XCTAssertThrowsError(try ModelConfiguration(variant: "given", featureStride: 3).validate()) { XCTAssertTrue("\($0)".contains("feature stride"), "\($0)") }
        XCTAssertThrowsError(try ModelConfiguration(variant: "given", rendererBlocks: 17).validate()) { XCTAssertTrue("\($0)".contains("renderer blocks"), "\($0)") }
    }

    func testCheckpointRoundTripKeepsTheFrameSizeBlocks() throws {
        let model = try ModelFixtures.tinyModel("given", seed: 7, renderer: .layered, frameSizeBlocks: 2)
        XCTAssertEqual(model.renderer.tail.parameters.count, try ModelFixtures.tinyModel("given", seed: 7, renderer: .layered).renderer.tail.parameters.count + 2 * 8,
                       "two blocks of two convolutions and two norms at the frame's size")
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("eqr-frame-blocks-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Checkpoint.save(model, to: url)
        let loaded = try Checkpoint.load(contentsOf: url)
        XCTAssertEqual(loaded.model.configuration.frameSizeBlocks, 2)
        XCTAssertEqual(loaded.metadata["frame_size_blocks"], "2")
        XCTAssertTrue(loaded.metadata["architecture"]?.contains("g.full2.conv2") == true, "the architecture lists the blocks")
        let frames = randomTensor([2, 3, 16, 16], seed: 8, range: 0...1)
        XCTAssertEqual(try loaded.model.reconstruct(frames), try model.reconstruct(frames))
        try Checkpoint.save(try ModelFixtures.tinyModel("given", seed: 7), to: url)
        XCTAssertNil(try Checkpoint.load(contentsOf: url).metadata["frame_size_blocks"], "none: no key, files as before")
        XCTAssertThrowsError(try ModelConfiguration(variant: "given", frameSizeBlocks: 5).validate()) { XCTAssertTrue("\($0)".contains("frame-size blocks"), "\($0)") }
    }

    func testBlendIsTheCoverageWeightedMix() {
        let front = Tensor(shape: [1, 2, 1, 2], scalars: [1, 1, 1, 1]), back = Tensor(shape: [1, 2, 1, 2], scalars: [0, 0, 0, 0])
        let alpha = Tensor(shape: [1, 1, 1, 2], scalars: [0.25, 1])
        XCTAssertEqual(EquivariantModel.blend(front, back, coverage: alpha).scalars, [0.25, 1, 0.25, 1])
    }
}

/// Two-level models: f and h also emit a fine level at R, warped by the same θ_z and joined
/// into g and the coverage head at R.
final class FineLevelTests: XCTestCase {
    /// Moves a model's fine heads off their zero start, so the fine level changes the output.
    static func wakeFineLevel(_ model: EquivariantModel, seed: UInt64) {
        for p in model.parameters where p.name.hasSuffix(".fine.weight") || p.name.hasSuffix(".fine.bias") {
            p.value = randomTensor(p.value.shape, seed: seed, range: -0.2...0.2)
        }
    }

    func testTheLevelsHaveTheirSizesAndTheFlatLayoutRoundTrips() throws {
        let model = try ModelFixtures.tinyModel("features", renderer: .layered, featureStride: 2, fineLevel: true)
        let c = model.configuration
        XCTAssertEqual(c.featureShapes, [[1, 4, 8, 8], [1, 4, 16, 16]])
        XCTAssertEqual(c.featureCount, 4 * 8 * 8 + 4 * 16 * 16)
        Self.wakeFineLevel(model, seed: 3)
        let maps = try model.encodeCharacter(randomTensor([1, 3, 16, 16], seed: 1, range: 0...1))
        XCTAssertEqual(maps.coarse.shape, [1, 4, 8, 8])
        XCTAssertEqual(maps.fine?.shape, [1, 4, 16, 16])
        XCTAssertEqual(maps.count, c.featureCount)
        XCTAssertEqual(FeatureMaps(shapes: c.featureShapes, scalars: maps.scalars), maps)
        XCTAssertEqual(Array(maps.scalars.prefix(maps.coarse.count)), maps.coarse.scalars, "the coarse level first")
        // Both levels move with the same θ: a half-frame shift moves each by half its width.
        let shift = Tensor(shape: [1, 6], scalars: [1, 0, 1, 0, 1, 0])
        let moved = model.warpFeatures(maps, theta: shift)
        for level in [moved.coarse, moved.fine!] {
            let side = level.shape[3]
            XCTAssertEqual(level.scalars[side - 1], 0, "the right half is outside the input (zero padding)")
        }
        XCTAssertEqual(moved.fine!.scalars[0], maps.fine!.scalars[8], "fine: the sample 8 columns (half of 16) to the right")
        XCTAssertEqual(moved.coarse.scalars[0], maps.coarse.scalars[4], "coarse: the sample 4 columns (half of 8) to the right")
        // A one-level model's maps have no fine level.
        XCTAssertNil(try ModelFixtures.tinyModel("features").encodeCharacter(randomTensor([1, 3, 16, 16], seed: 1, range: 0...1)).fine)
    }

    func testAFineLevelStartsAsTheModelWhoseWeightsItTakes() throws {
        let source = try ModelFixtures.tinyModel("given", seed: 1, renderer: .layered, rendererBlocks: 1, featureStride: 2)
        let target = try ModelFixtures.tinyModel("given", seed: 2, renderer: .layered, rendererBlocks: 1, featureStride: 2, fineLevel: true)
        try target.copyEncodersAndRenderer(from: source)
        let frames = ModelGradientTests.batch(seed: 3).frames
        XCTAssertEqual(try target.reconstruct(frames), try source.reconstruct(frames), "a zero fine level adds nothing")
        Self.wakeFineLevel(target, seed: 4)
        XCTAssertNotEqual(try target.reconstruct(frames), try source.reconstruct(frames), "the fine level reaches the output")
    }

    func testCheckpointRoundTripKeepsTheFineLevel() throws {
        let model = try ModelFixtures.tinyModel("features", seed: 5, renderer: .layered, featureStride: 2, fineLevel: true)
        Self.wakeFineLevel(model, seed: 6)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eqr-fine-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("m.safetensors")
        try Checkpoint.save(model, to: url)
        let loaded = try Checkpoint.load(contentsOf: url)
        XCTAssertTrue(loaded.model.configuration.fineLevel)
        XCTAssertEqual(loaded.metadata["fine_level"], "true")
        let frames = ModelGradientTests.batch(seed: 7).frames
        XCTAssertEqual(try loaded.model.reconstruct(frames), try model.reconstruct(frames))
        // A one-level file does not say it; an unreadable value is refused by name.
        let plain = directory.appendingPathComponent("plain.safetensors")
        try Checkpoint.save(try ModelFixtures.tinyModel("features"), to: plain)
        XCTAssertNil(try Checkpoint.load(contentsOf: plain).metadata["fine_level"])
        var file = try SafeTensors.read(contentsOf: url)
        file.metadata["fine_level"] = "yes"
        let bad = directory.appendingPathComponent("bad.safetensors")
        try SafeTensors.write(file.tensors, metadata: file.metadata, to: bad)
        XCTAssertThrowsError(try Checkpoint.load(contentsOf: bad)) { XCTAssertTrue("\($0)".contains("'fine_level' must be true or false, got 'yes'"), "\($0)") }
    }
}

