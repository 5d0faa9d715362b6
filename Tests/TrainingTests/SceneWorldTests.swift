import EquivariantModel
import Foundation
import SyntheticScenes
import Tensors
import TestSupport
import Training
import VideoIO
import XCTest

/// Photo-textured characters: each keeps its procedural shape and takes a photo's colours,
/// and the world is rebuilt from a checkpoint's metadata.
final class SceneWorldTests: XCTestCase {
    func testCharacterImagesTextureTheProceduralShapes() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eqr-world-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let side = 16
        // Two flat photos, so the scaled colours are known exactly.
        try ImageFile.write(try Frame(width: 24, height: 20, red: 200, green: 30, blue: 90), to: directory.appendingPathComponent("a.png").path)
        try ImageFile.write(try Frame(width: 24, height: 20, red: 10, green: 240, blue: 120), to: directory.appendingPathComponent("b.png").path)
        let plain = SceneWorld(resolution: side, worldSeed: 3, trainedBackgrounds: 4, characters: 3, backgroundImages: nil)
        var textured = plain
        textured.characterImages = directory.path
        let procedural = try plain.makeGenerator(), photo = try textured.makeGenerator()
        let plane = side * side
        for index in 0..<3 {
            let expected: [Float] = index % 2 == 0 ? [200, 30, 90] : [10, 240, 120]
            let layer = photo.characters.layer(at: index), shape = procedural.characters.layer(at: index)
            XCTAssertEqual(Array(layer.scalars[(3 * plane)...]), Array(shape.scalars[(3 * plane)...]), "character \(index) keeps its shape")
            for channel in 0..<3 {
                let values = layer.scalars[(channel * plane)..<((channel + 1) * plane)]
                XCTAssertEqual(values.min()!, expected[channel] / 255, accuracy: 1e-6)
                XCTAssertEqual(values.max()!, expected[channel] / 255, accuracy: 1e-6)
            }
        }
        // The backgrounds stay procedural, and the metadata brings the photos back.
        XCTAssertEqual(photo.backgrounds.background(at: 0), procedural.backgrounds.background(at: 0))
        XCTAssertEqual(textured.metadata()["character_images"], directory.standardizedFileURL.path)
        XCTAssertNil(plain.metadata()["character_images"])
        // Written next to the photos' folder, the checkpoint records them relative to itself,
        // and the world read back from that folder finds them again.
        let checkpointFolder = directory.deletingLastPathComponent().appendingPathComponent("models/v1")
        let recorded = textured.metadata(checkpointFolder: checkpointFolder)["character_images"]
        XCTAssertEqual(recorded, "../../" + directory.lastPathComponent)
        try FileManager.default.createDirectory(at: checkpointFolder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: checkpointFolder.deletingLastPathComponent()) }
        let file = checkpointFolder.appendingPathComponent("m.safetensors")
        try Checkpoint.save(try ModelFixtures.tinyModel("given"), metadata: textured.metadata(checkpointFolder: checkpointFolder), to: file)
        let read = SceneWorld(checkpoint: try Checkpoint.load(contentsOf: file), checkpointFolder: checkpointFolder)
        XCTAssertEqual(read.characterImages, directory.standardizedFileURL.path)
        XCTAssertNil(read.backgroundImages)
        var empty = plain
        empty.characterImages = directory.appendingPathComponent("missing").path
        XCTAssertThrowsError(try empty.makeGenerator()) { XCTAssertTrue("\($0)".contains("no such file"), "\($0)") }
    }

    /// Crops multiply the backgrounds a few photos give; every crop of a photo stays on its
    /// photo's side of the trained/unseen split, and each is the part of the photo (scaled to
    /// twice the frame) it names.
    func testBackgroundCropsComeFromTheTwiceSizedPhoto() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eqr-crops-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let side = 16
        // Photos already 2R×2R with a distinct colour in every quadrant.
        func quadrants(_ shift: UInt8) throws -> Frame {
            var rgb = [UInt8]()
            for y in 0..<(2 * side) { for x in 0..<(2 * side) { rgb += [x < side ? 40 + shift : 200, y < side ? 60 : 180 + shift, 90] } }
            return try Frame(width: 2 * side, height: 2 * side, rgb8: rgb)
        }
        for (name, shift) in [("a.png", UInt8(0)), ("b.png", UInt8(10)), ("c.png", UInt8(20))] {
            try ImageFile.write(try quadrants(shift), to: directory.appendingPathComponent(name).path)
        }
        var world = SceneWorld(resolution: side, worldSeed: 0, trainedBackgrounds: 2, characters: 2, backgroundImages: directory.path)
        world.backgroundCrops = 3
        let generator = try world.makeGenerator()
        XCTAssertEqual(generator.backgrounds.imageCount, 9)
        XCTAssertEqual(generator.configuration.trainedBackgroundCount, 6)
        XCTAssertEqual(generator.configuration.unseenBackgroundCount, 3)
        let plane = side * side
        // Crop 1 of photo a is its top-left quadrant: one colour.
        let corner = generator.backgrounds.background(at: 1)
        XCTAssertEqual(corner.scalars[0..<plane].min()!, 40 / 255, accuracy: 1e-6)
        XCTAssertEqual(corner.scalars[0..<plane].max()!, 40 / 255, accuracy: 1e-6)
        // Crop 0 is the centre: all four quadrants meet in it.
        let centre = generator.backgrounds.background(at: 0)
        XCTAssertEqual(centre.scalars[0], 40 / 255, accuracy: 1e-6)
        XCTAssertEqual(centre.scalars[plane - 1], 200 / 255, accuracy: 1e-6)
        // Crop 2 of photo c (index 8 = 2·3 + 2) is its top-right quadrant, on the unseen side.
        let unseen = generator.backgrounds.background(at: 8)
        XCTAssertEqual(unseen.scalars[0..<plane].min()!, 200 / 255, accuracy: 1e-6)
        XCTAssertEqual(unseen.scalars[plane..<(2 * plane)].max()!, 60 / 255, accuracy: 1e-6)
        XCTAssertEqual(world.metadata()["background_crops"], "3")
        world.backgroundCrops = 10
        XCTAssertThrowsError(try world.makeGenerator()) { XCTAssertTrue("\($0)".contains("crops"), "\($0)") }
    }
}
