import EquivariantModel
import Tensors
import VideoIO

/// The one frame pipeline: "a frame in, a frame out" for every effect, used by the `eqr`
/// host, every frame call of the C library and both frei0r plugins, so the same effect on
/// the same frames gives the same pixels everywhere. Nothing else combines f, h, T^z and g.
///
/// Per frame, by default (``RenderMode/composite``): the input is read at the output's size;
/// the clip's background plate (given with ``setPlate(_:)``, or learned from the frames so
/// far) and the frame give the character's matte (``CharacterMatte``, with the model's
/// coverage where the plate is unknown); the character's own pixels go over the background,
/// fitted to the output (``BackgroundFit``), in place or moved by the effect's affine
/// (``LayerCompositor``). With ``RenderMode/model``, and for `reconstruct`: the input is
/// resized to the model's square frame with libswscale, the background encoded (a still one
/// once per output size), the effect picks θ_z for the frame index, g renders
/// `T^z(f(x)) + h(b)` and the result is resized to the output's size.
///
/// Keeps per-stream state (background, plate, frame count, swscale contexts, buffers), so
/// use one per thread; the model itself may be shared.
public final class FramePipeline {
    /// The model.
    public let model: EquivariantModel
    /// The effect applied by ``process(_:background:into:)``.
    public private(set) var effect: RetargetEffect
    /// How a background of another aspect ratio fills the frame.
    public var backgroundFit: BackgroundFit {
        didSet { if backgroundFit != oldValue { stillFeatures = nil; stillImage = nil } }
    }
    /// Frames processed since the start or the last ``rewind()``; the effect's frame index.
    public private(set) var frameIndex = 0
    private var templateThetas: [Affine2D] = []
    private let scaler = PixelScaler()
    /// Makes frames' thumbnails on the moving region's detection grid (its own swscale contexts).
    private let detectionScaler = PixelScaler()
    private let scratch = ScratchPool()
    private var background: Background = .none
    /// h(b) of the still background for the output size it was fitted to.
    private var stillFeatures: (width: Int, height: Int, features: FeatureMaps)?
    /// The still background fitted to the output size, for composition.
    private var stillImage: PlanarImage?
    /// What swap, transform and transfer output (layers at full resolution by default).
    public var renderMode: RenderMode = .composite
    /// Pixels the composite's matte grows by; nil for automatic (see ``CharacterMatte``).
    public var matteMargin: Int?
    /// How the composite's matte is drawn (default: the moving region for camera footage,
    /// the edge-refined matte for a rendered clip).
    public var matteStyle: MatteStyle = .automatic
    /// The plate of the whole clip, given by a caller that saw it ahead (``setPlate(_:)``).
    private var givenPlate: BackgroundPlate?
    /// The plate learned from the frames processed so far, when none was given.
    private var runningPlate: RunningPlate?
    /// The thumbnails of the frames so far on the moving region's detection grid (the frame's
    /// own size for frames no larger than the grid), whose median is the learned plate's
    /// ``BackgroundPlate/detection``: streamed camera footage finds its moving region as a
    /// clip read ahead does, against a median of the frames seen so far.
    private var detectionHistory: ThumbnailHistory?
    /// Finds the cuts of a stream whose plate is learned frame by frame.
    private var shots = ShotDetector()
    /// The coverage of the frame in ``process(_:thumbnail:coverage:background:into:)``, when
    /// its caller computed it ahead.
    private var coverageAhead: PlanarMask?

    private enum Background {
        case none
        case still(Frame)
        case moving(BackgroundSource)
    }

    /// Creates a pipeline for `effect` (swap by default); set a background before processing
    /// any effect but `reconstruct`.
    /// - Throws: ``ModelError/invalidInput(_:)`` when the effect does not fit the model.
    public init(model: EquivariantModel, effect: RetargetEffect = .swap, backgroundFit: BackgroundFit = .cover) throws {
        self.model = model
        self.effect = .swap
        self.backgroundFit = backgroundFit
        try setEffect(effect)
    }

