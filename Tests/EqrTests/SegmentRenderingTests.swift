import Foundation
import XCTest

/// `mpirun -np N eqr -i … out`: a clip rendered in N segments, one per process, joined
/// without re-encoding, compared with the single-process render.
final class SegmentRenderingTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("eqr-segments-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // A 50-frame clip with a sound track, and a new background.
        let synth = try EqrProcess.run(["synth", path("silent.mp4"), "--frames", "50", "--resolution", "96", "--plate", path("plate.png")])
        XCTAssertEqual(synth.status, 0, synth.standardError)
        let other = try EqrProcess.run(["synth", path("other.mp4"), "--frames", "2", "--resolution", "96", "--seed", "9", "--background", "3", "--plate", path("beach.png")])
        XCTAssertEqual(other.status, 0, other.standardError)
        try FFmpegTools.ffmpeg(["-i", path("silent.mp4"), "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=2",
                                "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", path("clip.mp4")])
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func render(_ output: String, processes: Int, _ extra: [String] = []) throws -> EqrProcess {
        let arguments = ["-i", path("clip.mp4"), "-i", path("beach.png"), "-m", "default", "-nostats"] + extra + [path(output)]
        return processes == 1 ? try EqrProcess.run(arguments) : try EqrProcess.mpirun(processes, arguments)
    }

    /// The decoded frames' timestamps and checksums (`-f framemd5`) of one stream.
    func frameChecksums(_ name: String, stream: String) throws -> [String] {
        let result = try EqrProcess.run(program: "/usr/bin/ffmpeg", ["-v", "error", "-i", path(name), "-map", "0:\(stream)", "-f", "framemd5", "-"])
        XCTAssertEqual(result.status, 0, result.standardError)
        return result.standardOutput.split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init)
    }

    func testSegmentsJoinIntoTheSingleProcessFramesTimestampsAndAudio() throws {
        // Lossless and intra-only: the same frames give the same packets.
        XCTAssertEqual(try render("one.mkv", processes: 1, ["-c:v", "ffv1"]).status, 0)
        let one = try frameChecksums("one.mkv", stream: "v"), audio = try frameChecksums("one.mkv", stream: "a")
        XCTAssertEqual(one.count, 50)
        XCTAssertGreaterThan(audio.count, 50)
        for processes in [2, 3] {
            let run = try render("many\(processes).mkv", processes: processes, ["-c:v", "ffv1", "-loglevel", "debug"])
            XCTAssertEqual(run.status, 0, run.standardError)
            XCTAssertEqual(try frameChecksums("many\(processes).mkv", stream: "v"), one, "\(processes) processes")
            XCTAssertEqual(try frameChecksums("many\(processes).mkv", stream: "a"), audio, "\(processes) processes")
            // A plain input: the later segments seek to their first frame.
            XCTAssertTrue(run.standardError.contains("process 1 of \(processes) renders frames \(50 / processes)..<\(2 * 50 / processes), sought to"), run.standardError)
        }
        // Through -vf:0 the later segments decode from the start (seeking would restart the chain).
        XCTAssertEqual(try render("flipped1.mkv", processes: 1, ["-c:v", "ffv1", "-vf:0", "hflip"]).status, 0)
        let flipped = try render("flipped2.mkv", processes: 2, ["-c:v", "ffv1", "-vf:0", "hflip", "-loglevel", "debug"])
        XCTAssertEqual(flipped.status, 0, flipped.standardError)
        XCTAssertTrue(flipped.standardError.contains("process 1 of 2 renders frames 25..<50, decoding from the start"), flipped.standardError)
        XCTAssertEqual(try frameChecksums("flipped2.mkv", stream: "v"), try frameChecksums("flipped1.mkv", stream: "v"))
        XCTAssertNotEqual(try frameChecksums("flipped1.mkv", stream: "v"), one)
        // The default H.264 in MP4 (B-frames, a new group of pictures at each segment): the
        // same frame count and timestamps, and a stream that decodes without an error.
        XCTAssertEqual(try render("one.mp4", processes: 1).status, 0)
        let two = try render("two.mp4", processes: 2)
        XCTAssertEqual(two.status, 0, two.standardError)
        let timestamps = { (name: String) in try self.frameChecksums(name, stream: "v").map { $0.split(separator: ",").prefix(5).joined(separator: ",") } }
        XCTAssertEqual(try timestamps("two.mp4"), try timestamps("one.mp4"))
        XCTAssertEqual(try frameChecksums("two.mp4", stream: "a"), try frameChecksums("one.mp4", stream: "a"))
        let decode = try EqrProcess.run(program: "/usr/bin/ffmpeg", ["-v", "error", "-i", path("two.mp4"), "-f", "null", "-"])
        XCTAssertEqual(decode.status, 0)
        XCTAssertEqual(decode.standardError, "", "decoding the joined file reported errors")
        // Only the outputs are left: no part files.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains("part") }, [])
    }

    func testInvocationsThatCannotBeSplitFailClearly() throws {
        for (extra, output, message) in [
            (["-plate", "running"], "running.mp4", "-plate running learns the plate from the frames before each frame"),
            (["-vf:out", "hflip"], "flipped.mp4", "-vf:out and -r filter the output as one sequence"),
            ([], "still.png", "is a single image"),
        ] {
            let result = try render(output, processes: 2, extra)
            XCTAssertNotEqual(result.status, 0, "\(extra)")
            XCTAssertTrue(result.standardError.contains(message), "\(extra): \(result.standardError)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: path(output)))
        }
        let models = try EqrProcess.mpirun(2, ["models"])
        XCTAssertNotEqual(models.status, 0)
        XCTAssertTrue(models.standardError.contains("run `eqr models` without mpirun"), models.standardError)
    }

    /// A process killed while rendering its segment ends the job with a non-zero status, and
    /// no output appears.
    func testAKilledProcessLeavesNoOutput() throws {
        try FFmpegTools.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-frames:v", "1500", "-pix_fmt", "yuv420p", path("long.mp4")])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: EqrProcess.mpirunPath)
        process.arguments = EqrProcess.mpirunArguments(2, ["-i", path("long.mp4"), "-i", path("beach.png"), "-m", "default", "-nostats", "-plate", "clip", path("out.mp4")])
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Once a process writes its part, kill the other one.
        let deadline = Date().addingTimeInterval(120)
        var ranks: [Int: Int32] = [:]
        while Date() < deadline, process.isRunning {
            ranks = EqrProcess.children(of: process.processIdentifier)
            let parts = (try? FileManager.default.contentsOfDirectory(atPath: directory.path))?.filter { $0.contains("out.mp4.part") } ?? []
            if ranks.count == 2, !parts.isEmpty { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        XCTAssertTrue(process.isRunning, "the job ended before a part was written")
        if let victim = ranks[1] { kill(victim, SIGKILL) }
        process.waitUntilExit()
        XCTAssertNotEqual(process.terminationStatus, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("out.mp4")))
    }
}
