import Foundation
import XCTest

/// Shotcut's panel for the filter (`CInterop/editors/shotcut/equivariant/ui.qml`) in a real
/// Shotcut window. Debian's Shotcut (a copy that reads the shipped filter, ``ShotcutCopy``) runs
/// on a virtual X server (Xvfb; Mesa draws Shotcut's OpenGL in software) with a project whose clip
/// carries the filter, written as another tool would: the shifts left unset. xdotool clicks the
/// Filters tab (the panel opens for the clip's only filter), opens the panel's Effect list, picks
/// its second entry and saves with Ctrl+S. The saved project must hold the effect the panel set,
/// the shifts the panel shows must be the plugin's defaults (an unset shift once showed as −2 and
/// was written back as 0, moving the character two half-widths off), and Shotcut's log must
/// carry no QML error from the panel. The clicks are at fixed places of Shotcut 22.12's default
/// layout (Debian 12's; a fresh home each run) in a 1600×1000 window.
final class ShotcutWindowTests: PluginWorkspaceTestCase {
    /// A program running for the length of the test, stopped when it ends.
    final class Running {
        let process = Process()
        init(_ program: String, _ arguments: [String], environment: [String: String] = [:], output: Any? = nil) throws {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = arguments
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            if let output { process.standardOutput = output; process.standardError = output }
            try process.run()
        }
        deinit { if process.isRunning { process.terminate(); process.waitUntilExit() } }
    }

    /// Polls `condition` every half second for up to `seconds`.
    func wait(seconds: Double, until condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.5)
        }
        return try condition()
    }

    func testPanelOpensInShotcutAndItsControlsSetTheFilter() throws {
        for tool in ["/usr/bin/Xvfb", "/usr/bin/xdotool", ShotcutCopy.installed] {
            XCTAssertTrue(FileManager.default.isExecutableFile(atPath: tool), "\(tool) is missing (.ci/setup installs it)")
        }
        let shotcut = try ShotcutCopy.make(at: path("shotcut"))
        let clip = path("clip.mp4"), background = path("background.png"), project = path("project.mlt")
        try FFmpegTools.ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=320x240:r=25", "-t", "2", "-pix_fmt", "yuv420p", clip])
        try FFmpegTools.ffmpeg(["-f", "lavfi", "-i", "gradients=s=320x240", "-frames:v", "1", background])
        let model = EqrProcess.packageRoot.appendingPathComponent("examples/models/aligned-wide-64.safetensors").path
        try """
        <?xml version="1.0" encoding="utf-8"?>
        <mlt LC_NUMERIC="C" version="7.12.0" producer="clip">
          <profile width="320" height="240" progressive="1" sample_aspect_num="1" sample_aspect_den="1" display_aspect_num="4" display_aspect_den="3" frame_rate_num="25" frame_rate_den="1" colorspace="601"/>
          <producer id="clip" in="0" out="49">
            <property name="resource">\(clip)</property>
            <property name="mlt_service">avformat</property>
            <filter id="retarget">
              <property name="mlt_service">frei0r.equivariant</property>
              <property name="shotcut:filter">equivariantRetargeting</property>
              <property name="model">\(model)</property>
              <property name="background">\(background)</property>
              <property name="effect">swap</property>
            </filter>
          </producer>
        </mlt>
        """.write(toFile: project, atomically: true, encoding: .utf8)

        // The X server picks a free display and writes its number to standard output.
        let displayPipe = Pipe()
        let server = try Running("/usr/bin/Xvfb", ["-displayfd", "1", "-screen", "0", "1600x1000x24", "-nolisten", "tcp"], output: displayPipe)
        var number = ""
        while !number.hasSuffix("\n"), server.process.isRunning {
            let byte = displayPipe.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty { break }
            number += String(decoding: byte, as: UTF8.self)
        }
        let display = ":" + number.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertGreaterThan(display.count, 1, "Xvfb gave no display")
        let log = path("shotcut.log")
        FileManager.default.createFile(atPath: log, contents: nil)
        let editor = try Running(shotcut, ["--noupgrade", project],
                                 environment: ShotcutCopy.environment(home: path("home"), plugins: path("plugins")).merging(["DISPLAY": display]) { $1 },
                                 output: try FileHandle(forWritingTo: URL(fileURLWithPath: log)))
        func logText() -> String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
        func xdotool(_ arguments: [String]) throws -> EqrProcess {
            try EqrProcess.run(program: "/usr/bin/xdotool", arguments, environment: ["DISPLAY": display])
        }
        var window = ""
        let opened = try wait(seconds: 180) {
            window = try xdotool(["search", "--name", "project.mlt"]).standardOutput.split(separator: "\n").last.map(String.init) ?? ""
            return !window.isEmpty && logText().contains("MainWindow::open")
        }
        guard opened, editor.process.isRunning else { return XCTFail("Shotcut showed no window with the project:\n\(logText().suffix(3000))") }
        Thread.sleep(forTimeInterval: 3)
        XCTAssertEqual(try xdotool(["windowsize", window, "1600", "1000"]).status, 0)
        Thread.sleep(forTimeInterval: 3)

        func saved() -> String { (try? String(contentsOfFile: project, encoding: .utf8)) ?? "" }
        var set = false
        for _ in 0..<2 where !set {
            for (x, y) in [(103, 708), (402, 380), (402, 412)] {  // the Filters tab; the Effect list; its second entry
                XCTAssertEqual(try xdotool(["mousemove", "\(x)", "\(y)", "click", "1"]).status, 0)
                Thread.sleep(forTimeInterval: 3)
            }
            XCTAssertEqual(try xdotool(["key", "ctrl+s"]).status, 0)
            set = wait(seconds: 20) { saved().contains(#"<property name="effect">transform</property>"#) }
        }
        XCTAssertTrue(set, "the panel's Effect list did not set the filter's effect:\n\(saved())\n\(logText().suffix(3000))")
        // Shifts stay unset (the plugin's default applies) or are written as the default, 0.5.
        for shift in ["tx", "ty"] {
            if let range = saved().range(of: #"<property name="\#(shift)">"#) {
                XCTAssertTrue(saved()[range.upperBound...].hasPrefix("0.5<"), "\(shift): \(saved())")
            }
        }
        let panelErrors = logText().split(separator: "\n").filter { $0.contains("ui.qml:") || $0.contains("meta.qml:") }
        XCTAssertEqual(panelErrors, [], "QML errors from the panel")
    }
}
