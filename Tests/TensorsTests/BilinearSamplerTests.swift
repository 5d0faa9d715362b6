import Tensors
import XCTest

final class BilinearSamplerTests: XCTestCase {
    /// The convention written out one output element at a time, with a bounds check per
    /// neighbour: the sampler's fast paths must agree with it bit for bit.
    func reference(_ input: Tensor, theta: Tensor, outputSize: (Int, Int)) -> Tensor {
        let n = input.shape[0], c = input.shape[1], h = input.shape[2], w = input.shape[3]
        let (oh, ow) = outputSize
        var output = Tensor(shape: [n, c, oh, ow])
        for sample in 0..<n {
            let t = Array(theta.scalars[(sample * 6)..<(sample * 6 + 6)])
            for channel in 0..<c {
                func value(_ y: Int, _ x: Int) -> Float {
                    y >= 0 && y < h && x >= 0 && x < w ? input.scalars[((sample * c + channel) * h + y) * w + x] : 0
                }
                for i in 0..<oh {
                    let yo = Float(2 * i + 1) / Float(oh) - 1
                    for j in 0..<ow {
                        let xo = Float(2 * j + 1) / Float(ow) - 1
                        let xs = t[0] * xo + t[1] * yo + t[2], ys = t[3] * xo + t[4] * yo + t[5]
                        let rawX = ((xs + 1) * Float(w) - 1) / 2, rawY = ((ys + 1) * Float(h) - 1) / 2
                        let px = rawX.isNaN ? -2 : min(max(rawX, -2), Float(w) + 1)
                        let py = rawY.isNaN ? -2 : min(max(rawY, -2), Float(h) + 1)
                        let fx = px.rounded(.down), fy = py.rounded(.down)
                        let x0 = Int(fx), y0 = Int(fy), a = px - fx, b = py - fy
                        let v00 = value(y0, x0), v01 = value(y0, x0 + 1), v10 = value(y0 + 1, x0), v11 = value(y0 + 1, x0 + 1)
                        output.scalars[((sample * c + channel) * oh + i) * ow + j] =
                            (1 - b) * ((1 - a) * v00 + a * v01) + b * ((1 - a) * v10 + a * v11)
                    }
                }
            }
        }
        return output
    }

    /// Rotations, scales, shears and shifts that leave some samples inside, some straddling the
    /// border and some entirely outside, plus non-finite θ and input values.
    func cases() -> [(input: Tensor, theta: Tensor, outputSize: (Int, Int))] {
        var generator = SeededGenerator(seed: 31)
        var result: [(Tensor, Tensor, (Int, Int))] = []
        for (shape, outputSize) in [([3, 5, 17, 23], (17, 23)), ([2, 4, 8, 8], (3, 20)), ([1, 3, 9, 11], (13, 7)), ([4, 1, 1, 1], (2, 2))] {
            var input = Tensor(shape: shape, uniformIn: -1...1, generator: &generator)
            input.scalars[0] = .nan
            input.scalars[input.count - 1] = .infinity
            var theta = Tensor(shape: [shape[0], 6], uniformIn: -1.5...1.5, generator: &generator)
            theta.scalars.replaceSubrange(0..<6, with: [0.9, -0.2, 0.1, 0.2, 0.9, -0.05])
            if shape[0] > 1 { theta.scalars.replaceSubrange(6..<12, with: [0.3, 0, 1.6, 0, 0.3, -1.6]) }  // far outside
            if shape[0] > 2 { theta.scalars[13] = .nan; theta.scalars[17] = -.infinity }
            result.append((input, theta, outputSize))
        }
        return result
    }

    func testMatchesTheConventionBitForBit() {
        for (input, theta, outputSize) in cases() {
            let out = BilinearSampler.warp(input, theta: theta, outputSize: (height: outputSize.0, width: outputSize.1))
            let expected = reference(input, theta: theta, outputSize: outputSize)
            XCTAssertEqual(out.shape, expected.shape)
            XCTAssertEqual(out.scalars.map(\.bitPattern), expected.scalars.map(\.bitPattern), "input \(input.shape)")
        }
    }

    func testDefaultOutputSizeIsTheInputSizeAndThetaMayBeTwoByThree() {
        let (input, theta, _) = cases()[0]
        let out = BilinearSampler.warp(input, theta: theta.reshaped(to: [3, 2, 3]))
        XCTAssertEqual(out.scalars.map(\.bitPattern), reference(input, theta: theta, outputSize: (17, 23)).scalars.map(\.bitPattern))
    }

    func testResultDoesNotDependOnTheThreadCount() {
        let saved = Parallel.workerCount
        defer { Parallel.workerCount = saved }
        for (input, theta, outputSize) in cases() {
            let size = (height: outputSize.0, width: outputSize.1)
            Parallel.workerCount = 1
            let serial = BilinearSampler.warp(input, theta: theta, outputSize: size)
            Parallel.workerCount = 3
            let parallel = BilinearSampler.warp(input, theta: theta, outputSize: size)
            XCTAssertEqual(serial.scalars.map(\.bitPattern), parallel.scalars.map(\.bitPattern))
        }
    }
}
