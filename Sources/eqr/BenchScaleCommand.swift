import ArgumentParser
import Foundation
import ProcessSettings

/// `eqr bench scale`: training pairs/s (and, when the host renders across processes,
/// rendering frames/s) of Open MPI jobs of 1 and 2 processes on one thread each, and the
/// scaling efficiency, measured in one invocation.
struct BenchScaleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale", abstract: "Measure data-parallel training over Open MPI: 1 and 2 processes, one thread each.")

    @Option(help: "Model resolution of the training run.") var resolution = 64
    @Option(help: "Global batch (pairs per step, split among the processes).") var batch = 16
    @Option(help: "Timed training steps (after 3 untimed ones).") var steps = 30
    @Option(help: "Process counts to run (comma-separated).") var processes = "1,2"
    @Option(help: "The MPI launcher.") var mpirun = "/usr/bin/mpirun"
    @Flag(help: "Print one JSON object.") var json = false

    var processCounts: [Int] { processes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func validate() throws {
        guard steps >= 2, steps <= 10_000 else { throw ValidationError("--steps must be in 2...10000, got \(steps)") }
        let counts = processCounts
        guard !counts.isEmpty, counts.count == processes.split(separator: ",").count, counts.allSatisfy({ $0 >= 1 && $0 <= 64 }) else {
            throw ValidationError("--processes must be a comma-separated list of counts in 1...64, got \(processes)")
        }
        for count in counts where batch % count != 0 {
            throw ValidationError("--batch \(batch) does not split evenly among \(count) processes")
        }
        guard FileManager.default.isExecutableFile(atPath: mpirun) else {
            throw ValidationError("\(mpirun) not found: install Open MPI (apt-get install openmpi-bin) or pass --mpirun")
        }
    }

    struct Run: Encodable {
        var processes: Int
        var pairs_per_second: Double
        /// pairs/s per process over the first run's pairs/s per process.
        var efficiency: Double
    }

    struct Report: Encodable {
        var blas_kernel: String
        var threads_per_process: Int
        var resolution: Int
        var batch: Int
        var steps: Int
        var training: [Run]
    }

    func run() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("eqr-bench-scale-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var runs: [Run] = []
        for count in processCounts {
            let rate = try trainingRate(processes: count, folder: folder)
            let base = runs.first.map { $0.pairs_per_second / Double($0.processes) } ?? rate / Double(count)
            runs.append(Run(processes: count, pairs_per_second: rate, efficiency: rate / Double(count) / base))
        }
        let report = Report(blas_kernel: ProcessSettings.blasKernelSummary, threads_per_process: 1, resolution: resolution, batch: batch, steps: steps, training: runs)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.blas_kernel)
            for run in runs {
                print(String(format: "training, %d process%@ × 1 thread: %.1f pairs/s, efficiency %.0f%%",
                             run.processes, run.processes == 1 ? "" : "es", run.pairs_per_second, 100 * run.efficiency))
            }
        }
    }

    /// Pairs/s of `mpirun -np processes eqr train` (the default model's network) on one
    /// thread per process, from its log:
    /// the steps after the third (the first ones warm up caches and allocations).
    func trainingRate(processes: Int, folder: URL) throws -> Double {
        let log = folder.appendingPathComponent("train-\(processes).jsonl"), checkpoint = folder.appendingPathComponent("train-\(processes).safetensors")
        var launcher = ["--oversubscribe", "-np", String(processes)]
        if getuid() == 0 { launcher.insert("--allow-run-as-root", at: 0) }
        let arguments = launcher + [RunningExecutable.url.path, "train", "--variant", "pixels", "--transform-output", "aligned", "--renderer", "layered",
                                    "--renderer-blocks", "2", "--feature-stride", "2", "--scene-background", "distant",
                                    "--resolution", String(resolution), "--batch", String(batch), "--steps", String(steps + 3), "--log-every", "1",
                                    "--checkpoint-every", String(steps + 3), "--threads", "1", "--quiet", "-o", checkpoint.path, "--log", log.path]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: mpirun)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let messages = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw RuntimeError("\(mpirun) \(arguments.joined(separator: " ")) failed: \(String(decoding: messages, as: UTF8.self).suffix(600))")
        }
        let seconds = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").compactMap { line -> (Int, Double)? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let report = object["report"] as? [String: Any], let step = report["step"] as? Int,
                  let elapsed = object["elapsedSeconds"] as? Double else { return nil }
            return (step, elapsed)
        }
        guard let first = seconds.first(where: { $0.0 == 3 }), let last = seconds.last, last.0 > first.0 else {
            throw RuntimeError("the training log \(log.path) is incomplete")
        }
        return Double((last.0 - first.0) * batch) / (last.1 - first.1)
    }
}
