import EquivariantModel
import Tensors
import TestSupport
import Training
import XCTest

/// The full-resolution rows of `eqr eval`: every row in both settings, at 4× the model's
/// size, and the composite far above the model's rendering scaled up.
final class FullResolutionEvaluationTests: XCTestCase {
    func testRowsAndTheirOrder() throws {
        let model = try ModelFixtures.smallModel("given")
        let world = SceneWorld(resolution: 32, worldSeed: 0, trainedBackgrounds: 4, characters: 4, backgroundImages: nil)
        let result = try FullResolutionEvaluation.run(model: model, world: world, clips: 1, frames: 12)
        XCTAssertEqual(Set(result.keys), ["trained", "unseen"])
        for (setting, rows) in result {
            XCTAssertEqual(Set(rows.keys), Set(FullResolutionEvaluation.rows.map(\.key)), setting)
            let composite = rows["swap_composite"]!.psnr, model = rows["swap_model"]!.psnr, paste = rows["baseline_paste_background"]!.psnr
            XCTAssertGreaterThan(composite, model + 5, "\(setting): composite \(composite) dB, untrained model's rendering \(model) dB")
            XCTAssertGreaterThan(composite, paste, setting)
        }
        var wrongSize = world
        wrongSize.resolution = 64
        XCTAssertThrowsError(try FullResolutionEvaluation.run(model: model, world: wrongSize))
        XCTAssertThrowsError(try FullResolutionEvaluation.run(model: model, world: world, clips: 0))
    }
}
