import Foundation
import ProcessSettings
import XCTest
import VideoIO

/// Bad inputs and outputs: each a specific ``VideoIOError`` carrying FFmpeg's message, no
/// crash, no leak, nothing partial left under the final name.
final class BadInputTests: XCTestCase {
    override func setUp() { ProcessSettings.setFFmpegLogLevel(.quiet) }
    override func tearDown() { ProcessSettings.setFFmpegLogLevel(.error) }

    func testMissingFile() throws {
        let dir = try makeTemporaryDirectory(self)
        let e = assertVideoIOError(try VideoReader(path: dir + "/nope.mp4")) {
            if case .fileNotFound(_, let message) = $0 { return message == "No such file or directory" }
            return false
        }
        XCTAssertEqual(e?.ffmpegCode, e.flatMap { _ in VideoIOError.fileNotFound(path: "", message: "").ffmpegCode })
        XCTAssertTrue(e?.description.contains("nope.mp4") ?? false)
        assertVideoIOError(try ImageFile.read(path: dir + "/nope.png")) {
            if case .fileNotFound = $0 { return true } else { return false }
        }
        assertVideoIOError(try FramePairCache(path: dir + "/nope.mkv", size: (width: 8, height: 8))) {
            if case .fileNotFound = $0 { return true } else { return false }
        }
    }

    func testRandomBytes() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = dir + "/random.mp4"
        var state: UInt64 = 0x9E3779B97F4A7C15
        let bytes = (0..<65536).map { _ -> UInt8 in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return UInt8(truncatingIfNeeded: state >> 24)
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        assertVideoIOError(try readAll(VideoReader(path: path))) {
            if case .openFailed(_, let code, let message) = $0 {
                return code < 0 && message == "Invalid data found when processing input"
            }
            return false
        }
        // An empty file too.
        _ = FileManager.default.createFile(atPath: dir + "/empty.mkv", contents: Data())
        assertVideoIOError(try VideoReader(path: dir + "/empty.mkv")) {
            if case .openFailed(_, _, let m) = $0 { return !m.isEmpty } else { return false }
        }
    }

