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

    /// A mixed world: photo crops and procedural backgrounds train together, the unseen photos
    /// and the procedural world's unseen backgrounds are kept for the evaluation, and the last
    /// characters keep their procedural colours.
    func testProceduralBackgroundsAndCharactersMixWithPhotos() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eqr-mixed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let side = 16
        let colours: [(String, UInt8, UInt8, UInt8)] = [("a.png", 200, 30, 90), ("b.png", 10, 240, 120), ("c.png", 70, 70, 250)]
        for (name, red, green, blue) in colours {
            try ImageFile.write(try Frame(width: 20, height: 20, red: red, green: green, blue: blue), to: directory.appendingPathComponent(name).path)
        }
        let plain = SceneWorld(resolution: side, worldSeed: 5, trainedBackgrounds: 4, characters: 4, backgroundImages: nil)
        var mixed = SceneWorld(resolution: side, worldSeed: 5, trainedBackgrounds: 2, characters: 4, backgroundImages: directory.path,
                               characterImages: directory.path)
        mixed.proceduralBackgrounds = 5
        mixed.proceduralCharacters = 2
        let procedural = try plain.makeGenerator(), generator = try mixed.makeGenerator()
        let unseenProcedural = SceneGenerator.Configuration().unseenBackgroundCount
        XCTAssertEqual(generator.configuration.trainedBackgroundCount, 2 + 5)
        XCTAssertEqual(generator.configuration.unseenBackgroundCount, 1 + unseenProcedural)
        XCTAssertEqual(generator.backgroundIndices(for: .unseenBackgrounds), Array(7..<(8 + unseenProcedural)))
        let plane = side * side
        func isFlat(_ image: Tensor, _ colour: (String, UInt8, UInt8, UInt8)) -> Bool {
            let expected = [colour.1, colour.2, colour.3].map { Float($0) / 255 }
            return (0..<3).allSatisfy { c in image.scalars[(c * plane)..<((c + 1) * plane)].allSatisfy { abs($0 - expected[c]) < 1e-6 } }
        }
        // Trained: the two photos, then procedural backgrounds 0..<5.
        XCTAssertTrue(isFlat(generator.backgrounds.background(at: 0), colours[0]))
        XCTAssertTrue(isFlat(generator.backgrounds.background(at: 1), colours[1]))
        for index in 0..<5 {
            XCTAssertEqual(generator.backgrounds.background(at: 2 + index), procedural.backgrounds.background(at: index), "procedural \(index)")
        }
        // Unseen: the third photo, then the procedural world's unseen backgrounds.
        XCTAssertTrue(isFlat(generator.backgrounds.background(at: 7), colours[2]))
        let offset = SceneGenerator.unseenBackgroundIndexOffset
        XCTAssertEqual(generator.backgrounds.background(at: 8), procedural.backgrounds.background(at: offset))
        XCTAssertEqual(generator.backgrounds.background(at: 7 + unseenProcedural), procedural.backgrounds.background(at: offset + unseenProcedural - 1))
        // Characters 0 and 1 take photos' colours, 2 and 3 stay as the procedural world draws them.
        for index in 0..<4 {
            let layer = generator.characters.layer(at: index), original = procedural.characters.layer(at: index)
            XCTAssertEqual(Array(layer.scalars[(3 * plane)...]), Array(original.scalars[(3 * plane)...]), "character \(index) keeps its shape")
            if index < 2 {
                XCTAssertEqual(layer.scalars[0], Float(colours[index].1) / 255, accuracy: 1e-6)
                XCTAssertNotEqual(layer.scalars[0..<plane], original.scalars[0..<plane])
            } else {
                XCTAssertEqual(layer, original, "character \(index) keeps its colours")
            }
        }
        // The metadata brings the mix back.
        let metadata = mixed.metadata()
        XCTAssertEqual(metadata["procedural_backgrounds"], "5")
        XCTAssertEqual(metadata["procedural_characters"], "2")
        XCTAssertNil(plain.metadata()["procedural_backgrounds"])
        let file = directory.appendingPathComponent("m.safetensors")
        try Checkpoint.save(try ModelFixtures.tinyModel("given"), metadata: metadata, to: file)
        let read = SceneWorld(checkpoint: try Checkpoint.load(contentsOf: file), checkpointFolder: directory)
        XCTAssertEqual(read.proceduralBackgrounds, 5)
        XCTAssertEqual(read.proceduralCharacters, 2)
        // Counts that do not fit are refused with their reason.
        var noPhotos = plain
        noPhotos.proceduralBackgrounds = 3
        XCTAssertThrowsError(try noPhotos.makeGenerator()) { XCTAssertTrue("\($0)".contains("--background-images"), "\($0)") }
        var allProcedural = mixed
        allProcedural.proceduralCharacters = 4
        XCTAssertThrowsError(try allProcedural.makeGenerator()) { XCTAssertTrue("\($0)".contains("leaves none for the photos"), "\($0)") }
    }
}