    /// The model's side length in pixels.
    public var side: Int { model.configuration.resolution }

    // MARK: - Effect and background

    /// Switches the effect; the background and the frame count are kept.
    /// - Throws: ``ModelError/invalidInput(_:)`` for a template of another resolution or a
    ///   keyframe that is not invertible (the pipeline keeps its previous effect).
    public func setEffect(_ effect: RetargetEffect) throws {
        var thetas: [Affine2D] = []
        switch effect {
        case .transfer(let template):
            guard template.resolution == side else {
                throw ModelError.invalidInput("the motion template was estimated at \(template.resolution)×\(template.resolution), the model runs at \(side)×\(side)")
            }
            thetas = template.accumulatedThetas()
        case .transform(let keyframes):
            for (index, motion) in keyframes.sorted(by: { $0.key < $1.key }) where motion.inverse == nil {
                throw ModelError.invalidInput("the transform at frame \(index) \(motion) is not invertible")
            }
        case .swap, .reconstruct, .matte, .cutout:
            break
        }
        templateThetas = thetas
        self.effect = effect
    }

    /// Whether the effect needs a background (all but `reconstruct`, `matte` and `cutout`).
    public var needsBackground: Bool { ![.reconstruct, .matte, .cutout].contains(effect) }

    /// Whether frames are composed against a background plate (the composite render mode,
    /// for every effect but `reconstruct`): a host can then hand over the clip's plate
    /// (``setPlate(_:)``) instead of letting one be learned frame by frame.
    public var usesPlate: Bool { renderMode == .composite && effect != .reconstruct }

    /// Whether a background (still or moving) is set.
    public var hasBackground: Bool {
        if case .none = background { return false }
        return true
    }

    /// Whether ``process(_:background:into:)`` has what it needs without a per-frame
    /// background (a background is set, or the effect needs none).
    public var isReady: Bool { !needsBackground || hasBackground }

    /// Uses a copy of a still image as the background (encoded once per output size).
    /// - Throws: ``VideoIOError/invalidArgument(_:)`` for a bad buffer or a YUV one (an output layout).
    public func setBackground(_ image: PixelBuffer) throws {
        try image.validate()
        guard image.layout != .yuv420p else { throw VideoIOError.invalidArgument("a background must be RGB or RGBA pixels, not yuv420p") }
        var frame = try Frame(width: image.width, height: image.height)
        frame.withMutablePixelBuffer { destination in
            for y in 0..<image.height {
                (destination.base + y * destination.stride).withMemoryRebound(to: UInt8.self, capacity: 3 * image.width) { row in
                    let source = (image.base + y * image.stride).assumingMemoryBound(to: UInt8.self)
                    let step = image.layout.bytesPerPixel
                    for x in 0..<image.width {
                        row[3 * x] = source[step * x]
                        row[3 * x + 1] = source[step * x + 1]
                        row[3 * x + 2] = source[step * x + 2]
                    }
                }
            }
        }
        setBackground(frame)
    }

    /// Uses a still frame as the background (encoded once per output size).
    public func setBackground(_ frame: Frame) {
        background = .still(frame)
        stillFeatures = nil
        stillImage = nil
    }

    /// Uses a background read from a file: its still frame, or its frames one per processed
    /// frame (see ``BackgroundSource``).
    public func setBackground(_ source: BackgroundSource) {
        if let still = source.still {
            setBackground(still)
        } else {
            background = .moving(source)
            stillFeatures = nil
            stillImage = nil
        }
    }

    /// Uses an image or video file as the background, after an optional filter chain.
    /// - Throws: ``VideoIOError`` for unreadable files, ``ModelError`` for files without frames.
    public func setBackground(path: String, filter: String? = nil, loops: Bool = true) throws {
        setBackground(try BackgroundSource(path: path, filter: filter, loops: loops))
    }

