import EquivariantModel
import Foundation
import Retargeting

/// The hostile-input surfaces a fuzzer drives: every parser that reads a user's file or
/// string, and the frei0r entry points a host calls. An input's first byte picks the surface; the rest is the content. Any error
/// thrown is a correct refusal; a crash, a sanitizer report, a hang or a runaway allocation is
/// a bug.
enum FuzzSurface: UInt8, CaseIterable {
    /// A model checkpoint (safetensors: header JSON, offsets, dtypes, shapes, metadata, model build).
    case checkpoint
    /// An effect string (`transform=angle=20+scale=1.3`, `transfer=template=…`).
    case effect
    /// A motion template file (JSON).
    case motionTemplate
    /// A keyframe file for `transform=keyframes=FILE`.
    case keyframes
    /// The frei0r plugins' entry points, called in the order and with the values the bytes
    /// give (``Frei0rProgram``).
    case frei0r

    /// The surface for an input's first byte.
    init(selector: UInt8) { self = Self.allCases[Int(selector) % Self.allCases.count] }

    /// Feeds `content` to this surface once; true when it was accepted, false when refused.
    /// Content that must come from a file goes through `scratch`, rewritten for each input.
    @discardableResult
    func run(_ content: [UInt8], scratch: URL) -> Bool {
        switch self {
        case .checkpoint:
            return write(content, to: scratch) && (try? Checkpoint.load(contentsOf: scratch)) != nil
        case .effect:
            return (try? EffectSpecification.parse(String(decoding: content, as: UTF8.self))) != nil
        case .motionTemplate:
            return write(content, to: scratch) && (try? MotionTemplate.read(contentsOf: scratch)) != nil
        case .keyframes:
            return write(content, to: scratch) && (try? EffectSpecification.keyframes(fromFile: scratch.path)) != nil
        case .frei0r:
            return Frei0rProgram.run(content)
        }
    }

    private func write(_ content: [UInt8], to url: URL) -> Bool {
        (try? Data(content).write(to: url)) != nil
    }

    /// One fuzz input: selector byte, then content; true when accepted. With
    /// `EQR_FUZZ_SURFACE` set, the selector byte is ignored and ``fixed`` takes every input.
    @discardableResult
    static func run(input: [UInt8], scratch: URL) -> Bool {
        guard let selector = input.first else { return false }
        return (fixed ?? FuzzSurface(selector: selector)).run(Array(input.dropFirst()), scratch: scratch)
    }

    /// The surface `EQR_FUZZ_SURFACE` names (`checkpoint`, `effect`, `motionTemplate`,
    /// `keyframes` or `frei0r`), for a run that fuzzes one target and counts its executions;
    /// nil when the variable is unset or empty. An unknown name ends the process with a usage
    /// error (exit 64) at the first input.
    static let fixed: FuzzSurface? = {
        guard let name = ProcessInfo.processInfo.environment["EQR_FUZZ_SURFACE"], !name.isEmpty else { return nil }
        guard let surface = allCases.first(where: { "\($0)" == name }) else {
            FileHandle.standardError.write(Data("eqr-fuzz: EQR_FUZZ_SURFACE=\(name) is not one of \(allCases.map { "\($0)" }.joined(separator: ", "))\n".utf8))
            exit(64)
        }
        return surface
    }()

    /// The per-process scratch file.
    static let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("eqr-fuzz-\(getpid()).bin")
}

/// libFuzzer's entry point (a build with `-sanitize=fuzzer` calls it with each input).
@_cdecl("LLVMFuzzerTestOneInput")
public func eqrFuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    FuzzSurface.run(input: input, scratch: FuzzSurface.scratch)
    return 0
}

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
private func runFuzzerDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                             _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// The fuzzing build's entry point: SwiftPM links an executable's `main` to this symbol, and
/// it hands the command line to libFuzzer's driver.
@_cdecl("eqr_fuzz_main")
func fuzzingMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc, arguments = argv
    return runFuzzerDriver(&count, &arguments) { data, size in eqrFuzzTestOneInput(data, size) }
}
#endif
