import CFFmpeg
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Internal helpers shared by the readers and writers: error strings, dictionaries,
// rationals and AVFrame <-> Frame copies. Nothing here is public.

/// FFmpeg's message for an error code, from `av_strerror`.
func ffErrorString(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    eqr_strerror(code, &buffer, buffer.count)
    return String(cString: buffer)
}

/// `AVERROR(errno)` for the current `errno`.
func averrorFromErrno() -> Int32 { eqr_averror(errno) }

/// Builds an `AVDictionary` from Swift options. The caller frees it with `av_dict_free`.
func makeDictionary(_ options: [String: String]) -> OpaquePointer? {
    var dict: OpaquePointer? = nil
    // Sorted so that error reporting (first unused key) is deterministic.
    for key in options.keys.sorted() {
        av_dict_set(&dict, key, options[key]!, 0)
    }
    return dict
}

/// The entries left in a dictionary after an `*_open` call consumed the ones it knew.
func dictionaryEntries(_ dict: OpaquePointer?) -> [(String, String)] {
    var result: [(String, String)] = []
    var entry: UnsafeMutablePointer<AVDictionaryEntry>? = nil
    while true {
        entry = av_dict_get(dict, "", entry, AV_DICT_IGNORE_SUFFIX)
        guard let e = entry else { break }
        result.append((String(cString: e.pointee.key), String(cString: e.pointee.value)))
    }
    return result
}

/// A positive finite frame rate as an exact-enough rational (29.97 → 2997/100, 25 → 25/1).
func rational(fromFrameRate rate: Double) -> AVRational {
    let q = av_d2q(rate, 1_000_000)
    return q
}

/// `av_q2d` with a zero-denominator guard.
func seconds(_ q: AVRational) -> Double { eqr_q2d(q) }

/// Whether a rational is usable as a rate (both parts positive).
func isValidRate(_ q: AVRational) -> Bool { q.num > 0 && q.den > 0 }

/// The name of a pixel format, for filter arguments.
func pixelFormatName(_ format: AVPixelFormat) -> String {
    guard let name = av_get_pix_fmt_name(format) else { return "none" }
    return String(cString: name)
}

/// Copies a packed RGB24 `AVFrame` (any line size) into a new ``Frame``.
func makeFrame(fromRGB24 avFrame: UnsafeMutablePointer<AVFrame>, timestamp: Double, index: Int) -> Frame {
    let width = Int(avFrame.pointee.width)
    let height = Int(avFrame.pointee.height)
    let rowBytes = width * 3
    let lineSize = Int(avFrame.pointee.linesize.0)
    let base = avFrame.pointee.data.0!
    let bytes = [UInt8](unsafeUninitializedCapacity: rowBytes * height) { buffer, count in
        let dst = buffer.baseAddress!
        if lineSize == rowBytes {
            dst.update(from: base, count: rowBytes * height)
        } else {
            for y in 0..<height {
                (dst + y * rowBytes).update(from: base + y * lineSize, count: rowBytes)
            }
        }
        count = rowBytes * height
    }
    return Frame(uncheckedWidth: width, height: height, rgb8: bytes, timestamp: timestamp, index: index)
}

/// Fills `avFrame` (unreferenced on entry) with a fresh RGB24 buffer holding `frame`'s pixels.
/// Returns an FFmpeg error code (0 on success).
func fillRGB24(_ avFrame: UnsafeMutablePointer<AVFrame>, from frame: Frame, pts: Int64) -> Int32 {
    av_frame_unref(avFrame)
    avFrame.pointee.width = Int32(frame.width)
    avFrame.pointee.height = Int32(frame.height)
    avFrame.pointee.format = AV_PIX_FMT_RGB24.rawValue
    avFrame.pointee.sample_aspect_ratio = AVRational(num: 1, den: 1)
    let ret = av_frame_get_buffer(avFrame, 0)
    if ret < 0 { return ret }
    let rowBytes = frame.width * 3
    let lineSize = Int(avFrame.pointee.linesize.0)
    let dst = avFrame.pointee.data.0!
    frame.rgb8.withUnsafeBufferPointer { src in
        for y in 0..<frame.height {
            (dst + y * lineSize).update(from: src.baseAddress! + y * rowBytes, count: rowBytes)
        }
    }
    avFrame.pointee.pts = pts
    return 0
}

/// Fills `avFrame` (unreferenced on entry) with a fresh buffer holding a caller's RGB24,
/// RGBA or YUV 4:2:0 pixels. Returns an FFmpeg error code (0 on success).
func fill(_ avFrame: UnsafeMutablePointer<AVFrame>, from pixels: PixelBuffer, pts: Int64) -> Int32 {
    av_frame_unref(avFrame)
    avFrame.pointee.width = Int32(pixels.width)
    avFrame.pointee.height = Int32(pixels.height)
    let format: AVPixelFormat
    switch pixels.layout {
    case .yuv420p: format = AV_PIX_FMT_YUV420P
    case .rgba8: format = AV_PIX_FMT_RGBA
    case .rgb8: format = AV_PIX_FMT_RGB24
    }
    avFrame.pointee.format = format.rawValue
    avFrame.pointee.sample_aspect_ratio = AVRational(num: 1, den: 1)
    let ret = av_frame_get_buffer(avFrame, 0)
    if ret < 0 { return ret }
    let sources: [(base: UnsafeMutablePointer<UInt8>, stride: Int, width: Int, height: Int)] =
        pixels.layout == .yuv420p ? pixels.yuvPlanes
        : [(pixels.base.assumingMemoryBound(to: UInt8.self), pixels.stride, pixels.width * pixels.layout.bytesPerPixel, pixels.height)]
    let planes = [avFrame.pointee.data.0, avFrame.pointee.data.1, avFrame.pointee.data.2]
    let lineSizes = [avFrame.pointee.linesize.0, avFrame.pointee.linesize.1, avFrame.pointee.linesize.2]
    for (plane, source) in sources.enumerated() {
        let target = planes[plane]!, lineSize = Int(lineSizes[plane])
        for y in 0..<source.height { (target + y * lineSize).update(from: source.base + y * source.stride, count: source.width) }
    }
    avFrame.pointee.pts = pts
    return 0
}

