import ArgumentParser
import Foundation
import Retargeting
import SyntheticScenes
import Tensors
import VideoIO

/// `eqr synth`: writes a synthetic clip (a character walking over a static background) as a
/// video, plus a JSON file with every frame's pose and motion.
struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth", abstract: "Write a synthetic scene clip (video + JSON of per-frame affine transforms).")

    @Argument(help: "Output video (or image sequence with %d).") var output: String
    @Option(parsing: .unconditional, help: "Frames.") var frames = 120
    @Option(parsing: .unconditional, help: "Frame side in pixels.") var resolution = 128
    @Option(parsing: .unconditional, help: "Frame rate.") var fps: Double = 25
    @Option(parsing: .unconditional, help: "Character index (0..<8 are the training characters).") var character = 0
    @Option(parsing: .unconditional, help: "Background index (0..<8 trained, 1000+ unseen).") var background = 0
    @Option(parsing: .unconditional, help: "Walk seed.") var seed: UInt64 = 1
    @Option(parsing: .unconditional, help: "Synthetic world seed.") var worldSeed: UInt64 = 0
    @Option(help: "Where to write the per-frame transforms (default: <output>.json).") var json: String?
    @Option(help: "Also write the background's clean plate (no character) as an image here.") var plate: String?
    @Option(name: .customLong("c:v"), help: "Video encoder.") var codec: String?
    @Option(parsing: .unconditional, help: "Encoder quality (CRF) for libx264.") var crf: Int?
    @OptionGroup var overwrite: OverwriteOptions

    func validate() throws {
        guard frames >= 1, frames <= 100_000 else { throw ValidationError("--frames must be in 1...100000, got \(frames)") }
        guard resolution >= 16, resolution <= 1024, resolution % 2 == 0 else { throw ValidationError("--resolution must be even, in 16...1024, got \(resolution)") }
        guard fps > 0, fps <= 240 else { throw ValidationError("--fps must be in (0, 240], got \(fps)") }
        try overwrite.check([output, jsonPath] + [plate].compactMap { $0 })
    }

    struct FrameRecord: Codable {
        var index: Int
        var time: Double
        /// Where the character sits: the motion from its canonical (centred) pose.
        var pose: [Float]
        /// T^x from the previous frame to this one (identity for the first frame).
        var motion: [Float]
    }

    struct ClipRecord: Codable {
        var resolution: Int
        var frame_rate: Double
        var character: Int
        var background: Int
        var world_seed: UInt64
        var walk_seed: UInt64
        var convention: String
        var frames: [FrameRecord]
    }

    /// Where the per-frame transforms go.
    var jsonPath: String { json ?? output + ".json" }

    func run() throws {
        let generator = try SceneGenerator(SceneGenerator.Configuration(resolution: resolution, worldSeed: worldSeed))
        guard (0..<generator.configuration.characterCount).contains(character) else {
            throw RuntimeError("--character \(character) is not one of the \(generator.configuration.characterCount) characters (0..<\(generator.configuration.characterCount))")
        }
        guard generator.backgrounds.contains(background) else { throw RuntimeError("--background \(background) is not in the background bank") }
        let clip = generator.clip(frames: frames, character: character, background: background, seed: seed)
        var options: [String: String] = [:]
        if let crf { options["crf"] = String(crf) }
        let writer = try VideoWriter(path: output, width: resolution, height: resolution, frameRate: fps, codec: codec, options: options)
        var records: [FrameRecord] = []
        for (i, (frame, pose)) in zip(clip.frames, clip.poses).enumerated() {
            try writer.write(try Frame(modelTensor: frame, timestamp: Double(i) / fps, index: i))
            let motion = i == 0 ? Affine2D.identity : AffineWalk.motion(from: clip.poses[i - 1], to: pose)
            records.append(FrameRecord(index: i, time: Double(i) / fps, pose: pose.elements, motion: motion.elements))
        }
        try writer.finish()
        if let plate {
            try ImageFile.write(try Frame(modelTensor: generator.plate(background: background)), to: plate)
        }
        let record = ClipRecord(
            resolution: resolution, frame_rate: fps, character: character, background: background, world_seed: worldSeed, walk_seed: seed,
            convention: "2x3 row-major affine maps on normalised coordinates ([-1,1], pixel centres, y down); pose and motion move content (sample with the inverse)",
            frames: records)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(record).write(to: URL(fileURLWithPath: jsonPath), options: .atomic)
        print("wrote \(output) (\(frames) frames, \(resolution)x\(resolution), \(fps) fps) and \(jsonPath)" + (plate.map { ", plate \($0)" } ?? ""))
    }
}
