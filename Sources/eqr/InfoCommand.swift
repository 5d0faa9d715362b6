import ArgumentParser
import EquivariantModel
import Foundation
import ProcessSettings

/// `eqr info model.safetensors`: what a checkpoint holds.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "Print a model checkpoint's variant, resolution, parameters and training metadata.")

    @Argument(help: "A checkpoint written by `eqr train`, or a model name that `eqr models` lists.") var model: String
    @Flag(help: "Print one JSON object.") var json = false
    @Flag(help: "Print the model's architecture as JSON (every network's layers, tensor names, the input convention, the warp, the composition), as new checkpoints carry it under `architecture`, for rebuilding the model in another framework.")
    var architecture = false

    func run() throws {
        let file = try ModelSearch.resolve(model)
        let contents = try Checkpoint.load(contentsOf: URL(fileURLWithPath: file))
        if architecture {
            // Built from the loaded layers, so files written before the key existed have one too.
            try printJSON(ModelArchitecture(model: contents.model), pretty: true)
            return
        }
        let c = contents.model.configuration
        var fields: [(String, String)] = [
            ("variant", c.variant),
            ("renderer", c.renderer.rawValue),
            ("resolution", "\(c.resolution)x\(c.resolution)"),
            ("feature map", "\(c.featureChannels)x\(c.featureSize)x\(c.featureSize)" + (c.fineLevel ? " + fine level \(c.baseChannels)x\(c.resolution)x\(c.resolution)" : "")),
            ("base channels", "\(c.baseChannels)"),
            ("parameters", "\(contents.model.parameterCount)"),
            ("optimizer state", contents.optimizerState.map { "Adam, step \($0.step) (resumable)" } ?? "none (inference only)"),
        ]
        typealias K = CheckpointMetadata
        let skip: Set = [K.format, K.formatVersion, K.variant, K.renderer, K.resolution, K.featureChannels, K.baseChannels, K.groups, K.architecture]
        for key in contents.metadata.keys.sorted() where !skip.contains(key) {
            fields.append((key, contents.metadata[key]!))
        }
        if contents.metadata[K.architecture] != nil { fields.append(("architecture", "layer list as JSON (eqr info --architecture)")) }
        // This machine, not the file: what will run the model's matrix products.
        fields.append(("blas", ProcessSettings.blasKernelSummary))
        if json {
            var object = Dictionary(uniqueKeysWithValues: fields.map { ($0.0.replacingOccurrences(of: " ", with: "_"), $0.1) })
            object["path"] = file
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(file)
            let width = max(18, fields.map(\.0.count).max() ?? 0)
            for (key, value) in fields { print("  \(key.padding(toLength: width, withPad: " ", startingAt: 0)) \(value)") }
        }
    }
}
