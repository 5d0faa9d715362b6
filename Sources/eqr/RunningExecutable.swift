import Foundation

/// The file of the running `eqr` program, whatever name it was started by: `argv[0]` is only
/// "eqr" when a shell found it on PATH, so the kernel's `/proc/self/exe` is read instead.
enum RunningExecutable {
    /// The executable, symbolic links resolved.
    static var url: URL { URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath() }
}
