import EquivariantModel
import Foundation
import VideoIO

/// Draws a training log (the JSON lines `eqr train` writes) as small multiples: one panel per
/// loss term and feature norm, log-scaled y axis, labelled with first → last value.
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
        guard entries.count >= 2 else { throw ModelError.invalidInput("a loss curve needs at least 2 log entries, got \(entries.count)") }
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

    /// One panel: light grid at every power of ten, the curve in dark blue.
    static func panel(steps: [Float], values: [Float], size: (width: Int, height: Int)) throws -> Frame {
        let (w, h) = size
        var pixels = [UInt8](repeating: 250, count: w * h * 3)
        func set(_ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8)) {
            guard x >= 0, x < w, y >= 0, y < h else { return }
            let i = (y * w + x) * 3
            pixels[i] = c.0; pixels[i + 1] = c.1; pixels[i + 2] = c.2
        }
        let logs = values.map { log10(Double(max($0, 1e-12))) }
        var low = logs.min()!, high = logs.max()!
        if high - low < 0.1 { low -= 0.05; high += 0.05 }
        let margin = 6
        func py(_ v: Double) -> Int { margin + Int(Double(h - 2 * margin) * (high - v) / (high - low)) }
        func px(_ s: Float) -> Int {
            let first = steps.first!, last = steps.last!
            return margin + Int(Float(w - 2 * margin) * (s - first) / max(last - first, 1))
        }
        for decade in Int(low.rounded(.down))...Int(high.rounded(.up)) {
            let y = py(Double(decade))
            for x in margin..<(w - margin) where x % 3 == 0 { set(x, y, (200, 200, 200)) }
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
