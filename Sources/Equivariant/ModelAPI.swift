import CEquivariant
import CInteropSupport
import EquivariantModel
import Foundation
import Retargeting
import Tensors

// The C ABI's model calls (see CInterop/include/equivariant.h).

@c(eqr_model_default_params)
public func eqrModelDefaultParams() -> eqr_model_params {
    eqr_model_params(n_threads: 0, expected_variant: nil)
}

@c(eqr_model_load)
public func eqrModelLoad(_ path: UnsafePointer<CChar>?, _ params: eqr_model_params, _ errorOut: UnsafeMutablePointer<eqr_error>?) -> OpaquePointer? {
    do {
        guard let path else { throw CallFailure.null("path") }
        let file = String(cString: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw CallFailure(status: EQR_ERROR_FILE, message: "\(file): no such model file")
        }
        guard FileManager.default.isReadableFile(atPath: file) else {
            throw CallFailure(status: EQR_ERROR_FILE, message: "\(file): not readable")
        }
        var expected: String?
        if let name = params.expected_variant {
            let text = String(cString: name)
            guard TransformVariants.named(text) != nil else {
                throw CallFailure.invalid("expected_variant '\(text)' is not \(TransformVariants.nameList)")
            }
            expected = text
        }
        guard params.n_threads >= 0, params.n_threads <= 1024 else { throw CallFailure.invalid("n_threads \(params.n_threads) is outside 0...1024") }
        if params.n_threads > 0 { Parallel.workerCount = Int(params.n_threads) }
        let contents = try Checkpoint.load(contentsOf: URL(fileURLWithPath: file), expectedVariant: expected)
        // Inside a host the library cannot pick OpenBLAS's kernel: it says how, once.
        BLASKernel.reportAdviceOnce { LibraryLog.emit(EQR_LOG_WARNING, $0) }
        let configuration = contents.model.configuration
        LibraryLog.emit(EQR_LOG_INFO, "loaded \(file): \(configuration.variant) model, \(configuration.resolution)×\(configuration.resolution), \(contents.model.parameterCount) parameters")
        CallFailure.report(EQR_OK, "", into: errorOut)
        return ModelHandle.registry.register(ModelHandle(model: contents.model))
    } catch {
        let failure = CallFailure(error)
        LibraryLog.emit(EQR_LOG_ERROR, "eqr_model_load: \(failure.message)")
        CallFailure.report(failure.status, failure.message, into: errorOut)
        return nil
    }
}

@c(eqr_model_free)
public func eqrModelFree(_ model: OpaquePointer?) {
    ModelHandle.registry.remove(model)
}

@c(eqr_model_resolution)
public func eqrModelResolution(_ model: OpaquePointer?) -> Int32 {
    guard let handle = ModelHandle.registry.object(model) else { return EQR_ERROR_INVALID_HANDLE.rawValue }
    return Int32(handle.model.configuration.resolution)
}

@c(eqr_model_variant)
public func eqrModelVariant(_ model: OpaquePointer?) -> UnsafePointer<CChar>? {
    ModelHandle.registry.object(model)?.variant.constant
}

@c(eqr_model_feature_count)
public func eqrModelFeatureCount(_ model: OpaquePointer?) -> Int32 {
    guard let handle = ModelHandle.registry.object(model) else { return EQR_ERROR_INVALID_HANDLE.rawValue }
    return Int32(handle.model.configuration.featureCount)
}
