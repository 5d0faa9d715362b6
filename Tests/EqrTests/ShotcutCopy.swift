import Foundation

/// A copy of Debian's Shotcut that reads the shipped filter: Shotcut takes filter metadata only
/// from `share/shotcut/qml/filters` beside its binary, so the binary is copied into a folder of
/// the test's, with Shotcut's own share folder linked in item by item, one stock filter (LUT (3D))
/// and `CInterop/editors/shotcut/equivariant`.
enum ShotcutCopy {
    static let installed = "/usr/bin/shotcut", share = "/usr/share/shotcut"

    /// Builds the copy under `root` and returns the path of its binary.
    static func make(at root: String) throws -> String {
        let manager = FileManager.default
        try manager.createDirectory(atPath: "\(root)/bin", withIntermediateDirectories: true)
        try manager.copyItem(atPath: installed, toPath: "\(root)/bin/shotcut")
        try manager.createDirectory(atPath: "\(root)/share/shotcut/qml/filters", withIntermediateDirectories: true)
        for item in try manager.contentsOfDirectory(atPath: share) where item != "qml" {
            try manager.createSymbolicLink(atPath: "\(root)/share/shotcut/\(item)", withDestinationPath: "\(share)/\(item)")
        }
        for item in try manager.contentsOfDirectory(atPath: "\(share)/qml") where item != "filters" {
            try manager.createSymbolicLink(atPath: "\(root)/share/shotcut/qml/\(item)", withDestinationPath: "\(share)/qml/\(item)")
        }
        try manager.createSymbolicLink(atPath: "\(root)/share/shotcut/qml/filters/lut3d", withDestinationPath: "\(share)/qml/filters/lut3d")
        try manager.createSymbolicLink(atPath: "\(root)/share/shotcut/qml/filters/equivariant",
                                       withDestinationPath: EditorDescriptionTests.shotcutFolder.path)
        return "\(root)/bin/shotcut"
    }

    /// The environment of a Shotcut run: a fresh home (no settings, no recent files) and the
    /// frei0r folder MLT searches.
    static func environment(home: String, plugins: String) -> [String: String] {
        ["HOME": home, "XDG_CONFIG_HOME": "", "XDG_DATA_HOME": "", "MLT_FREI0R_PLUGIN_PATH": plugins]
    }
}
