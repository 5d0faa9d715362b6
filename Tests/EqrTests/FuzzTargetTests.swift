import Foundation
import XCTest

/// eqr's parsers of users' files and strings (checkpoints, effect strings, motion templates,
/// keyframe files) and the frei0r plugins' entry points as fuzz targets: `eqr-fuzz` replays inputs in a normal build and is a
/// libFuzzer + AddressSanitizer binary in a fuzzing one (`Tests/Fuzz/run.sh`).
final class FuzzTargetTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let replayer = EqrProcess.executable.deletingLastPathComponent().appendingPathComponent("eqr-fuzz").path

    /// The seeds are valid inputs (a corpus of refusals would fuzz nothing but the first
    /// check), and every input that once broke something (`Tests/Fuzz/corpus`) still replays.
    func testSeedsAreValidAndFoundInputsReplay() throws {
        let seeds = FileManager.default.temporaryDirectory.appendingPathComponent("eqr-fuzz-seeds-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: seeds) }
        let written = try EqrProcess.run(program: Self.replayer, ["--write-seeds", seeds.path])
        XCTAssertEqual(written.status, 0, written.standardError)
        let replay = try EqrProcess.run(program: Self.replayer, [seeds.path])
        XCTAssertEqual(replay.status, 0, replay.standardError)
        // The two effect seeds that name files which do not exist are refused; the rest load
        // (the two frei0r programs make an instance each).
        XCTAssertTrue(replay.standardOutput.contains("10 inputs replayed, 8 accepted, 2 refused"), replay.standardOutput)
        // One surface for every input (a per-target run): only the three usable effect strings
        // are effects; an unknown surface is a usage error.
        let effectsOnly = try EqrProcess.run(program: Self.replayer, [seeds.path], environment: ["EQR_FUZZ_SURFACE": "effect"])
        XCTAssertEqual(effectsOnly.status, 0, effectsOnly.standardError)
        XCTAssertTrue(effectsOnly.standardOutput.contains("10 inputs replayed, 3 accepted, 7 refused"), effectsOnly.standardOutput)
        let unknown = try EqrProcess.run(program: Self.replayer, [seeds.path], environment: ["EQR_FUZZ_SURFACE": "sideways"])
        XCTAssertEqual(unknown.status, 64, unknown.standardOutput)
        XCTAssertTrue(unknown.standardError.contains("EQR_FUZZ_SURFACE=sideways is not one of checkpoint, effect"), unknown.standardError)
        let corpus = Self.root.appendingPathComponent("Tests/Fuzz/corpus").path
        let found = try EqrProcess.run(program: Self.replayer, [corpus])
        XCTAssertEqual(found.status, 0, found.standardError)
        XCTAssertTrue(found.standardOutput.contains("none crashed"), found.standardOutput)
    }

    /// 20 s of libFuzzer with AddressSanitizer over all five surfaces finds no crash, sanitizer
    /// report, 10-s hang or 2-GB allocation (the script exits non-zero on any of them).
    func testTwentySecondsOfFuzzingFindNothing() throws {
        let run = try EqrProcess.run(program: "/bin/bash", [Self.root.appendingPathComponent("Tests/Fuzz/run.sh").path, "20"],
                                     environment: ["EQR_FUZZ_RELEASE_BUILT": "1"])
        XCTAssertEqual(run.status, 0, String(run.standardError.suffix(3000)))
        let executed = run.standardError.split(separator: "\n").first { $0.hasPrefix("stat::number_of_executed_units:") }
        let count = executed.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        XCTAssertGreaterThan(count, 1000, "the fuzzer barely ran: \(String(run.standardError.suffix(2000)))")
    }
}
