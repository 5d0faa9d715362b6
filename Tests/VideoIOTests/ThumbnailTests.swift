import Foundation
import XCTest
import VideoIO

/// ``VideoReader/makeThumbnails(size:)``: thumbnails made from the decoded picture, equal to
/// what the `ffmpeg` tool's `scale` filter makes of the same file.
final class ThumbnailTests: XCTestCase {
    /// The frames of `path` as the `ffmpeg` tool decodes them through `chain` into RGB24.
    func ffmpegFrames(_ path: String, chain: String, width: Int, height: Int, directory: String) throws -> [[UInt8]] {
        let ffmpeg = try XCTUnwrap(ffmpegBinary(), "needs the ffmpeg binary")
        let raw = directory + "/thumbs.rgb"
        XCTAssertEqual(try runProgram(ffmpeg, ["-v", "error", "-y", "-i", path, "-vf", chain, "-f", "rawvideo", "-pix_fmt", "rgb24", raw]), 0)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: raw)))
        let size = 3 * width * height
        return stride(from: 0, to: bytes.count, by: size).map { Array(bytes[$0..<min($0 + size, bytes.count)]) }
    }

    func testThumbnailsAreWhatFFmpegsScaleFilterMakesOfTheDecodedPicture() throws {
        let directory = try makeTemporaryDirectory(self)
        let clip = directory + "/clip.mkv"
        // A YUV 4:2:0 clip, as camera footage is stored.
        try writeGenerated("testsrc2=size=400x300:rate=25", count: 6, to: clip, codec: "ffv1", options: ["pix_fmt": "yuv420p"])
        let reader = try VideoReader(path: clip)
        try reader.makeThumbnails { width, height in (width: width * 2 / 5, height: height * 2 / 5) }
        let frames = try readAll(reader)
        XCTAssertEqual(frames.count, 6)
        let expected = try ffmpegFrames(clip, chain: "scale=160:120", width: 160, height: 120, directory: directory)
        XCTAssertEqual(expected.count, 6)
        for (frame, pixels) in zip(frames, expected) {
            let thumbnail = try XCTUnwrap(frame.thumbnail, "frame \(frame.index)")
            XCTAssertEqual(thumbnail.width, 160)
            XCTAssertEqual(thumbnail.height, 120)
            XCTAssertEqual(thumbnail.rgb8, pixels, "frame \(frame.index): the scale filter's own values")
            XCTAssertEqual(frame.width, 400, "the frame itself keeps its size")
        }
        // Resampling the RGB frame instead gives other values: the reason thumbnails exist.
        let resampled = try frames[0].withPixelBuffer { try PixelScaler().planarFloat(from: $0, width: 160, height: 120) }
        let plane = 160 * 120
        let differing = (0..<plane).filter { i in (0..<3).contains { c in UInt8((resampled[c * plane + i] * 255).rounded()) != expected[0][3 * i + c] } }
        XCTAssertGreaterThan(differing.count, plane / 100)
    }

    func testThumbnailsFollowTheFilterChainAndStopWhenNotWanted() throws {
        let directory = try makeTemporaryDirectory(self)
        let clip = directory + "/clip.mkv"
        try writeGenerated("testsrc2=size=400x300:rate=25", count: 4, to: clip, codec: "ffv1", options: ["pix_fmt": "yuv420p"])
        let reader = try VideoReader(path: clip, filter: "hflip,crop=360:300:0:0")
        try reader.makeThumbnails { width, height in width == 360 && height == 300 ? (width: 90, height: 75) : nil }
        let frames = try readAll(reader)
        let expected = try ffmpegFrames(clip, chain: "hflip,crop=360:300:0:0,scale=90:75", width: 90, height: 75, directory: directory)
        XCTAssertEqual(frames.map { $0.thumbnail?.rgb8 }, expected.map { Optional($0) }, "the same chain, then the thumbnail's resampling")
        // No size for these frames: no thumbnails; none unless asked for.
        let small = try VideoReader(path: clip)
        try small.makeThumbnails { _, _ in nil }
        XCTAssertTrue(try readAll(small).allSatisfy { $0.thumbnail == nil })
        XCTAssertTrue(try readAll(VideoReader(path: clip)).allSatisfy { $0.thumbnail == nil })
        // Asked for after the first frame, or with a size out of range: refused.
        let late = try VideoReader(path: clip)
        _ = try late.next()
        assertVideoIOError(try late.makeThumbnails { _, _ in (width: 10, height: 10) }) { if case .invalidArgument = $0 { return true }; return false }
        let bad = try VideoReader(path: clip)
        assertVideoIOError(try bad.makeThumbnails { _, _ in (width: 0, height: 10) }) { if case .invalidArgument = $0 { return true }; return false }
    }
}
