import CEquivariant
import CInteropSupport
import EquivariantModel
import Foundation
import Retargeting

// The C ABI's context calls (see CInterop/include/equivariant.h).

private let invalidContextMessage = CString("invalid eqr_context handle (NULL, freed, or not a context)")

@c(eqr_context_new)
public func eqrContextNew(_ model: OpaquePointer?) -> OpaquePointer? {
    guard let owner = ModelHandle.registry.object(model), let context = try? ContextHandle(owner: owner) else { return nil }
    return ContextHandle.registry.register(context)
}

@c(eqr_context_free)
public func eqrContextFree(_ context: OpaquePointer?) {
    ContextHandle.registry.remove(context)
}

@c(eqr_context_last_error)
public func eqrContextLastError(_ context: OpaquePointer?) -> UnsafePointer<CChar> {
    guard let handle = ContextHandle.registry.object(context) else { return invalidContextMessage.constant }
    return handle.lastError.constant
}

@c(eqr_context_set_background)
public func eqrContextSetBackground(_ context: OpaquePointer?, _ background: UnsafePointer<eqr_image>?) -> eqr_status {
    ContextHandle.perform(context) { try $0.pipeline.setBackground(try CArguments.image(background, "background")) }
}

@c(eqr_context_set_background_file)
public func eqrContextSetBackgroundFile(_ context: OpaquePointer?, _ path: UnsafePointer<CChar>?, _ loop: Int32) -> eqr_status {
    ContextHandle.perform(context) { handle in
        guard let path else { throw CallFailure.null("path") }
        let file = String(cString: path)
        guard FileManager.default.fileExists(atPath: file) else { throw CallFailure(status: EQR_ERROR_FILE, message: "\(file): no such background file") }
        do {
            try handle.pipeline.setBackground(path: file, loops: loop != 0)
        } catch let error as ModelError {
            throw CallFailure(status: EQR_ERROR_FILE, message: error.description)
        }
        LibraryLog.emit(EQR_LOG_INFO, "background from \(file)\(loop != 0 ? ", looping" : "")")
    }
}

@c(eqr_context_set_background_fit)
public func eqrContextSetBackgroundFit(_ context: OpaquePointer?, _ fit: eqr_background_fit) -> eqr_status {
    ContextHandle.perform(context) { handle in
        let fits: [Int: BackgroundFit] = [Int(EQR_FIT_COVER.rawValue): .cover, Int(EQR_FIT_CONTAIN.rawValue): .contain, Int(EQR_FIT_STRETCH.rawValue): .stretch]
        guard let chosen = fits[Int(fit.rawValue)] else {
            throw CallFailure.invalid("fit \(fit.rawValue) is not EQR_FIT_COVER (0), EQR_FIT_CONTAIN (1) or EQR_FIT_STRETCH (2)")
        }
        handle.pipeline.backgroundFit = chosen
    }
}

@c(eqr_context_set_render_mode)
public func eqrContextSetRenderMode(_ context: OpaquePointer?, _ mode: eqr_render_mode) -> eqr_status {
    ContextHandle.perform(context) { handle in
        let modes: [Int: RenderMode] = [Int(EQR_RENDER_COMPOSITE.rawValue): .composite, Int(EQR_RENDER_MODEL.rawValue): .model]
        guard let chosen = modes[Int(mode.rawValue)] else {
            throw CallFailure.invalid("render mode \(mode.rawValue) is not EQR_RENDER_COMPOSITE (0) or EQR_RENDER_MODEL (1)")
        }
        handle.pipeline.renderMode = chosen
    }
}

@c(eqr_context_reset_plate)
public func eqrContextResetPlate(_ context: OpaquePointer?) -> eqr_status {
    ContextHandle.perform(context) { handle in handle.pipeline.resetPlate() }
}

@c(eqr_context_set_effect)
public func eqrContextSetEffect(_ context: OpaquePointer?, _ effect: UnsafePointer<CChar>?) -> eqr_status {
    ContextHandle.perform(context) { handle in
        guard let effect else { throw CallFailure.null("effect") }
        do {
            try handle.pipeline.setEffect(try EffectSpecification.parse(String(cString: effect)))
        } catch let error as ModelError {
            throw CallFailure.invalid(error.description)
        }
    }
}

@c(eqr_context_process)
public func eqrContextProcess(_ context: OpaquePointer?, _ input: UnsafePointer<eqr_image>?, _ output: UnsafeMutablePointer<eqr_image>?) -> eqr_status {
    ContextHandle.perform(context) { handle in
        let source = try CArguments.image(input, "in"), destination = try CArguments.image(output, "out")
        try handle.requireBackground(handle.pipeline.isReady, for: "the \(handle.pipeline.effect) effect")
        try handle.pipeline.process(source, into: destination)
    }
}

@c(eqr_context_rewind)
public func eqrContextRewind(_ context: OpaquePointer?) -> eqr_status {
    ContextHandle.perform(context) { $0.pipeline.rewind() }
}
