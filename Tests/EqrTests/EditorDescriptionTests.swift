import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

/// The editor descriptions shipped for Kdenlive (`CInterop/editors/kdenlive`: the filter as an
/// effect, the mixer as a composition) and Shotcut (`CInterop/editors/shotcut`: the filter's
/// metadata and panel) agree with the plugins: every parameter a description lists is one the
/// plugin declares (as `melt -query` reads it), every number's range maps into the plugin's
/// [0, 1] with its default on the plugin's, and `melt` runs the filter (or the mixer, as a
/// transition between two tracks) with every listed value and every number's minimum, default
/// and maximum without the plugin reporting an error. A real Shotcut loads the metadata.
final class EditorDescriptionTests: PluginWorkspaceTestCase {
    /// One shipped description: its file, its root element and the MLT service it describes.
    struct Description {
        var file: String
        var root: String
        var service: String
        var tag: String
        var url: URL { EqrProcess.packageRoot.appendingPathComponent("CInterop/editors/kdenlive/\(file)") }
    }

    static let filter = Description(file: "frei0r_equivariant.xml", root: "effect", service: "filter", tag: "frei0r.equivariant")
    static let mixer = Description(file: "frei0r_equivariant_mixer.xml", root: "transition", service: "transition", tag: "frei0r.equivariant_mixer")

    override func setUpWithError() throws {
        try super.setUpWithError()
        try FileManager.default.createSymbolicLink(atPath: path("plugins/equivariant_mixer.so"),
                                                   withDestinationPath: EqrProcess.products.appendingPathComponent("libequivariant-frei0r-mixer.so").path)
    }

    /// A `<parameter>` of the description.
    struct Parameter {
        var attributes: [String: String]
        var displayNames: [String]
        var name: String { attributes["name"] ?? "" }
        var type: String { attributes["type"] ?? "" }
        func number(_ key: String) -> Double? { attributes[key].flatMap(Double.init) }
        /// The plugin's value for a shown one: Kdenlive shows `v · factor + offset`.
        func pluginValue(_ shown: Double) -> Double { (shown - (number("offset") ?? 0)) / (number("factor") ?? 1) }
    }

    func parameters(_ description: Description) throws -> (tag: String, parameters: [Parameter]) {
        let document = try XMLDocument(contentsOf: description.url, options: [])
        let effect = try XCTUnwrap(document.rootElement())
        XCTAssertEqual(effect.name, description.root)
        let tag = try XCTUnwrap(effect.attribute(forName: "tag")?.stringValue)
        XCTAssertFalse(try XCTUnwrap(effect.elements(forName: "name").first?.stringValue).isEmpty)
        let parameters = effect.elements(forName: "parameter").map { element in
            Parameter(attributes: Dictionary(uniqueKeysWithValues: (element.attributes ?? []).map { ($0.name ?? "", $0.stringValue ?? "") }),
                      displayNames: (element.elements(forName: "paramlistdisplay").first?.stringValue ?? "").split(separator: ",").map(String.init))
        }
        for parameter in parameters {
            XCTAssertFalse(parameter.name.isEmpty)
            XCTAssertNotNil(parameter.attributes["default"], parameter.name)
        }
        return (tag, parameters)
    }

