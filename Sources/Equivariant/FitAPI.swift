import CEquivariant
import CInteropSupport
import EquivariantModel
import Foundation
import Training

// The C ABI's fit: `eqr fit` for a host application, with progress and abort callbacks
// (see CInterop/include/equivariant.h).

@c(eqr_fit_default_params)
public func eqrFitDefaultParams() -> eqr_fit_params {
    eqr_fit_params(seconds: 0, steps: 0, resolution: 64, variant: nil, init_from: nil, resume: 0, seed: 1,
                   progress_callback: nil, progress_user_data: nil, abort_callback: nil, abort_user_data: nil)
}

@c(eqr_fit)
public func eqrFit(_ clipPath: UnsafePointer<CChar>?, _ outputPath: UnsafePointer<CChar>?, _ paramsPointer: UnsafePointer<eqr_fit_params>?,
                   _ errorOut: UnsafeMutablePointer<eqr_error>?) -> eqr_status {
    do {
        guard let clipPath else { throw CallFailure.null("clip_path") }
        guard let outputPath else { throw CallFailure.null("output_path") }
        guard let params = paramsPointer?.pointee else { throw CallFailure.null("params") }
        let clip = String(cString: clipPath), output = String(cString: outputPath)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: clip, isDirectory: &isDirectory), !isDirectory.boolValue,
              FileManager.default.isReadableFile(atPath: clip) else {
            throw CallFailure(status: EQR_ERROR_FILE, message: "\(clip): no such readable clip")
        }
        guard !FileManager.default.fileExists(atPath: output, isDirectory: &isDirectory) || !isDirectory.boolValue else {
            throw CallFailure.invalid("output_path \(output) is a folder; name the checkpoint file to write")
        }
        let folder = URL(fileURLWithPath: output).deletingLastPathComponent().path
        guard FileManager.default.isWritableFile(atPath: folder) else {
            throw CallFailure.invalid("output_path \(output): the folder \(folder) does not exist or is not writable")
        }
        guard params.seconds.isFinite, params.seconds >= 0, params.seconds <= 1e7 else {
            throw CallFailure.invalid("seconds is \(params.seconds), not a budget in 0...1e7 (0: none)")
        }
        guard params.steps >= 0 else { throw CallFailure.invalid("steps is \(params.steps), not a count (0: none)") }
        guard params.seconds > 0 || params.steps > 0 else { throw CallFailure.invalid("no budget: set seconds or steps") }

        var options = ClipFit.Options(clips: [clip], output: URL(fileURLWithPath: output))
        options.timeBudget = params.seconds > 0 ? .milliseconds(Int64((params.seconds * 1000).rounded())) : nil
        options.steps = params.steps > 0 ? Int(params.steps) : nil
        options.variant = params.variant.map { String(cString: $0) } ?? options.variant
        options.resolution = Int(params.resolution)
        options.initFrom = params.init_from.map { URL(fileURLWithPath: String(cString: $0)) }
        options.resume = params.resume != 0
        options.seed = params.seed
        if !options.resume && options.initFrom == nil {
            try ModelConfiguration(resolution: options.resolution, variant: options.variant).validate()
        }
        if let abort = params.abort_callback {
            let userData = params.abort_user_data
            options.shouldStop = { abort(userData) != 0 }
        }
        let total = options.steps.map(Int32.init) ?? -1
        let outcome = try ClipFit(options: options).run { entry, elapsed in
            guard let progress = params.progress_callback else { return }
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            progress(Int32(entry.report.step), total, seconds, Double(entry.report.total), params.progress_user_data)
        }
        if case .stopped = outcome.ending {
            throw CallFailure(status: EQR_ERROR_ABORTED,
                              message: "the abort callback stopped the fit at step \(outcome.step); \(output) holds it (resume = 1 continues)")
        }
        LibraryLog.emit(EQR_LOG_INFO, "fitted \(outcome.step) steps on \(outcome.dataSummary); wrote \(output)")
        CallFailure.report(EQR_OK, "", into: errorOut)
        return EQR_OK
    } catch {
        let failure = CallFailure(error)
        LibraryLog.emit(EQR_LOG_ERROR, "eqr_fit: \(failure.message)")
        CallFailure.report(failure.status, failure.message, into: errorOut)
        return failure.status
    }
}
