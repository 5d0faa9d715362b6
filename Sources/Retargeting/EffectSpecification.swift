import EquivariantModel
import Foundation
import Tensors

/// Parses effect descriptions — `swap`, `reconstruct`, `transform=angle=20:scale=1.3:tx=0.1:ty=0`,
/// `transfer=template=walk.json` — for the `eqr` host (`-effect`), the C library and the
/// frei0r plugin alike. Every option is declared once in `table`, with its range.
public enum EffectSpecification {
    /// One effect option: name, meaning, default and allowed range.
    public struct Option: Sendable {
        /// The effect it belongs to.
        public var effect: String
        /// The key, as in `angle=20`.
        public var name: String
        /// What it does.
        public var help: String
        /// Its value when not given.
        public var defaultValue: Double
        /// The values accepted.
        public var range: ClosedRange<Double>
    }

    /// The options of every effect (transfer's `template` is a path, listed separately).
    public static let table: [Option] = [
        Option(effect: "transform", name: "angle", help: "rotation in degrees (counter-clockwise)", defaultValue: 0, range: -180...180),
        Option(effect: "transform", name: "scale", help: "uniform scale", defaultValue: 1, range: 0.1...10),
        Option(effect: "transform", name: "sx", help: "extra horizontal scale", defaultValue: 1, range: 0.1...10),
        Option(effect: "transform", name: "sy", help: "extra vertical scale", defaultValue: 1, range: 0.1...10),
        Option(effect: "transform", name: "shear", help: "horizontal shear", defaultValue: 0, range: -2...2),
        Option(effect: "transform", name: "tx", help: "horizontal shift, fraction of the half-width (normalised units)", defaultValue: 0, range: -2...2),
        Option(effect: "transform", name: "ty", help: "vertical shift, normalised units (down is positive)", defaultValue: 0, range: -2...2),
    ]

    /// A motion from `transform` options (missing ones take their defaults).
    public static func motion(from pairs: [String: String], context: String) throws -> Affine2D {
        var values: [String: Double] = [:]
        for o in table where o.effect == "transform" { values[o.name] = o.defaultValue }
        for (key, raw) in pairs {
            guard let option = table.first(where: { $0.effect == "transform" && $0.name == key }) else {
                throw EffectError("\(context): unknown option '\(key)' (known: \(table.map(\.name).joined(separator: ", ")), keyframes)")
            }
            guard let value = Double(raw), value.isFinite else { throw EffectError("\(context): \(key)=\(raw) is not a number") }
            guard option.range.contains(value) else {
                throw EffectError("\(context): \(key)=\(raw) is outside \(format(option.range.lowerBound))...\(format(option.range.upperBound))")
            }
            values[key] = value
        }
        return motion(values)
    }

    /// The motion for `transform` values by key; missing keys take their defaults.
    public static func motion(_ values: [String: Double]) -> Affine2D {
        func value(_ key: String) -> Double {
            values[key] ?? table.first { $0.effect == "transform" && $0.name == key }!.defaultValue
        }
        return Affine2D(angle: Float(value("angle") * .pi / 180), scaleX: Float(value("scale") * value("sx")),
                        scaleY: Float(value("scale") * value("sy")), shear: Float(value("shear")),
                        translationX: Float(value("tx")), translationY: Float(value("ty")))
    }

    /// Keyframes from a JSON file: `[{"frame": 0, "angle": 0}, {"frame": 100, "angle": 90, "tx": 0.2}, …]`.
    public static func keyframes(fromFile path: String) throws -> [Int: Affine2D] {
        if let problem = RegularFile.problem(path) { throw EffectError("the keyframe file \(path) \(problem)") }
        guard let data = FileManager.default.contents(atPath: path) else { throw EffectError("cannot read the keyframe file \(path)") }
        guard let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]], !list.isEmpty else {
            throw EffectError("\(path) is not a JSON list of keyframes like [{\"frame\": 0, \"angle\": 10}]")
        }
        var keyframes: [Int: Affine2D] = [:]
        for (i, entry) in list.enumerated() {
            guard let frame = entry["frame"] as? Int, frame >= 0 else { throw EffectError("\(path): keyframe \(i) needs a \"frame\" ≥ 0") }
            var pairs: [String: String] = [:]
            for (key, value) in entry where key != "frame" {
                guard let number = value as? Double else { throw EffectError("\(path): keyframe \(i): \(key) is not a number") }
                pairs[key] = String(number)
            }
            keyframes[frame] = try motion(from: pairs, context: "\(path) keyframe \(i)")
        }
        return keyframes
    }

    /// The help text (`eqr -h effects`).
    public static var help: String {
        var lines = [
            "Effects (-effect NAME[=key=value:key=value...]; '+' also separates options, e.g. transform=angle=20+scale=1.3,",
            "which needs no escaping inside an ffmpeg -vf frei0r=... graph):",
            "  swap          the input's character over the new background (input 1)",
            "  reconstruct   the model's own re-render of the input (no background needed)",
            "  matte         the character's matte as grey, white = character (no background needed)",
            "  cutout        the character alone, with the matte as alpha (a video with alpha: .webm, .mov, .mkv)",
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

    /// A number as short text (`1`, `0.5`).
    public static func format(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(v) }

    /// The `key=value` items of an effect's options, separated by `:` or by `+` before a
    /// key (`angle=20+scale=1.3`): `+` needs no escaping inside an ffmpeg filter graph,
    /// where `:` separates the filter's own options. A `+` before a digit or sign stays in
    /// its value (`1e+3`).
    static func optionItems(_ text: String) -> [Substring] {
        var items: [Substring] = []
        var start = text.startIndex, index = text.startIndex
        while index < text.endIndex {
            let next = text.index(after: index)
            let separates = text[index] == ":" || (text[index] == "+" && next < text.endIndex && text[next].isLetter)
            if separates {
                if start < index { items.append(text[start..<index]) }
                start = next
            }
            index = next
        }
        if start < text.endIndex { items.append(text[start...]) }
        return items
    }

    /// The effect for a `-effect` value; errors name the bad key or value and the range.
    public static func parse(_ text: String) throws -> RetargetEffect {
        let (name, rest) = text.firstIndex(of: "=").map { (String(text[..<$0]), String(text[text.index(after: $0)...])) } ?? (text, "")
        var pairs: [String: String] = [:]
        for item in optionItems(rest) {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else { throw EffectError("-effect \(name): '\(item)' is not key=value") }
            pairs[parts[0]] = parts[1]
        }
        switch name {
        case "swap", "reconstruct", "matte", "cutout":
            guard pairs.isEmpty else { throw EffectError("-effect \(name) takes no options, got \(pairs.keys.sorted().joined(separator: ", "))") }
            return ["swap": .swap, "reconstruct": .reconstruct, "matte": .matte, "cutout": .cutout][name]!
        case "transform":
            if let file = pairs["keyframes"] {
                guard pairs.count == 1 else { throw EffectError("-effect transform: keyframes=FILE cannot be combined with other options") }
                return .transform(keyframes: try keyframes(fromFile: file))
            }
            return .transform(keyframes: [0: try motion(from: pairs, context: "-effect transform")])
        case "transfer":
            guard let path = pairs["template"], pairs.count == 1 else {
                throw EffectError("-effect transfer needs exactly template=FILE (a motion template from -extract-motion)")
            }
            return .transfer(try MotionTemplate.read(contentsOf: URL(fileURLWithPath: path)))
        default:
            throw EffectError("unknown effect '\(name)' (known: swap, transform, transfer, reconstruct, matte, cutout; see eqr -h effects)")
        }
    }
}
