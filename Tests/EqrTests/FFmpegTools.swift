import Foundation
import XCTest

/// The stock `ffmpeg` and `ffprobe` binaries, as the tests' independent reference.
enum FFmpegTools {
    /// Runs `ffmpeg -v error -y <arguments>` and asserts it succeeded.
    static func ffmpeg(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        process.arguments = ["-v", "error", "-y"] + arguments
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, arguments.joined(separator: " "), file: file, line: line)
    }

    /// Width, height and decoded frame count of the first video stream.
    static func probe(_ video: String) throws -> [Int] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ffprobe")
        process.arguments = ["-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=width,height,nb_read_frames", "-of", "csv=p=0", video]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",").compactMap { Int($0) }
    }

    /// The first video stream's frame rate as ffprobe states it (e.g. `25/1`).
    static func frameRate(_ video: String) throws -> String {
        try EqrProcess.run(program: "/usr/bin/ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=r_frame_rate", "-of", "csv=p=0", video])
            .standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `codec_type,duration` of every stream, one line each.
    static func streams(_ file: String) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ffprobe")
        process.arguments = ["-v", "error", "-show_entries", "stream=codec_type,duration", "-of", "csv=p=0", file]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .split(separator: "\n").map(String.init)
    }

    /// PSNR (average and worst frame, in dB) between two videos of the same size, compared
    /// as RGB by ffmpeg's `psnr` filter; identical videos give infinity.
    static func psnr(_ a: String, _ b: String) throws -> (average: Double, minimum: Double) {
        let result = try EqrProcess.run(program: "/usr/bin/ffmpeg", ["-nostdin", "-i", a, "-i", b, "-lavfi", "[0:v]format=rgb24[a];[1:v]format=rgb24[b];[a][b]psnr", "-f", "null", "-"])
        guard let line = result.standardError.split(separator: "\n").last(where: { $0.contains("average:") }) else {
            throw NSError(domain: "psnr", code: 1, userInfo: [NSLocalizedDescriptionKey: "ffmpeg printed no PSNR for \(a) vs \(b): \(result.standardError)"])
        }
        func value(_ key: String) -> Double {
            guard let range = line.range(of: key + ":") else { return .nan }
            let text = line[range.upperBound...].prefix { !$0.isWhitespace }
            return text == "inf" ? .infinity : Double(text) ?? .nan
        }
        return (value("average"), value("min"))
    }
}
