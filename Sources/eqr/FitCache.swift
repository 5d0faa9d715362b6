import EquivariantModel
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Tensors
import Training

/// The host's one-step `-fit BUDGET`: a model fitted to the character clip, cached by the
/// clip's content so that the next run on the same clip (with the same budget and start)
/// renders at once.
///
/// The cache folder is `$EQR_CACHE_DIR`, else `$XDG_CACHE_HOME/eqr/fits`, else
/// `~/.cache/eqr/fits`; each model is `<key>.safetensors`, written atomically.
enum FitCache {
    /// The cache folder (not created).
    static var directory: URL {
        let environment = ProcessInfo.processInfo.environment
        if let folder = environment["EQR_CACHE_DIR"], !folder.isEmpty { return URL(fileURLWithPath: folder) }
        if let folder = environment["XDG_CACHE_HOME"], !folder.isEmpty { return URL(fileURLWithPath: folder).appendingPathComponent("eqr/fits") }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/eqr/fits")
    }

    /// A key for a clip's content and the fit's settings: FNV-1a over the file size, its
    /// first and last MiB, the budget, the starting model's content and this version.
    static func key(clip: String, budget: String, initFrom: String?) throws -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ bytes: Data) { for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 } }
        func mixFile(_ path: String) throws {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            let size = try handle.seekToEnd()
            mix(Data("\(size)".utf8))
            try handle.seek(toOffset: 0)
            mix(try handle.read(upToCount: 1 << 20) ?? Data())
            if size > 1 << 20 {
                try handle.seek(toOffset: max(1 << 20, size - (1 << 20)))
                mix(try handle.read(upToCount: 1 << 20) ?? Data())
            }
        }
        try mixFile(clip)
        mix(Data("|\(budget)|\(ProductVersion.string)|".utf8))
        if let initFrom { try mixFile(initFrom) }
        return String(format: "%016llx", hash)
    }

    /// The cached model for `clip`, fitted first (for `budget`, from `initFrom` or from
    /// scratch) when the cache has none; Ctrl-C during the fit stops it and nothing is cached.
    static func model(for clip: String, budget: String, initFrom: String?, showProgress: Bool) throws -> URL {
        let folder = directory
        let url = folder.appendingPathComponent(try key(clip: clip, budget: budget, initFrom: initFrom) + ".safetensors")
        if FileManager.default.fileExists(atPath: url.path), (try? Checkpoint.load(contentsOf: url)) != nil {
            if showProgress { printError("eqr: using the model fitted to this clip before: \(url.path)") }
            return url
        }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw RuntimeError("cannot create the fit cache folder \(folder.path) (set EQR_CACHE_DIR to another folder): \(error.localizedDescription)")
        }
        // The fit trains into a side file; only a finished fit gets the cache's name.
        let partial = folder.appendingPathComponent(url.deletingPathExtension().lastPathComponent + ".fitting.safetensors")
        var options = ClipFit.Options(clips: [clip], output: partial)
        options.timeBudget = try FitBudget.parse(budget)
        options.initFrom = initFrom.map { URL(fileURLWithPath: $0) }
        InterruptRequest.install()
        // Rendering follows the fit: Ctrl-C must end it as before.
        defer { InterruptRequest.uninstall() }
        options.shouldStop = { InterruptRequest.isRequested }
        if showProgress { printError("eqr: fitting a model to \(clip) for \(budget) (cached in \(folder.path))") }
        let outcome = try ClipFit(options: options).run { entry, elapsed in
            guard showProgress else { return }
            FileHandle.standardError.write(Data(("\r" + FitBudget.progressLine(entry, elapsed: elapsed, budget: options.timeBudget, steps: nil, batch: options.batchSize) + "   ").utf8))
        }
        if showProgress { printError("") }
        guard outcome.ending != .stopped else {
            try? FileManager.default.removeItem(at: partial)
            throw RuntimeError("interrupted while fitting; nothing was rendered or cached")
        }
        // rename(2) replaces the name in one step: a reader sees the old model or the new one.
        guard rename(partial.path, url.path) == 0 else {
            throw RuntimeError("cannot move the fitted model into the cache at \(url.path): \(String(cString: strerror(errno)))")
        }
        return url
    }
}