    /// The size of the background set, or nil (per-frame backgrounds are not known ahead).
    public var backgroundSize: (width: Int, height: Int)? {
        switch background {
        case .none: return nil
        case .still(let frame): return (frame.width, frame.height)
        case .moving(let source): return (source.width, source.height)
        }
    }

    /// A one-line notice when the background set has another aspect ratio than a
    /// `width`×`height` video, saying how it is fitted; nil when the aspects match.
    public func backgroundFitNotice(videoWidth width: Int, videoHeight height: Int) -> String? {
        guard let (bw, bh) = backgroundSize,
              !BackgroundFit.aspectsMatch(imageWidth: bw, imageHeight: bh, frameWidth: width, frameHeight: height) else { return nil }
        let how: String
        switch backgroundFit {
        case .cover: how = "scaled to cover the frame and centre-cropped"
        case .contain: how = "scaled to fit inside the frame and padded with black"
        case .stretch: how = "stretched to the frame"
        }
        return "the background is \(bw)x\(bh), the video \(width)x\(height): \(how) (background fit: \(BackgroundFit.nameList))"
    }

    /// Starts counting frames from zero again (keyframes and templates restart).
    public func rewind() { frameIndex = 0 }

    /// Passes over the input's next frame without rendering it (it is rendered elsewhere,
    /// e.g. by another process of a segment-parallel job): the effect's motion and a moving
    /// background advance as if it had been processed, so the next frame renders as it
    /// would in one pass. A plate learned while streaming does not learn from it; give the
    /// clip's plate (``setPlate(_:)``) for identical frames.
    public func skipFrame() throws {
        if needsBackground, case .moving(let source) = background { _ = try source.nextFrame() }
        frameIndex += 1
    }

    /// Uses the background plate of the whole clip (e.g. ``BackgroundPlate/consensus(of:)``
    /// over frames sampled ahead) for composition, instead of learning one frame by frame.
    /// Applies to outputs of the plate's size.
    public func setPlate(_ plate: BackgroundPlate) {
        givenPlate = plate
        runningPlate = nil
        detectionHistory = nil
    }

    /// Forgets the plate (given or learned), e.g. at a cut to another shot. (A plate learned
    /// while streaming also starts again by itself at the cuts its ``ShotDetector`` finds.)
    public func resetPlate() {
        givenPlate = nil
        runningPlate = nil
        detectionHistory = nil
        shots = ShotDetector()
    }

    // MARK: - Frames

    /// Renders `input` with the effect into `output` (any sizes and layouts; normally the
    /// output has the input's size) and advances the frame count. `background` is this
    /// frame's background (e.g. a video editor's second track); without it the background
    /// set earlier is used. `input` and `output` may be the same buffer.
    /// - Throws: ``ModelError`` when no background is set or the frame is unusable,
    ///   ``VideoIOError`` for bad buffers.
    ///
    /// `thumbnail`: the input's thumbnail from its reader (``VideoReader/makeThumbnails(size:)``),
    /// where camera footage's moving region is found when it has the size of the plate's
    /// detection grid (``BackgroundPlate/detection``); without it the frame is resampled.
    ///
    /// `coverage`: the model's coverage of `input` computed ahead (``coverage(_:)`` of another
    /// pipeline over the same model, e.g. on another thread while the previous frame renders;
    /// see ``readsCoverage(over:width:height:)``), used wherever this frame reads one instead
    /// of computing it again. It must be at the model's size.
    public func process(_ input: PixelBuffer, thumbnail: Thumbnail? = nil, coverage: PlanarMask? = nil,
                        background frameBackground: PixelBuffer? = nil, into output: PixelBuffer) throws {
        try FrameSizeLimit.check(width: input.width, height: input.height)
        try output.validate()
        if let coverage, coverage.width != side || coverage.height != side || coverage.values.count != side * side {
            throw ModelError.invalidInput("a coverage computed ahead is \(coverage.width)×\(coverage.height); this model's is \(side)×\(side)")
        }
        coverageAhead = coverage
        defer { coverageAhead = nil }
        if effect == .matte || effect == .cutout {
            try writeMatte(of: input, thumbnail: thumbnail, into: output, asAlpha: effect == .cutout)
            frameIndex += 1
            return
        }
        if effect != .reconstruct && renderMode == .composite, try compose(input, thumbnail: thumbnail, background: frameBackground, into: output) {
            frameIndex += 1
            return
        }
        let frame = try modelFrame(input)
        let rendered: Tensor
        if effect == .reconstruct {
            rendered = try model.reconstruct(frame)
        } else {
            let backgroundFeatures: FeatureMaps
            if let frameBackground {
                backgroundFeatures = try model.encodeBackground(fittedModelFrame(frameBackground, videoWidth: output.width, videoHeight: output.height))
            } else if let set = try nextBackgroundFeatures(videoWidth: output.width, videoHeight: output.height) {
                backgroundFeatures = set
            } else {
                throw missingBackground
            }
            rendered = try render(frame, theta: try effectTheta(at: frameIndex), over: backgroundFeatures)
        }
        try write(rendered, into: output)
        frameIndex += 1
    }

