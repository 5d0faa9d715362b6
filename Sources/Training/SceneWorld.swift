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
    /// Square crops taken from each background photo (1: the whole photo scaled to the frame;
    /// 2–9: the photo scaled to cover twice the frame's side, cropped at the centre, the
    /// corners and the edges' midpoints, in that order). Every crop of a photo lands on the
    /// same side of the trained/unseen split.
    public var backgroundCrops = 1
    /// A directory of photos that texture the characters: each procedural character keeps
    /// its shape (alpha) and takes photo `index mod count`, scaled to the frame, as its colours.
    public var characterImages: String?
    /// Procedural backgrounds trained on beside the photos of ``backgroundImages`` (0: photos
    /// only). A mixed world also keeps the procedural world's unseen backgrounds for the
    /// evaluation, after the unseen photos.
    public var proceduralBackgrounds = 0
    /// Of the ``characters``, how many keep their procedural colours when ``characterImages``
    /// textures the others (0: every character takes a photo's colours). The procedural ones
    /// are the last.
    public var proceduralCharacters = 0

    /// The metadata entries that describe this world. Photo folders are absolute paths, or,
    /// given the folder the checkpoint is written to, paths relative to it (so a model and
    /// its photos can move together, e.g. in a repository).
    public func metadata(checkpointFolder: URL? = nil) -> [String: String] {
        var m = [K.worldSeed: String(worldSeed), K.trainedBackgrounds: String(trainedBackgrounds), K.characters: String(characters)]
        func recorded(_ path: String) -> String {
            let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
            return checkpointFolder.map { Self.relativePath(of: absolute, from: $0.standardizedFileURL.path) } ?? absolute
        }
        if let backgroundImages { m[K.backgroundImages] = recorded(backgroundImages) }
        if let characterImages { m[K.characterImages] = recorded(characterImages) }
        if backgroundCrops != 1 { m[K.backgroundCrops] = String(backgroundCrops) }
        if proceduralBackgrounds != 0 { m[K.proceduralBackgrounds] = String(proceduralBackgrounds) }
        if proceduralCharacters != 0 { m[K.proceduralCharacters] = String(proceduralCharacters) }
        return m
    }

    /// The world a checkpoint was trained on (defaults for models trained on video). Relative
    /// photo folders are taken from `checkpointFolder` (the folder of the checkpoint's file).
    public init(checkpoint: Checkpoint.Contents, checkpointFolder: URL? = nil) {
        let m = checkpoint.metadata
        resolution = checkpoint.model.configuration.resolution
        worldSeed = m[K.worldSeed].flatMap { UInt64($0) } ?? 0
        trainedBackgrounds = m[K.trainedBackgrounds].flatMap { Int($0) } ?? 8
        characters = m[K.characters].flatMap { Int($0) } ?? 8
        backgroundCrops = m[K.backgroundCrops].flatMap { Int($0) } ?? 1
        proceduralBackgrounds = m[K.proceduralBackgrounds].flatMap { Int($0) } ?? 0
        proceduralCharacters = m[K.proceduralCharacters].flatMap { Int($0) } ?? 0
        func located(_ path: String?) -> String? {
            guard let path, !path.hasPrefix("/"), let checkpointFolder else { return path }
            return checkpointFolder.appendingPathComponent(path).standardizedFileURL.path
        }
        backgroundImages = located(m[K.backgroundImages])
        characterImages = located(m[K.characterImages])
    }

    /// `path` (absolute) written relative to the folder `base` (absolute), e.g.
    /// `../photos/backgrounds`.
    static func relativePath(of path: String, from base: String) -> String {
        let target = path.split(separator: "/"), origin = base.split(separator: "/")
        let shared = zip(target, origin).prefix { $0 == $1 }.count
        let parts = Array(repeating: "..", count: origin.count - shared) + target[shared...].map(String.init)
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }

    /// Describes a world explicitly.
    public init(resolution: Int, worldSeed: UInt64, trainedBackgrounds: Int, characters: Int, backgroundImages: String?, characterImages: String? = nil) {
        self.resolution = resolution
        self.worldSeed = worldSeed
        self.trainedBackgrounds = trainedBackgrounds
        self.characters = characters
        self.backgroundImages = backgroundImages
        self.characterImages = characterImages
    }

    /// Builds the generator; photos are decoded with FFmpeg at the model resolution.
    ///
    /// A mixed world (photos and ``proceduralBackgrounds``) orders its bank as: trained photo
    /// crops, trained procedural backgrounds, unseen photo crops, unseen procedural ones.
    public func makeGenerator() throws -> SceneGenerator {
        try checkMixing()
        var configuration = SceneGenerator.Configuration(
            resolution: resolution, worldSeed: worldSeed, trainedBackgroundCount: trainedBackgrounds, characterCount: characters)
        if backgroundImages == nil && characterImages == nil { return try SceneGenerator(configuration) }
        // The procedural world with the same seed gives the characters' shapes (and any
        // backgrounds not taken from photos, or mixed with them).
        var proceduralConfiguration = configuration
        proceduralConfiguration.trainedBackgroundCount = 1  // its plates are not used: the bank renders what a mix needs
        proceduralConfiguration.unseenBackgroundCount = 0
        proceduralConfiguration.holdsOutPairings = false
        let procedural = try SceneGenerator(proceduralConfiguration)
        var backgrounds: BackgroundBank?
        if let backgroundImages {
            let paths = try Self.files(in: backgroundImages, extensions: Self.imageExtensions)
            guard paths.count > trainedBackgrounds else {
                throw ModelError.invalidInput("\(backgroundImages) holds \(paths.count) images; \(trainedBackgrounds) are for training and at least one more is needed for the unseen-background evaluation")
            }
            guard (1...Self.cropOrigins.count).contains(backgroundCrops) else {
                throw ModelError.invalidInput("background crops must be in 1...\(Self.cropOrigins.count), got \(backgroundCrops)")
            }
            let crops = try paths.flatMap(readCrops)
            let trainedPhotos = trainedBackgrounds * backgroundCrops
            var trained = Array(crops[..<trainedPhotos]), unseen = Array(crops[trainedPhotos...])
            if proceduralBackgrounds > 0 {
                let bank = procedural.backgrounds
                let unseenStart = SceneGenerator.unseenBackgroundIndexOffset
                trained += (0..<proceduralBackgrounds).map { bank.background(at: $0) }
                unseen += (unseenStart..<(unseenStart + Self.proceduralUnseenBackgrounds)).map { bank.background(at: $0) }
            }
            configuration.trainedBackgroundCount = trained.count
            configuration.unseenBackgroundCount = unseen.count
            backgrounds = try BackgroundBank(images: trained + unseen)
        }
        var characters = procedural.characters
        if let characterImages {
            let photos = try Self.files(in: characterImages, extensions: Self.imageExtensions).map(readImage)
            let plane = resolution * resolution
            let textured = self.characters - proceduralCharacters
            let cutouts = (0..<self.characters).map { index in
                var layer = procedural.characters.layer(at: index)
                if index < textured { layer.scalars.replaceSubrange(0..<3 * plane, with: photos[index % photos.count].scalars) }
                return layer
            }
            characters = try CharacterBank(cutouts: cutouts)
        }
        return try SceneGenerator(configuration, backgrounds: backgrounds ?? procedural.backgrounds, characters: characters)
    }

    /// The unseen procedural backgrounds a mixed world keeps for the evaluation (as many as a
    /// procedural world has).
    static let proceduralUnseenBackgrounds = SceneGenerator.Configuration().unseenBackgroundCount

    /// Refuses procedural counts that do not fit the photos they are mixed with (`eqr train`
    /// checks its options with it before anything is read).
    public func checkMixing() throws {
        guard (0...SceneGenerator.unseenBackgroundIndexOffset).contains(proceduralBackgrounds) else {
            throw ModelError.invalidInput("--procedural-backgrounds must be in 0...\(SceneGenerator.unseenBackgroundIndexOffset), got \(proceduralBackgrounds)")
        }
        if proceduralBackgrounds > 0 && backgroundImages == nil {
            throw ModelError.invalidInput("--procedural-backgrounds mixes procedural backgrounds with photos: give --background-images (without it every background is procedural; use --trained-backgrounds)")
        }
        guard proceduralCharacters >= 0, proceduralCharacters < characters else {
            throw ModelError.invalidInput("--procedural-characters must be in 0..<--characters (\(characters)), got \(proceduralCharacters): that many procedural leaves none for the photos")
        }
        if proceduralCharacters > 0 && characterImages == nil {
            throw ModelError.invalidInput("--procedural-characters mixes procedural characters with photo-textured ones: give --character-images")
        }
    }

    /// The file name extensions read as photos.
    static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "bmp", "tif", "tiff", "webp"]

    /// A photo as `[3, R, R]` floats in [0, 1], scaled with FFmpeg to the model resolution.
    private func readImage(_ path: String) throws -> Tensor {
        let frame = try ImageFile.read(path: path, size: (resolution, resolution))
        return Tensor(shape: [3, resolution, resolution], scalars: frame.planarFloat())
    }

    /// Where the crops of a 2R×2R photo start, in units of R/2 (centre, corners, edges).
    static let cropOrigins = [(1, 1), (0, 0), (2, 0), (0, 2), (2, 2), (1, 0), (0, 1), (2, 1), (1, 2)]

    /// The ``backgroundCrops`` backgrounds one photo gives, each `[3, R, R]`.
    private func readCrops(_ path: String) throws -> [Tensor] {
        guard backgroundCrops > 1 else { return [try readImage(path)] }
        let r = resolution, side = 2 * r
        let frame = try ImageFile.read(path: path, filter: "scale=\(side):\(side):force_original_aspect_ratio=increase,crop=\(side):\(side)")
        let large = frame.planarFloat()
        return Self.cropOrigins.prefix(backgroundCrops).map { origin in
            let x0 = origin.0 * r / 2, y0 = origin.1 * r / 2
            var crop = [Float](repeating: 0, count: 3 * r * r)
            for c in 0..<3 {
                for y in 0..<r {
                    let from = c * side * side + (y0 + y) * side + x0
                    crop.replaceSubrange((c * r * r + y * r)..<(c * r * r + (y + 1) * r), with: large[from..<(from + r)])
                }
            }
            return Tensor(shape: [3, r, r], scalars: crop)
        }
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
