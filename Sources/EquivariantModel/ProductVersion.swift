/// The version of the project's programs and libraries: `eqr --version` prints it and it
/// equals `eqr_version()` of the C library (EQR_VERSION_* in `equivariant.h`; a test checks).
public enum ProductVersion {
    /// `major.minor.patch`.
    public static let string = "0.7.0"

    /// The major and minor numbers of ``string`` (the frei0r plugins report these).
    public static var majorMinor: (major: Int32, minor: Int32) {
        let parts = string.split(separator: ".").compactMap { Int32($0) }
        return (parts[0], parts[1])
    }
}
