import EquivariantModel
import Foundation
import Tensors

/// A training loop with progress, a JSON-lines log and periodic atomic checkpoints.
///
/// Step s trains on `data.batch(step: s, size:)`, so stopping after a checkpoint and
/// resuming from it reproduces the uninterrupted run bit for bit (same data, weights and
/// Adam state; same thread count).
public final class TrainingRun {
    /// What the loop does.
    public struct Options {
        /// Pairs per step.
        public var batchSize = 16
        /// Train until the trainer has taken this many steps in total.
        public var totalSteps = 1000
        /// Where checkpoints go (nil: none).
        public var checkpointURL: URL?
        /// Save a checkpoint every this many steps (and at the end).
        public var checkpointEvery = 250
        /// Append one JSON object per logged step here (nil: no log).
        public var logURL: URL?
        /// Log and report progress every this many steps.
        public var logEvery = 10
        /// Extra metadata stored in checkpoints (seed, data description, …).
        public var metadata: [String: String] = [:]
        /// Stop after this much wall-clock time (nil: no limit), with a checkpoint.
        public var timeBudget: Duration?
        /// Asked after every step; when it returns true the run writes a checkpoint of the
        /// step just taken and returns (e.g. on Ctrl-C).
        public var shouldStop: () -> Bool = { false }
        /// The processes of a data-parallel run (nil: this process alone). Each trains on its
        /// equal share of every `batchSize` batch, gradients are averaged across them, and
        /// only process 0 writes the checkpoint and the log and reports progress; all stop at
        /// the same step (a stop or a spent budget on any process stops them all).
        public var processGroup: ProcessGroup?
        /// Creates default options.
        public init() {}
    }

    /// One logged line.
    public struct LogEntry: Codable, Equatable {
        /// The step's losses and norms.
        public var report: StepReport
        /// Training pairs per second since the previous log line.
        public var samplesPerSecond: Double
        /// Seconds since the run (or resumed run) started.
        public var elapsedSeconds: Double
    }

    /// The trainer driven.
    public let trainer: Trainer
    /// The data.
    public let data: TrainingData
    /// The options.
    public let options: Options
    /// This process's share of every batch in a data-parallel run (nil: the whole batch).
    private let shard: BatchShard?

    /// Creates a run; throws if the data cannot train this model's variant.
    public init(trainer: Trainer, data: TrainingData, options: Options) throws {
        if trainer.model.variant.needsKnownMotion && !data.providesMotion {
            throw ModelError.invalidInput("the `\(trainer.model.variant.name)` variant needs training pairs with known motion (synthetic scenes), not \(data.summary)")
        }
        guard options.batchSize > 0, options.totalSteps >= 0, options.checkpointEvery > 0, options.logEvery > 0 else {
            throw ModelError.invalidConfiguration("batch size, checkpoint and log intervals must be positive")
        }
        shard = try options.processGroup.map { try BatchShard(group: $0, globalSize: options.batchSize) }
        self.trainer = trainer
        self.data = data
        self.options = options
    }

    /// Why a run returned.
    public enum Ending: Equatable, Sendable {
        /// `totalSteps` reached.
        case completed
        /// The time budget ran out.
        case outOfTime
        /// `shouldStop` asked for it.
        case stopped
    }

    /// How the last call of ``run(progress:)`` ended.
    public private(set) var ending = Ending.completed

