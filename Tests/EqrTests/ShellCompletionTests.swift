import Foundation
import XCTest

/// `eqr --generate-completion-script`: shells complete both ways `eqr` is used, the
/// ffmpeg-style host's options and the tools' words with their own options. The bash script is
/// loaded into a real bash and asked what it offers.
final class ShellCompletionTests: XCTestCase {
    func testBashOffersTheHostsOptionsTheWordsAndTheirOptions() throws {
        let script = try EqrProcess.run(["--generate-completion-script", "bash"])
        XCTAssertEqual(script.status, 0, script.standardError)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("eqr-completion-\(UUID().uuidString).bash")
        try script.standardOutput.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        // Each case: the words typed so far (the last is being completed) and what must be offered.
        let cases: [([String], [String])] = [
            (["eqr", "-e"], ["-effect", "-extract-motion"]),
            (["eqr", "-i", "a.mp4", "-bg"], ["-bg-fit", "-bg-loop"]),
            (["eqr", "tr"], ["train"]),
            (["eqr", "train", "--var"], ["--variant"]),
            (["eqr", "train", "--procedural-b"], ["--procedural-backgrounds"]),
            (["eqr", "bench", "h"], ["host"]),
            (["eqr", "-i", "a.mp4", "-render", ""], ["composite", "model"]),
            (["eqr", "-i", "a.mp4", "-effect", "tr"], ["transfer=template=", "transform="]),
        ]
        for (words, expected) in cases {
            let quoted = words.map { "'\($0)'" }.joined(separator: " ")
            let probe = """
                source '\(file.path)'
                COMP_WORDS=(\(quoted)); COMP_CWORD=\(words.count - 1); COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}; COMPREPLY=()
                _eqr eqr "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
                printf '%s\\n' "${COMPREPLY[@]}"
                """
            let result = try EqrProcess.run(program: "/bin/bash", ["-c", probe])
            XCTAssertEqual(result.status, 0, result.standardError)
            let offered = Set(result.standardOutput.split(separator: "\n").map(String.init))
            XCTAssertTrue(Set(expected).isSubset(of: offered), "\(words.joined(separator: " ")): offered \(offered.sorted())")
            XCTAssertFalse(offered.contains("train") && words.last != "tr" && words.count > 2, "\(words): a word offered as a value")
        }
        // zsh and fish: the same tree (fish names single-dash options with -o).
        for (shell, hostOption) in [("zsh", "'-effect["), ("fish", "-o 'effect'")] {
            let other = try EqrProcess.run(["--generate-completion-script", shell])
            XCTAssertEqual(other.status, 0, other.standardError)
            XCTAssertTrue(other.standardOutput.contains(hostOption), "\(shell) lacks \(hostOption)")
            XCTAssertTrue(other.standardOutput.contains("procedural-backgrounds"), "\(shell) lacks train's options")
        }
    }
}
