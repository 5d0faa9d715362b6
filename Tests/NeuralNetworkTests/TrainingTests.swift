import NeuralNetwork
import Tensors
import XCTest

final class TrainingTests: XCTestCase {
    /// Forward, backward and Adam together: the toy model's loss falls by a large factor.
    func testToyModelLossFallsByALargeFactor() {
        let task = ToyTask(seed: 42)
        var first: [Float] = [], last: [Float] = []
        for step in 0..<400 {
            let loss = task.step()
            if step < 10 { first.append(loss) }
            if step >= 390 { last.append(loss) }
        }
        let start = first.reduce(0, +) / 10, end = last.reduce(0, +) / 10
        print("toy task: mean loss of steps 0-9 \(start), of steps 390-399 \(end), ratio \(start / end)")
        XCTAssertGreaterThan(start / end, 10, "loss fell only from \(start) to \(end)")
    }

    /// Same seed, same thread count: the same loss curve, bit for bit.
    func testTrainingIsDeterministic() {
        let a = ToyTask(seed: 5), b = ToyTask(seed: 5)
        let curveA = (0..<15).map { _ in a.step() }, curveB = (0..<15).map { _ in b.step() }
        XCTAssertEqual(curveA, curveB)
        XCTAssertNotEqual(curveA, (0..<15).map { _ in ToyTask(seed: 6).step() })
    }

    /// Adam's first step moves every parameter by ≈ the learning rate (bias correction).
    func testAdamFirstStepHasLearningRateMagnitude() {
        let p = Parameter(name: "p", value: Tensor(shape: [3], scalars: [1, 2, 3]))
        p.gradient = Tensor(shape: [3], scalars: [0.001, -50, 3])
        let adam = Adam(parameters: [p], learningRate: 0.1)
        adam.step()
        XCTAssertEqual(p.value.scalars[0], 0.9, accuracy: 1e-4)
        XCTAssertEqual(p.value.scalars[1], 2.1, accuracy: 1e-4)
        XCTAssertEqual(p.value.scalars[2], 2.9, accuracy: 1e-4)
        XCTAssertEqual(adam.state.step, 1)
    }

    /// Adam minimises a quadratic, and groups apply their own learning rates.
    func testAdamMinimisesAQuadraticWithGroups() {
        let fast = Parameter(name: "fast", value: Tensor(shape: [2], scalars: [3, -2]))
        let frozen = Parameter(name: "frozen", value: Tensor(shape: [1], scalars: [5]))
        let adam = Adam(groups: [.init(parameters: [fast], learningRate: 0.05), .init(parameters: [frozen], learningRate: 0)])
        for _ in 0..<500 {
            adam.zeroGradients()
            fast.gradient = fast.value * 2  // d/dx of x²
            frozen.gradient = frozen.value * 2
            adam.step()
        }
        XCTAssertLessThan(abs(fast.value.scalars[0]) + abs(fast.value.scalars[1]), 0.05)
        XCTAssertEqual(frozen.value.scalars[0], 5)
    }
}