    /// Runs to `totalSteps` (or until the time budget runs out or `shouldStop` says so),
    /// calling `progress` at each log step; returns the log entries. The last step taken is
    /// always in the checkpoint when the run returns.
    @discardableResult
    public func run(progress: (LogEntry) -> Void = { _ in }) throws -> [LogEntry] {
        let clock = ContinuousClock(), start = clock.now
        var lastLog = start, lastLogStep = trainer.step
        var entries: [LogEntry] = []
        // Process 0 alone writes and reports.
        let writes = (shard?.group.rank ?? 0) == 0
        let log = try writes ? options.logURL.map { try LogFile(url: $0, keepingStepsUpTo: trainer.step) } : nil
        // A resumed run carries the time spent before in its metadata.
        let secondsBefore = Double(options.metadata[CheckpointMetadata.trainingSeconds] ?? "") ?? 0
        ending = .completed
        while trainer.step < options.totalSteps {
            let batch = try shard.map { try data.batch(step: trainer.step, size: options.batchSize, samples: $0.range) }
                ?? data.batch(step: trainer.step, size: options.batchSize)
            let report = try trainer.train(on: batch, shard: shard)
            let now = clock.now
            ending = try agreedEnding(stop: options.shouldStop(), outOfTime: options.timeBudget.map { now - start >= $0 } ?? false)
            let last = report.step == options.totalSteps || ending != .completed
            if report.step % options.logEvery == 0 || last {
                let seconds = (now - lastLog).inSeconds
                let entry = LogEntry(
                    report: report,
                    samplesPerSecond: Double((report.step - lastLogStep) * options.batchSize) / max(seconds, 1e-9),
                    elapsedSeconds: (now - start).inSeconds)
                entries.append(entry)
                try log?.append(entry)
                if writes { progress(entry) }
                lastLog = now
                lastLogStep = report.step
            }
            if writes, let url = options.checkpointURL, report.step % options.checkpointEvery == 0 || last {
                var metadata = options.metadata
                metadata[CheckpointMetadata.step] = String(report.step)
                metadata[CheckpointMetadata.trainingSeconds] = String(format: "%.1f", secondsBefore + (now - start).inSeconds)
                metadata[CheckpointMetadata.lossWeights] = Self.json(trainer.weights)
                metadata[CheckpointMetadata.data] = data.summary
                metadata[CheckpointMetadata.batchSize] = String(options.batchSize)
                if let shard { metadata[CheckpointMetadata.processes] = String(shard.group.size) }
                try Checkpoint.save(trainer.model, optimizer: trainer.optimizer, metadata: metadata, to: url)
            }
            if ending != .completed { break }
        }
        return entries
    }

    /// How the loop ends after this step, the same on every process of a data-parallel run:
    /// a stop asked for anywhere stops all; else a budget spent anywhere ends all.
    private func agreedEnding(stop: Bool, outOfTime: Bool) throws -> Ending {
        var flags: [Float] = [stop ? 1 : 0, outOfTime ? 1 : 0]
        if let group = shard?.group, group.size > 1 { try group.sumAcrossProcesses(&flags) }
        return flags[0] > 0 ? .stopped : flags[1] > 0 ? .outOfTime : .completed
    }

    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? "{}"
    }
}

/// An append-only JSON-lines file.
///
/// A run resumed from a checkpoint at step s first drops the lines past s (logged after
/// that checkpoint by a run that was then killed: the resumed run logs those steps again)
/// and a torn last line, rewriting the file atomically; lines it cannot read are kept.
final class LogFile {
    private let handle: FileHandle

    init(url: URL, keepingStepsUpTo step: Int) throws {
        if let data = FileManager.default.contents(atPath: url.path), !data.isEmpty {
            let text = String(decoding: data, as: UTF8.self)
            var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
            if !text.hasSuffix("\n"), let torn = lines.last, Self.step(of: torn) == nil { lines.removeLast() }
            let kept = lines.filter { Self.step(of: $0).map { $0 <= step } ?? true }
            if kept.count != lines.count || !text.hasSuffix("\n") {
                let rewritten = Data(kept.map { $0 + "\n" }.joined().utf8)
                let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
                do {
                    try rewritten.write(to: temporary)
                    guard rename(temporary.path, url.path) == 0 else { throw ModelError.invalidInput("cannot rewrite the log file \(url.path)") }
                } catch {
                    try? FileManager.default.removeItem(at: temporary)
                    throw error
                }
            }
        } else if !FileManager.default.fileExists(atPath: url.path) {
            guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                throw ModelError.invalidInput("cannot create the log file \(url.path)")
            }
        }
        handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
    }

    /// The step of a log line, or nil for a line that is not one.
    static func step(of line: String) -> Int? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let report = object["report"] as? [String: Any] else { return nil }
        return report["step"] as? Int
    }

    func append(_ entry: TrainingRun.LogEntry) throws {
        try handle.write(contentsOf: Data((TrainingRun.json(entry) + "\n").utf8))
    }

    deinit { try? handle.close() }
}
