import EquivariantModel
import Foundation
import SyntheticScenes
import TestSupport
import Training
import XCTest

final class TrainingRunTests: XCTestCase {
    static func data(seed: UInt64 = 7) throws -> SyntheticTrainingData {
        SyntheticTrainingData(generator: try SceneGenerator(SceneGenerator.Configuration(resolution: 32, trainedBackgroundCount: 4, characterCount: 4)), seed: seed)
    }

    /// Stopping at a checkpoint and resuming reproduces the uninterrupted run bit for bit.
    func testResumeIsBitForBitTheUninterruptedRun() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eqr-resume-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func options(steps: Int, name: String) -> TrainingRun.Options {
            var o = TrainingRun.Options()
            o.batchSize = 4
            o.totalSteps = steps
            o.checkpointEvery = 3
            o.logEvery = 1
            o.checkpointURL = directory.appendingPathComponent(name)
            return o
        }
        let straight = try Trainer(model: try ModelFixtures.smallModel("pixels", seed: 2))
        let straightLog = try TrainingRun(trainer: straight, data: try Self.data(), options: options(steps: 6, name: "a.safetensors")).run()

        let first = try Trainer(model: try ModelFixtures.smallModel("pixels", seed: 2))
        _ = try TrainingRun(trainer: first, data: try Self.data(), options: options(steps: 3, name: "b.safetensors")).run()
        let saved = try Checkpoint.load(contentsOf: directory.appendingPathComponent("b.safetensors"))
        let resumed = try Trainer(model: saved.model)
        resumed.optimizer.state = try XCTUnwrap(saved.optimizerState)
        let resumedLog = try TrainingRun(trainer: resumed, data: try Self.data(), options: options(steps: 6, name: "c.safetensors")).run()

        XCTAssertEqual(resumedLog.map(\.report), Array(straightLog.suffix(3)).map(\.report))
        for (a, b) in zip(straight.model.parameters, resumed.model.parameters) { XCTAssertEqual(a.value, b.value, a.name) }
        XCTAssertEqual(straight.optimizer.state, resumed.optimizer.state)
    }
}
