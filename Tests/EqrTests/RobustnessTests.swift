import Foundation
import XCTest

/// `Tests/Robustness/robustness.py` against the built `eqr`: a generated bad-media corpus
/// (≥ 200 cases) ends every case in a readable output or a specific error, and SIGKILLs at
/// random moments of training, fitting and rendering leave nothing corrupt, partial or stale.
final class RobustnessTests: XCTestCase {
    static let script = FuzzTargetTests.root.appendingPathComponent("Tests/Robustness/robustness.py").path

    /// Runs the script with `arguments` and returns its JSON report.
    func report(_ arguments: [String]) throws -> [String: Any] {
        let run = try EqrProcess.run(program: "/usr/bin/python3", [Self.script, "--eqr", EqrProcess.executable.path, "--json"] + arguments)
        let last = run.standardOutput.split(separator: "\n").last.map(String.init) ?? ""
        let report = try XCTUnwrap(try? JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any],
                                   "no JSON report; stderr: \(String(run.standardError.suffix(3000)))")
        XCTAssertEqual(run.status, report["bars_met"] as? Bool == true ? 0 : 1, "the exit status follows the bars")
        return report
    }

    /// Truncations, bit flips, empty, audio-only and 0-frame files, odd and huge sizes, VFR,
    /// rotation, 10-bit, 4:4:4 and alpha inputs, background videos of other lengths and
    /// rates, bad outputs and hostile option values: none crashes, hangs, explains itself
    /// unclearly or leaves anything under the final name or a temporary behind.
    func testBadMediaCorpus() throws {
        let report = try report(["--media"])
        let media = try XCTUnwrap(report["media"] as? [String: Any])
        let problems = (media["problems"] as? [[String: Any]] ?? []).map { "\($0)" }.joined(separator: "\n")
        XCTAssertGreaterThanOrEqual(media["cases"] as? Int ?? 0, 200)
        for key in ["crashed", "hung", "unclear", "partial"] {
            XCTAssertEqual(media[key] as? Int, 0, "\(key):\n\(problems)")
        }
        // Both outcomes occur: damaged files are refused, odd but valid ones are rendered.
        XCTAssertGreaterThanOrEqual(media["ok"] as? Int ?? 0, 80, "\(media)")
        XCTAssertGreaterThanOrEqual(media["refused"] as? Int ?? 0, 80, "\(media)")
    }

    /// Six SIGKILLs (two each of `eqr train`, `eqr fit` and a render) and SIGINT/SIGTERM:
    /// every checkpoint left loads, `--resume` ends where an uninterrupted run ends (tensors
    /// and metadata bit for bit, wall-clock time aside), logs repeat no step, no output is
    /// half-written, the next run cleans a killed run's temporaries, and a signal exits 130.
    func testKillsLeaveNothingCorruptPartialOrStale() throws {
        let report = try report(["--kills", "6", "--seed", "7"])
        let kills = try XCTUnwrap(report["kills"] as? [String: Any])
        XCTAssertEqual(kills["kills"] as? Int, 6)
        for key in ["corrupt_checkpoints", "partial_outputs", "resume_not_identical", "repeated_log_steps", "temporaries_not_cleaned",
                    "signals_not_clean"] {
            XCTAssertEqual(kills[key] as? Int, 0, "\(key): \(kills)")
        }
    }
}
