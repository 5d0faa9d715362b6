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

    /// Runs MLT's `melt` writing `output` (its last arguments name the consumer), with the
    /// test's plugins folder (or `plugins`) as MLT's frei0r path, within 120 s. melt itself has
    /// a race under CPU load: about one run in ten then exits 0 having written an empty file, or
    /// never exits — with MLT's stock `frei0r.addition` too, so not the plugin's doing. Such a
    /// run (status 0 or the timeout's 124, no readable `expected` frames) is retried once.
    func runMelt(_ arguments: [String], output: String, expected: [Int], plugins: String? = nil) throws -> EqrProcess {
        func attempt() throws -> EqrProcess {
            try EqrProcess.run(program: "/usr/bin/timeout", ["120", "/usr/bin/melt"] + arguments,
                               environment: ["MLT_FREI0R_PLUGIN_PATH": plugins ?? path("plugins")])
        }
        let run = try attempt()
        guard run.status == 0 || run.status == 124, (try? FFmpegTools.probe(output)) != expected else { return run }
        print("melt wrote no readable \(output) (status \(run.status)); retrying once")
        return try attempt()
    }
}
