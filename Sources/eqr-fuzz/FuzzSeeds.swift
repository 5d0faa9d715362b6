import EquivariantModel
import Foundation
import Tensors

/// A small valid input for every ``FuzzSurface``: the corpus a fuzzing run mutates.
enum FuzzSeeds {
    static func write(to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        func seed(_ surface: FuzzSurface, _ name: String, _ content: [UInt8]) throws {
            try Data([surface.rawValue] + content).write(to: folder.appendingPathComponent("\(surface)-\(name)"))
        }
        // The smallest model the configuration allows, saved as a checkpoint.
        let model = try EquivariantModel(configuration: ModelConfiguration(resolution: 16, featureChannels: 4, baseChannels: 4, groups: 2,
                                                                           variant: "given", renderer: .layered), seed: 1)
        let file = folder.appendingPathComponent(".model.safetensors")
        try Checkpoint.save(model, to: file)
        try seed(.checkpoint, "tiny", Array(try Data(contentsOf: file)))
        try FileManager.default.removeItem(at: file)
        for (name, effect) in [("swap", "swap"), ("transform", "transform=angle=20+scale=1.3:tx=0.1"), ("keyframes", "transform=keyframes=/tmp/k.txt"),
                               ("transfer", "transfer=template=walk.json"), ("cutout", "cutout")] {
            try seed(.effect, name, Array(effect.utf8))
        }
        try seed(.motionTemplate, "walk", Array(#"{"variant":"given","resolution":64,"frameRate":25,"steps":[[1,0,0,0,1,0],[1,0,0.1,0,1,0]]}"#.utf8))
        try seed(.keyframes, "two", Array(#"[{"frame": 0, "angle": 0}, {"frame": 24, "angle": 30, "scale": 1.5, "tx": 0.2}]"#.utf8))
    }
}
