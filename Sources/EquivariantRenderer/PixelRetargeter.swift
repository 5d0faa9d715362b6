import Tensors
import VideoIO

/// The retargeting pipeline on caller-owned pixels of any size (what the C library and the
/// frei0r plugin run): resize each frame to the model with libswscale, render it with a
/// ``Retargeter`` for the effect, and resize the result back into the caller's buffer.
///
/// Keeps per-stream state (the background, the frame count, swscale contexts), so use one
/// per thread; the model itself may be shared.
public final class PixelRetargeter {
    /// The model.
    public let model: EquivariantModel
    /// The effect applied by ``process(_:into:)``.
    public private(set) var effect: RetargetEffect
    /// Frames processed since the start or the last ``rewind()``; the effect's frame index.
    public private(set) var frameIndex = 0
    private var retargeter: Retargeter
    private let scaler = PixelScaler()
    private var stillBackground: Tensor?
    private var movingBackground: BackgroundSource?

    /// Creates a pipeline for `effect` (swap by default); set a background before processing.
    public init(model: EquivariantModel, effect: RetargetEffect = .swap) throws {
        self.model = model
        self.effect = effect
        retargeter = try Retargeter(model: model, effect: effect)
    }

    /// The model's side length in pixels.
    public var side: Int { model.configuration.resolution }

    /// Whether ``process(_:into:)`` has what it needs (a background, unless reconstructing).
    public var isReady: Bool { !retargeter.needsBackground || hasBackground }

    /// Switches the effect; the background and the frame count are kept.
    public func setEffect(_ effect: RetargetEffect) throws {
        let next = try Retargeter(model: model, effect: effect)
        if let stillBackground { try next.setStillBackground(stillBackground) }
        retargeter = next
        self.effect = effect
    }

    /// Uses a still image from memory as the background (encoded once).
    public func setBackground(_ image: PixelBuffer) throws {
        let frame = try modelFrame(image)
        try retargeter.setStillBackground(frame)
        stillBackground = frame
        movingBackground = nil
    }

    /// Uses an image or video file as the background (see ``BackgroundSource``).
    public func setBackground(path: String, loops: Bool = true) throws {
        let source = try BackgroundSource(path: path, side: side, loops: loops)
        if let still = source.still {
            try retargeter.setStillBackground(still)
            stillBackground = still
            movingBackground = nil
        } else {
            stillBackground = nil
            movingBackground = source
        }
    }

    /// Whether a background (still or moving) is set.
    public var hasBackground: Bool { stillBackground != nil || movingBackground != nil }

    /// h(b) for the next frame: the still background's features, or the moving one's next
    /// frame encoded; nil when no background is set.
    public func nextBackgroundFeatures() throws -> Tensor? {
        if let movingBackground { return try model.encodeBackground(movingBackground.nextFrame()) }
        return retargeter.stillBackgroundFeatures
    }

    /// Starts counting frames from zero again (keyframes and templates restart).
    public func rewind() { frameIndex = 0 }

    /// Renders `input` with the effect into `output` (any sizes and layouts) and advances
    /// the frame count. `background` is this frame's background (e.g. a video editor's second
    /// track); without it the background set earlier is used.
    /// - Throws: ``ModelError`` when no background is set or the frame is unusable,
    ///   ``VideoIOError`` for bad buffers.
    public func process(_ input: PixelBuffer, background: PixelBuffer? = nil, into output: PixelBuffer) throws {
        try output.validate()
        let frame = try modelFrame(input)
        let backgroundFrame = try background.map(modelFrame) ?? movingBackground?.nextFrame()
        let rendered = try retargeter.render(frame, index: frameIndex, background: backgroundFrame)
        try write(rendered, into: output)
        frameIndex += 1
    }

    /// A caller image as a `[1, 3, R, R]` model frame.
    public func modelFrame(_ image: PixelBuffer) throws -> Tensor {
        Tensor(shape: [1, 3, side, side], scalars: try scaler.planarFloat(from: image, side: side))
    }

    /// Writes a `[1, 3, R, R]` model frame into a caller image, resized.
    public func write(_ frame: Tensor, into image: PixelBuffer) throws {
        guard frame.shape == [1, 3, side, side] else {
            throw ModelError.invalidInput("expected a [1, 3, \(side), \(side)] frame, got \(frame.shape)")
        }
        try scaler.write(planarFloat: frame.scalars, side: side, into: image)
    }
}
