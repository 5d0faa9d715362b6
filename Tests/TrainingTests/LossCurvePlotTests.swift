import Training
import XCTest

/// The loss plot's panels read as plots: value labels left of a log axis with a grid line per
/// decade, step labels below, the curve spanning the plot area.
final class LossCurvePlotTests: XCTestCase {
    let ink: [UInt8] = [70, 70, 70], grid: [UInt8] = [200, 200, 200]

    func pixel(_ frame: [UInt8], width: Int, _ x: Int, _ y: Int) -> [UInt8] {
        Array(frame[(3 * (y * width + x))..<(3 * (y * width + x) + 3)])
    }

    func testPanelsHaveLabelledAxesAndAGridLinePerDecade() throws {
        let (w, h) = (240, 150)
        let steps: [Float] = [0, 100, 200, 300], values: [Float] = [1, 0.1, 0.01, 0.001]
        let panel = try LossCurvePlot.panel(steps: steps, values: values, size: (w, h)).rgb8
        // Four decades, four dotted grid lines (rows with grid pixels across the middle).
        let gridRows = (0..<h).filter { y in (0..<w).filter { pixel(panel, width: w, $0, y) == grid }.count > 30 }
        XCTAssertEqual(gridRows.count, 4, "\(gridRows)")
        // Value labels ("1E0" … "1E-3") in the strip left of the axis, step labels below it.
        let labelStrip = (0..<h).flatMap { y in (0..<12).map { (x: $0, y: y) } }.filter { pixel(panel, width: w, $0.x, $0.y) == ink }
        XCTAssertGreaterThan(labelStrip.count, 20, "value labels")
        let stepStrip = ((h - 8)..<h).flatMap { y in (0..<w).map { (x: $0, y: y) } }.filter { pixel(panel, width: w, $0.x, $0.y) == ink }
        XCTAssertGreaterThan(stepStrip.count, 20, "step labels")
        // Less than a decade: the range's two ends are labelled instead, still with grid lines.
        let narrow = try LossCurvePlot.panel(steps: steps, values: [0.5, 0.4, 0.3, 0.35], size: (w, h)).rgb8
        XCTAssertEqual((0..<h).filter { y in (0..<w).filter { pixel(narrow, width: w, $0, y) == grid }.count > 30 }.count, 2)
    }
}
