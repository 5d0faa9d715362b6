import CEquivariant
import CInteropSupport
import EquivariantModel
import Retargeting
import Tensors
import VideoIO

/// Checked conversions of C arguments into Swift values: NULLs, formats, sizes, strides,
/// counts and non-finite numbers become ``CallFailure``s naming the argument.
enum CArguments {
    /// A caller image as a ``PixelBuffer``.
    static func image(_ image: UnsafePointer<eqr_image>?, _ name: String) throws -> PixelBuffer {
        guard let image else { throw CallFailure.null(name) }
        let value = image.pointee
        guard let pixels = value.pixels else { throw CallFailure.null("\(name)->pixels") }
        let layout: PixelLayout
        if value.format == EQR_PIXEL_RGBA8 {
            layout = .rgba8
        } else if value.format == EQR_PIXEL_RGB8 {
            layout = .rgb8
        } else {
            throw CallFailure.invalid("\(name)->format is \(value.format.rawValue), not EQR_PIXEL_RGBA8 (0) or EQR_PIXEL_RGB8 (1)")
        }
        let buffer = PixelBuffer(base: UnsafeMutableRawPointer(pixels), width: Int(value.width), height: Int(value.height),
                                 stride: Int(value.stride), layout: layout)
        do { try buffer.validate() } catch { throw CallFailure.invalid("\(name): \(error)") }
        return buffer
    }

    /// `count` finite floats from a caller buffer.
    static func floats(_ pointer: UnsafePointer<Float>?, count: Int, _ name: String) throws -> [Float] {
        guard let pointer else { throw CallFailure.null(name) }
        let values = Array(UnsafeBufferPointer(start: pointer, count: count))
        guard values.allSatisfy(\.isFinite) else { throw CallFailure.invalid("\(name) contains NaN or infinite values") }
        return values
    }

    /// A six-float affine from a caller buffer.
    static func affine(_ pointer: UnsafePointer<Float>?, _ name: String) throws -> Affine2D {
        Affine2D(try floats(pointer, count: 6, name))
    }

    /// Checks that a caller's feature count matches the model's.
    static func checkFeatureCount(_ count: Int32, model: ModelHandle, _ name: String) throws {
        let expected = model.model.configuration.featureCount
        guard Int(count) == expected else {
            throw CallFailure.invalid("\(name) is \(count) floats, this model's feature maps have \(expected) (eqr_model_feature_count)")
        }
    }

    /// Copies a tensor's values into a caller buffer of `count` floats.
    static func write(_ tensor: Tensor, to pointer: UnsafeMutablePointer<Float>?, count: Int, _ name: String) throws {
        try write(tensor.scalars, to: pointer, count: count, name)
    }

    /// Copies feature maps (all levels, coarse first) into a caller buffer of `count` floats.
    static func write(_ maps: FeatureMaps, to pointer: UnsafeMutablePointer<Float>?, count: Int, _ name: String) throws {
        try write(maps.scalars, to: pointer, count: count, name)
    }

    private static func write(_ values: [Float], to pointer: UnsafeMutablePointer<Float>?, count: Int, _ name: String) throws {
        guard let pointer else { throw CallFailure.null(name) }
        guard values.count == count else { throw CallFailure(status: EQR_ERROR_INTERNAL, message: "\(name): produced \(values.count) values for \(count)") }
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: count) }
    }
}
