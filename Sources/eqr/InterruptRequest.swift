import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C (SIGINT) and SIGTERM as a request to stop cleanly: the first signal only sets a
/// flag that a long command polls (training then writes its checkpoint and exits); a second
/// one ends the process at once, as the default action would.
///
/// Installed only by the `eqr` program for commands that honour it, never by the libraries.
enum InterruptRequest {
    nonisolated(unsafe) private static var flag: sig_atomic_t = 0

    /// Whether a stop was requested since ``install()``.
    static var isRequested: Bool { flag != 0 }

    /// Routes SIGINT and SIGTERM to the flag.
    static func install() {
        flag = 0
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber) { received in
                InterruptRequest.flag = 1
                // A second signal takes the default action.
                signal(received, SIG_DFL)
            }
        }
    }

    /// Gives SIGINT and SIGTERM their default action back (when the long step is over and
    /// the command goes on, e.g. rendering after `-fit`, Ctrl-C should stop it at once).
    static func uninstall() {
        for signalNumber in [SIGINT, SIGTERM] { signal(signalNumber, SIG_DFL) }
    }

    /// The exit status of a process stopped by a signal: 128 + SIGINT.
    static let exitStatus: Int32 = 130
}