    /// The `matte` effect (α as grey at the output's size) or, `asAlpha`, the `cutout`
    /// (the frame's own pixels with α as alpha; `x·α` into a layout without alpha).
    private func writeMatte(of input: PixelBuffer, thumbnail: Thumbnail?, into output: PixelBuffer, asAlpha: Bool) throws {
        let width = output.width, height = output.height
        let alpha: PlanarMask
        if renderMode == .composite {
            alpha = try matte(input, thumbnail: thumbnail, width: width, height: height)
        } else {
            guard let coverage = try coverageAhead ?? coverage(input) else {
                throw ModelError.invalidInput("the matte effect in the model render mode needs a layered model (one that draws a coverage map); this one is additive: use the composite mode")
            }
            alpha = coverage.resized(width: width, height: height)
        }
        let a = alpha.values.map { min(max($0, 0), 1) }
        guard asAlpha else { return try scaler.write(planarFloat: a + a + a, width: width, height: height, into: output) }
        var pixels = try scaler.planarFloat(from: input, width: width, height: height)
        let plane = width * height
        if output.layout != .rgba8 {
            for c in 0..<3 { for i in 0..<plane { pixels[c * plane + i] *= a[i] } }
        }
        try scaler.write(planarFloat: pixels, width: width, height: height, into: output)
        guard output.layout == .rgba8 else { return }
        for y in 0..<height {
            let row = (output.base + y * output.stride).assumingMemoryBound(to: UInt8.self)
            for x in 0..<width { row[4 * x + 3] = UInt8(level: a[y * width + x]) }
        }
    }

    private var missingBackground: ModelError {
        ModelError.invalidInput("the \(effect) effect needs a background: set a still or moving one, or pass one with the frame")
    }

    /// The matte of the character in `input` at the output's `width`×`height` (in [0, 1]),
    /// from the clip's plate (given, or learned from the frames so far, this one included),
    /// and the model's coverage where the plate is not trusted. Does not advance the frame count.
    /// `thumbnail`: as for ``process(_:thumbnail:background:into:)``.
    public func matte(_ input: PixelBuffer, thumbnail: Thumbnail? = nil, width: Int, height: Int) throws -> PlanarMask {
        let frame = PlanarImage(width: width, height: height, values: try scaler.planarFloat(from: input, width: width, height: height))
        let (plate, onGrid) = try plate(learningFrom: frame, input: input, thumbnail: thumbnail)
        return try matte(of: frame, input: input, onGrid: onGrid, plate: plate)
    }

