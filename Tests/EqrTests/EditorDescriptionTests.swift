import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

/// The editor description shipped for Kdenlive (`CInterop/editors/kdenlive`) agrees with the
/// plugin: every parameter it lists is one the plugin declares (as `melt -query` reads it),
/// every number's range maps into the plugin's [0, 1] with its default on the plugin's, and
/// `melt` runs the filter with every listed value and every number's minimum, default and
/// maximum without the plugin reporting an error.
final class EditorDescriptionTests: PluginWorkspaceTestCase {
    static let kdenlive = EqrProcess.packageRoot.appendingPathComponent("CInterop/editors/kdenlive/frei0r_equivariant.xml")

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

    func parameters() throws -> (tag: String, parameters: [Parameter]) {
        let document = try XMLDocument(contentsOf: Self.kdenlive, options: [])
        let effect = try XCTUnwrap(document.rootElement())
        XCTAssertEqual(effect.name, "effect")
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
    func pluginParameters() throws -> [String: String?] {
        let query = try EqrProcess.run(program: "/usr/bin/melt", ["-query", "filter=frei0r.equivariant"],
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

    func testKdenliveDescriptionAgreesWithThePluginAndRunsInMelt() throws {
        let (tag, parameters) = try parameters()
        XCTAssertEqual(tag, "frei0r.equivariant")
        let plugin = try pluginParameters()
        XCTAssertEqual(Set(parameters.map(\.name)), Set(plugin.keys), "the description lists exactly the plugin's parameters")

        let clip = path("in.mp4"), background = path("bg.png")
        try FFmpegTools.ffmpeg(["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10", "-frames:v", "4", "-pix_fmt", "yuv420p", clip])
        try FFmpegTools.ffmpeg(["-f", "lavfi", "-i", "gradients=size=64x48:seed=5", "-frames:v", "1", background])
        var runs = 0
        /// Runs the filter in melt with these properties over the clip and checks its output.
        func melt(_ properties: [String]) throws {
            let output = path("melt-\(runs).mkv")
            runs += 1
            let run = try EqrProcess.run(program: "/usr/bin/melt", ["-quiet", clip, "out=3", "-filter", "frei0r.equivariant", "model=\(model)",
                                                                    "background=\(background)"] + properties
                                         + ["-consumer", "avformat:\(output)", "vcodec=ffv1", "an=1", "real_time=0"],
                                         environment: ["MLT_FREI0R_PLUGIN_PATH": path("plugins")])
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
}
