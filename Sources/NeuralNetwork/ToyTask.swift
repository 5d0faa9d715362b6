import Tensors

#if canImport(Glibc)
import Glibc
#endif

/// A small, fixed learning problem that exercises every layer kind: a conv
/// encoder–decoder learns to redraw random soft blobs shifted by two pixels to the right.
///
/// Used by the smoke demo (`eqr demo`) and by the tests to show that forward, backward and
/// Adam train together: the loss must fall by a large factor in a few hundred steps.
public final class ToyTask {
    /// The network being trained.
    public let network: Sequential
    /// The optimiser.
    public let optimizer: Adam
    /// Images per step.
    public let batchSize: Int
    /// Image side in pixels.
    public let size: Int
    private var dataGenerator: SeededGenerator

    /// Creates the network and optimiser from `seed`.
    public init(seed: UInt64, batchSize: Int = 8, size: Int = 16, learningRate: Float = 3e-3) {
        var g = SeededGenerator(seed: seed)
        network = Sequential([
            Conv2D(inputChannels: 3, outputChannels: 16, kernelSize: 3, stride: 1, padding: 1, name: "enc1", generator: &g),
            GroupNorm(groups: 4, channels: 16, name: "norm1"),
            ReLU(),
            Conv2D(inputChannels: 16, outputChannels: 32, kernelSize: 3, stride: 2, padding: 1, name: "enc2", generator: &g),
            LeakyReLU(slope: 0.1),
            Upsample2x(mode: .bilinear),
            Conv2D(inputChannels: 32, outputChannels: 16, kernelSize: 3, stride: 1, padding: 1, name: "dec1", generator: &g),
            ReLU(),
            Conv2D(inputChannels: 16, outputChannels: 3, kernelSize: 1, name: "dec2", generator: &g),
            Sigmoid(),
        ])
        optimizer = Adam(parameters: network.parameters, learningRate: learningRate)
        self.batchSize = batchSize
        self.size = size
        dataGenerator = SeededGenerator(seed: seed ^ 0xDA7A)
    }

    /// A batch of inputs and their targets (the same blobs two pixels further right).
    public func makeBatch() -> (input: Tensor, target: Tensor) {
        var input = Tensor(shape: [batchSize, 3, size, size])
        var target = input
        for n in 0..<batchSize {
            for _ in 0..<3 {
                let cx = dataGenerator.nextFloat(in: 2...Float(size - 4)), cy = dataGenerator.nextFloat(in: 2...Float(size - 2))
                let radius = dataGenerator.nextFloat(in: 1.5...3.5)
                let color = (0..<3).map { _ in dataGenerator.nextUnitFloat() }
                for c in 0..<3 {
                    for y in 0..<size {
                        for x in 0..<size {
                            let i = ((n * 3 + c) * size + y) * size + x
                            let d2 = { (px: Float) in ((px - cx) * (px - cx) + (Float(y) - cy) * (Float(y) - cy)) / (radius * radius) }
                            input.scalars[i] = min(1, input.scalars[i] + color[c] * expf(-d2(Float(x))))
                            target.scalars[i] = min(1, target.scalars[i] + color[c] * expf(-d2(Float(x) - 2)))
                        }
                    }
                }
            }
        }
        return (input, target)
    }

    /// One optimisation step on a fresh batch; returns the batch's mean squared error.
    @discardableResult
    public func step() -> Float {
        let (input, target) = makeBatch()
        optimizer.zeroGradients()
        let tape = Tape()
        let output = network.forward(input, tape: tape)
        let (loss, gradient) = Loss.meanSquaredError(output, target)
        network.backwardParameters(gradient, tape: tape)
        optimizer.step()
        return loss
    }
}
