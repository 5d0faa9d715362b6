import XCTest
import VideoIO

/// Caller-owned pixels to and from square model frames.
final class PixelScalerTests: XCTestCase {
    func testFlatColourSurvivesAndRowPaddingIsUntouched() throws {
        let width = 37, height = 21, stride = 37 * 3 + 9
        var bytes = [UInt8](repeating: 0xEE, count: stride * height)
        for y in 0..<height { for x in 0..<width { bytes[y * stride + 3 * x] = 200; bytes[y * stride + 3 * x + 1] = 100; bytes[y * stride + 3 * x + 2] = 50 } }
        let scaler = PixelScaler()
        let planar = try bytes.withUnsafeMutableBytes { raw in
            try scaler.planarFloat(from: PixelBuffer(base: raw.baseAddress!, width: width, height: height, stride: stride, layout: .rgb8), side: 16)
        }
        XCTAssertEqual(planar.count, 3 * 16 * 16)
        XCTAssertEqual(planar[0], 200 / 255, accuracy: 1e-6)
        XCTAssertEqual(planar[256 + 100], 100 / 255, accuracy: 1e-6)
        XCTAssertEqual(planar[512 + 255], 50 / 255, accuracy: 1e-6)

        var out = [UInt8](repeating: 0xEE, count: (width * 4 + 12) * height)
        try out.withUnsafeMutableBytes { raw in
            try scaler.write(planarFloat: planar, side: 16, into: PixelBuffer(base: raw.baseAddress!, width: width, height: height, stride: width * 4 + 12, layout: .rgba8))
        }
        for y in 0..<height {
            let row = y * (width * 4 + 12)
            for x in 0..<width {
                XCTAssertEqual(Array(out[(row + 4 * x)..<(row + 4 * x + 4)]), [200, 100, 50, 255], "pixel \(x),\(y)")
            }
            XCTAssertEqual(Array(out[(row + width * 4)..<(row + width * 4 + 12)]), [UInt8](repeating: 0xEE, count: 12), "row \(y) padding")
        }
    }

    /// At the image's own size every pixel comes through exactly (byte / 255), from RGB and
    /// RGBA rows with padding, small and large enough to be split into bands of rows.
    func testOwnSizeGivesEveryPixelExactly() throws {
        for (width, height, layout) in [(37, 21, PixelLayout.rgb8), (320, 241, .rgba8), (641, 480, .rgb8)] {
            let step = layout.bytesPerPixel, stride = width * step + 7
            var bytes = [UInt8](repeating: 0, count: stride * height)
            for y in 0..<height { for x in 0..<width { for c in 0..<step { bytes[y * stride + step * x + c] = UInt8((x * 7 + y * 13 + c * 101) % 256) } } }
            let planar = try bytes.withUnsafeMutableBytes { raw in
                try PixelScaler().planarFloat(from: PixelBuffer(base: raw.baseAddress!, width: width, height: height, stride: stride, layout: layout),
                                              width: width, height: height)
            }
            XCTAssertEqual(planar.count, 3 * width * height)
            var wrong = 0
            for c in 0..<3 { for y in 0..<height { for x in 0..<width {
                if planar[(c * height + y) * width + x] != Float(bytes[y * stride + step * x + c]) / 255 { wrong += 1 }
            } } }
            XCTAssertEqual(wrong, 0, "\(width)x\(height) \(layout)")
        }
    }

    func testBadBuffersAreRefused() throws {
        var bytes = [UInt8](repeating: 0, count: 64)
        let scaler = PixelScaler()
        try bytes.withUnsafeMutableBytes { raw in
            XCTAssertThrowsError(try scaler.planarFloat(from: PixelBuffer(base: raw.baseAddress!, width: 4, height: 4, stride: 11, layout: .rgb8), side: 8)) { error in
                XCTAssertTrue("\(error)".contains("stride 11"), "\(error)")
            }
            XCTAssertThrowsError(try scaler.planarFloat(from: PixelBuffer(base: raw.baseAddress!, width: 0, height: 4, stride: 12, layout: .rgb8), side: 8))
            XCTAssertThrowsError(try scaler.write(planarFloat: [0, 1], side: 8, into: PixelBuffer(base: raw.baseAddress!, width: 4, height: 4, stride: 16, layout: .rgba8)))
        }
    }
}
