import CFFmpeg
import Foundation

/// Joins video files encoded separately — consecutive segments of one clip, each encoded
/// from its own first frame with the same encoder settings — into one file without
/// re-encoding (`ffmpeg -f concat -c copy`): every part's video packets in order, each
/// part's timestamps moved by the frames before it, with the audio of another file copied
/// in as ``VideoWriter`` copies it (``AudioPassthrough``). The output appears under its
/// name only when complete.
public enum SegmentJoiner {
    /// Writes `parts` (paths, in order; each holds one video stream and `frameCounts[k]`
    /// frames at `frameRate`) one after another into `path`, with the audio of `audioSource`
    /// (none when nil or when it has no audio) from `audioSkipping` seconds on, cut where the
    /// video ends. Parts must share codec parameters (the first part's are the output's).
    /// - Throws: ``VideoIOError``: `openFailed` for a part that cannot be read, `invalidArgument`
    ///   for parts that differ in codec or size, `outputOpenFailed` / `writeFailed` for the output
    ///   (nothing is left under its name).
    public static func join(parts: [String], frameCounts: [Int], frameRate: Double, into path: String,
                            audioFrom audioSource: String? = nil, audioSkipping: Double = 0) throws {
        guard !parts.isEmpty, parts.count == frameCounts.count else {
            throw VideoIOError.invalidArgument("joining needs one frame count per part (\(parts.count) parts, \(frameCounts.count) counts)")
        }
        let inputs = try parts.map { try PartInput(path: $0) }
        let first = inputs[0]
        for input in inputs.dropFirst() where !input.matches(first) {
            throw VideoIOError.invalidArgument("\(input.path) was encoded differently from \(first.path) (codec or frame size); segments must share encoder settings")
        }
        let temporary = makeTemporaryPath(besides: path)
        var context: UnsafeMutablePointer<AVFormatContext>? = nil
        var ret = avformat_alloc_output_context2(&context, nil, nil, path)
        guard ret >= 0, let output = context else { throw VideoIOError.outputOpenFailed(path: path, code: ret, message: ffErrorString(ret)) }
        var opened = false
        defer {
            if opened { avio_closep(&output.pointee.pb) }
            avformat_free_context(output)
        }
        do {
            guard let stream = avformat_new_stream(output, nil) else {
                throw VideoIOError.outputOpenFailed(path: path, code: EQR_AVERROR_ENOMEM, message: ffErrorString(EQR_AVERROR_ENOMEM))
            }
            ret = avcodec_parameters_copy(stream.pointee.codecpar, first.stream.pointee.codecpar)
            if ret < 0 { throw VideoIOError.outputOpenFailed(path: path, code: ret, message: ffErrorString(ret)) }
            stream.pointee.codecpar.pointee.codec_tag = 0
            stream.pointee.time_base = first.stream.pointee.time_base
            stream.pointee.avg_frame_rate = rational(fromFrameRate: frameRate)
            let audio = try audioSource.flatMap { try AudioPassthrough.open(path: $0, skipping: audioSkipping) }
            try audio?.addStream(to: output)
            if output.pointee.oformat.pointee.flags & AVFMT_NOFILE == 0 {
                ret = avio_open(&output.pointee.pb, temporary, AVIO_FLAG_WRITE)
                if ret < 0 { throw VideoIOError.outputOpenFailed(path: path, code: ret, message: ffErrorString(ret)) }
                opened = true
            }
            ret = avformat_write_header(output, nil)
            if ret < 0 { throw VideoIOError.writeFailed(path: path, code: ret, message: ffErrorString(ret)) }
            let write = { (packet: UnsafeMutablePointer<AVPacket>) throws in
                let status = av_interleaved_write_frame(output, packet)
                if status < 0 { throw VideoIOError.writeFailed(path: path, code: status, message: ffErrorString(status)) }
            }
            let outputBase = stream.pointee.time_base
            var framesBefore = 0
            for (input, count) in zip(inputs, frameCounts) {
                // The frames before this part, in the output stream's time base.
                let offset = av_rescale_q(Int64(framesBefore), av_inv_q(rational(fromFrameRate: frameRate)), outputBase)
                try input.forEachVideoPacket { packet in
                    av_packet_rescale_ts(packet, input.stream.pointee.time_base, outputBase)
                    if packet.pointee.pts != EQR_AV_NOPTS_VALUE { packet.pointee.pts += offset }
                    if packet.pointee.dts != EQR_AV_NOPTS_VALUE { packet.pointee.dts += offset }
                    packet.pointee.stream_index = stream.pointee.index
                    packet.pointee.pos = -1
                    let time = packet.pointee.dts == EQR_AV_NOPTS_VALUE ? packet.pointee.pts : packet.pointee.dts
                    if time != EQR_AV_NOPTS_VALUE { try audio?.copy(upTo: Double(time) * eqr_q2d(outputBase), write: write) }
                    try write(packet)
                }
                framesBefore += count
            }
            try audio?.copy(upTo: Double(framesBefore) / frameRate, write: write)
            try completeOutput(output, fileOpened: &opened, temporary: temporary, path: path)
        } catch {
            unlink(temporary)
            throw error
        }
    }
}

/// One part being joined: its demuxer and its video stream.
private final class PartInput {
    let path: String
    private var context: UnsafeMutablePointer<AVFormatContext>?
    let stream: UnsafeMutablePointer<AVStream>

    init(path: String) throws {
        self.path = path
        var ret = avformat_open_input(&context, path, nil, nil)
        guard ret >= 0, let input = context else { throw VideoIOError.openFailed(path: path, code: ret, message: ffErrorString(ret)) }
        ret = avformat_find_stream_info(input, nil)
        let index = av_find_best_stream(input, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
        guard ret >= 0, index >= 0 else {
            avformat_close_input(&context)
            throw VideoIOError.openFailed(path: path, code: ret < 0 ? ret : index, message: "no video stream")
        }
        stream = input.pointee.streams[Int(index)]!
    }

    deinit { avformat_close_input(&context) }

    /// Whether this part's video was encoded as `other`'s (codec, size, pixel format).
    func matches(_ other: PartInput) -> Bool {
        let a = stream.pointee.codecpar.pointee, b = other.stream.pointee.codecpar.pointee
        return a.codec_id == b.codec_id && a.width == b.width && a.height == b.height && a.format == b.format
    }

    /// Calls `body` with each packet of the video stream, in file order.
    func forEachVideoPacket(_ body: (UnsafeMutablePointer<AVPacket>) throws -> Void) throws {
        guard let input = context, let packet = av_packet_alloc() else { return }
        defer { var p: UnsafeMutablePointer<AVPacket>? = packet; av_packet_free(&p) }
        while true {
            let ret = av_read_frame(input, packet)
            if ret == EQR_AVERROR_EOF { return }
            if ret < 0 { throw VideoIOError.openFailed(path: path, code: ret, message: ffErrorString(ret)) }
            defer { av_packet_unref(packet) }
            if packet.pointee.stream_index == stream.pointee.index { try body(packet) }
        }
    }
}
