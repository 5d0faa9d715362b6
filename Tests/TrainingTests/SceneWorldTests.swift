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
}