    /// The model's coverage map of the character in `input` (its α at the model's size), or
    /// nil for a model without one (the additive renderer).
    public func coverage(_ input: PixelBuffer) throws -> PlanarMask? {
        guard let map = model.coverageMap(try model.encodeCharacter(try modelFrame(input))) else { return nil }
        return PlanarMask(width: side, height: side, values: map.scalars)
    }

    // MARK: - Composition at full resolution

    /// Swap, transform or transfer composed at the output's size (``RenderMode/composite``).
    /// Returns false, leaving the frame to the model's rendering, while the plate is unknown
    /// over most of the frame and the model draws no coverage map (the first frames of a
    /// stream, or a single image, with an additive model): a matte needs one or the other.
    private func compose(_ input: PixelBuffer, thumbnail: Thumbnail?, background frameBackground: PixelBuffer?, into output: PixelBuffer) throws -> Bool {
        let width = output.width, height = output.height
        let frame = PlanarImage(width: width, height: height, values: try scaler.planarFloat(from: input, width: width, height: height))
        let (plate, onGrid) = try plate(learningFrom: frame, input: input, thumbnail: thumbnail)
        if !model.hasCoverage && plate.trustedFraction < 0.5 { return false }
        let alpha = try matte(of: frame, input: input, onGrid: onGrid, plate: plate)
        let backgroundImage: PlanarImage
        if let frameBackground {
            backgroundImage = try fittedImage(frameBackground, width: width, height: height)
        } else if let set = try nextBackgroundImage(width: width, height: height) {
            backgroundImage = set
        } else {
            throw missingBackground
        }
        // The character layer is the frame minus the plate behind it (exact on a rendered
        // clip, soft edges included); camera footage's plate differs from every frame by
        // grain and by whatever moves outside the matte, so under the opaque moving-region
        // matte the layer is the frame itself (the plate passed is the frame: α·x).
        let behind = matteStyle.takesMovingRegion(over: plate) ? frame : plate.image
        let composed: PlanarImage
        if let sampling = try effectSampling(at: frameIndex) {
            composed = LayerCompositor.moved(frame: frame, alpha: alpha, plate: behind, background: backgroundImage, sampling: sampling)
        } else {
            composed = LayerCompositor.swap(frame: frame, alpha: alpha, plate: behind, background: backgroundImage)
        }
        try scaler.write(planarFloat: composed.values, width: width, height: height, into: output)
        return true
    }

    /// The plate for a full-resolution frame — the given one when it has the frame's size,
    /// else the learned one, after it has learned from this frame — and the frame on the
    /// plate's detection grid when it has one (see ``BackgroundPlate/detection``).
    /// `thumbnail`: the reader's, used when it has the grid's size.
    private func plate(learningFrom frame: PlanarImage, input: PixelBuffer, thumbnail: Thumbnail?) throws -> (plate: BackgroundPlate, onGrid: PlanarImage?) {
        if let givenPlate, givenPlate.width == frame.width, givenPlate.height == frame.height {
            guard let detection = givenPlate.detection, matteStyle.takesMovingRegion(over: givenPlate) else { return (givenPlate, nil) }
            return (givenPlate, try gridThumbnail(of: input, thumbnail: thumbnail, width: detection.width, height: detection.height))
        }
        // A cut starts a new shot, whose background the old plate knows nothing of.
        if shots.offer(frame) || runningPlate?.width != frame.width || runningPlate?.height != frame.height {
            runningPlate = RunningPlate(width: frame.width, height: frame.height)
            let grid = CharacterMatte.detectionGrid(width: frame.width, height: frame.height) ?? (frame.width, frame.height)
            detectionHistory = ThumbnailHistory(width: grid.width, height: grid.height)
        }
        runningPlate!.update(with: frame)
        var plate = runningPlate!.plate
        let history = detectionHistory!
        let onGrid = history.width == frame.width && history.height == frame.height
            ? frame : try gridThumbnail(of: input, thumbnail: thumbnail, width: history.width, height: history.height)
        detectionHistory!.add(onGrid)
        // Only a moving region reads the detection plate, a median over the history (on a
        // rendered clip it was the plugin's largest pass after the model); the history keeps
        // learning either way.
        plate.detection = matteStyle.takesMovingRegion(over: plate) ? detectionHistory!.median() : nil
        return (plate, onGrid)
    }