    func testTruncatedMP4() throws {
        let dir = try makeTemporaryDirectory(self)
        // Without faststart the index (moov) is at the end: cutting the file loses it.
        let path = dir + "/whole.mp4"
        try writeGenerated("testsrc2=size=160x120:rate=25", count: 25, to: path)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let cut = dir + "/cut.mp4"
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: cut))
        assertVideoIOError(try VideoReader(path: cut)) {
            if case .openFailed(_, _, let m) = $0 { return m == "Invalid data found when processing input" }
            return false
        }
        // With faststart the index comes first: a cut file opens and decodes what is there,
        // skipping the broken tail instead of crashing.
        let fast = dir + "/fast.mp4"
        try writeGenerated("testsrc2=size=160x120:rate=25", count: 25, to: fast, muxerOptions: ["movflags": "+faststart"])
        let fastData = try Data(contentsOf: URL(fileURLWithPath: fast))
        let fastCut = dir + "/fastcut.mp4"
        try fastData.prefix(fastData.count * 6 / 10).write(to: URL(fileURLWithPath: fastCut))
        let reader = try VideoReader(path: fastCut)
        XCTAssertEqual(reader.frameCount, 25, "the index still lists every frame")
        let frames = try readAll(reader)
        XCTAssertGreaterThan(frames.count, 0)
        XCTAssertLessThan(frames.count, 25)
        // Cut inside the header: the container opens with no usable stream, or not at all.
        try fastData.prefix(100).write(to: URL(fileURLWithPath: fastCut))
        assertVideoIOError(try VideoReader(path: fastCut)) {
            switch $0 {
            case .noVideoStream, .openFailed: return true
            default: return false
            }
        }
    }

    func testZeroFrameFiles() throws {
        let dir = try makeTemporaryDirectory(self)
        // A YUV4MPEG2 stream header and no frame: a video stream holding zero frames.
        let y4m = dir + "/zero.y4m"
        try Data("YUV4MPEG2 W64 H48 F25:1 Ip A1:1 C420jpeg\n".utf8).write(to: URL(fileURLWithPath: y4m))
        let reader = try VideoReader(path: y4m)
        XCTAssertEqual(reader.sourceWidth, 64)
        assertVideoIOError(try reader.next()) {
            if case .noFrames = $0 { return true } else { return false }
        }
        XCTAssertNil(try reader.next(), "after the error the reader is simply at its end")
        assertVideoIOError(try ImageFile.read(path: y4m)) {
            if case .noFrames = $0 { return true } else { return false }
        }
        assertVideoIOError(try FramePairCache(path: y4m, size: (width: 8, height: 8))) {
            if case .noFrames = $0 { return true } else { return false }
        }
        // A filter that drops every frame is the same error.
        let clip = dir + "/clip.mkv"
        try writeGenerated("testsrc2=size=64x48:rate=25", count: 5, to: clip)
        assertVideoIOError(try readAll(VideoReader(path: clip, filter: "select=0"))) {
            if case .noFrames = $0 { return true } else { return false }
        }
        // The ffmpeg tool's zero-frame MP4 has no stream at all.
        if let ffmpeg = ffmpegBinary() {
            let mp4 = dir + "/zero.mp4"
            try runProgram(ffmpeg, ["-v", "quiet", "-f", "lavfi", "-i", "testsrc2=size=64x48:d=1", "-frames:v", "0", "-y", mp4])
            if FileManager.default.fileExists(atPath: mp4) {
                assertVideoIOError(try VideoReader(path: mp4)) {
                    if case .noVideoStream = $0 { return true } else { return false }
                }
            }
        }
        // Writing zero frames creates nothing.
        let writer = try VideoWriter(path: dir + "/none.mp4", width: 64, height: 48, frameRate: 25)
        assertVideoIOError(try writer.finish()) {
            if case .noFrames = $0 { return true } else { return false }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/none.mp4"))
        XCTAssertFalse(directoryListing(dir).contains { $0.hasSuffix(".part") })
    }

    func testUnknownFilterAndBadOptions() throws {
        let dir = try makeTemporaryDirectory(self)
        let clip = dir + "/clip.mkv"
        try writeGenerated("testsrc2=size=64x48:rate=25", count: 3, to: clip)
        assertVideoIOError(try VideoReader(path: clip, filter: "hflip,nosuchfilter=3")) {
            if case .unknownFilter(let name, _) = $0 { return name == "nosuchfilter" } else { return false }
        }
        assertVideoIOError(try VideoReader(path: clip, filter: "scale=bogus=1")) {
            if case .filterFailed(_, _, let m) = $0 { return m == "Option not found" } else { return false }
        }
        assertVideoIOError(try VideoReader(path: clip, filter: "crop=w=abc")) {
            if case .filterFailed(_, let code, let m) = $0 { return code < 0 && !m.isEmpty } else { return false }
        }
        assertVideoIOError(try VideoReader(path: clip, filter: "hflip,,")) {
            if case .filterFailed = $0 { return true } else { return false }
        }
        assertVideoIOError(try VideoReader(generator: "nosuchsource=size=8x8")) {
            if case .unknownFilter = $0 { return true } else { return false }
        }
        assertVideoIOError(try Frame(width: 4, height: 4, red: 0, green: 0, blue: 0).filtered("vflip,blur")) {
            if case .unknownFilter(let n, _) = $0 { return n == "blur" } else { return false }
        }
        // Writer: same checks, and nothing is created.
        assertVideoIOError(try VideoWriter(path: dir + "/w.mp4", width: 64, height: 48, frameRate: 25, filter: "nosuch")) {
            if case .unknownFilter = $0 { return true } else { return false }
        }
        XCTAssertEqual(directoryListing(dir), ["clip.mkv"])
    }

    func testBadEncoderSettings() throws {
        let dir = try makeTemporaryDirectory(self)
        assertVideoIOError(try VideoWriter(path: dir + "/a.mp4", width: 64, height: 48, frameRate: 25, codec: "nosuchcodec")) {
            if case .encoderNotFound("nosuchcodec") = $0 { return true } else { return false }
        }
        assertVideoIOError(try VideoWriter(path: dir + "/a.mp4", width: 64, height: 48, frameRate: 25, codec: "mpeg4",
                                           options: ["cfr": "20"])) {
            if case .invalidEncoderOption(_, "cfr", "20") = $0 { return true } else { return false }
        }
        assertVideoIOError(try VideoWriter(path: dir + "/a.mp4", width: 63, height: 48, frameRate: 25)) {
            if case .invalidArgument = $0 { return true } else { return false }
        }
        assertVideoIOError(try VideoWriter(path: dir + "/a.mp4", width: 64, height: 48, frameRate: 0)) {
            if case .invalidArgument = $0 { return true } else { return false }
        }
        assertVideoIOError(try VideoWriter(path: dir + "/a.unknownext", width: 64, height: 48, frameRate: 25)) {
            if case .unknownOutputFormat = $0 { return true } else { return false }
        }
        assertVideoIOError(try ImageFile.write(try Frame(width: 2, height: 2, red: 0, green: 0, blue: 0), to: dir + "/x.xyz")) {
            if case .unknownOutputFormat = $0 { return true } else { return false }
        }
        let writer = try VideoWriter(path: dir + "/b.mp4", width: 64, height: 48, frameRate: 25)
        assertVideoIOError(try writer.write(try Frame(width: 32, height: 48, red: 0, green: 0, blue: 0))) {
            if case .frameSizeMismatch(64, 48, 32, 48) = $0 { return true } else { return false }
        }
        writer.cancel()
        XCTAssertEqual(directoryListing(dir), [])
    }

    func testUnwritableOutputPath() throws {
        let dir = try makeTemporaryDirectory(self)
        let frame = try Frame(width: 16, height: 16, red: 1, green: 2, blue: 3)
        // A directory that does not exist.
        assertVideoIOError(try VideoWriter(path: dir + "/missing/out.mp4", width: 16, height: 16, frameRate: 25)) {
            if case .outputOpenFailed(_, _, let m) = $0 { return m == "No such file or directory" } else { return false }
        }
        // A "directory" that is a regular file.
        _ = FileManager.default.createFile(atPath: dir + "/file", contents: Data("x".utf8))
        assertVideoIOError(try VideoWriter(path: dir + "/file/out.mkv", width: 16, height: 16, frameRate: 25)) {
            if case .outputOpenFailed(_, _, let m) = $0 { return m == "Not a directory" } else { return false }
        }
        assertVideoIOError(try ImageFile.write(frame, to: dir + "/missing/out.png")) {
            if case .outputOpenFailed(_, _, let m) = $0 { return m == "No such file or directory" } else { return false }
        }
        assertVideoIOError(try VideoWriter(path: dir + "/missing/%03d.png", width: 16, height: 16, frameRate: 25)) {
            if case .outputOpenFailed = $0 { return true } else { return false }
        }
        // The final name is a directory: everything is written, the rename fails, nothing is left.
        try FileManager.default.createDirectory(atPath: dir + "/taken.mp4", withIntermediateDirectories: false)
        let writer = try VideoWriter(path: dir + "/taken.mp4", width: 16, height: 16, frameRate: 25)
        try writer.write(frame)
        assertVideoIOError(try writer.finish()) {
            if case .writeFailed(_, _, let m) = $0 { return m == "Is a directory" } else { return false }
        }
        XCTAssertEqual(directoryListing(dir), ["file", "taken.mp4"])
        XCTAssertEqual(directoryListing(dir + "/taken.mp4"), [])
    }

    /// Repeating every failure (and some successful reads) must not grow memory.
    func testNoLeaksOnRepeatedFailures() throws {
        let dir = try makeTemporaryDirectory(self)
        let clip = dir + "/clip.mp4"
        try writeGenerated("testsrc2=size=128x96:rate=25", count: 10, to: clip)
        try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919) }).write(to: URL(fileURLWithPath: dir + "/junk.mp4"))
        let frame = try Frame(width: 16, height: 16, red: 1, green: 2, blue: 3)
        let y4m = dir + "/zero.y4m"
        try Data("YUV4MPEG2 W64 H48 F25:1 Ip A1:1 C420jpeg\n".utf8).write(to: URL(fileURLWithPath: y4m))
        try FileManager.default.createDirectory(atPath: dir + "/taken", withIntermediateDirectories: false)
        func round() {
            _ = try? VideoReader(path: dir + "/nope.mp4")
            _ = try? VideoReader(path: dir + "/junk.mp4")
            _ = try? VideoReader(path: clip, filter: "scale=bogus=1")
            _ = try? VideoReader(path: clip, filter: "nosuchfilter")
            _ = try? VideoWriter(path: dir + "/missing/out.mp4", width: 16, height: 16, frameRate: 25)
            _ = try? VideoWriter(path: dir + "/x.mp4", width: 16, height: 16, frameRate: 25, codec: "mpeg4", options: ["cfr": "1"])
            if let w = try? VideoWriter(path: dir + "/y.mkv", width: 16, height: 16, frameRate: 25) {
                try? w.write(frame)   // released unfinished
            }
            _ = try? VideoReader(path: clip, filter: "crop=w=abc")
            _ = try? readAll(VideoReader(path: y4m))
            _ = try? readAll(VideoReader(path: clip, filter: "select=0"))
            _ = try? ImageFile.read(path: dir + "/nope.png")
            _ = try? ImageFile.write(frame, to: dir + "/missing/x.png")
            _ = try? frame.filtered("hflip,nosuch")
            _ = try? frame.filtered("scale=bogus=2")
            _ = try? FramePairCache(path: y4m, size: (width: 8, height: 8))
            if let w = try? VideoWriter(path: dir + "/taken", width: 16, height: 16, frameRate: 25, containerFormat: "matroska") {
                try? w.write(frame)
                try? w.finish()   // rename onto a directory fails
            }
            if let r = try? VideoReader(path: clip, size: (width: 32, height: 32)) {
                while (try? r.next()) != nil {}
            }
        }
        for _ in 0..<20 { round() }
        let before = residentBytes()
        let heapBefore = heapBytesInUse()
        for _ in 0..<100 { round() }
        let growth = residentBytes() - before
        let heapAfter = heapBytesInUse()
        XCTAssertLessThan(growth, 16 << 20, "RSS grew by \(growth) bytes over 100 rounds")
        // One leaked AVPacket/AVFrame per failure would add ≥ 100 rounds × 6 failures × 100 bytes.
        if let b = heapBefore, let a = heapAfter {
            XCTAssertLessThan(a - b, 32 << 10, "C heap grew by \(a - b) bytes over 100 rounds")
        }
        XCTAssertEqual(directoryListing(dir), ["clip.mp4", "junk.mp4", "taken", "zero.y4m"])
    }

    /// Numbers from users and files become frame counts without stopping the process
    /// (`-t 1e308` once did: `Int(_:)` traps past its range).
    func testSaturatingConversion() {
        XCTAssertEqual(Int(saturating: 1e308), .max)
        XCTAssertEqual(Int(saturating: -1e308), .min)
        XCTAssertEqual(Int(saturating: .infinity), .max)
        XCTAssertEqual(Int(saturating: .nan), 0)
        XCTAssertEqual(Int(saturating: 12.9), 12)
        XCTAssertEqual(Int(saturating: -12.9), -12)
        XCTAssertEqual(Int(saturating: 0x1p62), 1 << 62)
    }

    /// A killed writer's hidden temporary (its process gone) is removed when the same output
    /// is written again; one of a live process is left alone; an output name of 255 bytes
    /// gets a temporary name that fits.
    func testStaleTemporariesAreCleanedAndLongNamesFit() throws {
        let dir = try makeTemporaryDirectory(self)
        // A pid that cannot be running: above the kernel's pid_max (at most 2^22).
        let stale = dir + "/.out.png.\(1 << 23)-1.part", live = dir + "/.out.png.\(getpid())-999.part"
        for path in [stale, live] { XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data([1]))) }
        let frame = try Frame(width: 4, height: 4, rgb8: [UInt8](repeating: 90, count: 48))
        try ImageFile.write(frame, to: dir + "/out.png")
        XCTAssertFalse(FileManager.default.fileExists(atPath: stale), "the killed writer's temporary is gone")
        XCTAssertTrue(FileManager.default.fileExists(atPath: live), "a live writer's temporary is left alone")
        let long = String(repeating: "o", count: 251) + ".png"
        try ImageFile.write(frame, to: dir + "/" + long)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/" + long))
    }
}
