import CEquivariant
import Foundation
import Synchronization

// The C ABI's log: where the library's messages go (see eqr_log_set in equivariant.h).

/// The process-wide destination of the library's messages: the host's callback, or the
/// default (warnings to stderr).
enum LibraryLog {
    /// The host's callback and its user data (a C pointer the library only hands back).
    private struct Destination: @unchecked Sendable {
        var callback: eqr_log_callback?
        var userData: UnsafeMutableRawPointer?
    }

    private static let destination = Mutex(Destination())

    /// Sets (or, with nil, resets) the destination.
    static func set(_ callback: eqr_log_callback?, _ userData: UnsafeMutableRawPointer?) {
        destination.withLock { $0 = Destination(callback: callback, userData: userData) }
    }

    /// Logs `message` at `level`. The callback runs outside the lock, so a slow one does not
    /// hold up other threads' messages.
    static func emit(_ level: eqr_log_level, _ message: String) {
        let current = destination.withLock { $0 }
        if let callback = current.callback {
            message.withCString { callback(level, $0, current.userData) }
        } else if level == EQR_LOG_WARNING {
            FileHandle.standardError.write(Data("equivariant: warning: \(message)\n".utf8))
        }
    }
}

@c(eqr_log_set)
public func eqrLogSet(_ callback: eqr_log_callback?, _ userData: UnsafeMutableRawPointer?) {
    LibraryLog.set(callback, userData)
}
