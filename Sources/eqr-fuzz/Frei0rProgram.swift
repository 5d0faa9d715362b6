import CFrei0r
import Foundation
import Frei0rSupport

/// The frei0r plugins' entry points driven by fuzzer bytes, as a host would call them — and
/// as a careless one would: a frame size (sometimes impossible), then calls in any order on
/// parameters of any index, strings of any bytes, numbers of any value (NaN, ±∞) — each of
/// the type the plugin declares, as frei0r's untyped values require —, frames,
/// mixer frames without a background, and every call once more after the instance is freed.
/// The plugin must refuse or ignore what it cannot use; it may never crash its host.
enum Frei0rProgram {
    /// Runs one program; true when an instance was made.
    static func run(_ input: [UInt8]) -> Bool {
        _ = initialized
        var bytes = FuzzBytes(input)
        let kind: PluginKind = bytes.below(2) == 0 ? .filter : .mixer
        // Mostly small frames (each update renders one); sometimes a size from any 32 bits:
        // impossible (0, past 16384) or valid but huge.
        let anySize = bytes.below(16) == 0
        let width = anySize ? UInt32(bitPattern: bytes.int32()) : UInt32(1 + bytes.below(40))
        let height = anySize ? UInt32(bitPattern: bytes.int32()) : UInt32(1 + bytes.below(40))
        guard let instance = Frei0rEntryPoints.construct(kind, width, height) else { return false }
        let pixels = Int(width) * Int(height)
        let rendersFrames = pixels <= 128 * 128
        var input = [UInt32](repeating: 0, count: rendersFrames ? pixels : 1), background = input, output = input
        // Frames render through the model (milliseconds each): at most 3 per program, and none
        // for a valid but large size (a 4096×8224 frame takes seconds: work, not a bug), keeps
        // the fuzzer at hundreds of programs a second.
        var calls = 0, frames = rendersFrames ? 0 : 3
        while !bytes.isEmpty && calls < 24 {
            calls += 1
            let index = Int32(bytes.below(12)) - 1  // -1 … 10: past both ends of the list
            // The value's type is the one the plugin declares for the index (frei0r passes
            // values untyped; a host that sent a number for a string would crash any plugin).
            var info = f0r_param_info_t()
            info.type = -1
            Frei0rEntryPoints.parameterInfo(kind, &info, index)
            let isString = info.type == F0R_PARAM_STRING || (info.type == -1 && index % 2 == 0)
            switch bytes.below(6) {
            case 0, 1:
                if isString {
                    set(instance, index, string: bytes.string())
                } else {
                    var number = bytes.double()
                    Frei0rEntryPoints.setParameter(instance, &number, index)
                }
            case 2:
                if isString {
                    var text: UnsafeMutablePointer<CChar>? = nil
                    Frei0rEntryPoints.getParameter(instance, &text, index)
                    if let text { _ = strlen(text) }
                } else {
                    var number = 0.0
                    Frei0rEntryPoints.getParameter(instance, &number, index)
                }
            case 3 where frames < 3:
                frames += 1
                let seed = bytes.byte()
                for i in input.indices { input[i] = UInt32(truncatingIfNeeded: i &* Int(seed) &* 2_654_435_761) }
                Frei0rEntryPoints.update(instance, input, &output)
            case 4 where frames < 3:
                frames += 1
                let withBackground = bytes.below(2) == 0
                for i in background.indices { background[i] = UInt32(truncatingIfNeeded: i &* 40_503) }
                if withBackground {
                    Frei0rEntryPoints.update2(instance, input, background, &output)
                } else {
                    Frei0rEntryPoints.update2(instance, input, nil, &output)
                }
            case 3, 4:
                continue
            default:
                // A parameter a host sets from its project file: a real model, or a named
                // effect, so that the model path is reached and frames really render.
                if bytes.below(2) == 0 {
                    set(instance, 0, string: tinyModel)
                } else {
                    set(instance, kind == .filter ? 2 : 1, string: ["swap", "matte", "transform=angle=20+scale=1.3", "cutout"][bytes.below(4)])
                }
            }
        }
        Frei0rEntryPoints.destruct(instance)
        // A freed instance is a stale handle: every call ignores it.
        var number = 1.0
        Frei0rEntryPoints.setParameter(instance, &number, 3)
        Frei0rEntryPoints.update(instance, input, &output)
        Frei0rEntryPoints.destruct(instance)
        return true
    }

    /// Sets a string parameter the way hosts pass one: a pointer to their `char *`.
    private static func set(_ instance: UnsafeMutableRawPointer, _ index: Int32, string: String) {
        let copy = strdup(string)
        defer { free(copy) }
        var pointer = copy
        Frei0rEntryPoints.setParameter(instance, &pointer, index)
    }

    /// A real model small enough to render in a fuzzing build (16×16), saved once per process.
    private static let tinyModel: String = {
        try? FuzzSeeds.saveTinyModel(to: tinyModelFile)
        atexit { try? FileManager.default.removeItem(at: Frei0rProgram.tinyModelFile) }
        return tinyModelFile.path
    }()
    private static let tinyModelFile = FileManager.default.temporaryDirectory.appendingPathComponent("eqr-fuzz-model-\(getpid()).safetensors")

    /// f0r_init once per process, as hosts call it when they load the plugin.
    private static let initialized: Void = { _ = Frei0rEntryPoints.initialize() }()
}

/// The plugin kind the shared entry points ask for (each plugin's target defines it; the
/// fuzz target drives both kinds through ``Frei0rEntryPoints`` directly).
@_cdecl("eqr_frei0r_plugin_kind")
public func fuzzFrei0rPluginKind() -> Int32 { 0 }