/// The pixel formats an encoder lists (empty when it does not say).
func supportedPixelFormats(_ codec: UnsafePointer<AVCodec>) -> [AVPixelFormat] {
    var result: [AVPixelFormat] = []
    guard var p = codec.pointee.pix_fmts else { return result }
    while p.pointee != AV_PIX_FMT_NONE {
        result.append(p.pointee)
        p += 1
    }
    return result
}

/// Splits a path into (directory, file name).
func splitPath(_ path: String) -> (directory: String, name: String) {
    if let slash = path.lastIndex(of: "/") {
        let dir = String(path[..<slash])
        return (dir.isEmpty ? "/" : dir, String(path[path.index(after: slash)...]))
    }
    return (".", path)
}

/// The lower-cased extension of a path ("" when none).
func pathExtension(_ path: String) -> String {
    let name = splitPath(path).name
    guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
    return String(name[name.index(after: dot)...]).lowercased()
}

private let temporaryCounter = TemporaryCounter()

/// A process-wide counter for unique temporary names.
private final class TemporaryCounter: @unchecked Sendable {
    private var value = 0
    private var lock = pthread_mutex_t()
    init() { pthread_mutex_init(&lock, nil) }
    func next() -> Int {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        value += 1
        return value
    }
}

/// A hidden temporary name in the same directory as `path`, so that the final `rename`
/// is atomic (same file system): `dir/.name.<pid>-<n>.part`, the name cut to 200 bytes so
/// that the temporary's name stays within the 255 bytes a file name may have.
///
/// Temporaries of the same output left by a process that no longer runs (killed while
/// writing) are removed first; those of a live process are left alone.
func makeTemporaryPath(besides path: String) -> String {
    var (dir, name) = splitPath(path)
    while name.utf8.count > 200 { name.removeLast() }
    let unique = "\(getpid())-\(temporaryCounter.next())"
    let prefix = dir == "." && !path.hasPrefix("./") ? "" : (dir == "/" ? "/" : dir + "/")
    removeStaleTemporaries(in: dir, startingWith: ".\(name).")
    return "\(prefix).\(name).\(unique).part"
}

/// Removes `directory`'s files named `<start><pid>-<n>.part` whose process is gone.
private func removeStaleTemporaries(in directory: String, startingWith start: String) {
    guard let folder = opendir(directory) else { return }
    defer { closedir(folder) }
    var stale: [String] = []
    while let entry = readdir(folder) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        guard name.hasPrefix(start), name.hasSuffix(".part") else { continue }
        let middle = name.dropFirst(start.count).dropLast(".part".count)
        guard let dash = middle.firstIndex(of: "-"), let pid = Int32(middle[..<dash]), pid > 0, Int(middle[middle.index(after: dash)...]) != nil
        else { continue }
        if kill(pid, 0) != 0 && errno == ESRCH { stale.append(name) }
    }
    for name in stale { unlink(directory + "/" + name) }
}

/// Completes a muxed file written to `temporary` — the trailer, then the file closed when
/// `fileOpened` (set to false) — and renames it to `path`.
/// - Throws: `writeFailed` for the trailer or the close, or what ``commitTemporary(_:to:)`` throws.
func completeOutput(_ output: UnsafeMutablePointer<AVFormatContext>, fileOpened: inout Bool, temporary: String, path: String) throws {
    var ret = av_write_trailer(output)
    if ret < 0 { throw VideoIOError.writeFailed(path: path, code: ret, message: ffErrorString(ret)) }
    if fileOpened {
        ret = avio_closep(&output.pointee.pb)
        fileOpened = false
        if ret < 0 { throw VideoIOError.writeFailed(path: path, code: ret, message: ffErrorString(ret)) }
    }
    try commitTemporary(temporary, to: path)
}

/// Renames `temporary` to `final` atomically; on failure removes `temporary` and throws.
func commitTemporary(_ temporary: String, to final: String) throws {
    if rename(temporary, final) != 0 {
        let code = averrorFromErrno()
        unlink(temporary)
        throw VideoIOError.writeFailed(path: final, code: code, message: ffErrorString(code))
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename.
func writeFileAtomically(_ bytes: [UInt8], to path: String) throws {
    let temp = makeTemporaryPath(besides: path)
    let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    if fd < 0 {
        let code = averrorFromErrno()
        throw VideoIOError.outputOpenFailed(path: path, code: code, message: ffErrorString(code))
    }
    var written = 0
    var failure: Int32 = 0
    bytes.withUnsafeBytes { raw in
        while written < raw.count {
            let n = write(fd, raw.baseAddress! + written, raw.count - written)
            if n < 0 {
                if errno == EINTR { continue }
                failure = averrorFromErrno()
                return
            }
            written += n
        }
    }
    if close(fd) != 0 && failure == 0 { failure = averrorFromErrno() }
    if failure != 0 {
        unlink(temp)
        throw VideoIOError.writeFailed(path: path, code: failure, message: ffErrorString(failure))
    }
    try commitTemporary(temp, to: path)
}
