import Foundation
import ProcessSettings
import XCTest
import VideoIO

final class EncodeTests: XCTestCase {
    override func setUp() { ProcessSettings.setFFmpegLogLevel(.error) }

    /// Mean PSNR of an encode → decode round trip of 30 testsrc2 frames at 320×240:
    /// `total` against the original RGB frames, `codec` against the originals passed through
    /// the same RGB → yuv420p → RGB conversion (the codec's own loss).
    private func roundTripPSNR(codec: String?, options: [String: String], ext: String) throws -> (total: Double, codec: Double) {
        let dir = try makeTemporaryDirectory(self)
        let path = dir + "/rt." + ext
        let originals = try writeGenerated("testsrc2=size=320x240:rate=25", count: 30, to: path, codec: codec, options: options)
        let decoded = try readAll(VideoReader(path: path))
        XCTAssertEqual(decoded.count, originals.count)
        var total = 0.0, codecOnly = 0.0
        for (a, b) in zip(originals, decoded) {
            total += try Frame.psnr(a, b)
            codecOnly += try Frame.psnr(a.filtered("format=yuv420p"), b)
        }
        XCTAssertEqual(directoryListing(dir), ["rt." + ext], "only the final file remains")
        let n = Double(originals.count)
        return (total / n, codecOnly / n)
    }

    /// Stated bounds for the default encoder (libx264 CRF 23, yuv420p) on testsrc2:
    /// ≥ 22 dB against the RGB original — testsrc2's per-pixel colour noise patches lose
    /// their chroma in yuv420p, which alone limits a lossless chain to 23.4 dB — and ≥ 35 dB
    /// against the yuv420p-converted original (the codec's own loss).
    func testDefaultEncoderRoundTripPSNR() throws {
        let psnr = try roundTripPSNR(codec: nil, options: [:], ext: "mp4")
        print("default encoder round-trip PSNR: \(psnr.total) dB vs RGB, \(psnr.codec) dB vs yuv420p reference")
        XCTAssertGreaterThan(psnr.total, 22)
        XCTAssertGreaterThan(psnr.codec, 35)
    }

    /// MPEG-4 part 2 (the fallback) at its default here (q=3): ≥ 22 dB / ≥ 30 dB.
    func testMPEG4RoundTripPSNR() throws {
        let psnr = try roundTripPSNR(codec: "mpeg4", options: [:], ext: "avi")
        print("mpeg4 round-trip PSNR: \(psnr.total) dB vs RGB, \(psnr.codec) dB vs yuv420p reference")
        XCTAssertGreaterThan(psnr.total, 22)
        XCTAssertGreaterThan(psnr.codec, 30)
    }

    /// A lossless chain (FFV1 in yuv444p) loses only the RGB ↔ YUV rounding: ≥ 45 dB.
    func testLosslessRoundTripPSNR() throws {
        let psnr = try roundTripPSNR(codec: "ffv1", options: ["pix_fmt": "yuv444p"], ext: "mkv")
        print("ffv1 yuv444p round-trip PSNR: \(psnr.total) dB vs RGB")
        XCTAssertGreaterThan(psnr.total, 45)
    }

    func testEncoderOptionsPassThrough() throws {
        try XCTSkipUnless(VideoIO.hasEncoder("libx264"))
        let dir = try makeTemporaryDirectory(self)
        let high = dir + "/high.mp4", low = dir + "/low.mp4"
        try writeGenerated("testsrc2=size=160x120:rate=25", count: 20, to: high, codec: "libx264",
                           options: ["crf": "10", "preset": "veryfast"])
        try writeGenerated("testsrc2=size=160x120:rate=25", count: 20, to: low, codec: "libx264",
                           options: ["-crf": "40", "preset:v": "veryfast"])
        let sHigh = try FileManager.default.attributesOfItem(atPath: high)[.size] as! Int
        let sLow = try FileManager.default.attributesOfItem(atPath: low)[.size] as! Int
        XCTAssertGreaterThan(sHigh, 2 * sLow, "crf reaches the encoder")
        // Bitrate option, ffmpeg-style key.
        let br = dir + "/br.mp4"
        try writeGenerated("testsrc2=size=160x120:rate=25", count: 20, to: br, codec: "libx264", options: ["b:v": "50k"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: br))
    }

