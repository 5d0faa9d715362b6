import Foundation
import ProcessSettings
import XCTest
import VideoIO

final class ContactSheetTests: XCTestCase {
    override func setUp() { ProcessSettings.setFFmpegLogLevel(.error) }

    func testGridGeometryColoursAndLabels() throws {
        let colours: [(UInt8, UInt8, UInt8)] = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
        let frames = try colours.map { try Frame(width: 20, height: 10, red: $0.0, green: $0.1, blue: $0.2) }
        let sheet = ContactSheet(columns: 2, spacing: 2, background: (0, 0, 0), textColor: (255, 255, 255))
        let image = try sheet.render(frames, labels: ["A", "b1", "frame 3"])
        // 2 columns × 20 + 3 gaps × 2; 2 rows × (10 + 11 label strip) + 3 gaps × 2.
        XCTAssertEqual(image.width, 46)
        XCTAssertEqual(image.height, 48)
        XCTAssertTrue(image.pixel(x: 2 + 10, y: 2 + 5) == (255, 0, 0))
        XCTAssertTrue(image.pixel(x: 24 + 10, y: 2 + 5) == (0, 255, 0))
        XCTAssertTrue(image.pixel(x: 2 + 10, y: 25 + 5) == (0, 0, 255))
        // Label "A" under the first cell: glyph row 0 is 01110, drawn at x = 2 + 1, y = 2 + 10 + 2.
        XCTAssertTrue(image.pixel(x: 3, y: 14) == (0, 0, 0))
        XCTAssertTrue(image.pixel(x: 4, y: 14) == (255, 255, 255))
        XCTAssertTrue(image.pixel(x: 3, y: 17) == (255, 255, 255), "the bar of the A")
        // Unlabelled: no label strip.
        XCTAssertEqual(try sheet.render(frames).height, 2 * 10 + 3 * 2)
        // Mixed sizes are fitted into the cell.
        let big = try Frame(width: 80, height: 20, red: 9, green: 9, blue: 9)
        XCTAssertEqual(try ContactSheet(columns: 1, cellWidth: 40, cellHeight: 40).render([big]).width, 48)
        XCTAssertThrowsError(try sheet.render([]))
        XCTAssertThrowsError(try sheet.render(frames, labels: ["x"]))
    }

    func testWritesPNG() throws {
        let dir = try makeTemporaryDirectory(self)
        let frames = (0..<5).map { _ in try! patternFrame(width: 32, height: 24) }
        let sheet = ContactSheet(labelScale: 2)
        try sheet.write(frames, labels: (0..<5).map { "T=\($0)" }, to: dir + "/sheet.png")
        let back = try ImageFile.read(path: dir + "/sheet.png")
        XCTAssertEqual(back.rgb8, try sheet.render(frames, labels: (0..<5).map { "T=\($0)" }).rgb8)
    }
}
