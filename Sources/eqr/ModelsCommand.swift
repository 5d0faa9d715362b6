import ArgumentParser
import EquivariantModel
import Foundation

/// `eqr models`: the models `-m NAME` can find, where they are and what they are.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the models that -m NAME finds (EQR_MODEL_PATH, the user's data folder, the installed share folder).")

    @Flag(help: "Also print the folders searched, in order.") var paths = false

    func run() throws {
        if paths {
            for folder in ModelSearch.directories() { print("searched: \(folder.path)") }
        }
        let models = ModelSearch.available()
        if models.isEmpty {
            print("no models found; set EQR_MODEL_PATH or run CInterop/install.sh (`eqr models --paths` shows where eqr looks)")
            return
        }
        let names = models.map { $0.name == ModelSearch.defaultModel ? $0.name + " (default)" : $0.name }
        let width = max(12, names.map(\.count).max() ?? 0)
        print("NAME".padding(toLength: width, withPad: " ", startingAt: 0) + "  VARIANT   RENDERER  RESOLUTION  SIZE      PATH")
        for (model, name) in zip(models, names) {
            let bytes = (try? FileManager.default.attributesOfItem(atPath: model.url.path)[.size] as? Int) ?? 0
            let size = String(format: "%.1f MB", Double(bytes) / 1e6)
            guard let contents = try? Checkpoint.load(contentsOf: model.url) else {
                print(name.padding(toLength: width, withPad: " ", startingAt: 0) + "  (unreadable)  \(model.url.path)")
                continue
            }
            let c = contents.model.configuration
            print([name.padding(toLength: width, withPad: " ", startingAt: 0),
                   c.variant.padding(toLength: 8, withPad: " ", startingAt: 0),
                   c.renderer.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0),
                   "\(c.resolution)x\(c.resolution)".padding(toLength: 10, withPad: " ", startingAt: 0),
                   size.padding(toLength: 8, withPad: " ", startingAt: 0),
                   model.url.path].joined(separator: "  "))
        }
    }
}
