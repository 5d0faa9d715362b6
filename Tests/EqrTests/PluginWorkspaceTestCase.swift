import Foundation
import XCTest

/// A temporary directory per test with the frei0r filter plugin linked in as
/// `plugins/equivariant.so` (FFmpeg appends ".so" to the filter name), and the committed
/// default model: the setting of every test that runs the plugin next to `eqr`.
class PluginWorkspaceTestCase: XCTestCase {
    var directory: URL!
    let model = CommittedModelTests.models.appendingPathComponent("features-64.safetensors").path

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("eqr-\(type(of: self))-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("plugins"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: path("plugins/equivariant.so"),
                                                   withDestinationPath: EqrProcess.products.appendingPathComponent("libequivariant-frei0r.so").path)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// A path inside the test's directory (its parent directory is created).
    func path(_ name: String) -> String {
        let url = directory.appendingPathComponent(name)
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        return url.path
    }
}
