import Foundation
import NeuralNetwork
import SafeTensors
import Tensors

/// Saving and loading models (and, for resuming, their optimiser state) as safetensors.
///
/// Tensors: every parameter under its layer name (`f.conv1.weight`, …); with optimiser
/// state also `adam.m.<name>` and `adam.v.<name>`. Metadata (all strings) makes the file
/// self-describing: `format` = `equivariant-renderer`, `format_version`, `variant`,
/// `resolution`, `feature_channels`, `base_channels`, `groups`, plus training facts (`step`,
/// `loss_weights`, `learning_rate`, `seed`, `data`, `training_seconds`, …) when known.
/// Files are written atomically; loading checks every name, shape and value.
public enum Checkpoint {
    /// The `format` metadata value.
    public static let formatName = "equivariant-renderer"
    /// The current `format_version`.
    public static let formatVersion = 1

    /// A loaded checkpoint.
    public struct Contents {
        /// The model, with its weights.
        public var model: EquivariantModel
        /// The optimiser state, when the file has one.
        public var optimizerState: Adam.State?
        /// All metadata entries.
        public var metadata: [String: String]
    }

    /// Writes `model` (and `optimizer`'s state when given) to `url` atomically.
    public static func save(
        _ model: EquivariantModel, optimizer: Adam? = nil, metadata extra: [String: String] = [:], to url: URL
    ) throws {
        var tensors: [String: Tensor] = [:]
        let parameters = model.parameters
        for p in parameters { tensors[p.name] = p.value }
        if let optimizer {
            precondition(optimizer.state.firstMoments.count == parameters.count, "Checkpoint.save: optimizer does not match the model")
            for (i, p) in parameters.enumerated() {
                tensors["adam.m.\(p.name)"] = optimizer.state.firstMoments[i]
                tensors["adam.v.\(p.name)"] = optimizer.state.secondMoments[i]
            }
        }
        var metadata = extra
        let c = model.configuration
        metadata["format"] = formatName
        metadata["format_version"] = String(formatVersion)
        metadata["variant"] = c.transformSource.rawValue
        metadata["resolution"] = String(c.resolution)
        metadata["feature_channels"] = String(c.featureChannels)
        metadata["base_channels"] = String(c.baseChannels)
        metadata["groups"] = String(c.groups)
        if let optimizer { metadata["adam_step"] = String(optimizer.state.step) }
        try SafeTensors.write(tensors, metadata: metadata, to: url)
    }

    /// Reads a checkpoint; throws `ModelError.invalidCheckpoint` (or the file's read error)
    /// with what is wrong. `expectedVariant` rejects a checkpoint of another variant.
    public static func load(contentsOf url: URL, expectedVariant: TransformSource? = nil) throws -> Contents {
        let file: (tensors: [String: Tensor], metadata: [String: String])
        do {
            file = try SafeTensors.read(contentsOf: url)
        } catch {
            throw ModelError.invalidCheckpoint("\(url.path): \(error)")
        }
        let metadata = file.metadata
        func field(_ key: String) throws -> String {
            guard let value = metadata[key] else {
                throw ModelError.invalidCheckpoint("\(url.path): metadata has no '\(key)'; is this an equivariant-renderer checkpoint?")
            }
            return value
        }
        func integer(_ key: String) throws -> Int {
            guard let value = Int(try field(key)) else { throw ModelError.invalidCheckpoint("\(url.path): metadata '\(key)' is not an integer: \(metadata[key]!)") }
            return value
        }
        guard try field("format") == formatName else {
            throw ModelError.invalidCheckpoint("\(url.path): format is '\(metadata["format"]!)', expected '\(formatName)'")
        }
        guard try integer("format_version") == formatVersion else {
            throw ModelError.invalidCheckpoint("\(url.path): format version \(metadata["format_version"]!) is not supported (this build reads version \(formatVersion))")
        }
        guard let variant = TransformSource(rawValue: try field("variant")) else {
            throw ModelError.invalidCheckpoint("\(url.path): unknown variant '\(metadata["variant"]!)' (expected given, pixels or features)")
        }
        if let expectedVariant, expectedVariant != variant {
            throw ModelError.invalidCheckpoint("\(url.path) holds a '\(variant.rawValue)' model, but a '\(expectedVariant.rawValue)' model was requested")
        }
        let configuration = ModelConfiguration(
            resolution: try integer("resolution"), featureChannels: try integer("feature_channels"),
            baseChannels: try integer("base_channels"), groups: try integer("groups"), transformSource: variant)
        let model: EquivariantModel
        do { model = try EquivariantModel(configuration: configuration, seed: 0) } catch {
            throw ModelError.invalidCheckpoint("\(url.path): \(error)")
        }
        var unused = Set(file.tensors.keys)
        func take(_ name: String, shape: [Int]) throws -> Tensor {
            guard let tensor = file.tensors[name] else { throw ModelError.invalidCheckpoint("\(url.path): tensor '\(name)' is missing") }
            guard tensor.shape == shape else {
                throw ModelError.invalidCheckpoint("\(url.path): tensor '\(name)' has shape \(tensor.shape), the architecture needs \(shape)")
            }
            guard tensor.isFinite else { throw ModelError.invalidCheckpoint("\(url.path): tensor '\(name)' contains NaN or infinite values") }
            unused.remove(name)
            return tensor
        }
        let parameters = model.parameters
        for p in parameters { p.value = try take(p.name, shape: p.value.shape) }
        var optimizerState: Adam.State?
        if metadata["adam_step"] != nil {
            let step = try integer("adam_step")
            guard step >= 0 else { throw ModelError.invalidCheckpoint("\(url.path): negative adam_step \(step)") }
            optimizerState = Adam.State(
                step: step,
                firstMoments: try parameters.map { try take("adam.m.\($0.name)", shape: $0.value.shape) },
                secondMoments: try parameters.map { try take("adam.v.\($0.name)", shape: $0.value.shape) })
        }
        if let extra = unused.sorted().first {
            throw ModelError.invalidCheckpoint("\(url.path): unexpected tensor '\(extra)' (\(unused.count) not used by a \(variant.rawValue) model)")
        }
        return Contents(model: model, optimizerState: optimizerState, metadata: metadata)
    }
}
