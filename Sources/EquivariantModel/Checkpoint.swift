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
/// `loss_weights`, `learning_rate`, `seed`, `data`, `training_seconds`, …) when known; the
/// keys are listed once in ``CheckpointMetadata``.
/// Files are written atomically; loading checks every name, shape and value.
public enum Checkpoint {
    private typealias K = CheckpointMetadata
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
        metadata[K.format] = formatName
        metadata[K.formatVersion] = String(formatVersion)
        metadata[K.variant] = c.variant
        metadata[K.renderer] = c.renderer.rawValue
        metadata[K.transformOutput] = c.transformOutput.rawValue
        if c.rendererBlocks > 0 { metadata[K.rendererBlocks] = String(c.rendererBlocks) }
        if c.frameSizeBlocks > 0 { metadata[K.frameSizeBlocks] = String(c.frameSizeBlocks) }
        if c.featureStride != 4 { metadata[K.featureStride] = String(c.featureStride) }
        if c.fineLevel { metadata[K.fineLevel] = "true" }
        metadata[K.resolution] = String(c.resolution)
        metadata[K.featureChannels] = String(c.featureChannels)
        metadata[K.baseChannels] = String(c.baseChannels)
        metadata[K.groups] = String(c.groups)
        metadata[K.architecture] = ModelArchitecture(model: model).json()
        if let optimizer { metadata[K.adamStep] = String(optimizer.state.step) }
        metadata[K.checksum] = CheckpointChecksum.value(of: tensors)
        try SafeTensors.write(tensors, metadata: metadata, to: url)
    }

    /// Reads a checkpoint; throws `ModelError.invalidCheckpoint` (or the file's read error)
    /// with what is wrong. `expectedVariant` rejects a checkpoint of another variant.
    public static func load(contentsOf url: URL, expectedVariant: String? = nil) throws -> Contents {
        let file: (tensors: [String: Tensor], metadata: [String: String])
        do {
            file = try SafeTensors.read(contentsOf: url)
        } catch {
            throw ModelError.invalidCheckpoint("\(url.path): \(error)")
        }
        let metadata = file.metadata
        if let expected = metadata[K.checksum], CheckpointChecksum.value(of: file.tensors) != expected {
            throw ModelError.invalidCheckpoint("\(url.path): the weights do not match the file's checksum (\(expected)): the file is damaged; use another copy")
        }
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
        guard try field(K.format) == formatName else {
            throw ModelError.invalidCheckpoint("\(url.path): format is '\(metadata[K.format]!)', expected '\(formatName)'")
        }
        guard try integer(K.formatVersion) == formatVersion else {
            throw ModelError.invalidCheckpoint("\(url.path): format version \(metadata[K.formatVersion]!) is not supported (this build reads version \(formatVersion))")
        }
        let variant = try field(K.variant)
        guard TransformVariants.named(variant) != nil else {
            throw ModelError.invalidCheckpoint("\(url.path): unknown variant '\(variant)' (expected \(TransformVariants.nameList))")
        }
        if let expectedVariant, expectedVariant != variant {
            throw ModelError.invalidCheckpoint("\(url.path) holds a '\(variant)' model, but a '\(expectedVariant)' model was requested")
        }
        let rendererName = metadata[K.renderer] ?? RendererKind.additive.rawValue
        guard let renderer = RendererKind(rawValue: rendererName) else {
            throw ModelError.invalidCheckpoint("\(url.path): unknown renderer '\(rendererName)' (expected \(RendererKind.nameList))")
        }
        let outputName = metadata[K.transformOutput] ?? TransformOutput.direct.rawValue
        guard let transformOutput = TransformOutput(rawValue: outputName) else {
            throw ModelError.invalidCheckpoint("\(url.path): unknown transform output '\(outputName)' (expected \(TransformOutput.nameList))")
        }
        func fineLevel() throws -> Bool {
            switch metadata[K.fineLevel] {
            case nil, "false": return false
            case "true": return true
            case let other?: throw ModelError.invalidCheckpoint("\(url.path): metadata '\(K.fineLevel)' must be true or false, got '\(other)'")
            }
        }
        let configuration = ModelConfiguration(
            resolution: try integer(K.resolution), featureChannels: try integer(K.featureChannels),
            baseChannels: try integer(K.baseChannels), groups: try integer(K.groups), variant: variant, renderer: renderer,
            transformOutput: transformOutput, rendererBlocks: metadata[K.rendererBlocks] == nil ? 0 : try integer(K.rendererBlocks),
            featureStride: metadata[K.featureStride] == nil ? 4 : try integer(K.featureStride), fineLevel: try fineLevel(),
            frameSizeBlocks: metadata[K.frameSizeBlocks] == nil ? 0 : try integer(K.frameSizeBlocks))
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
        if metadata[K.adamStep] != nil {
            let step = try integer(K.adamStep)
            guard step >= 0 else { throw ModelError.invalidCheckpoint("\(url.path): negative adam_step \(step)") }
            optimizerState = Adam.State(
                step: step,
                firstMoments: try parameters.map { try take("adam.m.\($0.name)", shape: $0.value.shape) },
                secondMoments: try parameters.map { try take("adam.v.\($0.name)", shape: $0.value.shape) })
        }
        if let extra = unused.sorted().first {
            throw ModelError.invalidCheckpoint("\(url.path): unexpected tensor '\(extra)' (\(unused.count) not used by a \(variant) model)")
        }
        return Contents(model: model, optimizerState: optimizerState, metadata: metadata)
    }
}
