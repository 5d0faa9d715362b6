import EquivariantModel
import Foundation
import Retargeting
import SyntheticScenes
import Tensors
import VideoIO

/// The synthetic world a model trains and is scored on, described by checkpoint metadata
/// so `train`, `eval` and `demo` always rebuild the same one.
public struct SceneWorld {
    private typealias K = CheckpointMetadata

    /// Frame side of the scenes (the model's resolution).
    public var resolution: Int
    /// Seed of the procedural backgrounds and characters.
    public var worldSeed: UInt64 = 0
    /// Backgrounds trained on; the rest are unseen.
    public var trainedBackgrounds = 8
    /// Characters in the world.
    public var characters = 8
    /// A directory of photos used as backgrounds instead of procedural textures.
    public var backgroundImages: String?

    /// The metadata entries that describe this world.
    public var metadata: [String: String] {
        var m = [K.worldSeed: String(worldSeed), K.trainedBackgrounds: String(trainedBackgrounds), K.characters: String(characters)]
        if let backgroundImages { m[K.backgroundImages] = URL(fileURLWithPath: backgroundImages).standardizedFileURL.path }
        return m
    }

    /// The world a checkpoint was trained on (defaults for models trained on video).
    public init(checkpoint: Checkpoint.Contents) {
        let m = checkpoint.metadata
        resolution = checkpoint.model.configuration.resolution
        worldSeed = m[K.worldSeed].flatMap { UInt64($0) } ?? 0
        trainedBackgrounds = m[K.trainedBackgrounds].flatMap { Int($0) } ?? 8
        characters = m[K.characters].flatMap { Int($0) } ?? 8
        backgroundImages = m[K.backgroundImages]
    }

    /// Describes a world explicitly.
    public init(resolution: Int, worldSeed: UInt64, trainedBackgrounds: Int, characters: Int, backgroundImages: String?) {
        self.resolution = resolution
        self.worldSeed = worldSeed
        self.trainedBackgrounds = trainedBackgrounds
        self.characters = characters
        self.backgroundImages = backgroundImages
    }

    /// Builds the generator; photo backgrounds are decoded with FFmpeg at the model resolution.
    public func makeGenerator() throws -> SceneGenerator {
        var configuration = SceneGenerator.Configuration(
            resolution: resolution, worldSeed: worldSeed, trainedBackgroundCount: trainedBackgrounds, characterCount: characters)
        guard let backgroundImages else { return try SceneGenerator(configuration) }
        let paths = try Self.files(in: backgroundImages, extensions: ["png", "jpg", "jpeg", "bmp", "tif", "tiff", "webp"])
        guard paths.count > trainedBackgrounds else {
            throw ModelError.invalidInput("\(backgroundImages) holds \(paths.count) images; \(trainedBackgrounds) are for training and at least one more is needed for the unseen-background evaluation")
        }
        configuration.unseenBackgroundCount = paths.count - trainedBackgrounds
        let images = try paths.map { path in
            let frame = try ImageFile.read(path: path, size: (resolution, resolution))
            return Tensor(shape: [3, resolution, resolution], scalars: frame.planarFloat())
        }
        // The characters of the procedural world with the same seed.
        let procedural = try SceneGenerator(configuration)
        return try SceneGenerator(configuration, backgrounds: try BackgroundBank(images: images), characters: procedural.characters)
    }

    /// The regular files of a directory with the given extensions, sorted; a file path is
    /// returned as itself.
    public static func files(in path: String, extensions: Set<String>) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelError.invalidInput("\(path): no such file or directory")
        }
        guard isDirectory.boolValue else { return [path] }
        let names = try FileManager.default.contentsOfDirectory(atPath: path)
            .filter { extensions.contains(URL(fileURLWithPath: $0).pathExtension.lowercased()) }.sorted()
        guard !names.isEmpty else { throw ModelError.invalidInput("\(path) holds no files ending in \(extensions.sorted().joined(separator: ", "))") }
        return names.map { URL(fileURLWithPath: path).appendingPathComponent($0).path }
    }
}
