import Foundation
import XCTest

/// Every `sh` block of the README runs as written, with tiny budgets, in a fresh folder that
/// holds what a reader's would: the repository's `examples` and `CInterop`, the build the suite
/// runs on as `.build/release`, and the media the commands name (a clip, photos, a 66-pixel-wide
/// video, ...), made with ffmpeg. Each block runs as one bash script (`set -euo pipefail`, so
/// every command must succeed; exports carry to the block's later lines) after these rewrites,
/// and only these:
/// - budgets: `--steps N` becomes ⌈N/400⌉ (order kept, so a resume still continues), an
///   `eqr train` without `--steps` gets 2, `--time 5m` and `-fit 5m` become 3 s, `eqr eval`
///   scores 2 scenes per setting and no full-resolution clips;
/// - the install goes to a prefix of the test's (`/usr/local` is replaced everywhere) and
///   installs the suite's build (`--no-build`); `swift build -c release && ` is dropped (the
///   suite holds the build's lock, and `.build/release` is that build);
/// - the environment is what `install.sh` tells a reader to export for such a prefix
///   (`PATH`, `LD_LIBRARY_PATH`, `PKG_CONFIG_PATH`, `FREI0R_PATH`);
/// - `ffmpeg -i` gets `-y` (the reader answers ffmpeg's overwrite prompt), `[…]` marks optional
///   arguments and is dropped.
/// - the photo benchmark (`swap_ablation.sh`) scores one scene of 8 frames
///   (`SWAP_BENCHMARK_ARGS`) with the benchmark script beside the repository (`SWAP_BENCHMARK`).
/// Three blocks do not run here, each for a stated reason checked below: the two top commands
/// (CI runs exactly those) and the virtual environment for the Python package (run by
/// `ExamplesTests.testPythonPackageInstallsAndMatchesEqr`).
final class ReadmeCommandTests: PluginWorkspaceTestCase {
    /// The README's `sh` blocks, continuation lines joined.
    static func shellBlocks() throws -> [String] {
        let readme = try String(contentsOf: EqrProcess.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        var blocks: [String] = [], current: [String]? = nil
        for line in readme.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if current == nil, line == "```sh" { current = [] } else if current != nil, line == "```" {
                blocks.append(current!.joined(separator: "\n").replacingOccurrences(of: "\\\n", with: " "))
                current = nil
            } else if current != nil { current!.append(line) }
        }
        return blocks
    }

    /// Why a block does not run here (nil: it runs).
    static func reasonNotRun(_ block: String) -> String? {
        if block.contains("bash .ci/setup && swift") { return "CI runs the README's two commands themselves" }
        if block.contains("venv/bin/pip install ./python") { return "ExamplesTests.testPythonPackageInstallsAndMatchesEqr" }
        return nil
    }