    /// `melt -query` of the plugin: each parameter's title and its default (nil for none).
    func pluginParameters(_ description: Description) throws -> [String: String?] {
        let query = try EqrProcess.run(program: "/usr/bin/melt", ["-query", "\(description.service)=\(description.tag)"],
                                       environment: ["MLT_FREI0R_PLUGIN_PATH": path("plugins")])
        XCTAssertEqual(query.status, 0, query.standardError)
        var result: [String: String?] = [:], inParameters = false, title: String?
        for line in query.standardOutput.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if line == "parameters:" { inParameters = true; continue }
            guard inParameters else { continue }
            if line.hasPrefix("title: ") {
                title = String(line.dropFirst("title: ".count))
                result[title!] = .some(nil)
            } else if line.hasPrefix("default: "), let title {
                result[title] = String(line.dropFirst("default: ".count))
            }
        }
        return result
    }

    func testKdenliveEffectAgreesWithTheFilterAndRunsInMelt() throws { try check(Self.filter) }

    func testKdenliveCompositionAgreesWithTheMixerAndRunsInMelt() throws { try check(Self.mixer) }

    func check(_ description: Description) throws {
        let (tag, parameters) = try parameters(description)
        XCTAssertEqual(tag, description.tag)
        try check(parameters, of: description)
    }

    /// Checks a description's parameters against the plugin and runs each in melt.
    func check(_ parameters: [Parameter], of description: Description) throws {
        let plugin = try pluginParameters(description)
        XCTAssertFalse(plugin.isEmpty, "melt -query \(description.service)=\(description.tag) lists no parameters")
        XCTAssertEqual(Set(parameters.map(\.name)), Set(plugin.keys), "the description lists exactly the plugin's parameters")

        let clip = path("in.mp4"), background = path("bg.png")
        try FFmpegTools.ffmpeg(["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10", "-frames:v", "4", "-pix_fmt", "yuv420p", clip])
        try FFmpegTools.ffmpeg(["-f", "lavfi", "-i", "gradients=size=64x48:seed=5", "-frames:v", "1", background])
        // The filter takes the background as a parameter; the mixer takes it from the second track
        // (read by MLT's pixbuf producer by name: MLT's Qt module, installed with Shotcut, would
        // pick qimage, which fails without a display).
        let service = description.service == "filter"
            ? [clip, "out=3", "-filter", description.tag, "model=\(model)", "background=\(background)"]
            : [clip, "out=3", "-track", "pixbuf:\(background)", "out=3", "-transition", description.tag, "a_track=0", "b_track=1", "model=\(model)"]
        var runs = 0
        /// Runs the filter in melt with these properties over the clip and checks its output.
        func melt(_ properties: [String]) throws {
            let output = path("melt-\(runs).mkv")
            runs += 1
            let run = try runMelt(["-quiet"] + service + properties + ["-consumer", "avformat:\(output)", "vcodec=ffv1", "an=1", "real_time=0"],
                                  output: output, expected: [64, 48, 4])
            XCTAssertEqual(run.status, 0, "\(properties): \(run.standardError)")
            XCTAssertEqual(EqrProcess.pluginReports(in: run.standardError), [], "\(properties): \(run.standardError)")
            XCTAssertEqual(try FFmpegTools.probe(output), [64, 48, 4], "\(properties)")
        }
        for parameter in parameters {
            switch parameter.type {
            case "list":
                let values = (parameter.attributes["paramlist"] ?? "").split(separator: ";").map(String.init)
                XCTAssertFalse(values.isEmpty, parameter.name)
                XCTAssertEqual(values.count, parameter.displayNames.count, "\(parameter.name): one display name per value")
                XCTAssertTrue(values.contains(parameter.attributes["default"]!), parameter.name)
                if let pluginDefault = plugin[parameter.name] ?? nil { XCTAssertEqual(parameter.attributes["default"], pluginDefault, parameter.name) }
                for value in values { try melt(["\(parameter.name)=\(value)"]) }
            case "constant":
                let low = try XCTUnwrap(parameter.number("min")), high = try XCTUnwrap(parameter.number("max"))
                let shownDefault = try XCTUnwrap(parameter.number("default"))
                XCTAssertEqual(parameter.pluginValue(low), 0, accuracy: 1e-9, "\(parameter.name): min is the plugin's 0")
                XCTAssertEqual(parameter.pluginValue(high), 1, accuracy: 1e-9, "\(parameter.name): max is the plugin's 1")
                let pluginDefault = try XCTUnwrap(plugin[parameter.name] ?? nil, "\(parameter.name) has no default in melt -query")
                XCTAssertEqual(parameter.pluginValue(shownDefault), try XCTUnwrap(Double(pluginDefault)), accuracy: 1e-9, parameter.name)
                // The number only acts in the transform effect; melt runs it there.
                for shown in [low, shownDefault, high] { try melt(["effect=transform", "\(parameter.name)=\(parameter.pluginValue(shown))"]) }
            case "url":
                XCTAssertNotNil(parameter.attributes["filter"], parameter.name)
            default:
                XCTFail("\(parameter.name): type \(parameter.type) is not one the test knows")
            }
        }
        XCTAssertGreaterThan(runs, 15)
    }

    // MARK: Shotcut

    static let shotcutFolder = EqrProcess.packageRoot.appendingPathComponent("CInterop/editors/shotcut/equivariant")

    /// The controls of Shotcut's panel (`ui.qml`) as parameters: a `Shotcut.SliderSpinner` with
    /// `parameter`, `factor`, `offset`, `defaultValue` and its range is a number, a
    /// `Shotcut.ComboBox` with `parameter`, `values`, `defaultValue` and `model` (the shown
    /// names) a list, a `Shotcut.Button` with `parameter` and `nameFilters` a file.
    func shotcutParameters() throws -> [Parameter] {
        let text = try String(contentsOf: Self.shotcutFolder.appendingPathComponent("ui.qml"), encoding: .utf8)
        func firstMatch(_ pattern: String, in block: String) -> String? {
            guard let regex = try? NSRegularExpression(pattern: pattern),
                  let match = regex.firstMatch(in: block, range: NSRange(block.startIndex..., in: block)),
                  let range = Range(match.range(at: 1), in: block) else { return nil }
            return String(block[range])
        }
        func quoted(_ list: String) -> [String] {
            let regex = try! NSRegularExpression(pattern: #"(?:qsTr\()?(['"])(.*?)\1"#)
            return regex.matches(in: list, range: NSRange(list.startIndex..., in: list)).compactMap { Range($0.range(at: 2), in: list).map { String(list[$0]) } }
        }
        var parameters: [Parameter] = []
        for control in ["Shotcut.SliderSpinner", "Shotcut.ComboBox", "Shotcut.Button"] {
            var rest = text[...]
            while let start = rest.range(of: control + " {") {
                // The control's block, up to its matching brace.
                var depth = 0, end = start.upperBound
                for index in rest[start.lowerBound...].indices {
                    if rest[index] == "{" { depth += 1 } else if rest[index] == "}" { depth -= 1; if depth == 0 { end = index; break } }
                }
                let block = String(rest[start.lowerBound..<end])
                rest = rest[end...]
                guard let name = firstMatch(#"property string parameter: '([^']+)'"#, in: block) else { continue }
                var attributes = ["name": name]
                var shown: [String] = []
                switch control {
                case "Shotcut.SliderSpinner":
                    attributes["type"] = "constant"
                    for (key, property) in [("min", "minimumValue"), ("max", "maximumValue"), ("factor", "property real factor"),
                                            ("offset", "property real offset"), ("default", "property real defaultValue")] {
                        attributes[key] = firstMatch("\\b\(property): (-?[0-9.]+)", in: block)
                    }
                case "Shotcut.ComboBox":
                    attributes["type"] = "list"
                    attributes["paramlist"] = quoted(firstMatch(#"property var values: \[(.*)\]"#, in: block) ?? "").joined(separator: ";")
                    attributes["default"] = firstMatch(#"property string defaultValue: '([^']*)'"#, in: block)
                    shown = quoted(firstMatch(#"\bmodel: \[(.*)\]"#, in: block) ?? "")
                default:
                    attributes["type"] = "url"
                    attributes["default"] = ""
                    attributes["filter"] = firstMatch(#"property var nameFilters: \[(.*)\]"#, in: block)
                }
                parameters.append(Parameter(attributes: attributes.compactMapValues { $0 }, displayNames: shown))
            }
        }
        return parameters
    }

    func testShotcutPanelAgreesWithTheFilterAndRunsInMelt() throws {
        let meta = try String(contentsOf: Self.shotcutFolder.appendingPathComponent("meta.qml"), encoding: .utf8)
        XCTAssertTrue(meta.contains("mlt_service: '\(Self.filter.tag)'"), meta)
        XCTAssertTrue(meta.contains("qml: 'ui.qml'"), meta)
        // Qt's own parser reads both files (a syntax error fails here, not in a user's Shotcut).
        let lint = try EqrProcess.run(program: "/usr/lib/qt5/bin/qmllint", ["meta.qml", "ui.qml"].map { Self.shotcutFolder.appendingPathComponent($0).path })
        XCTAssertEqual(lint.status, 0, lint.standardOutput + lint.standardError)
        let parameters = try shotcutParameters()
        for parameter in parameters where parameter.type == "constant" {
            for key in ["min", "max", "factor", "offset", "default"] { XCTAssertNotNil(parameter.number(key), "\(parameter.name): \(key)") }
        }
        try check(parameters, of: Self.filter)
    }

    /// Shotcut reads filter metadata from `share/shotcut/qml/filters` beside its binary: a copy of
    /// Debian's Shotcut in the test's folder, with the shipped filter beside one of Shotcut's own,
    /// reads both and adds ours only when MLT finds the plugin. (Offscreen, Shotcut then stops
    /// for want of OpenGL; the metadata is read before that.)
    func testShotcutLoadsTheFilterMetadata() throws {
        let shotcut = try ShotcutCopy.make(at: path("shotcut"))
        /// Shotcut's log with this frei0r folder, in a fresh home of its own.
        func load(plugins: String) throws -> String {
            let run = try EqrProcess.run(program: "/usr/bin/timeout", ["60", shotcut, "--noupgrade"],
                                         environment: ShotcutCopy.environment(home: "\(plugins)-home", plugins: plugins)
                                             .merging(["QT_QPA_PLATFORM": "offscreen"]) { $1 })
            return run.standardOutput + run.standardError
        }
        let log = try load(plugins: path("plugins"))
        XCTAssertTrue(log.contains(#"reading filter metadata "equivariant" "meta.qml""#), log)
        XCTAssertTrue(log.contains(#"added filter "LUT (3D)""#), log)
        XCTAssertTrue(log.contains(#"added filter "Equivariant Character Retargeting""#), log)
        XCTAssertFalse(log.contains("meta.qml:"), "a QML error in the metadata: \(log)")
        // Without the plugin, Shotcut reads the metadata but does not offer the filter.
        let withoutPlugin = try load(plugins: path("no-plugins"))
        XCTAssertTrue(withoutPlugin.contains(#"reading filter metadata "equivariant" "meta.qml""#), withoutPlugin)
        XCTAssertFalse(withoutPlugin.contains(#"added filter "Equivariant Character Retargeting""#), withoutPlugin)
    }
}
