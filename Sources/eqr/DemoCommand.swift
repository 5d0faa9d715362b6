import ArgumentParser
import NeuralNetwork

/// `eqr demo`: trains the toy network and prints its loss falling (a smoke test of the
/// whole neural-network core on this machine).
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Train the toy conv network for a few hundred steps and print the loss.")

    @Option(help: "Optimisation steps.") var steps = 300
    @Option(help: "Random seed for weights and data.") var seed: UInt64 = 42
    @Option(help: "Print the loss every this many steps.") var every = 25

    func validate() throws {
        guard steps > 0 else { throw ValidationError("--steps must be positive, got \(steps)") }
        guard every > 0 else { throw ValidationError("--every must be positive, got \(every)") }
    }

    func run() throws {
        let task = ToyTask(seed: seed)
        let clock = ContinuousClock()
        let start = clock.now
        print("toy task: shift soft blobs 2 px right, \(task.batchSize)×3×\(task.size)×\(task.size) per step, Adam")
        var window: [Float] = []
        for step in 1...steps {
            let loss = task.step()
            window.append(loss)
            if step % every == 0 || step == steps {
                let mean = window.reduce(0, +) / Float(window.count)
                print("step \(step)  mse \(formatted(mean))")
                window.removeAll()
            }
        }
        let seconds = (clock.now - start).secondsDouble
        let final = task.optimizer.state.step
        print("trained \(final) steps in \(formatted(Float(seconds))) s (\(formatted(Float(Double(final * task.batchSize) / seconds))) samples/s)")
    }
}

extension Duration {
    /// The duration in seconds.
    var secondsDouble: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) * 1e-18
    }
}

/// A float with four significant digits.
func formatted(_ value: Float) -> String {
    let magnitude = abs(value)
    if magnitude != 0 && (magnitude < 1e-3 || magnitude >= 1e5) {
        let exponent = Int(log10(Double(magnitude)).rounded(.down))
        let mantissa = Double(value) / pow(10, Double(exponent))
        return "\((mantissa * 1000).rounded() / 1000)e\(exponent)"
    }
    return "\((Double(value) * 10000).rounded() / 10000)"
}

#if canImport(Glibc)
import Glibc
#endif
