import ArgumentParser
import Distributed
import EquivariantModel
import ProcessSettings
import Retargeting

/// The `eqr` command: an ffmpeg-style host for the equivariant renderer, plus tools.
@main
struct EqrCommand: ParsableCommand {
    /// FFmpeg's own messages are limited to errors (its informational lines would drown ours).
    static func main() {
        // Before any numeric work: a restart with a better OpenBLAS kernel, if one fits.
        ProcessSettings.selectBLASKernel()
        ProcessSettings.applyForTools()
        let arguments = Array(CommandLine.arguments.dropFirst())
        // Started as one of several processes by mpirun: training and fitting share each
        // step's batch, the host renders a clip in segments; nothing else shares work.
        if let size = MPIProcessGroup.launchedJobSize(), size > 1, let first = arguments.first, !first.hasPrefix("-"), !["train", "fit"].contains(first) {
            // Every process finds this; process 0 alone says it (their lines would interleave).
            if MPIProcessGroup.launchedRank() != 0 { exit(withError: ExitCode.failure) }
            exit(withError: RuntimeError("this is one of \(size) processes started by an MPI launcher, but only `eqr train`, `eqr fit` and the host (`eqr -i …`) run across processes; run `eqr \(first)` without mpirun"))
        }
        if arguments == ["-h", "effects"] || arguments == ["--help", "effects"] {
            print(EffectSpecification.help)
            return
        }
        // Completion scripts come from a tree that has both the words and the host's options.
        if arguments.first == "--generate-completion-script" {
            CompletionTree.main(arguments)
            return
        }
        // ffmpeg-style invocations (`eqr -i … out.mp4`) go to the host; words to subcommands.
        if let first = arguments.first, first.hasPrefix("-"), !["-h", "--help", "--version"].contains(first) {
            HostCommand.main(arguments)
            return
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }

    static let configuration = CommandConfiguration(
        commandName: "eqr",
        abstract: "Equivariant rendering: separate a moving character from its background and re-render it.",
        discussion: """
        The main command is ffmpeg-style: eqr -i character.mp4 -i background.jpg -m model.safetensors -effect swap out.mp4
        (its options: eqr -i x -h; effects and their options: eqr -h effects). The words below are tools.
        """,
        version: ProductVersion.string + "\n" + ProcessSettings.blasKernelSummary,
        subcommands: [TrainCommand.self, FitCommand.self, EvalCommand.self, SynthCommand.self, InfoCommand.self, ModelsCommand.self, ExportCommand.self, DemoCommand.self, BenchCommand.self])
}

/// What shells complete for `eqr`: the host's options (`-i`, `-m`, `-effect`, …) at the top,
/// as ffmpeg-style commands use them, and the tools' words with their own options. It is only
/// described, never run: invocations are routed by ``EqrCommand/main()``.
struct CompletionTree: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eqr", subcommands: EqrCommand.configuration.subcommands)

    @OptionGroup var host: HostOptions
}

/// `eqr bench ...`: benchmark commands that print measured figures.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks that print measured figures.",
        subcommands: [BenchKernelsCommand.self, BenchIOCommand.self, BenchHostCommand.self, BenchTrainCommand.self, BenchScaleCommand.self])
}
