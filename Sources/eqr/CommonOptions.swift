import ArgumentParser
import Foundation
import ProcessSettings
import Tensors

/// `--threads N`, shared by the commands that compute.
struct ThreadOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Worker threads, OpenBLAS's included (default: all cores).") var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    /// Sets the worker count, and OpenBLAS's thread count, when one was given (one
    /// process of a data-parallel job on `--threads 1` then keeps to one core).
    func apply() {
        if let threads {
            Parallel.workerCount = threads
            ProcessSettings.blasThreadCount = threads
        }
    }
}

/// `-y`/`--yes` and `-n`, shared by the commands that write files: an existing output is
/// refused unless `-y` is given; `-n` refuses it even when a later `-y` would allow it (as in
/// ffmpeg).
struct OverwriteOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Overwrite existing outputs.") var yes = false
    @Flag(name: .customShort("n"), help: "Never overwrite existing outputs (the default; wins over -y).") var never = false

    /// Throws a `ValidationError` for the first of `paths` that exists and may not be
    /// replaced, or whose folder is missing or not writable (checked before any work, so no
    /// command writes one output and then fails on the next).
    func check(_ paths: [String]) throws {
        for path in paths {
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("cannot write \(path): the folder \(folder) does not exist")
            }
            guard FileManager.default.isWritableFile(atPath: folder) else {
                throw ValidationError("cannot write \(path): the folder \(folder) is not writable")
            }
            guard FileManager.default.fileExists(atPath: path) else { continue }
            if never { throw ValidationError("\(path) exists and -n forbids overwriting it") }
            if !yes { throw ValidationError("\(path) exists; pass -y to overwrite") }
        }
    }
}
