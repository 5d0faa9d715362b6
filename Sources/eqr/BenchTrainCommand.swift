import ArgumentParser
import EquivariantModel
import Foundation
import ProcessSettings
import Tensors
import Training

/// `eqr bench train`: training pairs/s of the shipped training step (the `features` variant
/// as `eqr train` builds it), and, given a Python with PyTorch, the same step of the PyTorch
/// mirror in `examples/bench/torch_peer.py`, run in the same invocation, with the ratio.
struct BenchTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Measure training pairs/s, optionally against a PyTorch mirror of the same step.")

    @Option(parsing: .unconditional, help: "Model resolution.") var resolution = 64
    @Option(parsing: .unconditional, help: "Training pairs per step.") var batch = 16
    @Option(parsing: .unconditional, help: "Timed steps (after 3 untimed ones).") var steps = 20
    @Option(parsing: .unconditional, help: "Rounds: eqr and the peer take turns this many times; the medians are compared (a shared machine's speed drifts).")
    var rounds = 1
    @Option(help: "A Python interpreter with torch installed: also time examples/bench/torch_peer.py with it.") var peerPython: String?
    @Option(help: "The mirror script.") var peerScript = "examples/bench/torch_peer.py"
    @OptionGroup var threads: ThreadOptions
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard steps >= 1, steps <= 10_000 else { throw ValidationError("--steps must be in 1...10000, got \(steps)") }
        guard batch >= 1, batch <= 1024 else { throw ValidationError("--batch must be in 1...1024, got \(batch)") }
        guard rounds >= 1, rounds <= 100 else { throw ValidationError("--rounds must be in 1...100, got \(rounds)") }
        if peerPython != nil, !FileManager.default.fileExists(atPath: peerScript) {
            throw ValidationError("--peer-script \(peerScript) not found (run from the repository root or pass its path)")
        }
    }

    struct Report: Encodable {
        var blas_kernel: String
        var threads: Int
        var resolution: Int
        var batch: Int
        var steps: Int
        var parameters: Int
        var eqr_pairs_per_second: Double
        /// Every round's figure (the median is `eqr_pairs_per_second`).
        var eqr_rounds: [Double]
        var peer_rounds: [Double]?
        var peer: Peer?
        var ratio_eqr_to_peer: Double?
    }

    struct Peer: Codable {
        var framework: String
        var threads: Int
        var parameters: Int
        var pairs_per_second: Double
    }

    func run() throws {
        threads.apply()
        let model = try EquivariantModel(configuration: ModelConfiguration(resolution: resolution, variant: FeaturesTransform.name, transformOutput: .bounded), seed: 1)
        let trainer = try Trainer(model: model)
        let world = SceneWorld(resolution: resolution, worldSeed: 0, trainedBackgrounds: 8, characters: 8, backgroundImages: nil)
        let data = SyntheticTrainingData(generator: try world.makeGenerator(), seed: 1)
        // One batch, generated before the clock starts (the data does not change the work).
        let pairs = try data.batch(step: 0, size: batch)
        for _ in 0..<3 { try trainer.train(on: pairs) }
        var eqrRounds: [Double] = [], peers: [Peer] = []
        for _ in 0..<rounds {
            let clock = ContinuousClock(), start = clock.now
            for _ in 0..<steps { try trainer.train(on: pairs) }
            eqrRounds.append(Double(steps * batch) / (clock.now - start).inSeconds)
            if let peerPython {
                let peer = try runPeer(peerPython)
                guard peer.parameters == model.parameterCount else {
                    throw RuntimeError("the PyTorch mirror has \(peer.parameters) parameters, eqr's network \(model.parameterCount): the mirror is out of step with the network; update \(peerScript)")
                }
                peers.append(peer)
            }
        }
        var report = Report(blas_kernel: ProcessSettings.blasKernelSummary, threads: Parallel.workerCount, resolution: resolution, batch: batch, steps: steps,
                            parameters: model.parameterCount, eqr_pairs_per_second: Self.median(eqrRounds), eqr_rounds: eqrRounds)
        if var peer = peers.first {
            let peerRounds = peers.map(\.pairs_per_second)
            peer.pairs_per_second = Self.median(peerRounds)
            report.peer = peer
            report.peer_rounds = peerRounds
            report.ratio_eqr_to_peer = report.eqr_pairs_per_second / peer.pairs_per_second
        }
        if json {
            try printJSON(report)
        } else {
            print(report.blas_kernel)
            let median = rounds > 1 ? "median of \(rounds) rounds, " : ""
            print(String(format: "eqr: %.1f pairs/s (%@features %d×%d, batch %d, %d threads, %d parameters)",
                         report.eqr_pairs_per_second, median, resolution, resolution, batch, report.threads, report.parameters))
            if let peer = report.peer, let ratio = report.ratio_eqr_to_peer {
                print(String(format: "%@: %.1f pairs/s (%@same network and step); eqr/peer = %.2f", peer.framework, peer.pairs_per_second, median, ratio))
            }
            if rounds > 1 {
                let list = { (values: [Double]) in values.map { String(format: "%.1f", $0) }.joined(separator: " ") }
                print("rounds, eqr: \(list(eqrRounds))" + (report.peer_rounds.map { "; peer: \(list($0))" } ?? ""))
            }
        }
    }

    /// The middle value (the mean of the two middle ones for an even count).
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted(), middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// Runs the mirror with the same sizes and thread count and decodes its JSON line.
    func runPeer(_ python: String) throws -> Peer {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [peerScript, "--resolution", "\(resolution)", "--batch", "\(batch)", "--steps", "\(steps)", "--threads", "\(Parallel.workerCount)"]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch { throw RuntimeError("cannot run \(python): \(error.localizedDescription)") }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let messages = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
              let peer = try? JSONDecoder().decode(Peer.self, from: Data(line.utf8)) else {
            throw RuntimeError("the PyTorch mirror failed (\(python) \(peerScript)): \(String(decoding: messages, as: UTF8.self).suffix(400))")
        }
        return peer
    }
}