    /// `input` on a detection grid of `width`×`height`: the reader's thumbnail when it has
    /// that size, else the frame resampled (bicubic).
    private func gridThumbnail(of input: PixelBuffer, thumbnail: Thumbnail?, width: Int, height: Int) throws -> PlanarImage {
        if let thumbnail, thumbnail.width == width, thumbnail.height == height { return BackgroundPlate.detectionThumbnail(thumbnail) }
        return try BackgroundPlate.detectionThumbnail(of: input, width: width, height: height, scaler: detectionScaler)
    }

    /// The matte of a full-resolution frame against `plate`, with the model's coverage
    /// (computed only when the model has one, part of the plate is not trusted and the matte
    /// reads it: not for a moving region found on the detection grid) and the frame on the
    /// plate's detection grid (`onGrid`), when it has one.
    private func matte(of frame: PlanarImage, input: PixelBuffer, onGrid: PlanarImage?, plate: BackgroundPlate) throws -> PlanarMask {
        let coverage = readsCoverage(plate: plate, onGrid: onGrid) ? try coverageAhead ?? self.coverage(input) : nil
        return CharacterMatte.estimate(frame: frame, plate: plate, coverage: coverage, margin: matteMargin, style: matteStyle,
                                       thumbnail: onGrid, pool: scratch)
    }

    /// Whether the matte of a frame over `plate` reads the model's coverage: the model draws
    /// one, part of the plate is not trusted, and the matte is not a moving region found on
    /// the detection grid (whose frame there is `onGrid`).
    private func readsCoverage(plate: BackgroundPlate, onGrid: PlanarImage?) -> Bool {
        // The grid check first: the trusted fraction is a pass over every pixel of the plate.
        model.hasCoverage && !CharacterMatte.findsRegionOnGrid(plate: plate, style: matteStyle, thumbnail: onGrid)
            && plate.trustedFraction < 1
    }

    /// Whether rendering a `width`×`height` frame over a given `plate` (``setPlate(_:)``)
    /// reads the model's coverage of the frame, with this pipeline's effect, render mode and
    /// matte style: a caller that knows the next frame may then compute its coverage ahead and
    /// pass it to ``process(_:thumbnail:coverage:background:into:)``.
    public func readsCoverage(over plate: BackgroundPlate, width: Int, height: Int) -> Bool {
        guard renderMode == .composite, effect != .reconstruct, plate.width == width, plate.height == height else { return false }
        // Over a given plate the frame goes onto the detection grid at the detection's size.
        let onGrid = matteStyle.takesMovingRegion(over: plate) ? plate.detection : nil
        return readsCoverage(plate: plate, onGrid: onGrid)
    }

    /// The background for the next frame at the video's size: the still one (fitted once
    /// per size) or the moving one's next frame; nil without one.
    private func nextBackgroundImage(width: Int, height: Int) throws -> PlanarImage? {
        switch background {
        case .none:
            return nil
        case .moving(let source):
            return try source.nextFrame().withPixelBuffer { try fittedImage($0, width: width, height: height) }
        case .still(let frame):
            if let stillImage, stillImage.width == width, stillImage.height == height { return stillImage }
            let image = try frame.withPixelBuffer { try fittedImage($0, width: width, height: height) }
            stillImage = image
            return image
        }
    }

    /// The effect's motion at frame `index` as a sampling matrix in normalised coordinates
    /// (output point → source point); nil for none (swap).
    private func effectSampling(at index: Int) throws -> Affine2D? {
        switch effect {
        case .swap, .reconstruct, .matte, .cutout:
            return nil
        case .transform(let keyframes):
            let motion = RetargetEffect.motion(at: index, keyframes: keyframes)
            guard let inverse = motion.inverse else {
                throw ModelError.invalidInput("the transform at frame \(index) \(motion) is not invertible")
            }
            return inverse
        case .transfer:
            return templateThetas[index % templateThetas.count]
        }
    }

