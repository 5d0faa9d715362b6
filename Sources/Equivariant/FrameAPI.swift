import CEquivariant
import EquivariantRenderer
import Tensors

// The C ABI's one-frame conveniences and building blocks (see CInterop/include/equivariant.h).

@c(eqr_swap)
public func eqrSwap(_ context: OpaquePointer?, _ character: UnsafePointer<eqr_image>?, _ output: UnsafeMutablePointer<eqr_image>?) -> eqr_status {
    ContextHandle.perform(context) { handle in
        let frame = try handle.pipeline.modelFrame(try CArguments.image(character, "character"))
        let destination = try CArguments.image(output, "out")
        guard let background = try handle.pipeline.nextBackgroundFeatures() else {
            throw CallFailure.notReady("eqr_swap needs a background: call eqr_context_set_background or eqr_context_set_background_file first")
        }
        let features = handle.model.swapFeatures(character: try handle.model.encodeCharacter(frame), background: background)
        try handle.pipeline.write(handle.model.render(features), into: destination)
    }
}

/// g(T^z(f(x)) + h(b)) for one frame, b being the context's background or else the frame.
private func renderMoved(_ handle: ContextHandle, _ frame: Tensor, theta: Tensor, into output: UnsafeMutablePointer<eqr_image>?) throws {
    let destination = try CArguments.image(output, "out")
    let background = try handle.pipeline.nextBackgroundFeatures() ?? handle.model.encodeBackground(frame)
    let features = handle.model.swapFeatures(character: try handle.model.encodeCharacter(frame), background: background, theta: theta)
    try handle.pipeline.write(handle.model.render(features), into: destination)
}

@c(eqr_transform)
public func eqrTransform(_ context: OpaquePointer?, _ frame: UnsafePointer<eqr_image>?, _ motion: UnsafePointer<Float>?,
                  _ output: UnsafeMutablePointer<eqr_image>?) -> eqr_status {
    ContextHandle.perform(context) { handle in
        let image = try handle.pipeline.modelFrame(try CArguments.image(frame, "frame"))
        let theta = try handle.model.featureTheta(forMotions: [try CArguments.affine(motion, "motion")])
        try renderMoved(handle, image, theta: theta, into: output)
    }
}

@c(eqr_transfer)
public func eqrTransfer(_ context: OpaquePointer?, _ driver: UnsafePointer<eqr_image>?, _ driverNext: UnsafePointer<eqr_image>?,
                 _ frame: UnsafePointer<eqr_image>?, _ output: UnsafeMutablePointer<eqr_image>?) -> eqr_status {
    ContextHandle.perform(context) { handle in
        let from = try handle.pipeline.modelFrame(try CArguments.image(driver, "driver"))
        let to = try handle.pipeline.modelFrame(try CArguments.image(driverNext, "driver_next"))
        let image = try handle.pipeline.modelFrame(try CArguments.image(frame, "frame"))
        try renderMoved(handle, image, theta: try handle.model.estimateTheta(from: from, to: to), into: output)
    }
}

/// f(x) or h(x) of a caller image into a caller buffer of `count` floats.
private func encode(_ context: OpaquePointer?, _ frame: UnsafePointer<eqr_image>?, _ features: UnsafeMutablePointer<Float>?, _ count: Int32,
                    _ encoder: @escaping (EquivariantModel, Tensor) throws -> Tensor) -> eqr_status {
    ContextHandle.perform(context) { handle in
        try CArguments.checkFeatureCount(count, model: handle.owner, "count")
        let image = try handle.pipeline.modelFrame(try CArguments.image(frame, "frame"))
        try CArguments.write(try encoder(handle.model, image), to: features, count: Int(count), "features")
    }
}

@c(eqr_encode_character)
public func eqrEncodeCharacter(_ context: OpaquePointer?, _ frame: UnsafePointer<eqr_image>?, _ features: UnsafeMutablePointer<Float>?, _ count: Int32) -> eqr_status {
    encode(context, frame, features, count) { try $0.encodeCharacter($1) }
}

@c(eqr_encode_background)
public func eqrEncodeBackground(_ context: OpaquePointer?, _ frame: UnsafePointer<eqr_image>?, _ features: UnsafeMutablePointer<Float>?, _ count: Int32) -> eqr_status {
    encode(context, frame, features, count) { try $0.encodeBackground($1) }
}

@c(eqr_estimate_transform)
public func eqrEstimateTransform(_ context: OpaquePointer?, _ from: UnsafePointer<eqr_image>?, _ to: UnsafePointer<eqr_image>?,
                          _ theta: UnsafeMutablePointer<Float>?) -> eqr_status {
    ContextHandle.perform(context) { handle in
        guard theta != nil else { throw CallFailure.null("theta_out") }
        let first = try handle.pipeline.modelFrame(try CArguments.image(from, "from"))
        let second = try handle.pipeline.modelFrame(try CArguments.image(to, "to"))
        try CArguments.write(try handle.model.estimateTheta(from: first, to: second), to: theta, count: 6, "theta_out")
    }
}

@c(eqr_theta_for_motion)
public func eqrThetaForMotion(_ context: OpaquePointer?, _ motion: UnsafePointer<Float>?, _ theta: UnsafeMutablePointer<Float>?) -> eqr_status {
    ContextHandle.perform(context) { handle in
        guard theta != nil else { throw CallFailure.null("theta_out") }
        let result = try handle.model.featureTheta(forMotions: [try CArguments.affine(motion, "motion")])
        try CArguments.write(result, to: theta, count: 6, "theta_out")
    }
}

@c(eqr_render)
public func eqrRender(_ context: OpaquePointer?, _ character: UnsafePointer<Float>?, _ theta: UnsafePointer<Float>?,
               _ background: UnsafePointer<Float>?, _ count: Int32, _ output: UnsafeMutablePointer<eqr_image>?) -> eqr_status {
    ContextHandle.perform(context) { handle in
        try CArguments.checkFeatureCount(count, model: handle.owner, "count")
        let c = handle.model.configuration
        let shape = [1, c.featureChannels, c.featureSize, c.featureSize]
        let characterFeatures = Tensor(shape: shape, scalars: try CArguments.floats(character, count: Int(count), "character"))
        let backgroundFeatures = Tensor(shape: shape, scalars: try CArguments.floats(background, count: Int(count), "background"))
        let thetaTensor = try theta.map { Tensor(shape: [1, 6], scalars: try CArguments.floats($0, count: 6, "theta")) }
        let destination = try CArguments.image(output, "out")
        let features = handle.model.swapFeatures(character: characterFeatures, background: backgroundFeatures, theta: thetaTensor)
        try handle.pipeline.write(handle.model.render(features), into: destination)
    }
}
