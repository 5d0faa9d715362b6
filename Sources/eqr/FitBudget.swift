import ArgumentParser
import Foundation
import Tensors
import Training

/// Time budgets of `eqr fit` and `-fit` (`90s`, `5m`, `1.5h`, or plain seconds) and the fit's
/// progress line.
enum FitBudget {
    /// The duration a budget string names; a `ValidationError` for anything else.
    static func parse(_ text: String) throws -> Duration {
        let units: [(String, Double)] = [("h", 3600), ("m", 60), ("s", 1)]
        var number = Substring(text), scale = 1.0
        if let (suffix, factor) = units.first(where: { text.hasSuffix($0.0) }) {
            number = text.dropLast(suffix.count)
            scale = factor
        }
        guard let value = Double(number), value.isFinite, value > 0, value * scale <= 7 * 86_400 else {
            throw ValidationError("the time budget \(text) is not a positive duration such as 90s, 5m or 1h (at most a week)")
        }
        return .milliseconds(Int64((value * scale * 1000).rounded()))
    }

    /// `step 120  loss 0.0312  scene 0.0150  α 0.21  41.3 pairs/s  1m02s of 5m00s  ETA 3m58s`.
    static func progressLine(_ entry: TrainingRun.LogEntry, elapsed: Duration, budget: Duration?, steps: Int?, batch: Int) -> String {
        let r = entry.report
        var line = String(format: "step %d  loss %.4f  scene %.4f", r.step, r.total, r.scene)
        if let a = r.coverageMean { line += String(format: "  α %.2f", a) }
        line += String(format: "  %.1f pairs/s  ", entry.samplesPerSecond) + clock(elapsed)
        var remaining: Double?
        if let budget { remaining = max(0, (budget - elapsed).inSeconds) }
        if let steps {
            let bySteps = Double(steps - r.step) * Double(batch) / max(entry.samplesPerSecond, 1e-9)
            remaining = min(remaining ?? bySteps, bySteps)
        }
        if let budget { line += " of " + clock(budget) }
        if let remaining { line += "  ETA " + clock(.seconds(remaining)) }
        return line
    }

    /// `1m02s`, `45s`, `1h05m`.
    static func clock(_ duration: Duration) -> String {
        let seconds = Int(duration.inSeconds.rounded())
        if seconds >= 3600 { return String(format: "%dh%02dm", seconds / 3600, seconds % 3600 / 60) }
        if seconds >= 60 { return String(format: "%dm%02ds", seconds / 60, seconds % 60) }
        return "\(seconds)s"
    }
}
