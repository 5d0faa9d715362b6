import ArgumentParser
import Foundation
import ProcessSettings
import VideoIO

/// `eqr bench io`: decode and encode throughput through FFmpeg's libraries, at the host's
/// working sizes (640×480 input → model resolution → 640×480 output).
///
/// Generates its own 640×480 clip (libavfilter `testsrc2`, encoded with VideoIO's writer) in
/// a temporary directory, then measures:
/// - `encode_640x480_fps`: encoding 640×480 RGB frames (from memory) to the clip's codec;
/// - `decode_640x480_fps`: decoding the clip to 640×480 RGB24;
/// - `decode_convert_fps`: decoding and resizing to the model size (area scaling) — what the
///   model's input side costs;
/// - `planar_float_fps`: the RGB24 → planar float32 CHW conversion at model size;
/// - `encode_back_fps`: scaling model-size frames back to 640×480 and encoding — what the
///   host's output side costs.
struct BenchIOCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "io", abstract: "Measure decode+convert and encode frames/s.")

    @Option(parsing: .unconditional, help: "Frames in the generated 640x480 clip.")
    var frames: Int = 250

    @Option(parsing: .unconditional, help: "Model width (frames are decoded to this size).")
    var width: Int = 128

    @Option(parsing: .unconditional, help: "Model height (frames are decoded to this size).")
    var height: Int = 128

    @Option(help: "Video encoder (default: libx264 when available, else mpeg4).")
    var codec: String?

    @Option(help: "Encoder preset/options as key=value, repeatable (e.g. --option crf=23).")
    var option: [String] = []

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard frames >= 10 else { throw ValidationError("--frames must be at least 10") }
        guard width > 0, height > 0, width <= 4096, height <= 4096 else {
            throw ValidationError("--width/--height out of range")
        }
        for kv in option where !kv.contains("=") { throw ValidationError("--option expects key=value, got \(kv)") }
    }

    func run() throws {
        ProcessSettings.setFFmpegLogLevel(.error)
        var options: [String: String] = [:]
        for kv in option {
            let eq = kv.firstIndex(of: "=")!
            options[String(kv[..<eq])] = String(kv[kv.index(after: eq)...])
        }
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("eqr-bench-io-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let clip = dir.appendingPathComponent("clip640x480.mp4").path
        let back = dir.appendingPathComponent("back640x480.mp4").path

        // A second of distinct source frames in memory, cycled, so the encode timing does not
        // include the test-pattern generator.
        let source = try VideoReader(generator: "testsrc2=size=640x480:rate=25")
        var pattern: [Frame] = []
        while pattern.count < 25, let f = try source.next() { pattern.append(f) }

        // 1. Encode 640x480 (this also makes the clip for the decode measurements).
        let writer = try VideoWriter(path: clip, width: 640, height: 480, frameRate: 25, codec: codec, options: options)
        let encoderName = writer.encoderName
        var t0 = Date()
        for i in 0..<frames {
            var f = pattern[i % pattern.count]
            f.index = i
            try writer.write(f)
        }
        try writer.finish()
        let encode640 = Double(frames) / Date().timeIntervalSince(t0)
        let clipBytes = (try? FileManager.default.attributesOfItem(atPath: clip)[.size] as? Int) ?? 0

        // 2. Decode only, to 640x480 RGB24.
        t0 = Date()
        var n = 0
        let full = try VideoReader(path: clip)
        while try full.next() != nil { n += 1 }
        let decode640 = Double(n) / Date().timeIntervalSince(t0)

        // 3. Decode + convert to the model size.
        t0 = Date()
        let reader = try VideoReader(path: clip, size: (width: width, height: height), scaling: .area)
        var small: [Frame] = []
        small.reserveCapacity(frames)
        while let f = try reader.next() { small.append(f) }
        let decodeConvert = Double(small.count) / Date().timeIntervalSince(t0)

        // 4. RGB24 -> planar float32 (the tensor the network reads).
        var planar = [Float](repeating: 0, count: 3 * width * height)
        t0 = Date()
        for f in small {
            try planar.withUnsafeMutableBufferPointer { try f.writePlanarFloat(into: $0) }
        }
        let planarFPS = Double(small.count) / Date().timeIntervalSince(t0)

        // 5. Model size -> 640x480 -> encode.
        t0 = Date()
        let out = try VideoWriter(path: back, width: width, height: height, frameRate: 25, codec: codec,
                                  options: options, outputSize: (width: 640, height: 480))
        for f in small { try out.write(f) }
        try out.finish()
        let encodeBack = Double(small.count) / Date().timeIntervalSince(t0)

        let cores = ProcessInfo.processInfo.activeProcessorCount
        if json {
            let object: [String: Any] = [
                "frames": small.count,
                "model_width": width,
                "model_height": height,
                "encoder": encoderName,
                "clip_bytes": clipBytes,
                "cores": cores,
                "encode_640x480_fps": round1(encode640),
                "decode_640x480_fps": round1(decode640),
                "decode_convert_fps": round1(decodeConvert),
                "planar_float_fps": round1(planarFPS),
                "encode_back_fps": round1(encodeBack),
                "ffmpeg": VideoIO.libraryVersions,
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("eqr bench io — \(small.count) frames, 640x480 <-> \(width)x\(height), encoder \(encoderName), \(cores) cores")
            print("  \(VideoIO.libraryVersions)")
            print(String(format: "  encode 640x480            %8.1f frames/s", encode640))
            print(String(format: "  decode 640x480 -> rgb24   %8.1f frames/s", decode640))
            print(String(format: "  decode+convert -> %dx%d %8.1f frames/s", width, height, decodeConvert))
            print(String(format: "  rgb24 -> planar float     %8.1f frames/s", planarFPS))
            print(String(format: "  %dx%d -> 640x480 encode %8.1f frames/s", width, height, encodeBack))
        }
    }

    private func round1(_ x: Double) -> Double { (x * 10).rounded() / 10 }
}
