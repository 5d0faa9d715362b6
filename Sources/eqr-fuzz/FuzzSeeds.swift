import EquivariantModel
import Foundation
import Tensors

/// A small valid input for every ``FuzzSurface``: the corpus a fuzzing run mutates.
enum FuzzSeeds {
    /// Saves the smallest model the configuration allows (16×16, 4 channels) as a checkpoint.
    static func saveTinyModel(to file: URL, variant: String = "given") throws {
        let model = try EquivariantModel(configuration: ModelConfiguration(resolution: 16, featureChannels: 4, baseChannels: 4, groups: 2,
                                                                           variant: variant, renderer: .layered), seed: 1)
        try Checkpoint.save(model, to: file)
    }

    static func write(to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        func seed(_ surface: FuzzSurface, _ name: String, _ content: [UInt8]) throws {
            try Data([surface.rawValue] + content).write(to: folder.appendingPathComponent("\(surface)-\(name)"))
        }
        let file = folder.appendingPathComponent(".model.safetensors")
        try saveTinyModel(to: file)
        try seed(.checkpoint, "tiny", Array(try Data(contentsOf: file)))
        try FileManager.default.removeItem(at: file)
        for (name, effect) in [("swap", "swap"), ("transform", "transform=angle=20+scale=1.3:tx=0.1"), ("keyframes", "transform=keyframes=/tmp/k.txt"),
                               ("transfer", "transfer=template=walk.json"), ("cutout", "cutout")] {
            try seed(.effect, name, Array(effect.utf8))
        }
        try seed(.motionTemplate, "walk", Array(#"{"variant":"given","resolution":64,"frameRate":25,"steps":[[1,0,0,0,1,0],[1,0,0.1,0,1,0]]}"#.utf8))
        // Each call is an index byte (index + 1), an operation byte, then its operands
        // (``Frei0rProgram``). Filter, 32×16: the model, the swap effect, two frames, the
        // background path read back. Mixer, 8×8: scale = 20, effect "swap", update2 with and
        // without a background.
        try seed(.frei0r, "filter", [0, 1, 31, 15, 0, 5, 0, 1, 5, 1, 0, 0, 3, 7, 0, 3, 9, 2, 2])
        try seed(.frei0r, "mixer", [1, 1, 7, 7, 4, 1, 0x40, 0x34, 0, 0, 0, 0, 0, 0, 2, 0, 4, 0x73, 0x77, 0x61, 0x70, 0, 4, 0, 0, 4, 1])
        try seed(.keyframes, "two", Array(#"[{"frame": 0, "angle": 0}, {"frame": 24, "angle": 30, "scale": 1.5, "tx": 0.2}]"#.utf8))
    }
}
