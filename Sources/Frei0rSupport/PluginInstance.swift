import CInteropSupport
import EquivariantModel
import Foundation
import Retargeting
import VideoIO

/// One frei0r instance (filter or mixer): its parameters, and the pipeline built from them on the
/// first frame after they change. Frames are counted (the host's time argument is not
/// trusted). Whenever the pipeline cannot be built or a frame fails, a message goes to
/// stderr (once per cause) and the frame passes through with a red border, so a failure
/// cannot go unnoticed in the picture (frei0r gives a plugin no other way to fail once it
/// is constructed); `EQR_FREI0R_ON_ERROR=pass` passes it through untouched instead.
final class PluginInstance {
    let kind: PluginKind
    let width: Int
    let height: Int
    private var strings: [PluginParameter: String] = [.model: "", .background: "", .effect: "swap", .fit: BackgroundFit.cover.rawValue, .render: RenderMode.composite.rawValue]
    private var numbers: [PluginParameter: Double] = [.angle: PluginParameter.neutral, .scale: PluginParameter.neutral,
                                                      .translationX: PluginParameter.neutral, .translationY: PluginParameter.neutral]
    /// C copies of the string parameters, handed out by `f0r_get_param_value`.
    private var stringCopies: [PluginParameter: CString] = [:]
    private var pipeline: FramePipeline?
    /// Why the pipeline could not be built from the current parameters.
    private var setupFailure: Error?
    private var sourcesChanged = true
    private var effectChanged = true
    private var reported: Set<String> = []

    init(kind: PluginKind, width: Int, height: Int) {
        self.kind = kind
        self.width = width
        self.height = height
        if kind == .filter && width % 16 != 0 {
            report("frame width \(width) is not a multiple of 16: FFmpeg's frei0r filter (5.1) hands such frames over with padded rows, so they arrive sheared. Pad and crop around the plugin: -vf \"pad=ceil(iw/16)*16:ih,frei0r=equivariant:...,crop=\(width):ih:0:0\"")
        }
    }

    // MARK: - Parameters

    /// The parameter at a host's index for this plugin kind, or nil.
    func parameter(at index: Int32) -> PluginParameter? {
        kind.parameters.indices.contains(Int(index)) ? kind.parameters[Int(index)] : nil
    }

    func setString(_ parameter: PluginParameter, _ value: String) {
        guard strings[parameter] != value else { return }
        strings[parameter] = value
        if (parameter == .effect || parameter == .fit || parameter == .render) && pipeline != nil { effectChanged = true } else { sourcesChanged = true }
    }

    func setNumber(_ parameter: PluginParameter, _ value: Double) {
        guard numbers[parameter] != value else { return }
        if !(0...1).contains(value) {
            report("\(parameter.name)=\(value) is outside frei0r's [0, 1]; using \(min(max(value, 0), 1))")
        }
        numbers[parameter] = value
        if pipeline != nil { effectChanged = true } else { sourcesChanged = true }
    }

    func number(_ parameter: PluginParameter) -> Double { numbers[parameter] ?? PluginParameter.neutral }

    /// A C copy of a string parameter, valid until the next read of the same parameter.
    func stringCopy(_ parameter: PluginParameter) -> UnsafeMutablePointer<CChar> {
        let copy = CString(strings[parameter] ?? "")
        stringCopies[parameter] = copy
        return copy.pointer
    }

    /// The effect the parameters describe: `transform` without inline options takes the
    /// numeric parameters; any other text is parsed like `eqr -effect`.
    func effect() throws -> RetargetEffect {
        let text = strings[.effect] ?? "swap"
        guard text == "transform" else { return try EffectSpecification.parse(text) }
        var values: [String: Double] = [:]
        for parameter in [PluginParameter.angle, .scale, .translationX, .translationY] {
            let option = parameter.transformOption(number(parameter))
            values[option.key] = option.value
        }
        return .transform(keyframes: [0: EffectSpecification.motion(values)])
    }

    /// How a background of another aspect ratio fills the frame.
    func backgroundFit() throws -> BackgroundFit {
        let text = strings[.fit] ?? ""
        guard let fit = BackgroundFit(rawValue: text) else { throw PluginError("fit '\(text)' is not one of \(BackgroundFit.nameList)") }
        return fit
    }

