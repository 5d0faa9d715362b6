import Foundation

/// Runs the built `eqr` binary (next to the test bundle), or any program, and captures its output.
struct EqrProcess {
    var status: Int32
    var standardOutput: String
    var standardError: String

    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("eqr")
    }

    /// The directory of the built products (eqr, libequivariant.so, the frei0r plugin).
    static var products: URL { executable.deletingLastPathComponent() }

    /// The package's root directory (for examples/ and CInterop/).
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Starts eqr with `arguments`, its stderr going to `log`; once that shows `marker` (or
    /// after 120 s) sends SIGINT, as Ctrl-C does, and returns the exit status and the stderr.
    static func interrupt(_ arguments: [String], once marker: String, log: URL) throws -> (status: Int32, standardError: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, !(try String(contentsOf: log, encoding: .utf8)).contains(marker) { Thread.sleep(forTimeInterval: 0.1) }
        process.interrupt()
        process.waitUntilExit()
        return (process.terminationStatus, try String(contentsOf: log, encoding: .utf8))
    }

    /// The environment that gives a library's host the OpenBLAS kernel `eqr` runs with: empty
    /// unless eqr selected a better kernel than OpenBLAS detected (a CPU OpenBLAS misdetects),
    /// which a library inside a host cannot do. Kernels round products differently, so a test
    /// that wants identical pixels from eqr and a library gives both the same one.
    static func kernelEnvironmentMatchingEqr() throws -> [String: String] {
        let version = try run(["--version"]).standardOutput
        guard let line = version.split(separator: "\n").first(where: { $0.contains("selected by eqr") }),
              let kernel = line.split(separator: " ").dropFirst(2).first else { return [:] }
        return ["OPENBLAS_CORETYPE": String(kernel)]
    }

    /// This process's environment without `OPENBLAS_CORETYPE` (some machines set it for
    /// every process): for a child that must find OpenBLAS's own kernel choice, as on a
    /// machine where nobody chose one. Tests never set the variable themselves.
    static var environmentWithoutKernelChoice: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_CORETYPE"] = nil
        return environment
    }

    /// The frei0r plugin's own reports in a host's standard error, one per line, without the
    /// OpenBLAS kernel advice (`BLASKernel.advice`) that every run prints on a CPU OpenBLAS
    /// misdetects: a test asserts on what the plugin says about its work, not on the machine.
    static func pluginReports(in standardError: String) -> [String] {
        standardError.split(separator: "\n").map(String.init)
            .filter { $0.contains("equivariant (frei0r)") && !$0.contains("OpenBLAS chose its") }
    }

    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> EqrProcess {
        try run(program: executable.path, arguments, environment: environment)
    }

    /// Runs any program; `environment` adds to this process's, or replaces it when `inherit`
    /// is false; `currentDirectory` is the child's working folder (default: this process's).
    static func run(program: String, _ arguments: [String], environment: [String: String] = [:], inherit: Bool = true,
                    currentDirectory: String? = nil) throws -> EqrProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        process.arguments = arguments
        process.environment = inherit ? ProcessInfo.processInfo.environment.merging(environment) { $1 } : environment
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

/// Open MPI jobs of eqr processes.
extension EqrProcess {
    static let mpirunPath = "/usr/bin/mpirun"

    /// `mpirun`'s arguments to run `processes` copies of eqr with `arguments`, with the options
    /// a root CI container needs.
    static func mpirunArguments(_ processes: Int, _ arguments: [String]) -> [String] {
        ["--allow-run-as-root", "--oversubscribe", "-np", String(processes), executable.path] + arguments
    }

    /// Runs `processes` copies of eqr under mpirun.
    static func mpirun(_ processes: Int, _ arguments: [String]) throws -> EqrProcess {
        try run(program: mpirunPath, mpirunArguments(processes, arguments))
    }

    static func isZombie(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: close)...].split(separator: " ").first == "Z"
    }

    /// The eqr processes that `mpirun` (process `parent`) started, by MPI rank.
    static func children(of parent: Int32) -> [Int: Int32] {
        var ranks: [Int: Int32] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, Int32(fields[1]) == parent,
                  let environment = FileManager.default.contents(atPath: "/proc/\(entry)/environ") else { continue }
            for variable in environment.split(separator: 0) {
                let text = String(decoding: variable, as: UTF8.self)
                if text.hasPrefix("OMPI_COMM_WORLD_RANK="), let rank = Int(text.dropFirst("OMPI_COMM_WORLD_RANK=".count)) { ranks[rank] = pid }
            }
        }
        return ranks
    }
}