    /// ``process(_:background:into:)`` on frames: the result has the input's size,
    /// timestamp and index.
    public func process(_ input: Frame, background: Frame? = nil) throws -> Frame {
        var output = try Frame(width: input.width, height: input.height, timestamp: input.timestamp, index: input.index)
        try input.withPixelBuffer { source in
            try output.withMutablePixelBuffer { destination in
                if let background {
                    try background.withPixelBuffer { try process(source, background: $0, into: destination) }
                } else {
                    try process(source, into: destination)
                }
            }
        }
        return output
    }

    /// How the character of a one-off frame moves (see ``render(_:motion:into:)``).
    public enum CharacterMotion {
        /// Not at all: a swap.
        case none
        /// By a content motion in pixel space (θ_z from the model's variant).
        case motion(Affine2D)
        /// By feature-space sampling matrices θ_z, `[1, 6]` (e.g. from ``EquivariantModel/estimateTheta(from:to:)``).
        case theta(Tensor)
    }

    /// g(T^z(f(x)) + h(b)) for one frame outside the effect's sequence (the frame count does
    /// not advance): b is the background set (a moving one advances), or else the frame itself.
    public func render(_ input: PixelBuffer, motion: CharacterMotion, into output: PixelBuffer) throws {
        try output.validate()
        let frame = try modelFrame(input)
        let backgroundFeatures = try nextBackgroundFeatures(videoWidth: output.width, videoHeight: output.height) ?? model.encodeBackground(frame)
        let theta: Tensor?
        switch motion {
        case .none: theta = nil
        case .motion(let affine): theta = try model.featureTheta(forMotions: [affine])
        case .theta(let matrices): theta = matrices
        }
        try write(try render(frame, theta: theta, over: backgroundFeatures), into: output)
    }

    /// g(T^z(character) + background) from feature maps the caller holds (one frame each, the
    /// model's levels; θ_z `[1, 6]` or nil for none), resized into `output`.
    public func render(characterFeatures: FeatureMaps, backgroundFeatures: FeatureMaps, theta: Tensor?, into output: PixelBuffer) throws {
        try output.validate()
        try write(model.compose(character: model.moveCharacter(characterFeatures, theta: theta), background: backgroundFeatures), into: output)
    }

    /// A caller image as a `[1, 3, R, R]` model frame (stretched to the square).
    public func modelFrame(_ image: PixelBuffer) throws -> Tensor {
        Tensor(shape: [1, 3, side, side], scalars: try scaler.planarFloat(from: image, side: side))
    }

    /// A frame as a `[1, 3, R, R]` model frame (stretched to the square).
    public func modelFrame(_ frame: Frame) throws -> Tensor {
        try frame.withPixelBuffer { try modelFrame($0) }
    }

    // MARK: - Internals

    /// The one place a frame is rendered: g(T^z(f(x)) + h(b)).
    private func render(_ frame: Tensor, theta: Tensor?, over backgroundFeatures: FeatureMaps) throws -> Tensor {
        model.compose(character: model.moveCharacter(try model.encodeCharacter(frame), theta: theta), background: backgroundFeatures)
    }

    /// θ_z of the effect at frame `index`; nil for none.
    private func effectTheta(at index: Int) throws -> Tensor? {
        switch effect {
        case .swap, .reconstruct, .matte, .cutout:
            return nil
        case .transform(let keyframes):
            return try model.featureTheta(forMotions: [RetargetEffect.motion(at: index, keyframes: keyframes)])
        case .transfer:
            return Tensor(shape: [1, 6], scalars: templateThetas[index % templateThetas.count].elements)
        }
    }