    func testWriterPostFilterAndOutputSize() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = dir + "/up.mkv"
        let frame = try patternFrame(width: 64, height: 48)
        let writer = try VideoWriter(path: path, width: 64, height: 48, frameRate: 10, codec: "ffv1",
                                     options: ["pix_fmt": "bgr0"], filter: "hflip", outputSize: (width: 128, height: 96),
                                     scaling: .nearest)
        XCTAssertEqual(writer.outputWidth, 128)
        XCTAssertEqual(writer.outputHeight, 96)
        for _ in 0..<3 { try writer.write(frame) }
        try writer.finish()
        let back = try readAll(VideoReader(path: path, size: (width: 64, height: 48), scaling: .area))
        XCTAssertEqual(back.count, 3)
        // Lossless codec + nearest ×2 then area ÷2: exact mirror of the input.
        XCTAssertEqual(back[0].rgb8, try mirrored(frame).rgb8)
    }

    func testWriterChainRunsAtOutputSizeAndMayChangeRate() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = dir + "/post.mp4"
        let writer = try VideoWriter(path: path, width: 32, height: 24, frameRate: 25,
                                     filter: "crop=100:96:0:0,fps=5", outputSize: (width: 128, height: 96))
        XCTAssertEqual(writer.outputWidth, 100, "the chain runs after resizing")
        XCTAssertEqual(writer.outputHeight, 96)
        for i in 0..<25 { try writer.write(try Frame(width: 32, height: 24, red: UInt8(i * 10), green: 0, blue: 0)) }
        try writer.finish()
        let reader = try VideoReader(path: path)
        XCTAssertEqual(reader.frameRate ?? 0, 5, accuracy: 1e-6)
        let frames = try readAll(reader)
        XCTAssertEqual(frames.count, 5)
        XCTAssertEqual(frames[1].timestamp, 0.2, accuracy: 1e-3)
        XCTAssertEqual(frames[0].width, 100)
    }

    /// Streaming: reading and writing thousands of frames keeps memory flat.
    func testStreamingMemoryStaysFlat() throws {
        let dir = try makeTemporaryDirectory(self)
        let reader = try VideoReader(generator: "testsrc2=size=320x240:rate=25", size: (width: 64, height: 64))
        let writer = try VideoWriter(path: dir + "/long.mkv", width: 64, height: 64, frameRate: 25, codec: "mpeg4")
        var before = 0
        for i in 0..<3000 {
            if i == 500 { before = residentBytes() }
            try writer.write(try XCTUnwrap(reader.next()))
        }
        let growth = residentBytes() - before
        try writer.finish()
        XCTAssertLessThan(growth, 8 << 20, "RSS grew by \(growth) bytes over 2500 frames")
        let back = try VideoReader(path: dir + "/long.mkv")
        var n = 0
        while let _ = try back.next() {
            n += 1
            if n == 500 { before = residentBytes() }
        }
        XCTAssertEqual(n, 3000)
        XCTAssertLessThan(residentBytes() - before, 8 << 20)
    }

    func testFrameRateAndTimestampsOfNonIntegerRate() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = dir + "/ntsc.mp4"
        try writeGenerated("testsrc2=size=64x48:rate=30000/1001", count: 12, to: path, frameRate: 29.97)
        let reader = try VideoReader(path: path)
        XCTAssertEqual(reader.frameRate ?? 0, 29.97, accuracy: 0.01)
        let frames = try readAll(reader)
        XCTAssertEqual(frames.count, 12)
        XCTAssertEqual(frames[11].timestamp, 11 / 29.97, accuracy: 2e-3)
    }

    func testImageSequenceWriteAndRead() throws {
        let dir = try makeTemporaryDirectory(self)
        let frames = try (0..<5).map { i -> Frame in
            try Frame(width: 16, height: 8, red: UInt8(40 * i), green: 7, blue: 200)
        }
        let writer = try VideoWriter(path: dir + "/img%03d.png", width: 16, height: 8, frameRate: 5)
        XCTAssertTrue(writer.isImageSequence)
        for f in frames { try writer.write(f) }
        try writer.finish()
        XCTAssertEqual(directoryListing(dir), ["img001.png", "img002.png", "img003.png", "img004.png", "img005.png"])
        let reader = try VideoReader(path: dir + "/img%03d.png")
        let back = try readAll(reader)
        XCTAssertEqual(back.map(\.rgb8), frames.map(\.rgb8))
        XCTAssertEqual(reader.formatName, "image2")
    }

    func testUnfinishedWriterLeavesNothing() throws {
        let dir = try makeTemporaryDirectory(self)
        do {
            let writer = try VideoWriter(path: dir + "/gone.mp4", width: 64, height: 48, frameRate: 25)
            try writer.write(try patternFrame(width: 64, height: 48))
            XCTAssertEqual(directoryListing(dir).count, 1, "a hidden temporary file while writing")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/gone.mp4"))
        }
        XCTAssertEqual(directoryListing(dir), [], "released without finish: temporary removed")
        let writer = try VideoWriter(path: dir + "/cancel.mp4", width: 64, height: 48, frameRate: 25)
        try writer.write(try patternFrame(width: 64, height: 48))
        writer.cancel()
        XCTAssertEqual(directoryListing(dir), [])
        assertVideoIOError(try writer.write(try patternFrame(width: 64, height: 48))) {
            if case .writerClosed = $0 { return true } else { return false }
        }
        // Image sequence: cancelled images are removed too.
        let seq = try VideoWriter(path: dir + "/s%02d.png", width: 8, height: 8, frameRate: 1)
        try seq.write(try Frame(width: 8, height: 8, red: 1, green: 2, blue: 3))
        XCTAssertEqual(directoryListing(dir), ["s01.png"])
        seq.cancel()
        XCTAssertEqual(directoryListing(dir), [])
    }

    func testExistingFileReplacedOnlyOnFinish() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = dir + "/keep.mp4"
        try writeGenerated("color=c=blue:size=64x48:rate=25", count: 3, to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let writer = try VideoWriter(path: path, width: 64, height: 48, frameRate: 25)
        try writer.write(try Frame(width: 64, height: 48, red: 255, green: 0, blue: 0))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before, "old file intact until finish")
        try writer.finish()
        let first = try XCTUnwrap(VideoReader(path: path).next())
        XCTAssertGreaterThan(first.pixel(x: 32, y: 24).red, 200)
        XCTAssertEqual(directoryListing(dir), ["keep.mp4"])
    }
}
