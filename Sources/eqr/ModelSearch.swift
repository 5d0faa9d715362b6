import ArgumentParser
import Foundation

/// Models by name: `-m default` or `-m given-128` finds `NAME.safetensors` on a search path,
/// so commands work from any folder.
///
/// The path, first match wins:
/// 1. the folders in `EQR_MODEL_PATH` (separated by `:`);
/// 2. the user's data folder, `$XDG_DATA_HOME/eqr/models` (default `~/.local/share/eqr/models`);
/// 3. the installed share folder next to the executable, `<bin>/../share/eqr/models`
///    (where `CInterop/install.sh` puts the committed models);
/// 4. for a build inside the source tree, that tree's `examples/models`.
///
/// An argument that names an existing file, contains a `/` or ends in `.safetensors` is a
/// path and is used as given. `default` is the README's default model, `aligned-photo-128`.
enum ModelSearch {
    /// The model `-m default` stands for.
    static let defaultModel = "aligned-photo-128"

    /// The search path, in order, without duplicates; folders need not exist.
    static func directories(environment: [String: String] = ProcessInfo.processInfo.environment) -> [URL] {
        var folders: [URL] = []
        for entry in (environment["EQR_MODEL_PATH"] ?? "").split(separator: ":") where !entry.isEmpty {
            folders.append(URL(fileURLWithPath: String(entry), isDirectory: true))
        }
        if let data = environment["XDG_DATA_HOME"], !data.isEmpty {
            folders.append(URL(fileURLWithPath: data).appendingPathComponent("eqr/models", isDirectory: true))
        } else if let home = environment["HOME"], !home.isEmpty {
            folders.append(URL(fileURLWithPath: home).appendingPathComponent(".local/share/eqr/models", isDirectory: true))
        }
        let executable = RunningExecutable.url
        let bin = executable.deletingLastPathComponent()
        folders.append(bin.deletingLastPathComponent().appendingPathComponent("share/eqr/models", isDirectory: true))
        // A SwiftPM build: <tree>/.build/<triple>/release/eqr (or .build/release/eqr).
        var folder = bin
        for _ in 0..<4 {
            folder = folder.deletingLastPathComponent()
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) {
                folders.append(folder.appendingPathComponent("examples/models", isDirectory: true))
                break
            }
        }
        var seen = Set<String>()
        return folders.filter { seen.insert($0.standardizedFileURL.path).inserted }
    }

    /// Whether `argument` is a path rather than a name.
    static func isPath(_ argument: String) -> Bool {
        argument.contains("/") || argument.hasSuffix(".safetensors") || FileManager.default.fileExists(atPath: argument)
    }

    /// The checkpoint path for a `-m` argument: a path as given, a name through the search path.
    static func resolve(_ argument: String) throws -> String {
        if isPath(argument) { return argument }
        let name = argument == "default" ? defaultModel : argument
        let folders = directories()
        for folder in folders {
            let candidate = folder.appendingPathComponent(name + ".safetensors")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate.path }
        }
        throw ValidationError(
            "no model named '\(argument)' (looked for \(name).safetensors in \(folders.map(\.path).joined(separator: ", "))); "
            + "`eqr models` lists the models found, and a path to a .safetensors file works too")
    }

    /// Every model on the search path: name and file, the first of each name only.
    static func available() -> [(name: String, url: URL)] {
        var found: [(name: String, url: URL)] = []
        var names = Set<String>()
        for folder in directories() {
            let files = (try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? []
            for file in files.sorted(by: { $0.lastPathComponent < $1.lastPathComponent }) where file.pathExtension == "safetensors" {
                let name = file.deletingPathExtension().lastPathComponent
                if names.insert(name).inserted { found.append((name, file)) }
            }
        }
        return found
    }
}
