import Foundation
import XCTest

/// The committed example models reproduce the evaluation numbers the README shows.
///
/// `examples/models/<name>.eval.json` is the output of
/// `eqr eval -m examples/models/<name>.safetensors --json` that generated the README's table;
/// a fresh run must match every PSNR within 0.05 dB and every SSIM within 0.002 (float
/// summation order differs with the worker count, nothing else may).
final class CommittedModelTests: XCTestCase {
    static let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples/models")

    func testEvaluationReproducesTheCommittedNumbers() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.models.path).filter { $0.hasSuffix(".eval.json") }.sorted()
        XCTAssertFalse(files.isEmpty, "no committed evaluation in \(Self.models.path)")
        for file in files {
            let model = Self.models.appendingPathComponent(file.replacingOccurrences(of: ".eval.json", with: ".safetensors")).path
            let expected = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: Self.models.appendingPathComponent(file))) as? [String: Any])
            let run = try EqrProcess.run(["eval", "-m", model, "--json"])
            XCTAssertEqual(run.status, 0, run.standardError)
            let actual = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [String: Any])
            var settings: [(String, [String: [String: Double]], [String: [String: Double]])] = []
            for setting in ["metrics", "metrics_unseen"] {
                settings.append((setting, try XCTUnwrap(expected[setting] as? [String: [String: Double]]),
                                 try XCTUnwrap(actual[setting] as? [String: [String: Double]])))
            }
            // The swap at 4× the model's size (full-resolution composite and its baselines).
            let wantFull = try XCTUnwrap(expected["full_resolution"] as? [String: [String: [String: Double]]], "\(file) lacks full_resolution")
            let gotFull = try XCTUnwrap(actual["full_resolution"] as? [String: [String: [String: Double]]])
            for setting in ["trained", "unseen"] {
                settings.append(("full_resolution.\(setting)", try XCTUnwrap(wantFull[setting]), try XCTUnwrap(gotFull[setting])))
            }
            for (setting, want, got) in settings {
                XCTAssertEqual(Set(want.keys), Set(got.keys), "\(file) \(setting)")
                for (row, score) in want {
                    XCTAssertEqual(got[row]?["psnr"] ?? .nan, score["psnr"]!, accuracy: 0.05, "\(file) \(setting) \(row) psnr")
                    XCTAssertEqual(got[row]?["ssim"] ?? .nan, score["ssim"]!, accuracy: 0.002, "\(file) \(setting) \(row) ssim")
                }
            }
        }
    }
}
