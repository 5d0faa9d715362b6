import CEquivariant
import CInteropSupport
import EquivariantModel
import Foundation
import Retargeting
import VideoIO

/// A failed C call: the status it returns and the message stored as the last error.
struct CallFailure: Error {
    var status: eqr_status
    var message: String

    static func null(_ what: String) -> CallFailure { CallFailure(status: EQR_ERROR_NULL_ARGUMENT, message: "\(what) is NULL") }
    static func invalid(_ message: String) -> CallFailure { CallFailure(status: EQR_ERROR_INVALID_ARGUMENT, message: message) }
    static func notReady(_ message: String) -> CallFailure { CallFailure(status: EQR_ERROR_NOT_READY, message: message) }

    /// The status and message for any error the Swift layers throw.
    init(_ error: Error) {
        switch error {
        case let failure as CallFailure:
            self = failure
        case let error as ModelError:
            switch error {
            case .invalidCheckpoint: status = EQR_ERROR_INVALID_MODEL
            case .unsupportedOperation: status = EQR_ERROR_UNSUPPORTED
            case .invalidInput, .invalidConfiguration: status = EQR_ERROR_INVALID_ARGUMENT
            }
            message = error.description
        case let error as VideoIOError:
            switch error {
            case .invalidArgument, .frameSizeMismatch, .unknownFilter: status = EQR_ERROR_INVALID_ARGUMENT
            // The scaler refusing a size (a 16384×1 frame) is the caller's image, not a file.
            case .filterFailed(let chain, _, _) where chain.hasPrefix("swscale"): status = EQR_ERROR_INVALID_ARGUMENT
            default: status = EQR_ERROR_FILE
            }
            message = error.description
        case let error as EffectError:
            status = EQR_ERROR_INVALID_ARGUMENT
            message = error.description
        default:
            status = EQR_ERROR_INTERNAL
            message = String(describing: error)
        }
    }

    init(status: eqr_status, message: String) {
        self.status = status
        self.message = message
    }

    /// Fills a caller's `eqr_error` (if any), truncating the message to fit.
    static func report(_ status: eqr_status, _ message: String, into error: UnsafeMutablePointer<eqr_error>?) {
        guard let error else { return }
        error.pointee.status = status
        withUnsafeMutableBytes(of: &error.pointee.message) { buffer in
            let bytes = Array(message.utf8.prefix(buffer.count - 1))
            buffer.copyBytes(from: bytes)
            buffer[bytes.count] = 0
        }
    }
}

/// The static descriptions behind `eqr_status_string`.
enum StatusText {
    static let known: [Int32: CString] = [
        EQR_OK.rawValue: CString("success"),
        EQR_ERROR_NULL_ARGUMENT.rawValue: CString("a required pointer was NULL"),
        EQR_ERROR_INVALID_HANDLE.rawValue: CString("invalid handle (freed, or of the wrong type)"),
        EQR_ERROR_INVALID_ARGUMENT.rawValue: CString("invalid argument"),
        EQR_ERROR_FILE.rawValue: CString("file missing, unreadable or not decodable"),
        EQR_ERROR_INVALID_MODEL.rawValue: CString("not a valid model checkpoint"),
        EQR_ERROR_UNSUPPORTED.rawValue: CString("not supported by this model's T^z variant"),
        EQR_ERROR_NOT_READY.rawValue: CString("no background set"),
        EQR_ERROR_INTERNAL.rawValue: CString("internal error"),
        EQR_ERROR_BUSY.rawValue: CString("the context is in use by another thread (use one context per thread)"),
        EQR_ERROR_ABORTED.rawValue: CString("stopped by the host's abort callback"),
    ]
    static let unknown = CString("unknown status")
}
