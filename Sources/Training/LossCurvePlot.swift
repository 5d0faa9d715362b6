import EquivariantModel
import Foundation
import VideoIO

/// Draws a training log (the JSON lines `eqr train` writes) as small multiples: one panel per
/// loss term and feature norm, each with a log-scaled value axis and a step axis, captioned
/// with its name and first → last value.
public enum LossCurvePlot {
    /// Reads a JSON-lines training log.
    public static func readLog(contentsOf url: URL) throws -> [TrainingRun.LogEntry] {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw ModelError.invalidInput("cannot read the training log \(url.path): \(error.localizedDescription)")
        }
        let decoder = JSONDecoder()
        return try text.split(separator: "\n").enumerated().map { index, line in
            do { return try decoder.decode(TrainingRun.LogEntry.self, from: Data(line.utf8)) } catch {
                throw ModelError.invalidInput("\(url.path) line \(index + 1) is not a training log entry")
            }
        }
    }

    /// Renders the panels into one PNG-ready frame.
    public static func render(_ entries: [TrainingRun.LogEntry], panelSize: (width: Int, height: Int) = (240, 150)) throws -> Frame {
        guard !entries.isEmpty else { throw ModelError.invalidInput("a loss curve needs at least one log entry; the log is empty") }
        let series: [(String, [Float])] = [
            ("scene L_s", entries.map(\.report.scene)),
            ("reconstruction", entries.map(\.report.reconstruction)),
            ("equivariance L_c", entries.map(\.report.character)),
            ("invariance L_b", entries.map(\.report.background)),
            ("mean |f(x)|", entries.map(\.report.characterFeatureMagnitude)),
            ("mean |h(x)|", entries.map(\.report.backgroundFeatureMagnitude)),
        ]
        let steps = entries.map { Float($0.report.step) }
        var panels: [Frame] = [], labels: [String] = []
        for (name, values) in series {
            panels.append(try panel(steps: steps, values: values, size: panelSize))
            labels.append("\(name) \(short(values.first!))->\(short(values.last!))")
        }
        return try ContactSheet(columns: 3, spacing: 6, labelScale: 1).render(panels, labels: labels)
    }

    static func short(_ v: Float) -> String { String(format: v < 0.01 ? "%.2e" : "%.3f", v) }

    /// One panel: a log-scaled value axis on the left (a label at every power of ten inside the
    /// range, or at the range's ends when it spans less than a decade, with light grid lines),
    /// the step axis below (first, middle and last logged step), the curve in dark blue (a dot
    /// when only one step was logged).
    public static func panel(steps: [Float], values: [Float], size: (width: Int, height: Int)) throws -> Frame {
        let (w, h) = size
        var pixels = [UInt8](repeating: 250, count: w * h * 3)
        func set(_ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8)) {
            guard x >= 0, x < w, y >= 0, y < h else { return }
            let i = (y * w + x) * 3
            pixels[i] = c.0; pixels[i + 1] = c.1; pixels[i + 2] = c.2
        }
        let ink: (UInt8, UInt8, UInt8) = (70, 70, 70)
        func text(_ string: String, x: Int, y: Int) {
            BitmapFont.draw(string, into: &pixels, imageWidth: w, imageHeight: h, x: x, y: y, scale: 1, color: ink, clip: (0, 0, w, h))
        }
        let logs = values.map { log10(Double(max($0, 1e-12))) }
        var low = logs.min()!, high = logs.max()!
        if high - low < 0.1 { low -= 0.05; high += 0.05 }
        // Value ticks: every power of ten inside the range, or the range's ends.
        // (A tolerance: 0.001 as a Float is a hair above 10^-3.)
        let lowestDecade = Int((low - 1e-6).rounded(.up)), highestDecade = Int((high + 1e-6).rounded(.down))
        let decades = lowestDecade <= highestDecade ? Array(lowestDecade...highestDecade) : []
        let ticks: [(value: Double, label: String)] = decades.count >= 2
            ? decades.map { (Double($0), "1E\($0)") } : [(high, short(Float(pow(10, high)))), (low, short(Float(pow(10, low))))]
        // The plot area: room for the value labels on the left and the step labels below.
        let left = ticks.map { BitmapFont.width(of: $0.label, scale: 1) }.max()! + 5, right = w - 8
        let top = 6, bottom = h - BitmapFont.glyphHeight - 6
        func py(_ v: Double) -> Int { top + Int(Double(bottom - top) * (high - v) / (high - low)) }
        let first = steps.first!, last = steps.last!
        func px(_ s: Float) -> Int { left + Int(Float(right - left) * (s - first) / max(last - first, 1)) }
        for tick in ticks {
            let y = py(tick.value)
            for x in left..<right where x % 3 == 0 { set(x, y, (200, 200, 200)) }
            text(tick.label, x: left - 3 - BitmapFont.width(of: tick.label, scale: 1),
                 y: min(max(y - BitmapFont.glyphHeight / 2, 0), bottom - BitmapFont.glyphHeight))
        }
        for y in top...bottom { set(left - 1, y, ink) }
        // Step axis.
        for x in (left - 1)...right { set(x, bottom + 1, ink) }
        let stepTicks: [Float] = first == last ? [first] : [first, (first + last) / 2, last]
        for (index, step) in stepTicks.enumerated() {
            let label = String(Int(step.rounded())), x = px(step)
            for y in (bottom + 1)...(bottom + 3) { set(x, y, ink) }
            let width = BitmapFont.width(of: label, scale: 1)
            text(label, x: index == 0 ? x : index == 1 ? x - width / 2 : x - width, y: bottom + 5)
        }
        if values.count == 1 {  // one logged step (a short run): a dot
            let (x, y) = (px(steps[0]), py(logs[0]))
            for dy in -1...1 { for dx in -1...1 { set(x + dx, y + dy, (20, 60, 160)) } }
        }
        for i in 1..<values.count {
            let (x0, y0, x1, y1) = (px(steps[i - 1]), py(logs[i - 1]), px(steps[i]), py(logs[i]))
            let n = max(abs(x1 - x0), abs(y1 - y0), 1)
            for t in 0...n {
                let x = x0 + (x1 - x0) * t / n, y = y0 + (y1 - y0) * t / n
                set(x, y, (20, 60, 160)); set(x, y + 1, (20, 60, 160))
            }
        }
        return try Frame(width: w, height: h, rgb8: pixels)
    }
}