    /// h(b) for the next frame of a `width`×`height` video: the still background's features
    /// (fitted and encoded once per size), the moving one's next frame, or nil without one.
    private func nextBackgroundFeatures(videoWidth width: Int, videoHeight height: Int) throws -> FeatureMaps? {
        switch background {
        case .none:
            return nil
        case .moving(let source):
            return try model.encodeBackground(try source.nextFrame().withPixelBuffer { try fittedModelFrame($0, videoWidth: width, videoHeight: height) })
        case .still(let frame):
            if let cached = stillFeatures, cached.width == width, cached.height == height { return cached.features }
            let features = try model.encodeBackground(try frame.withPixelBuffer { try fittedModelFrame($0, videoWidth: width, videoHeight: height) })
            stillFeatures = (width, height, features)
            return features
        }
    }

    /// A background image as a model frame for a `width`×`height` video, fitted by
    /// ``backgroundFit`` (the video itself is stretched to the model's square, so the
    /// background is fitted to the video's aspect first and then stretched the same way).
    private func fittedModelFrame(_ image: PixelBuffer, videoWidth width: Int, videoHeight height: Int) throws -> Tensor {
        Tensor(shape: [1, 3, side, side], scalars: try fitted(image, videoWidth: width, videoHeight: height, targetWidth: side, targetHeight: side))
    }

    /// A background image at the video's own `width`×`height`, fitted by ``backgroundFit``.
    private func fittedImage(_ image: PixelBuffer, width: Int, height: Int) throws -> PlanarImage {
        PlanarImage(width: width, height: height, values: try fitted(image, videoWidth: width, videoHeight: height, targetWidth: width, targetHeight: height))
    }

    /// A background image fitted by ``backgroundFit`` to a `width`×`height` video and drawn
    /// into a `targetWidth`×`targetHeight` picture of it (planar floats).
    private func fitted(_ image: PixelBuffer, videoWidth width: Int, videoHeight height: Int, targetWidth: Int, targetHeight: Int) throws -> [Float] {
        try image.validate()
        if backgroundFit == .stretch || BackgroundFit.aspectsMatch(imageWidth: image.width, imageHeight: image.height, frameWidth: width, frameHeight: height) {
            return try scaler.planarFloat(from: image, width: targetWidth, height: targetHeight)
        }
        switch backgroundFit {
        case .stretch:
            return try scaler.planarFloat(from: image, width: targetWidth, height: targetHeight)
        case .cover:
            let crop = BackgroundFit.coverCrop(imageWidth: image.width, imageHeight: image.height, frameWidth: width, frameHeight: height)
            return try scaler.planarFloat(from: image.cropped(x: crop.x, y: crop.y, width: crop.width, height: crop.height), width: targetWidth, height: targetHeight)
        case .contain:
            let inner = BackgroundFit.containedSize(imageWidth: image.width, imageHeight: image.height, frameWidth: width, frameHeight: height,
                                                    targetWidth: targetWidth, targetHeight: targetHeight)
            let planar = try scaler.planarFloat(from: image, width: inner.width, height: inner.height)
            var canvas = [Float](repeating: 0, count: 3 * targetWidth * targetHeight)
            let left = (targetWidth - inner.width) / 2, top = (targetHeight - inner.height) / 2
            for c in 0..<3 {
                for y in 0..<inner.height {
                    for x in 0..<inner.width {
                        canvas[(c * targetHeight + top + y) * targetWidth + left + x] = planar[(c * inner.height + y) * inner.width + x]
                    }
                }
            }
            return canvas
        }
    }

    /// Writes a `[1, 3, R, R]` model frame into a caller image, resized.
    private func write(_ frame: Tensor, into image: PixelBuffer) throws {
        guard frame.shape == [1, 3, side, side] else {
            throw ModelError.invalidInput("expected a [1, 3, \(side), \(side)] frame, got \(frame.shape)")
        }
        try scaler.write(planarFloat: frame.scalars, side: side, into: image)
    }
}
