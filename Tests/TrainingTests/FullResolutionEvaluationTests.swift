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
        XCTAssertEqual(Set(result.scores.keys), ["trained", "unseen"])
        for (setting, rows) in result.scores {
            XCTAssertEqual(Set(rows.keys), Set(FullResolutionEvaluation.rows.map(\.key)), setting)
            let composite = rows["swap_composite"]!.psnr, model = rows["swap_model"]!.psnr, paste = rows["baseline_paste_background"]!.psnr
            XCTAssertGreaterThan(composite, model + 5, "\(setting): composite \(composite) dB, untrained model's rendering \(model) dB")
            XCTAssertGreaterThan(composite, paste, setting)
            // The next frame from the character's own pixels moved by the true motion beats
            // copying the frame and the untrained model; so does the re-render.
            let predicted = rows["prediction_composite"]!.psnr, copy = rows["baseline_copy"]!.psnr
            XCTAssertGreaterThan(predicted, copy + 3, "\(setting): prediction \(predicted) dB, copy \(copy) dB")
            XCTAssertGreaterThan(predicted, rows["prediction_model"]!.psnr + 5, setting)
            XCTAssertGreaterThan(rows["rerender_composite"]!.psnr, rows["rerender_model"]!.psnr + 5, setting)
            // The matte agrees with the true mask; an additive model has no coverage row.
            let iou = try XCTUnwrap(result.matteIoU[setting])
            XCTAssertGreaterThan(iou["composite"]!, 0.5, setting)
            XCTAssertGreaterThan(iou["classical"]!, 0.3, setting)
            XCTAssertNil(iou["model_coverage"])
            // A swapped still background holds still (the truth does exactly).
            let change = try XCTUnwrap(result.backgroundChange[setting])
            XCTAssertLessThan(change["ground_truth"]!, 1e-4, "the truth moves only under α ≤ 0.02")
            XCTAssertLessThan(change["composite"]!, 0.003, setting)
        }
        // A layered model also reports its coverage.
        let layered = try FullResolutionEvaluation.run(model: try ModelFixtures.smallModel("given", renderer: .layered), world: world, clips: 1, frames: 4)
        XCTAssertNotNil(layered.matteIoU["trained"]?["model_coverage"])
        var wrongSize = world
        wrongSize.resolution = 64
        XCTAssertThrowsError(try FullResolutionEvaluation.run(model: model, world: wrongSize))
        XCTAssertThrowsError(try FullResolutionEvaluation.run(model: model, world: world, clips: 0))
    }
}
