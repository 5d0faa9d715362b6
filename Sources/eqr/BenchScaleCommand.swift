import ArgumentParser
import Foundation
import ProcessSettings
import Retargeting
import VideoIO

/// `eqr bench scale`: training pairs/s and segment-parallel rendering frames/s of Open MPI
/// jobs of 1 and 2 processes on one thread each, and the scaling efficiency, measured in
/// one invocation.
struct BenchScaleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale", abstract: "Measure training and rendering over Open MPI: 1 and 2 processes, one thread each.")

    @Option(help: "Model resolution of the training run.") var resolution = 64
    @Option(help: "Global batch (pairs per step, split among the processes).") var batch = 16
    @Option(help: "Timed training steps (after 3 untimed ones).") var steps = 30
    @Option(help: "Frames of the rendered clip (640×480, 25 frames/s: 40 s by default, a long video for this machine).") var frames = 1000
    @Option(name: [.customShort("m"), .long], help: "Model of the rendering runs: a path, or a name that `eqr models` lists.") var model = "default"
    @Option(help: "Process counts to run (comma-separated).") var processes = "1,2"
    @Option(help: "The MPI launcher.") var mpirun = "/usr/bin/mpirun"
    @Flag(help: "Print one JSON object.") var json = false

    var processCounts: [Int] { processes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func validate() throws {
        guard steps >= 2, steps <= 10_000 else { throw ValidationError("--steps must be in 2...10000, got \(steps)") }
        guard frames >= 1, frames <= 100_000 else { throw ValidationError("--frames must be in 1...100000, got \(frames)") }
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
        /// Training pairs/s, or rendered frames/s.
        var per_second: Double
        /// per_second per process over the first run's per_second per process.
        var efficiency: Double
    }

    struct Report: Encodable {
        var blas_kernel: String
        var threads_per_process: Int
        var resolution: Int
        var batch: Int
        var steps: Int
        var frames: Int
        var model: String
        var training: [Run]
        var rendering: [Run]
    }

    func run() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("eqr-bench-scale-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try ModelSearch.resolve(self.model)
        guard FileManager.default.fileExists(atPath: model) else { throw RuntimeError("model \(model) not found") }
        let clip = folder.appendingPathComponent("clip.mp4").path, background = folder.appendingPathComponent("bg.png").path
        let source = try VideoReader(generator: "testsrc2=size=640x480:rate=25")
        let writer = try VideoWriter(path: clip, width: 640, height: 480, frameRate: 25)
        for _ in 0..<frames { try writer.write(try source.next()!) }
        try writer.finish()
        try ImageFile.write(try VideoReader(generator: "mandelbrot=size=640x480").next()!, to: background)

        let training = try Self.runs(processCounts) { try trainingRate(processes: $0, folder: folder) }
        let rendering = try Self.runs(processCounts) { count in
            let seconds = try launch(count, ["-i", clip, "-i", background, "-m", model, "-threads", "1", "-nostats", "-y", folder.appendingPathComponent("out-\(count).mp4").path])
            return Double(frames) / seconds
        }
        let report = Report(blas_kernel: ProcessSettings.blasKernelSummary, threads_per_process: 1, resolution: resolution, batch: batch, steps: steps,
                            frames: frames, model: model, training: training, rendering: rendering)
        if json {
            try printJSON(report)
        } else {
            print(report.blas_kernel)
            for run in training {
                print(String(format: "training, %d process%@ × 1 thread: %.1f pairs/s, efficiency %.0f%%",
                             run.processes, run.processes == 1 ? "" : "es", run.per_second, 100 * run.efficiency))
            }
            for run in rendering {
                print(String(format: "rendering 640×480, %d process%@ × 1 thread: %.1f frames/s, efficiency %.0f%%",
                             run.processes, run.processes == 1 ? "" : "es", run.per_second, 100 * run.efficiency))
            }
        }
    }

    /// One run per process count, with efficiencies against the first.
    static func runs(_ counts: [Int], _ rate: (Int) throws -> Double) throws -> [Run] {
        var runs: [Run] = []
        for count in counts {
            let value = try rate(count)
            let base = runs.first.map { $0.per_second / Double($0.processes) } ?? value / Double(count)
            runs.append(Run(processes: count, per_second: value, efficiency: value / Double(count) / base))
        }
        return runs
    }

    /// Runs `mpirun -np processes eqr arguments`; returns its wall-clock seconds.
    func launch(_ processes: Int, _ arguments: [String]) throws -> Double {
        var launcher = ["--oversubscribe", "-np", String(processes)]
        if getuid() == 0 { launcher.insert("--allow-run-as-root", at: 0) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: mpirun)
        process.arguments = launcher + [RunningExecutable.url.path] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        let clock = ContinuousClock(), start = clock.now
        try process.run()
        let messages = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let seconds = (clock.now - start).inSeconds
        guard process.terminationStatus == 0 else {
            throw RuntimeError("\(mpirun) \((process.arguments ?? []).joined(separator: " ")) failed: \(String(decoding: messages, as: UTF8.self).suffix(600))")
        }
        return seconds
    }

    /// Pairs/s of `mpirun -np processes eqr train` (the default model's network) on one
    /// thread per process, from its log:
    /// the steps after the third (the first ones warm up caches and allocations).
    func trainingRate(processes: Int, folder: URL) throws -> Double {
        let log = folder.appendingPathComponent("train-\(processes).jsonl"), checkpoint = folder.appendingPathComponent("train-\(processes).safetensors")
        _ = try launch(processes, ["train", "--variant", "pixels", "--transform-output", "aligned", "--renderer", "layered",
                                   "--renderer-blocks", "2", "--feature-stride", "2", "--scene-background", "distant",
                                   "--resolution", String(resolution), "--batch", String(batch), "--steps", String(steps + 3), "--log-every", "1",
                                   "--checkpoint-every", String(steps + 3), "--threads", "1", "--quiet", "-o", checkpoint.path, "--log", log.path])
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
