import ArgumentParser
import EquivariantRenderer
import Foundation
import Tensors

/// Parses `-effect` values: `swap`, `reconstruct`, `transform=angle=20:scale=1.3:tx=0.1:ty=0`,
/// `transfer=template=walk.json`. Every option is declared once in `table`, with its range.
enum EffectSpecification {
    /// One effect option: name, meaning, default and allowed range.
    struct Option {
        var effect: String, name: String, help: String, defaultValue: Double, range: ClosedRange<Double>
    }

    /// The options of every effect (transfer's `template` is a path, listed separately).
    static let table: [Option] = [
        Option(effect: "transform", name: "angle", help: "rotation in degrees (counter-clockwise)", defaultValue: 0, range: -180...180),
        Option(effect: "transform", name: "scale", help: "uniform scale", defaultValue: 1, range: 0.1...10),
        Option(effect: "transform", name: "sx", help: "extra horizontal scale", defaultValue: 1, range: 0.1...10),
        Option(effect: "transform", name: "sy", help: "extra vertical scale", defaultValue: 1, range: 0.1...10),
        Option(effect: "transform", name: "shear", help: "horizontal shear", defaultValue: 0, range: -2...2),
        Option(effect: "transform", name: "tx", help: "horizontal shift, fraction of the half-width (normalised units)", defaultValue: 0, range: -2...2),
        Option(effect: "transform", name: "ty", help: "vertical shift, normalised units (down is positive)", defaultValue: 0, range: -2...2),
    ]

    /// A motion from `transform` options (missing ones take their defaults).
    static func motion(from pairs: [String: String], context: String) throws -> Affine2D {
        var values: [String: Double] = [:]
        for o in table where o.effect == "transform" { values[o.name] = o.defaultValue }
        for (key, raw) in pairs {
            guard let option = table.first(where: { $0.effect == "transform" && $0.name == key }) else {
                throw ValidationError("\(context): unknown option '\(key)' (known: \(table.map(\.name).joined(separator: ", ")), keyframes)")
            }
            guard let value = Double(raw), value.isFinite else { throw ValidationError("\(context): \(key)=\(raw) is not a number") }
            guard option.range.contains(value) else {
                throw ValidationError("\(context): \(key)=\(raw) is outside \(format(option.range.lowerBound))...\(format(option.range.upperBound))")
            }
            values[key] = value
        }
        return Affine2D(angle: Float(values["angle"]! * .pi / 180), scaleX: Float(values["scale"]! * values["sx"]!),
                        scaleY: Float(values["scale"]! * values["sy"]!), shear: Float(values["shear"]!),
                        translationX: Float(values["tx"]!), translationY: Float(values["ty"]!))
    }

    /// Keyframes from a JSON file: `[{"frame": 0, "angle": 0}, {"frame": 100, "angle": 90, "tx": 0.2}, …]`.
    static func keyframes(fromFile path: String) throws -> [Int: Affine2D] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read the keyframe file \(path)") }
        guard let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]], !list.isEmpty else {
            throw ValidationError("\(path) is not a JSON list of keyframes like [{\"frame\": 0, \"angle\": 10}]")
        }
        var keyframes: [Int: Affine2D] = [:]
        for (i, entry) in list.enumerated() {
            guard let frame = entry["frame"] as? Int, frame >= 0 else { throw ValidationError("\(path): keyframe \(i) needs a \"frame\" ≥ 0") }
            var pairs: [String: String] = [:]
            for (key, value) in entry where key != "frame" {
                guard let number = value as? Double else { throw ValidationError("\(path): keyframe \(i): \(key) is not a number") }
                pairs[key] = String(number)
            }
            keyframes[frame] = try motion(from: pairs, context: "\(path) keyframe \(i)")
        }
        return keyframes
    }

    /// `eqr -h effects`.
    static var help: String {
        var lines = [
            "Effects (-effect NAME[=key=value:key=value...]):",
            "  swap          the input's character over the new background (input 1)",
            "  reconstruct   the model's own re-render of the input (no background needed)",
            "  transform     the character moved by an affine on top of its own motion, over the new background",
            "  transfer      the character moved like a motion template's clip (template=FILE from -extract-motion)",
            "",
            "transform options:",
        ]
        for o in table where o.effect == "transform" {
            lines.append("  \(o.name.padding(toLength: 6, withPad: " ", startingAt: 0)) \(o.help); default \(format(o.defaultValue)), range \(format(o.range.lowerBound))...\(format(o.range.upperBound))")
        }
        lines.append("  keyframes  a JSON file [{\"frame\": 0, \"angle\": 0}, {\"frame\": 100, \"angle\": 90}]: options per frame, interpolated")
        lines.append("transfer options:")
        lines.append("  template  path of a motion template JSON (required)")
        return lines.joined(separator: "\n")
    }

    static func format(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(v) }

    /// The effect for a `-effect` value; errors name the bad key or value and the range.
    static func parse(_ text: String) throws -> RetargetEffect {
        let (name, rest) = text.firstIndex(of: "=").map { (String(text[..<$0]), String(text[text.index(after: $0)...])) } ?? (text, "")
        var pairs: [String: String] = [:]
        for item in rest.split(separator: ":", omittingEmptySubsequences: true) {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else { throw ValidationError("-effect \(name): '\(item)' is not key=value") }
            pairs[parts[0]] = parts[1]
        }
        switch name {
        case "swap", "reconstruct":
            guard pairs.isEmpty else { throw ValidationError("-effect \(name) takes no options, got \(pairs.keys.sorted().joined(separator: ", "))") }
            return name == "swap" ? .swap : .reconstruct
        case "transform":
            if let file = pairs["keyframes"] {
                guard pairs.count == 1 else { throw ValidationError("-effect transform: keyframes=FILE cannot be combined with other options") }
                return .transform(keyframes: try keyframes(fromFile: file))
            }
            return .transform(keyframes: [0: try motion(from: pairs, context: "-effect transform")])
        case "transfer":
            guard let path = pairs["template"], pairs.count == 1 else {
                throw ValidationError("-effect transfer needs exactly template=FILE (a motion template from -extract-motion)")
            }
            return .transfer(try MotionTemplate.read(contentsOf: URL(fileURLWithPath: path)))
        default:
            throw ValidationError("unknown effect '\(name)' (known: swap, transform, transfer, reconstruct; see eqr -h effects)")
        }
    }
}
