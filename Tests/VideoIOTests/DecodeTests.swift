import Foundation
import ProcessSettings
import XCTest
import VideoIO

final class DecodeTests: XCTestCase {
    override func setUp() { ProcessSettings.setFFmpegLogLevel(.error) }

    func testGeneratorFramesCountSizeAndTimestamps() throws {
        let reader = try VideoReader(generator: "testsrc2=size=320x240:rate=25:duration=2")
        XCTAssertEqual(reader.width, 320)
        XCTAssertEqual(reader.height, 240)
        XCTAssertEqual(reader.frameRate ?? 0, 25, accuracy: 1e-9)
        let frames = try readAll(reader)
        XCTAssertEqual(frames.count, 50)
        for (i, f) in frames.enumerated() {
            XCTAssertEqual(f.index, i)
            XCTAssertEqual(f.timestamp, Double(i) / 25, accuracy: 1e-6)
            XCTAssertEqual(f.rgb8.count, 320 * 240 * 3)
        }
        XCTAssertNil(try reader.next(), "stays at the end")
    }

    func testDecodedFileMatchesFrameCountSizeTimestampsAndDuration() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = dir + "/clip.mp4"
        try writeGenerated("testsrc2=size=320x240:rate=25", count: 40, to: path)
        let reader = try VideoReader(path: path)
        XCTAssertEqual(reader.sourceWidth, 320)
        XCTAssertEqual(reader.sourceHeight, 240)
        XCTAssertEqual(reader.frameCount, 40)
        XCTAssertEqual(reader.frameRate ?? 0, 25, accuracy: 1e-6)
        XCTAssertEqual(reader.duration ?? 0, 1.6, accuracy: 0.05)
        XCTAssertEqual(reader.codecName, VideoIO.hasEncoder("libx264") ? "h264" : "mpeg4")
        let frames = try readAll(reader)
        XCTAssertEqual(frames.count, 40)
        for (i, f) in frames.enumerated() {
            XCTAssertEqual(f.width, 320)
            XCTAssertEqual(f.height, 240)
            XCTAssertEqual(f.index, i)
            XCTAssertEqual(f.timestamp, Double(i) / 25, accuracy: 1e-3)
        }
    }

    func testResizeOnReadAndPlainColourSource() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = dir + "/red.mkv"
        try writeGenerated("color=c=0xC83214:size=96x64:rate=10", count: 5, to: path, frameRate: 10)
        let reader = try VideoReader(path: path, size: (width: 32, height: 20))
        XCTAssertEqual(reader.width, 32)
        XCTAssertEqual(reader.height, 20)
        XCTAssertNil(reader.frameCount, "Matroska records no frame count")
        XCTAssertEqual(reader.estimatedFrameCount, 5)
        let frames = try readAll(reader)
        XCTAssertEqual(frames.count, 5)
        for f in frames {
            XCTAssertEqual(f.width, 32)
            XCTAssertEqual(f.height, 20)
            let p = f.pixel(x: 16, y: 10)
            XCTAssertEqual(Double(p.red), 200, accuracy: 6)
            XCTAssertEqual(Double(p.green), 50, accuracy: 6)
            XCTAssertEqual(Double(p.blue), 20, accuracy: 6)
        }
    }

    func testMandelbrotGeneratorWithSizeAndFilter() throws {
        let reader = try VideoReader(generator: "mandelbrot=size=160x120:rate=25", size: (width: 64, height: 48),
                                     filter: "hflip")
        XCTAssertEqual(reader.width, 64)
        XCTAssertEqual(reader.height, 48)
        XCTAssertNotNil(try reader.next())
        XCTAssertNotNil(try reader.next())
    }

    func testSeekLandsOnRequestedFrame() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = dir + "/seek.mp4"
        try writeGenerated("testsrc2=size=160x120:rate=25", count: 75, to: path, options: ["g": "25"])
        let all = try readAll(VideoReader(path: path))
        let reader = try VideoReader(path: path)
        try reader.seek(to: 2.0)
        let f = try XCTUnwrap(reader.next())
        XCTAssertEqual(f.timestamp, 2.0, accuracy: 1e-3)
        XCTAssertEqual(f.index, 50)
        XCTAssertEqual(f.rgb8, all[50].rgb8)
        try reader.seek(to: 0.4)
        let g = try XCTUnwrap(reader.next())
        XCTAssertEqual(g.index, 10)
        XCTAssertEqual(g.rgb8, all[10].rgb8)
    }

    func testPlanarFloatRoundTrip() throws {
        let frame = try patternFrame(width: 7, height: 5)
        let planar = frame.planarFloat()
        XCTAssertEqual(planar.count, 3 * 7 * 5)
        // Channel-major: red plane first.
        XCTAssertEqual(planar[0], Float(frame.rgb8[0]) / 255, accuracy: 1e-6)
        XCTAssertEqual(planar[35 + 1], Float(frame.rgb8[3 + 1]) / 255, accuracy: 1e-6)
        XCTAssertEqual(planar[70 + 2], Float(frame.rgb8[6 + 2]) / 255, accuracy: 1e-6)
        XCTAssertTrue(planar.allSatisfy { $0 >= 0 && $0 <= 1 })
        let back = try Frame(width: 7, height: 5, planarFloat: planar)
        XCTAssertEqual(back.rgb8, frame.rgb8)
        // Out-of-range values clamp; NaN becomes 0.
        let clamped = try Frame(width: 1, height: 1, planarFloat: [-1, 2, .nan])
        XCTAssertEqual(clamped.rgb8, [0, 255, 0])
        var buffer = [Float](repeating: -1, count: 105)
        try buffer.withUnsafeMutableBufferPointer { try frame.writePlanarFloat(into: $0) }
        XCTAssertEqual(buffer, planar)
        XCTAssertThrowsError(try Frame(width: 2, height: 2, rgb8: [1, 2, 3]))
    }
}
