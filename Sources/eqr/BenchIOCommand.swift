import ArgumentParser

/// `eqr bench io` (in progress).
struct BenchIOCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "io", abstract: "Measure decode and encode frames/s (not yet implemented).")
}
