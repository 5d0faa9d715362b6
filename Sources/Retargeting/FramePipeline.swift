import EquivariantModel
import Tensors
import VideoIO

/// The one frame pipeline: "a frame in, a frame out" for every effect, used by the `eqr`
/// host, every frame call of the C library and both frei0r plugins, so the same effect on
/// the same frames gives the same pixels everywhere. Nothing else combines f, h, T^z and g.
///
/// Per frame: the input (any size and layout) is resized to the model's square frame with
/// libswscale; the background (still, moving, or given with the frame) is fitted to the
/// input's aspect ratio (``BackgroundFit``) and encoded (a still one once per output size);
/// the effect picks θ_z for the frame index; g renders `T^z(f(x)) + h(b)`; the result is
/// resized to the output's size.
///
/// Keeps per-stream state (background, frame count, swscale contexts), so use one per
/// thread; the model itself may be shared.
public final class FramePipeline {
    /// The model.
    public let model: EquivariantModel
    /// The effect applied by ``process(_:background:into:)``.
    public private(set) var effect: RetargetEffect
    /// How a background of another aspect ratio fills the frame.
    public var backgroundFit: BackgroundFit {
        didSet { if backgroundFit != oldValue { stillFeatures = nil } }
    }
    /// Frames processed since the start or the last ``rewind()``; the effect's frame index.
    public private(set) var frameIndex = 0
    private var templateThetas: [Affine2D] = []
    private let scaler = PixelScaler()
    private var background: Background = .none
    /// h(b) of the still background for the output size it was fitted to.
    private var stillFeatures: (width: Int, height: Int, features: Tensor)?

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
        case .swap, .reconstruct:
            break
        }
        templateThetas = thetas
        self.effect = effect
    }

    /// Whether the effect needs a background (all but `reconstruct`).
    public var needsBackground: Bool { effect != .reconstruct }

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
    }

    /// Uses a background read from a file: its still frame, or its frames one per processed
    /// frame (see ``BackgroundSource``).
    public func setBackground(_ source: BackgroundSource) {
        if let still = source.still {
            setBackground(still)
        } else {
            background = .moving(source)
            stillFeatures = nil
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

    // MARK: - Frames

    /// Renders `input` with the effect into `output` (any sizes and layouts; normally the
    /// output has the input's size) and advances the frame count. `background` is this
    /// frame's background (e.g. a video editor's second track); without it the background
    /// set earlier is used. `input` and `output` may be the same buffer.
    /// - Throws: ``ModelError`` when no background is set or the frame is unusable,
    ///   ``VideoIOError`` for bad buffers.
    public func process(_ input: PixelBuffer, background frameBackground: PixelBuffer? = nil, into output: PixelBuffer) throws {
        try output.validate()
        let frame = try modelFrame(input)
        let rendered: Tensor
        if effect == .reconstruct {
            rendered = try model.reconstruct(frame)
        } else {
            let backgroundFeatures: Tensor
            if let frameBackground {
                backgroundFeatures = try model.encodeBackground(fittedModelFrame(frameBackground, videoWidth: output.width, videoHeight: output.height))
            } else if let set = try nextBackgroundFeatures(videoWidth: output.width, videoHeight: output.height) {
                backgroundFeatures = set
            } else {
                throw ModelError.invalidInput("the \(effect) effect needs a background: set a still or moving one, or pass one with the frame")
            }
            rendered = try render(frame, theta: try effectTheta(at: frameIndex), over: backgroundFeatures)
        }
        try write(rendered, into: output)
        frameIndex += 1
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

    /// g(T^z(character) + background) from features the caller holds (`[1, C', R/4, R/4]`
    /// each; θ_z `[1, 6]` or nil for none), resized into `output`.
    public func render(characterFeatures: Tensor, backgroundFeatures: Tensor, theta: Tensor?, into output: PixelBuffer) throws {
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
    private func render(_ frame: Tensor, theta: Tensor?, over backgroundFeatures: Tensor) throws -> Tensor {
        model.compose(character: model.moveCharacter(try model.encodeCharacter(frame), theta: theta), background: backgroundFeatures)
    }

    /// θ_z of the effect at frame `index`; nil for none.
    private func effectTheta(at index: Int) throws -> Tensor? {
        switch effect {
        case .swap, .reconstruct:
            return nil
        case .transform(let keyframes):
            return try model.featureTheta(forMotions: [RetargetEffect.motion(at: index, keyframes: keyframes)])
        case .transfer:
            return Tensor(shape: [1, 6], scalars: templateThetas[index % templateThetas.count].elements)
        }
    }

    /// h(b) for the next frame of a `width`×`height` video: the still background's features
    /// (fitted and encoded once per size), the moving one's next frame, or nil without one.
    private func nextBackgroundFeatures(videoWidth width: Int, videoHeight height: Int) throws -> Tensor? {
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
        try image.validate()
        if backgroundFit == .stretch || BackgroundFit.aspectsMatch(imageWidth: image.width, imageHeight: image.height, frameWidth: width, frameHeight: height) {
            return try modelFrame(image)
        }
        switch backgroundFit {
        case .stretch:
            return try modelFrame(image)
        case .cover:
            let crop = BackgroundFit.coverCrop(imageWidth: image.width, imageHeight: image.height, frameWidth: width, frameHeight: height)
            return try modelFrame(image.cropped(x: crop.x, y: crop.y, width: crop.width, height: crop.height))
        case .contain:
            let inner = BackgroundFit.containedSize(imageWidth: image.width, imageHeight: image.height, frameWidth: width, frameHeight: height, side: side)
            let planar = try scaler.planarFloat(from: image, width: inner.width, height: inner.height)
            var canvas = Tensor(shape: [1, 3, side, side])
            let left = (side - inner.width) / 2, top = (side - inner.height) / 2
            canvas.withUnsafeMutablePointer { out in
                for c in 0..<3 {
                    for y in 0..<inner.height {
                        for x in 0..<inner.width {
                            out[(c * side + top + y) * side + left + x] = planar[(c * inner.height + y) * inner.width + x]
                        }
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
