import Foundation
import ProcessSettings
import XCTest
import VideoIO

final class ImageAndFilterTests: XCTestCase {
    override func setUp() { ProcessSettings.setFFmpegLogLevel(.error) }

    func testPNGWrittenAndReadBackEqualsBuffer() throws {
        let dir = try makeTemporaryDirectory(self)
        let frame = try patternFrame(width: 67, height: 41)
        try ImageFile.write(frame, to: dir + "/p.png")
        XCTAssertEqual(directoryListing(dir), ["p.png"])
        let back = try ImageFile.read(path: dir + "/p.png")
        XCTAssertEqual(back.width, 67)
        XCTAssertEqual(back.height, 41)
        XCTAssertEqual(back.rgb8, frame.rgb8)
        // The bytes are a real PNG.
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/p.png"))
        XCTAssertEqual(Array(data.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    }

    func testJPEGAndOtherFormatsRoundTrip() throws {
        let dir = try makeTemporaryDirectory(self)
        let frame = try patternFrame(width: 64, height: 48)
        try ImageFile.write(frame, to: dir + "/p.jpg")
        let jpeg = try ImageFile.read(path: dir + "/p.jpg")
        let psnr = try Frame.psnr(frame, jpeg)
        XCTAssertGreaterThan(psnr, 30, "JPEG at q=2, 4:4:4")
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/p.jpg"))
        XCTAssertEqual(Array(data.prefix(2)), [0xFF, 0xD8])
        for ext in ["bmp", "ppm", "tiff"] {
            try ImageFile.write(frame, to: dir + "/p." + ext)
            XCTAssertEqual(try ImageFile.read(path: dir + "/p." + ext).rgb8, frame.rgb8, ext)
        }
        // Resize on read.
        let small = try ImageFile.read(path: dir + "/p.bmp", size: (width: 16, height: 12))
        XCTAssertEqual(small.width, 16)
        XCTAssertThrowsError(try ImageFile.read(path: dir + "/p.png"), "never written")
    }

    func testHflipFilterReallyApplies() throws {
        let dir = try makeTemporaryDirectory(self)
        let frame = try patternFrame(width: 40, height: 30)
        try ImageFile.write(frame, to: dir + "/a.png")
        let flipped = try ImageFile.read(path: dir + "/a.png", filter: "hflip")
        XCTAssertEqual(flipped.rgb8, try mirrored(frame).rgb8)
        XCTAssertEqual(try frame.filtered("hflip").rgb8, try mirrored(frame).rgb8)
        XCTAssertEqual(try frame.filtered("hflip,hflip").rgb8, frame.rgb8)
    }

    func testCropAndHflipChainOnVideo() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = dir + "/v.mkv"
        let frames = (0..<4).map { _ in try! patternFrame(width: 96, height: 64) }
        let writer = try VideoWriter(path: path, width: 96, height: 64, frameRate: 25, codec: "ffv1", options: ["pix_fmt": "bgr0"])
        for f in frames { try writer.write(f) }
        try writer.finish()
        let reader = try VideoReader(path: path, filter: "crop=32:24:10:8,hflip")
        XCTAssertEqual(reader.width, 32)
        XCTAssertEqual(reader.height, 24)
        let out = try readAll(reader)
        XCTAssertEqual(out.count, 4)
        // Expected: crop of the pattern then mirror.
        let cropped = try patternFrame(width: 96, height: 64).filtered("crop=32:24:10:8")
        XCTAssertEqual(out[0].rgb8, try mirrored(cropped).rgb8)
        XCTAssertEqual(out[0].pixel(x: 31, y: 0).red, frames[0].pixel(x: 10, y: 8).red)
        // Filter then resize: size applies after the chain.
        let resized = try VideoReader(path: path, size: (width: 16, height: 12), filter: "crop=32:24:10:8")
        XCTAssertEqual(try XCTUnwrap(resized.next()).width, 16)
        // A labelled multi-branch graph in FFmpeg syntax works too.
        let stacked = try VideoReader(path: path, filter: "split[a][b];[a]hflip[c];[b][c]hstack")
        XCTAssertEqual(stacked.width, 192)
    }

    func testResizeHelper() throws {
        let frame = try Frame(width: 10, height: 10, red: 10, green: 20, blue: 30)
        let r = try frame.resized(width: 5, height: 3, scaling: .area)
        XCTAssertEqual(r.width, 5)
        XCTAssertEqual(r.height, 3)
        XCTAssertEqual(r.pixel(x: 2, y: 1).green, 20)
    }
}
