import CEquivariant
import EquivariantModel
import Retargeting
import Tensors

// The C ABI's one-frame conveniences and building blocks (see CInterop/include/equivariant.h).
// Every frame goes through the context's FramePipeline, like eqr_context_process.

@c(eqr_swap)
public func eqrSwap(_ context: OpaquePointer?, _ character: UnsafePointer<eqr_image>?, _ output: UnsafeMutablePointer<eqr_image>?) -> eqr_status {
    ContextHandle.perform(context) { handle in
        let source = try CArguments.image(character, "character"), destination = try CArguments.image(output, "out")
        try handle.requireBackground(handle.pipeline.hasBackground, for: "eqr_swap")
        try handle.pipeline.render(source, motion: .none, into: destination)
    }
}

@c(eqr_transform)
public func eqrTransform(_ context: OpaquePointer?, _ frame: UnsafePointer<eqr_image>?, _ motion: UnsafePointer<Float>?,
                  _ output: UnsafeMutablePointer<eqr_image>?) -> eqr_status {
    ContextHandle.perform(context) { handle in
        let source = try CArguments.image(frame, "frame"), affine = try CArguments.affine(motion, "motion")
        try handle.pipeline.render(source, motion: .motion(affine), into: try CArguments.image(output, "out"))
    }
}

@c(eqr_transfer)
public func eqrTransfer(_ context: OpaquePointer?, _ driver: UnsafePointer<eqr_image>?, _ driverNext: UnsafePointer<eqr_image>?,
                 _ frame: UnsafePointer<eqr_image>?, _ output: UnsafeMutablePointer<eqr_image>?) -> eqr_status {
    ContextHandle.perform(context) { handle in
        let from = try handle.pipeline.modelFrame(try CArguments.image(driver, "driver"))
        let to = try handle.pipeline.modelFrame(try CArguments.image(driverNext, "driver_next"))
        let source = try CArguments.image(frame, "frame")
        let theta = try handle.model.estimateTheta(from: from, to: to)
        try handle.pipeline.render(source, motion: .theta(theta), into: try CArguments.image(output, "out"))
    }
}

/// f(x) or h(x) of a caller image into a caller buffer of `count` floats.
private func encode(_ context: OpaquePointer?, _ frame: UnsafePointer<eqr_image>?, _ features: UnsafeMutablePointer<Float>?, _ count: Int32,
                    _ encoder: @escaping (EquivariantModel, Tensor) throws -> FeatureMaps) -> eqr_status {
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
        let shapes = handle.model.configuration.featureShapes
        let characterFeatures = FeatureMaps(shapes: shapes, scalars: try CArguments.floats(character, count: Int(count), "character"))
        let backgroundFeatures = FeatureMaps(shapes: shapes, scalars: try CArguments.floats(background, count: Int(count), "background"))
        let thetaTensor = try theta.map { Tensor(shape: [1, 6], scalars: try CArguments.floats($0, count: 6, "theta")) }
        try handle.pipeline.render(characterFeatures: characterFeatures, backgroundFeatures: backgroundFeatures, theta: thetaTensor,
                                   into: try CArguments.image(output, "out"))
    }
}
