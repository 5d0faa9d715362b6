import Foundation
import XCTest

/// `mpirun -np N eqr train` and `eqr fit`: data-parallel runs over Open MPI, compared with
/// the single-process run of the same global batch.
final class DataParallelTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("eqr-mpi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// A short layered training run with every per-sample term the trainer has (distant
    /// frames, some of them empty, and drawn motions), logged at every step.
    func trainArguments(output: String, log: String, steps: Int = 20) -> [String] {
        ["train", "--variant", "pixels", "--renderer", "layered", "--scene-background", "distant", "--empty-distant-frames", "0.25",
         "--w-drawn-motion", "0.5", "--resolution", "32", "--batch", "4", "--steps", String(steps), "--log-every", "1",
         "--threads", "1", "--seed", "3", "-o", path(output), "--log", path(log)]
    }


    /// The reports of a JSON-lines training log.
    func reports(_ log: String) throws -> [[String: Double]] {
        try String(contentsOfFile: path(log), encoding: .utf8).split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return (object["report"] as! [String: Any]).compactMapValues { ($0 as? NSNumber)?.doubleValue }
        }
    }

    /// Every loss of `a` and `b` step by step within `tolerance` of the step's total loss (the
    /// objective; for the total itself, relative). A small term takes the rounding of a
    /// different summation order relative to the objective, not to itself: L_c, 2 % of the
    /// total, differs by up to 10⁻⁴ of itself after 20 steps between two builds of one process
    /// whose convolutions only sum in another order, while the total agrees to 10⁻⁶ with
    /// OpenBLAS's kernels. With the AVX-512 direct kernels on the deep layers (an AVX2 OpenBLAS
    /// kernel on an AVX-512 CPU) the batch-of-4 run in one process drifts from the two-process
    /// run, and from OpenBLAS's run of the same batch, by up to 1.4·10⁻⁵ of the total after
    /// 20 steps (its coverage mean smoothly, by 5·10⁻⁶), while a batch of 2 stays within
    /// 3·10⁻⁷: a drift through rounding the tests cannot tell from a wrong gradient below
    /// 10⁻⁴. A shard's gradient missing or counted twice moves the total by far more.
    func assertLossesAgree(_ a: [[String: Double]], _ b: [[String: Double]], within tolerance: Double,
                           file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.map { $0["step"] }, b.map { $0["step"] }, file: file, line: line)
        for (x, y) in zip(a, b) {
            for key in ["total", "scene", "reconstruction", "character", "background"] {
                let u = x[key]!, v = y[key]!
                XCTAssertLessThanOrEqual(abs(u - v) / abs(x["total"]!), tolerance, "step \(x["step"]!) \(key): \(u) vs \(v)",
                                         file: file, line: line)
            }
        }
    }

    /// The tensor bytes of a safetensors file (after its JSON header, which also holds the
    /// run's wall-clock metadata).
    func tensorBytes(_ name: String) throws -> Data {
        let data = try Data(contentsOf: URL(fileURLWithPath: path(name)))
        let headerLength = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        return data.dropFirst(8 + headerLength)
    }

    func testTwoProcessesTrainAsOneDoesWithTheWholeBatchAndRepeatBitForBit() throws {
        let one = try EqrProcess.run(trainArguments(output: "one.safetensors", log: "one.jsonl"))
        XCTAssertEqual(one.status, 0, one.standardError)
        let two = try EqrProcess.mpirun(2, trainArguments(output: "two.safetensors", log: "two.jsonl"))
        XCTAssertEqual(two.status, 0, two.standardError)
        // Only process 0 reports and writes.
        XCTAssertEqual(two.standardError.components(separatedBy: "batch 4, 2 processes of 2 pairs each").count, 2, two.standardError)
        XCTAssertEqual(two.standardError.components(separatedBy: "wrote ").count, 2, two.standardError)
        let single = try reports("one.jsonl"), parallel = try reports("two.jsonl")
        XCTAssertEqual(parallel.count, 20)
        assertLossesAgree(single, parallel, within: 1e-4)
        let info = try EqrProcess.run(["info", path("two.safetensors")])
        XCTAssertTrue(info.standardOutput.contains("processes           2"), info.standardOutput)

        // Again: the same losses and the same weights, bit for bit.
        let again = try EqrProcess.mpirun(2, trainArguments(output: "again.safetensors", log: "again.jsonl"))
        XCTAssertEqual(again.status, 0, again.standardError)
        XCTAssertEqual(try reports("again.jsonl"), parallel)
        XCTAssertEqual(try tensorBytes("again.safetensors"), try tensorBytes("two.safetensors"))
        XCTAssertNotEqual(try tensorBytes("one.safetensors"), try tensorBytes("two.safetensors"), "float rounding differs between one process and two")
    }

    /// A checkpoint of a two-process run resumes in one process (and the reverse), landing
    /// where one process would have.
    func testResumeWithAnotherProcessCount() throws {
        let straight = try EqrProcess.run(trainArguments(output: "straight.safetensors", log: "straight.jsonl"))
        XCTAssertEqual(straight.status, 0, straight.standardError)
        let first = try EqrProcess.mpirun(2, trainArguments(output: "split.safetensors", log: "split.jsonl", steps: 10))
        XCTAssertEqual(first.status, 0, first.standardError)
        let rest = try EqrProcess.run(trainArguments(output: "split.safetensors", log: "split.jsonl") + ["--resume", path("split.safetensors")])
        XCTAssertEqual(rest.status, 0, rest.standardError)
        assertLossesAgree(try reports("straight.jsonl"), try reports("split.jsonl"), within: 1e-4)

        let onePart = try EqrProcess.run(trainArguments(output: "back.safetensors", log: "back.jsonl", steps: 10))
        XCTAssertEqual(onePart.status, 0, onePart.standardError)
        let twoParts = try EqrProcess.mpirun(2, trainArguments(output: "back.safetensors", log: "back.jsonl") + ["--resume", path("back.safetensors")])
        XCTAssertEqual(twoParts.status, 0, twoParts.standardError)
        assertLossesAgree(try reports("straight.jsonl"), try reports("back.jsonl"), within: 1e-4)
    }

    func testFitAcrossTwoProcesses() throws {
        let synth = try EqrProcess.run(["synth", path("clip.mp4"), "--frames", "24", "--resolution", "64"])
        XCTAssertEqual(synth.status, 0, synth.standardError)
        let fit = { (output: String, log: String) in
            ["fit", self.path("clip.mp4"), "-o", self.path(output), "--log", self.path(log), "--steps", "20", "--resolution", "32", "--batch", "4",
             "--threads", "1", "--seed", "2"]
        }
        let one = try EqrProcess.run(fit("one.safetensors", "one.jsonl"))
        XCTAssertEqual(one.status, 0, one.standardError)
        let two = try EqrProcess.mpirun(2, fit("two.safetensors", "two.jsonl"))
        XCTAssertEqual(two.status, 0, two.standardError)
        XCTAssertEqual(two.standardError.components(separatedBy: "fitted 20 steps").count, 2, two.standardError)
        assertLossesAgree(try reports("one.jsonl"), try reports("two.jsonl"), within: 1e-4)
    }

    func testABatchThatDoesNotSplitEvenlyFailsClearly() throws {
        // A batch that does not split evenly.
        let uneven = try EqrProcess.mpirun(3, trainArguments(output: "uneven.safetensors", log: "uneven.jsonl"))
        XCTAssertNotEqual(uneven.status, 0)
        XCTAssertTrue(uneven.standardError.contains("a batch of 4 cannot be split evenly among 3 processes"), uneven.standardError)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("uneven.safetensors")))
    }

    /// Killing one process of a running job ends the whole job with a non-zero status; the
    /// checkpoint left behind is a complete earlier step (written atomically by process 0).
    func testAKilledProcessEndsTheJob() throws {
        for victim in [1, 0] {
            let output = "killed\(victim).safetensors", log = "killed\(victim).jsonl"
            let process = Process()
            process.executableURL = URL(fileURLWithPath: EqrProcess.mpirunPath)
            process.arguments = EqrProcess.mpirunArguments(2, trainArguments(output: output, log: log, steps: 100_000) + ["--checkpoint-every", "1"])
            process.standardError = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(120)
            while Date() < deadline, (try? reports(log).count) ?? 0 < 3 { Thread.sleep(forTimeInterval: 0.1) }
            let ranks = EqrProcess.children(of: process.processIdentifier)
            XCTAssertEqual(ranks.count, 2, "mpirun's eqr processes: \(ranks)")
            guard let target = ranks[victim] else { process.terminate(); continue }
            kill(target, SIGKILL)
            let end = Date().addingTimeInterval(60)
            while process.isRunning, Date() < end { Thread.sleep(forTimeInterval: 0.1) }
            XCTAssertFalse(process.isRunning, "the job kept running after rank \(victim) was killed")
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            XCTAssertNotEqual(process.terminationStatus, 0)
            Thread.sleep(forTimeInterval: 1)
            for (rank, pid) in ranks where rank != victim {
                XCTAssertFalse(FileManager.default.fileExists(atPath: "/proc/\(pid)/stat") && !EqrProcess.isZombie(pid), "rank \(rank) outlived the job")
            }
            let info = try EqrProcess.run(["info", path(output)])
            XCTAssertEqual(info.status, 0, "rank \(victim) killed: \(info.standardError)")
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".tmp") }
            XCTAssertTrue(victim == 0 || leftovers.isEmpty, "\(leftovers)")
        }
    }
}
