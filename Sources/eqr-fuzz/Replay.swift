#if !FUZZING
import EquivariantModel
import Foundation

/// Without the fuzzer (a normal build), `eqr-fuzz` replays inputs: each file named, or each
/// file in each folder named, through the same surfaces — a crash found by fuzzing becomes a
/// test case this way. `eqr-fuzz --write-seeds DIR` writes a small valid input per surface,
/// the corpus a fuzzing run starts from; `eqr-fuzz --write-tiny-model FILE` a layered
/// `features` model at 16×16 with 4 channels, which the C ABI surface renders through.
@main
struct Replay {
    static func main() throws {
        var arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "--write-seeds", arguments.count == 2 {
            try FuzzSeeds.write(to: URL(fileURLWithPath: arguments[1]))
            return
        }
        if arguments.first == "--write-tiny-model", arguments.count == 2 {
            try FuzzSeeds.saveTinyModel(to: URL(fileURLWithPath: arguments[1]), variant: "features")
            return
        }
        guard !arguments.isEmpty else {
            FileHandle.standardError.write(Data("usage: eqr-fuzz FILE|DIR ... | eqr-fuzz --write-seeds DIR | eqr-fuzz --write-tiny-model FILE\n".utf8))
            exit(64)
        }
        var files: [String] = []
        while let path = arguments.first {
            arguments.removeFirst()
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
                FileHandle.standardError.write(Data("eqr-fuzz: \(path): no such file or folder\n".utf8))
                exit(66)
            }
            files += isFolder.boolValue
                ? try FileManager.default.contentsOfDirectory(atPath: path).sorted().map { "\(path)/\($0)" }
                : [path]
        }
        defer { try? FileManager.default.removeItem(at: FuzzSurface.scratch) }
        var accepted = 0
        for file in files where FuzzSurface.run(input: Array(try Data(contentsOf: URL(fileURLWithPath: file))), scratch: FuzzSurface.scratch) {
            accepted += 1
        }
        print("eqr-fuzz: \(files.count) inputs replayed, \(accepted) accepted, \(files.count - accepted) refused, none crashed")
    }
}
#endif
