import Foundation
import XCTest

/// `-m NAME` and `eqr models`: models found by name from any folder.
final class ModelSearchTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("eqr-models-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("elsewhere"), withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// An environment with no user models and no EQR_MODEL_PATH, plus `extra`.
    func environment(_ extra: [String: String] = [:]) -> [String: String] {
        ["HOME": path("home"), "XDG_DATA_HOME": "", "EQR_MODEL_PATH": ""].merging(extra) { $1 }
    }

    /// Runs eqr from a folder that holds no model.
    func eqr(_ arguments: [String], _ extra: [String: String] = [:]) throws -> EqrProcess {
        try EqrProcess.run(program: EqrProcess.executable.path, arguments, environment: environment(extra), currentDirectory: path("elsewhere"))
    }

    func testNamesResolveThroughTheSearchPathFromAnyFolder() throws {
        // The build in the source tree finds the committed models; `default` is aligned-photo-128.
        let listed = try eqr(["models"])
        XCTAssertEqual(listed.status, 0, listed.standardError)
        let line = try XCTUnwrap(listed.standardOutput.split(separator: "\n").first { $0.hasPrefix("aligned-photo-128 (default)") }, listed.standardOutput)
        XCTAssertTrue(line.contains("pixels") && line.contains("128x128") && line.contains("examples/models/aligned-photo-128.safetensors"), String(line))
        XCTAssertTrue(listed.standardOutput.contains("given-128"), listed.standardOutput)
        let info = try eqr(["info", "default"])
        XCTAssertEqual(info.status, 0, info.standardError)
        XCTAssertTrue(info.standardOutput.contains("examples/models/aligned-photo-128.safetensors"), info.standardOutput)

        // EQR_MODEL_PATH comes first, and a model there is found by its own name.
        let mine = directory.appendingPathComponent("mine")
        try FileManager.default.createDirectory(at: mine, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: CommittedModelTests.models.appendingPathComponent("layered-64.safetensors"),
                                         to: mine.appendingPathComponent("portrait.safetensors"))
        let custom = try eqr(["info", "--json", "portrait"], ["EQR_MODEL_PATH": mine.path])
        XCTAssertEqual(custom.status, 0, custom.standardError)
        XCTAssertTrue(custom.standardOutput.contains("\"renderer\" : \"layered\""), custom.standardOutput)
        let searched = try eqr(["models", "--paths"], ["EQR_MODEL_PATH": mine.path])
        XCTAssertTrue(searched.standardOutput.hasPrefix("searched: \(mine.path)\nsearched: \(path("home"))/.local/share/eqr/models\n"), searched.standardOutput)
        XCTAssertTrue(searched.standardOutput.contains("portrait "), searched.standardOutput)

        // The host takes a name for -m, from a folder that has no model.
        try FFmpegTools.ffmpeg(["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10", "-frames:v", "3", "-pix_fmt", "yuv420p", path("elsewhere/in.mp4")])
        try FFmpegTools.ffmpeg(["-f", "lavfi", "-i", "color=c=0x3366aa:size=64x48", "-frames:v", "1", path("elsewhere/bg.png")])
        let render = try eqr(["-i", "in.mp4", "-i", "bg.png", "-m", "default", "-effect", "swap", "-nostats", "out.mkv"])
        XCTAssertEqual(render.status, 0, render.standardError)
        XCTAssertEqual(try FFmpegTools.probe(path("elsewhere/out.mkv")).last, 3)

        // The README's demo, whose model used to be a path relative to the repository.
        let demo = try eqr(["demo"])
        XCTAssertEqual(demo.status, 0, demo.standardError)
        XCTAssertTrue(demo.standardOutput.contains("swap PSNR against the exact ground truth"), demo.standardOutput)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("elsewhere/out/demo-swap.mp4")))
    }

    func testAnUnknownNameIsAUsageErrorThatSaysWhereItLooked() throws {
        let result = try eqr(["info", "no-such-model"])
        XCTAssertEqual(result.status, 64, result.standardError)
        XCTAssertTrue(result.standardError.contains("no model named 'no-such-model'"), result.standardError)
        XCTAssertTrue(result.standardError.contains("eqr models"), result.standardError)
        // A path is used as given: a missing file is reported as a missing file, not searched for.
        let missing = try eqr(["info", "nowhere/x.safetensors"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertFalse(missing.standardError.contains("no model named"), missing.standardError)
    }
}