    /// The block with the rewrites above.
    static func withTinyBudgets(_ block: String, prefix: String) -> String {
        var script = block.replacingOccurrences(of: "swift build -c release && ", with: "")
            .replacingOccurrences(of: "/usr/local", with: prefix)
            .replacingOccurrences(of: "install.sh --prefix \(prefix)", with: "install.sh --no-build --prefix \(prefix)")
            .replacingOccurrences(of: "ffmpeg -i ", with: "ffmpeg -y -i ")
            .replacingOccurrences(of: "--time 5m", with: "--time 3s")
            .replacingOccurrences(of: "-fit 5m", with: "-fit 3s")
        func replace(_ pattern: String, _ transform: (NSTextCheckingResult, NSString) -> String) {
            let regex = try! NSRegularExpression(pattern: pattern)
            let text = script as NSString
            var result = "", last = 0
            for match in regex.matches(in: script, range: NSRange(location: 0, length: text.length)) {
                result += text.substring(with: NSRange(location: last, length: match.range.location - last)) + transform(match, text)
                last = match.range.location + match.range.length
            }
            script = result + text.substring(from: last)
        }
        replace(#"--steps (\d+)"#) { match, text in "--steps \(max(1, (Int(text.substring(with: match.range(at: 1)))! + 399) / 400))" }
        replace(#" \[[^\]\n]*\]"#) { _, _ in "" }
        // An `eqr train` command without `--steps` (up to its end: `;`, `&&`, `#` or the line's end).
        replace(#"eqr train [^;&#\n]*"#) { match, text in
            let command = text.substring(with: match.range)
            return command.contains("--steps") ? command : command.trimmingCharacters(in: .whitespaces) + " --steps 2 "
        }
        replace(#"eqr eval [^;&#\n]*"#) { match, text in
            text.substring(with: match.range).trimmingCharacters(in: .whitespaces) + " --samples 2 --full-resolution-clips 0 "
        }
        return script
    }

    func testEveryReadmeShellBlockRunsWithTinyBudgets() throws {
        let blocks = try Self.shellBlocks()
        XCTAssertGreaterThanOrEqual(blocks.count, 10, "the README's sh blocks were not found")
        XCTAssertEqual(blocks.compactMap(Self.reasonNotRun).count, 3, "blocks not run: \(blocks.filter { Self.reasonNotRun($0) != nil })")

        // A reader's folder: the repository's files by link, the build as .build/release, media.
        let folder = path("reader"), prefix = path("prefix"), manager = FileManager.default
        try manager.createDirectory(atPath: "\(folder)/.build", withIntermediateDirectories: true)
        for item in ["examples", "CInterop"] {
            try manager.createSymbolicLink(atPath: "\(folder)/\(item)", withDestinationPath: EqrProcess.packageRoot.appendingPathComponent(item).path)
        }
        try manager.createSymbolicLink(atPath: "\(folder)/.build/release", withDestinationPath: EqrProcess.products.path)
        XCTAssertEqual(try EqrProcess.run(["synth", "\(folder)/walk.mp4", "--frames", "25", "--resolution", "128"]).status, 0)
        for copy in ["walk1.mp4", "walk2.mp4"] { try manager.copyItem(atPath: "\(folder)/walk.mp4", toPath: "\(folder)/\(copy)") }
        try FFmpegTools.ffmpeg(["-f", "lavfi", "-i", "gradients=s=200x150:seed=3", "-frames:v", "1", "\(folder)/beach.jpg"])
        try FFmpegTools.ffmpeg(["-f", "lavfi", "-i", "gradients=s=200x150:seed=3", "-frames:v", "1", "\(folder)/beach.png"])
        try FFmpegTools.ffmpeg(["-f", "lavfi", "-i", "gradients=s=400x100:seed=4", "-frames:v", "1", "\(folder)/wide-photo.jpg"])
        try FFmpegTools.ffmpeg(["-f", "lavfi", "-i", "gradients=s=128x128:seed=5:r=25", "-t", "1", "-pix_fmt", "yuv420p", "\(folder)/beach.mp4"])
        try FFmpegTools.ffmpeg(["-i", "\(folder)/walk.mp4", "-vf", "scale=66:128", "-pix_fmt", "yuv420p", "\(folder)/in66.mp4"])
        try FFmpegTools.ffmpeg(["-f", "lavfi", "-i", "gradients=s=80x128:seed=6", "-frames:v", "1", "\(folder)/bg80.png"])
        try manager.copyItem(atPath: EqrProcess.packageRoot.appendingPathComponent("examples/models/features-64.safetensors").path,
                             toPath: "\(folder)/model.safetensors")

        // What install.sh tells a reader to set for a prefix outside the linker's path.
        let environment = ["PATH": "\(folder)/.build/release:" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
                           "LD_LIBRARY_PATH": "\(prefix)/lib", "PKG_CONFIG_PATH": "\(prefix)/lib/pkgconfig",
                           "FREI0R_PATH": "\(prefix)/lib/frei0r-1", "HOME": path("home"),
                           "SWAP_BENCHMARK": EqrProcess.packageRoot.deletingLastPathComponent().appendingPathComponent("shared/bench/swap_benchmark.py").path,
                           "SWAP_BENCHMARK_ARGS": "--scenes 1 --frames 8"]
        var ran = 0
        for block in blocks where Self.reasonNotRun(block) == nil {
            let script = "set -euo pipefail\n" + Self.withTinyBudgets(block, prefix: prefix)
            func attempt() throws -> EqrProcess {
                try EqrProcess.run(program: "/usr/bin/timeout", ["900", "/bin/bash", "-c", script], environment: environment, currentDirectory: folder)
            }
            var result = try attempt()
            if result.status != 0, block.contains("melt ") {
                print("melt's block failed (status \(result.status)); retrying once (melt's race under load, see runMelt)")
                result = try attempt()
            }
            XCTAssertEqual(result.status, 0, "README block failed:\n\(script)\n--- stdout\n\(result.standardOutput.suffix(3000))\n--- stderr\n\(result.standardError.suffix(5000))")
            if block.contains("swap_ablation.sh") {
                XCTAssertTrue(result.standardOutput.contains("| composite, plate of the whole clip (the default) | "), result.standardOutput)
            }
            ran += 1
        }
        XCTAssertGreaterThanOrEqual(ran, 8)
        // The blocks' outputs are real: the ffmpeg width example's video, the benchmark's table.
        XCTAssertEqual(try FFmpegTools.probe("\(folder)/out.mp4").first, 66)
        XCTAssertEqual(try manager.contentsOfDirectory(atPath: "\(folder)/photos").count, 12)
    }
}
