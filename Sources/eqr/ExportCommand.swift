import ArgumentParser
import EquivariantRenderer
import Foundation

/// `eqr export`: rewrites a checkpoint without its optimiser state (about a third of the
/// size; enough for inference, not for resuming).
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write an inference-only copy of a checkpoint (weights and metadata, no Adam state).")

    @Argument(help: "Checkpoint to read.") var input: String
    @Argument(help: "Checkpoint to write (atomically).") var output: String
    @Flag(name: .shortAndLong, help: "Overwrite an existing output.") var yes = false

    func run() throws {
        if !yes && FileManager.default.fileExists(atPath: output) && URL(fileURLWithPath: output).standardizedFileURL != URL(fileURLWithPath: input).standardizedFileURL {
            throw ValidationError("\(output) exists; pass -y to overwrite")
        }
        let contents = try Checkpoint.load(contentsOf: URL(fileURLWithPath: input))
        var metadata = contents.metadata
        metadata["adam_step"] = nil
        metadata["exported_from"] = URL(fileURLWithPath: input).lastPathComponent
        try Checkpoint.save(contents.model, metadata: metadata, to: URL(fileURLWithPath: output))
        print("wrote \(output) (\(contents.model.parameterCount) parameters, no optimizer state)")
    }
}
