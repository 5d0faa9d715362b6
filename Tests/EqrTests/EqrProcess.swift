import Foundation

/// Runs the built `eqr` binary (next to the test bundle) and captures its output.
struct EqrProcess {
    var status: Int32
    var standardOutput: String
    var standardError: String

    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("eqr")
    }

    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> EqrProcess {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Drain both pipes while the process runs, so a chatty child cannot block.
        let outData = DataBox(), errData = DataBox()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { outData.data = out.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) { errData.data = err.fileHandleForReading.readDataToEndOfFile() }
        process.waitUntilExit()
        group.wait()
        return EqrProcess(
            status: process.terminationStatus,
            standardOutput: String(decoding: outData.data, as: UTF8.self),
            standardError: String(decoding: errData.data, as: UTF8.self))
    }
}

/// Bytes written by one reader thread and read after it finished (the group's wait orders them).
private final class DataBox: @unchecked Sendable {
    var data = Data()
}