    /// What swap, transform and transfer output.
    func renderMode() throws -> RenderMode {
        let text = strings[.render] ?? ""
        guard let mode = RenderMode(rawValue: text) else { throw PluginError("render '\(text)' is not one of \(RenderMode.nameList)") }
        return mode
    }

    // MARK: - Frames

    /// Renders one frame (RGBA8888, `width`×`height`, rows packed); the mixer's second input
    /// is this frame's background.
    func update(_ input: UnsafePointer<UInt32>, background: UnsafePointer<UInt32>?, _ output: UnsafeMutablePointer<UInt32>) {
        let bytes = width * height * 4
        func buffer(_ pointer: UnsafeRawPointer) -> PixelBuffer {
            PixelBuffer(base: UnsafeMutableRawPointer(mutating: pointer), width: width, height: height, stride: width * 4, layout: .rgba8)
        }
        do {
            let pipeline = try preparedPipeline()
            if kind == .mixer && background == nil { throw PluginError("the mixer needs a second input (the background)") }
            try pipeline.process(buffer(input), background: background.map { buffer($0) }, into: buffer(output))
        } catch {
            let marked = Self.marksFailures
            report("\(error); frames pass through \(marked ? "with a red border (EQR_FREI0R_ON_ERROR=pass: untouched)" : "unchanged")")
            if UnsafeRawPointer(input) != UnsafeRawPointer(output) { memmove(output, input, bytes) }
            if marked { Self.drawFailureBorder(output, width: width, height: height) }
        }
    }

    /// Whether failed frames get the red border (`EQR_FREI0R_ON_ERROR` is not `pass`).
    static let marksFailures = ProcessInfo.processInfo.environment["EQR_FREI0R_ON_ERROR"] != "pass"

    /// Paints an opaque red border, 1/24 of the shorter side wide (at least 2 pixels), over
    /// an RGBA8888 frame.
    static func drawFailureBorder(_ pixels: UnsafeMutablePointer<UInt32>, width: Int, height: Int) {
        let band = max(2, min(width, height) / 24)
        // R, G, B, A bytes in memory: 0xFF, 0x00, 0x00, 0xFF.
        let red = UInt32(littleEndian: 0xFF00_00FF)
        for y in 0..<height {
            let row = pixels + y * width
            if y < band || y >= height - band {
                row.update(repeating: red, count: width)
            } else {
                for x in 0..<min(band, width) { row[x] = red; row[width - 1 - x] = red }
            }
        }
    }

    /// The pipeline for the current parameters, rebuilt when the model or background
    /// changed; an effect change keeps the frame count and background.
    private func preparedPipeline() throws -> FramePipeline {
        if sourcesChanged {
            pipeline = nil
            setupFailure = nil
            sourcesChanged = false
            effectChanged = false
            do {
                pipeline = try makePipeline()
            } catch {
                setupFailure = error
            }
        }
        if let setupFailure { throw setupFailure }
        guard let pipeline else { throw PluginError("no pipeline") }
        if effectChanged {
            effectChanged = false
            do {
                try pipeline.setEffect(try effect())
                pipeline.backgroundFit = try backgroundFit()
                pipeline.renderMode = try renderMode()
            } catch {
                self.pipeline = nil
                setupFailure = error
                throw error
            }
        }
        return pipeline
    }

    /// Loads the model (shared) and the background for the current parameters.
    private func makePipeline() throws -> FramePipeline {
        let modelPath = strings[.model] ?? ""
        guard !modelPath.isEmpty else { throw PluginError("no model: the first parameter must be the path of a .safetensors checkpoint") }
        let next = try FramePipeline(model: try SharedModels.model(at: modelPath), effect: try effect(), backgroundFit: try backgroundFit())
        next.renderMode = try renderMode()
        let backgroundPath = strings[.background] ?? ""
        if !backgroundPath.isEmpty {
            try next.setBackground(path: backgroundPath, loops: true)
            if let notice = next.backgroundFitNotice(videoWidth: width, videoHeight: height) { report(notice) }
        }
        guard kind == .mixer || next.isReady else { throw PluginError("the \(next.effect) effect needs a background: the second parameter must be an image or video path") }
        return next
    }

    /// Writes a message to stderr once per distinct text.
    private func report(_ message: String) {
        guard reported.insert(message).inserted else { return }
        FileHandle.standardError.write(Data("equivariant (frei0r): \(message)\n".utf8))
    }
}
