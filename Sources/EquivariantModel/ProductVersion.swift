/// The version of the project's programs and libraries: `eqr --version` prints it and it
/// equals `eqr_version()` of the C library (EQR_VERSION_* in `equivariant.h`; a test checks).
public enum ProductVersion {
    /// `major.minor.patch`.
    public static let string = "0.7.0"
}
