import ArgumentParser
import EquivariantModel
import Foundation

/// `eqr export`: rewrites a checkpoint without its optimiser state (about a third of the
/// size; enough for inference, not for resuming).
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write an inference-only copy of a checkpoint (weights and metadata, no Adam state).")

    @Argument(help: "Checkpoint to read: a path, or a name that `eqr models` lists.") var input: String
    @Argument(help: "Checkpoint to write (atomically).") var output: String
    @OptionGroup var overwrite: OverwriteOptions

    func validate() throws {
        // Exporting a checkpoint over itself is allowed: it is read completely before the write.
        if URL(fileURLWithPath: output).standardizedFileURL != URL(fileURLWithPath: input).standardizedFileURL {
            try overwrite.check([output])
        }
    }

    func run() throws {
        let contents = try Checkpoint.load(contentsOf: URL(fileURLWithPath: ModelSearch.resolve(input)))
        var metadata = contents.metadata
        metadata[CheckpointMetadata.adamStep] = nil
        // An export of an export keeps naming the training checkpoint it came from.
        metadata[CheckpointMetadata.exportedFrom] = metadata[CheckpointMetadata.exportedFrom] ?? URL(fileURLWithPath: input).lastPathComponent
        try Checkpoint.save(contents.model, metadata: metadata, to: URL(fileURLWithPath: output))
        print("wrote \(output) (\(contents.model.parameterCount) parameters, no optimizer state)")
    }
}
