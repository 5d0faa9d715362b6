import CEquivariant
import CInteropSupport
import EquivariantModel
import Foundation
import Retargeting
import Tensors

// The C ABI's library-level calls (see CInterop/include/equivariant.h).

private let versionText = CString("\(EQR_VERSION_MAJOR).\(EQR_VERSION_MINOR).\(EQR_VERSION_PATCH)")

@c(eqr_version)
public func eqrVersion() -> UnsafePointer<CChar> { versionText.constant }

@c(eqr_status_string)
public func eqrStatusString(_ status: eqr_status) -> UnsafePointer<CChar> {
    (StatusText.known[status.rawValue] ?? StatusText.unknown).constant
}

@c(eqr_motion_make)
public func eqrMotionMake(_ angleDegrees: Double, _ scale: Double, _ tx: Double, _ ty: Double, _ motion: UnsafeMutablePointer<Float>?) -> eqr_status {
    guard let motion else { return EQR_ERROR_NULL_ARGUMENT }
    guard [angleDegrees, scale, tx, ty].allSatisfy(\.isFinite), scale > 0 else { return EQR_ERROR_INVALID_ARGUMENT }
    let affine = EffectSpecification.motion(["angle": angleDegrees, "scale": scale, "tx": tx, "ty": ty])
    motion.update(from: affine.elements, count: 6)
    return EQR_OK
}
