import ArgumentParser
import Foundation
import VideoIO

#if canImport(Glibc)
import Glibc
#endif

/// `eqr bench host`: end-to-end host throughput on a 640×480 clip (ffmpeg's `testsrc2`, or
/// `--clip`, scaled and looped) with the `swap` effect, next to plain `ffmpeg`
/// decode+encode of the same clip with the same encoder (the ceiling), peak memory for a short and a 10× longer input (it must be flat), and the
/// frei0r plugin inside stock ffmpeg on the same clip when it is built next to `eqr`: once as
/// a user runs it, with OpenBLAS's threads as ffmpeg's process has them (the plugin may not
/// change them), and once with `OPENBLAS_NUM_THREADS=1` in ffmpeg's environment, the setting
/// the README recommends.
struct BenchHostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "host", abstract: "Measure the eqr host's frames/s and peak memory against plain ffmpeg.")

    @Option(name: .shortAndLong, help: "Model checkpoint: a path, or a name that `eqr models` lists.") var model = "default"
    @Option(parsing: .unconditional, help: "Frames of the short input (the long one has 10×).") var frames = 200
    @Option(help: "Measure on this clip instead of ffmpeg's testsrc2 pattern, e.g. camera footage (scaled to 640×480 and looped as needed).")
    var clip: String?
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard frames >= 10, frames <= 5000 else { throw ValidationError("--frames must be in 10...5000, got \(frames)") }
        if let clip {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: clip, isDirectory: &isDirectory), !isDirectory.boolValue else {
                throw ValidationError("--clip \(clip): no such file")
            }
        }
    }

    /// The lavfi source of the input clips: `clip` (through a link in `directory`, so its
    /// path needs no escaping in the filter graph) scaled to 640×480 and looped, else testsrc2.
    func inputSource(in directory: URL) throws -> String {
        guard let clip else { return "testsrc2=size=640x480:rate=25" }
        let link = directory.appendingPathComponent("clip")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: URL(fileURLWithPath: clip).standardizedFileURL.path)
        return "movie=\(link.path):loop=0,setpts=N/(25*TB),scale=640:480,setsar=1"
    }

    /// Wall seconds and peak resident memory (MB) of a child process.
    static func measure(_ executable: String, _ arguments: [String]) throws -> (seconds: Double, peakMB: Double) {
        let start = Date()
        var pid: pid_t = 0
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        defer { posix_spawn_file_actions_destroy(&actions) }
        guard posix_spawn(&pid, executable, &actions, nil, argv, environ) == 0 else {
            throw RuntimeError("cannot start \(executable)")
        }
        var status: Int32 = 0
        var usage = rusage()
        guard wait4(pid, &status, 0, &usage) == pid, status == 0 else {
            throw RuntimeError("\(executable) \(arguments.joined(separator: " ")) failed (status \(status))")
        }
        return (Date().timeIntervalSince(start), Double(usage.ru_maxrss) / 1024)
    }

    func run() throws {
        // The plugin takes a path: resolve a name here.
        let model = try ModelSearch.resolve(self.model)
        guard FileManager.default.fileExists(atPath: model) else { throw RuntimeError("model \(model) not found") }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eqr-bench-host-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

        // Inputs: 640×480 clips of `frames` and 10×`frames` frames, and a 640×480 background.
        let sourceGraph = try inputSource(in: directory)
        // A clip ffmpeg cannot read, or one without a frame, is named as the user gave it.
        let unreadable = { (why: String) in RuntimeError("--clip \(clip ?? ""): \(why)") }
        for (name, count) in [("short.mp4", frames), ("long.mp4", 10 * frames)] {
            let source: VideoReader
            do { source = try VideoReader(generator: sourceGraph) } catch where clip != nil { throw unreadable("ffmpeg cannot read it as video (\(error))") }
            let writer = try VideoWriter(path: path(name), width: 640, height: 480, frameRate: 25)
            for _ in 0..<count {
                guard let frame = try source.next() else { throw unreadable("it has no video frames") }
                try writer.write(frame)
            }
            try writer.finish()
        }
        let background = try VideoReader(generator: "mandelbrot=size=640x480").next()!
        try ImageFile.write(background, to: path("bg.png"))

        let eqr = RunningExecutable.url.path
        func host(_ input: String, _ output: String) throws -> (seconds: Double, peakMB: Double) {
            try Self.measure(eqr, ["-i", path(input), "-i", path("bg.png"), "-m", model, "-effect", "swap", "-nostats", "-y", path(output)])
        }
        let short = try host("short.mp4", "out-short.mp4")
        let long = try host("long.mp4", "out-long.mp4")
        let ffmpeg = try Self.measure("/usr/bin/ffmpeg", ["-v", "error", "-y", "-i", path("long.mp4"), "-c:v", VideoIO.defaultVideoEncoder, "-pix_fmt", "yuv420p", path("ffmpeg.mp4")])
        let fps = Double(10 * frames) / long.seconds, ffmpegFPS = Double(10 * frames) / ffmpeg.seconds

        // The plugin, found by ffmpeg as <FREI0R_PATH>/equivariant.so.
        let plugin = URL(fileURLWithPath: eqr).deletingLastPathComponent().appendingPathComponent("libequivariant-frei0r.so").path
        var pluginFPS: Double?, pluginSingleBLASFPS: Double?
        if FileManager.default.fileExists(atPath: plugin) {
            try FileManager.default.createDirectory(atPath: path("frei0r"), withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: path("frei0r/equivariant.so"), withDestinationPath: plugin)
            setenv("FREI0R_PATH", path("frei0r"), 1)
            func runPlugin() throws -> Double {
                let run = try Self.measure("/usr/bin/ffmpeg", ["-v", "error", "-y", "-i", path("short.mp4"), "-vf", "frei0r=equivariant:\(model)|\(path("bg.png"))|swap",
                                                              "-c:v", VideoIO.defaultVideoEncoder, "-pix_fmt", "yuv420p", path("plugin.mp4")])
                return Double(frames) / run.seconds
            }
            let inherited = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"]
            unsetenv("OPENBLAS_NUM_THREADS")
            pluginFPS = try runPlugin()
            setenv("OPENBLAS_NUM_THREADS", "1", 1)
            pluginSingleBLASFPS = try runPlugin()
            if let inherited { setenv("OPENBLAS_NUM_THREADS", inherited, 1) } else { unsetenv("OPENBLAS_NUM_THREADS") }
        }
        if json {
            let object: [String: Any] = [
                "fps": (fps * 10).rounded() / 10, "ffmpeg_fps": (ffmpegFPS * 10).rounded() / 10, "ratio": (fps / ffmpegFPS * 1000).rounded() / 1000,
                "rss_mb_short": (short.peakMB * 10).rounded() / 10, "rss_mb_long": (long.peakMB * 10).rounded() / 10,
                "plugin_fps": pluginFPS.map { ($0 * 10).rounded() / 10 } ?? NSNull(),
                "plugin_fps_openblas_1_thread": pluginSingleBLASFPS.map { ($0 * 10).rounded() / 10 } ?? NSNull(),
                "frames_short": frames, "frames_long": 10 * frames, "input": "640x480", "effect": "swap", "model": model,
                "clip": clip ?? "testsrc2",
            ]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print("eqr bench host — 640x480 input (\(clip ?? "testsrc2")), swap effect, \(model)")
            print(String(format: "  eqr host        %7.1f frames/s  (%d frames)", fps, 10 * frames))
            print(String(format: "  ffmpeg dec+enc  %7.1f frames/s  (same clip, %@) — host/ffmpeg %.2f", ffmpegFPS, VideoIO.defaultVideoEncoder, fps / ffmpegFPS))
            if let pluginFPS, let pluginSingleBLASFPS {
                print(String(format: "  ffmpeg + frei0r %7.1f frames/s  (-vf frei0r=equivariant, %d frames)", pluginFPS, frames))
                print(String(format: "  the same        %7.1f frames/s  (OPENBLAS_NUM_THREADS=1 ffmpeg ...)", pluginSingleBLASFPS))
            }
            print(String(format: "  peak RSS        %7.1f MB for %d frames, %.1f MB for %d frames", short.peakMB, frames, long.peakMB, 10 * frames))
        }
    }
}
