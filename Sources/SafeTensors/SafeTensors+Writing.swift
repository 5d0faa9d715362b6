import Foundation
import Tensors

#if canImport(Glibc)
import Glibc
#endif

extension SafeTensors {
    /// The safetensors bytes for `tensors` and `metadata` (see the type's documentation
    /// for the exact layout). Equal inputs give identical bytes.
    ///
    /// - Throws: `SafeTensorsError.reservedName` for a tensor named `__metadata__`,
    ///   `.inconsistentTensor` for a tensor whose scalar count disagrees with its shape,
    ///   `.shapeOverflow` if the data size overflows, and `.headerTooLarge` if the header
    ///   would exceed `maximumHeaderByteCount` (no reader would accept it).
    public static func encode(_ tensors: [String: Tensor], metadata: [String: String]) throws -> [UInt8] {
        let names = tensors.keys.sorted(by: utf8Precedes)
        var json: [UInt8] = []
        json.append(contentsOf: Array("{\"__metadata__\":{".utf8))
        for (index, key) in metadata.keys.sorted(by: utf8Precedes).enumerated() {
            if index > 0 { json.append(UInt8(ascii: ",")) }
            appendJSONString(key, to: &json)
            json.append(UInt8(ascii: ":"))
            appendJSONString(metadata[key]!, to: &json)
        }
        json.append(UInt8(ascii: "}"))

        var dataByteCount = 0
        for name in names {
            let tensor = tensors[name]!
            if name == "__metadata__" { throw SafeTensorsError.reservedName(name) }
            var elements = 1
            for extent in tensor.shape {
                let (product, overflow) = elements.multipliedReportingOverflow(by: extent)
                if overflow || extent < 0 { throw SafeTensorsError.shapeOverflow(tensor: name, shape: tensor.shape) }
                elements = product
            }
            guard elements == tensor.scalars.count else {
                throw SafeTensorsError.inconsistentTensor(name: name, shape: tensor.shape, scalarCount: tensor.scalars.count)
            }
            let (byteCount, overflow1) = elements.multipliedReportingOverflow(by: 4)
            let (end, overflow2) = dataByteCount.addingReportingOverflow(byteCount)
            if overflow1 || overflow2 { throw SafeTensorsError.shapeOverflow(tensor: name, shape: tensor.shape) }
            json.append(UInt8(ascii: ","))
            appendJSONString(name, to: &json)
            let shapeText = tensor.shape.map(String.init).joined(separator: ",")
            json.append(contentsOf: Array(":{\"dtype\":\"F32\",\"shape\":[\(shapeText)],\"data_offsets\":[\(dataByteCount),\(end)]}".utf8))
            dataByteCount = end
        }
        json.append(UInt8(ascii: "}"))
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        guard json.count <= maximumHeaderByteCount else {
            throw SafeTensorsError.headerTooLarge(declared: UInt64(json.count), limit: maximumHeaderByteCount)
        }

        var output: [UInt8] = []
        output.reserveCapacity(8 + json.count + dataByteCount)
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { output.append(contentsOf: $0) }
        output.append(contentsOf: json)
        for name in names {
            let scalars = tensors[name]!.scalars
            #if _endian(little)
            scalars.withUnsafeBytes { output.append(contentsOf: $0) }
            #else
            for value in scalars {
                var bits = value.bitPattern.littleEndian
                withUnsafeBytes(of: &bits) { output.append(contentsOf: $0) }
            }
            #endif
        }
        return output
    }

    /// The hidden temporary name for writing `destination` from process `pid`:
    /// `.<name>.<pid>-<random>.tmp`, the name cut so the whole stays within 255 bytes.
    static func temporaryName(for destination: URL, pid: Int32) -> String {
        temporaryPrefix(for: destination) + "\(pid)-\(String(UInt32.random(in: 0...UInt32.max), radix: 16)).tmp"
    }

    /// `.<name>.`, the name cut to 200 bytes.
    static func temporaryPrefix(for destination: URL) -> String {
        var stem = destination.lastPathComponent
        while stem.utf8.count > 200 { stem.removeLast() }
        return ".\(stem)."
    }

    /// Removes temporaries of `destination` left by writers that were killed mid-write
    /// (their process is gone); those of live processes are left alone.
    static func removeStaleTemporaries(of destination: URL) {
        let directory = destination.deletingLastPathComponent()
        let prefix = temporaryPrefix(for: destination)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return }
        for name in names where name.hasPrefix(prefix) && name.hasSuffix(".tmp") {
            let middle = name.dropFirst(prefix.count).dropLast(".tmp".count)
            guard let dash = middle.firstIndex(of: "-"), let pid = Int32(middle[..<dash]), pid > 0 else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
            }
        }
    }

    /// Writes `tensors` and `metadata` to `url` atomically.
    ///
    /// The bytes go to a temporary file in the destination's directory, which is flushed to
    /// disk (`fsync`) and then renamed over `url`; the directory is then flushed too. On any
    /// failure the temporary file is removed and an existing file at `url` is left exactly as
    /// it was. If `url` is a symbolic link, the link itself is replaced; the new file gets
    /// default permissions (0644 less the umask), not those of the file it replaces.
    ///
    /// - Throws: the errors of `encode(_:metadata:)`, or `SafeTensorsError.writeFailed`.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String], to url: URL) throws {
        let bytes = try encode(tensors, metadata: metadata)
        let destination = url.standardizedFileURL
        let directory = destination.deletingLastPathComponent()
        removeStaleTemporaries(of: destination)
        let temporary = directory.appendingPathComponent(temporaryName(for: destination, pid: getpid()))
        var created = false
        do {
            guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
                throw SafeTensorsError.writeFailed(
                    path: destination.path,
                    reason: "cannot create a temporary file in \(directory.path)")
            }
            created = true
            let handle = try FileHandle(forWritingTo: temporary)
            do {
                let chunk = 1 << 24
                var offset = 0
                while offset < bytes.count {
                    let end = min(offset + chunk, bytes.count)
                    try handle.write(contentsOf: bytes[offset..<end])
                    offset = end
                }
                try handle.synchronize()
            } catch {
                try? handle.close()
                throw error
            }
            try handle.close()
            guard rename(temporary.path, destination.path) == 0 else {
                let reason = String(cString: strerror(errno))
                throw SafeTensorsError.writeFailed(
                    path: destination.path, reason: "cannot rename the temporary file over it (\(reason))")
            }
            created = false
        } catch {
            if created { try? FileManager.default.removeItem(at: temporary) }
            if let error = error as? SafeTensorsError { throw error }
            throw SafeTensorsError.writeFailed(path: destination.path, reason: "\(error)")
        }
        // Make the rename itself durable; the data is already safe, so this is best effort.
        if let handle = try? FileHandle(forReadingFrom: directory) {
            try? handle.synchronize()
            try? handle.close()
        }
    }

    /// Appends `text` as a JSON string literal.
    private static func appendJSONString(_ text: String, to json: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        json.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): json.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): json.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: json.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: json.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: json.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                json.append(contentsOf: Array("\\u00".utf8))
                json.append(hex[Int(byte >> 4)])
                json.append(hex[Int(byte & 0xF)])
            default: json.append(byte)
            }
        }
        json.append(UInt8(ascii: "\""))
    }
}
