import ArgumentParser
import Foundation
import Tensors

/// `--threads N`, shared by the commands that compute.
struct ThreadOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Worker threads (default: all cores).") var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    /// Sets the worker count when one was given.
    func apply() {
        if let threads { Parallel.workerCount = threads }
    }
}

/// `-y`/`--yes` and `-n`, shared by the commands that write files: an existing output is
/// refused unless `-y` is given; `-n` refuses it even when a later `-y` would allow it (as in
/// ffmpeg).
struct OverwriteOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Overwrite existing outputs.") var yes = false
    @Flag(name: .customShort("n"), help: "Never overwrite existing outputs (the default; wins over -y).") var never = false

    /// Throws a `ValidationError` for the first of `paths` that exists and may not be replaced.
    func check(_ paths: [String]) throws {
        for path in paths where FileManager.default.fileExists(atPath: path) {
            if never { throw ValidationError("\(path) exists and -n forbids overwriting it") }
            if !yes { throw ValidationError("\(path) exists; pass -y to overwrite") }
        }
    }
}
