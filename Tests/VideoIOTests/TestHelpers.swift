import Foundation
import XCTest
import VideoIO

/// A fresh temporary directory, removed when the test ends.
func makeTemporaryDirectory(_ test: XCTestCase) throws -> String {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("videoio-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url.path
}

/// The names in a directory (hidden temporary files included).
func directoryListing(_ path: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
}

/// All frames of a reader.
func readAll(_ reader: VideoReader) throws -> [Frame] {
    var frames: [Frame] = []
    while let f = try reader.next() { frames.append(f) }
    return frames
}

/// Writes `count` frames of a libavfilter source into `path`; returns the frames written.
@discardableResult
func writeGenerated(_ generator: String, count: Int, to path: String, frameRate: Double = 25,
                    codec: String? = nil, options: [String: String] = [:],
                    muxerOptions: [String: String] = [:]) throws -> [Frame] {
    let source = try VideoReader(generator: generator)
    var frames: [Frame] = []
    var writer: VideoWriter? = nil
    while frames.count < count, let f = try source.next() {
        if writer == nil {
            writer = try VideoWriter(path: path, width: f.width, height: f.height, frameRate: frameRate,
                                     codec: codec, options: options, muxerOptions: muxerOptions)
        }
        try writer!.write(f)
        frames.append(f)
    }
    try writer?.finish()
    return frames
}

/// A frame with a horizontal gradient in red, vertical in green and a checker in blue —
/// asymmetric in both directions, so flips are visible.
func patternFrame(width: Int, height: Int) throws -> Frame {
    var bytes = [UInt8](repeating: 0, count: width * height * 3)
    for y in 0..<height {
        for x in 0..<width {
            let i = 3 * (y * width + x)
            bytes[i] = UInt8(x * 255 / max(1, width - 1))
            bytes[i + 1] = UInt8(y * 255 / max(1, height - 1))
            bytes[i + 2] = ((x / 4 + y / 4) % 2 == 0) ? 200 : 30
        }
    }
    return try Frame(width: width, height: height, rgb8: bytes)
}

/// The frame mirrored left-right.
func mirrored(_ frame: Frame) throws -> Frame {
    var out = frame.rgb8
    for y in 0..<frame.height {
        for x in 0..<frame.width {
            let s = 3 * (y * frame.width + x)
            let d = 3 * (y * frame.width + (frame.width - 1 - x))
            out[d] = frame.rgb8[s]; out[d + 1] = frame.rgb8[s + 1]; out[d + 2] = frame.rgb8[s + 2]
        }
    }
    return try Frame(width: frame.width, height: frame.height, rgb8: out)
}

/// Resident set size of this process in bytes (Linux).
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// Bytes currently in use in the C heap (glibc's `malloc_stats` total "in use bytes",
/// mmapped blocks included), or nil where that is unavailable. FFmpeg's `av_malloc`
/// allocates here too, so this sees small leaks that RSS hides.
func heapBytesInUse() -> Int? {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_stats") else { return nil }
    typealias MallocStats = @convention(c) () -> Void
    let mallocStats = unsafeBitCast(symbol, to: MallocStats.self)
    let path = NSTemporaryDirectory() + "/videoio-malloc-stats-\(getpid()).txt"
    fflush(stderr)
    let saved = dup(2)
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard saved >= 0, fd >= 0 else { return nil }
    dup2(fd, 2)
    mallocStats()
    fflush(stderr)
    dup2(saved, 2)
    close(saved)
    close(fd)
    defer { unlink(path) }
    guard let text = try? String(contentsOfFile: path, encoding: .utf8),
          let total = text.range(of: "Total (incl. mmap):") else { return nil }
    for line in text[total.upperBound...].split(separator: "\n") where line.contains("in use bytes") {
        return Int(line.split(separator: "=").last!.trimmingCharacters(in: .whitespaces))
    }
    return nil
}

/// Path of the `ffmpeg` binary, if installed.
func ffmpegBinary() -> String? {
    for p in ["/usr/bin/ffmpeg", "/usr/local/bin/ffmpeg"] where FileManager.default.isExecutableFile(atPath: p) {
        return p
    }
    return nil
}

/// Runs a program and waits; returns its exit status.
@discardableResult
func runProgram(_ executable: String, _ arguments: [String]) throws -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    return p.terminationStatus
}

/// Asserts that `body` throws a ``VideoIOError`` matching `matches`, and returns it.
@discardableResult
func assertVideoIOError<T>(_ body: @autoclosure () throws -> T, file: StaticString = #filePath, line: UInt = #line,
                           _ matches: (VideoIOError) -> Bool) -> VideoIOError? {
    do {
        _ = try body()
        XCTFail("expected an error", file: file, line: line)
        return nil
    } catch let error as VideoIOError {
        XCTAssertTrue(matches(error), "unexpected error: \(error)", file: file, line: line)
        return error
    } catch {
        XCTFail("not a VideoIOError: \(error)", file: file, line: line)
        return nil
    }
}
