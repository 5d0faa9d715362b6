import CFFmpeg

/// Copies the audio stream of an input file into an output being written, without
/// re-encoding (`ffmpeg -c:a copy`), interleaved with the video as it is written and cut at
/// the video's end.
final class AudioPassthrough {
    private var input: UnsafeMutablePointer<AVFormatContext>?
    private let streamIndex: Int32
    private let inputTimeBase: AVRational
    private let startTime: Int64
    private var outputStream: UnsafeMutablePointer<AVStream>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var hasPendingPacket = false
    private var isExhausted = false
    private let path: String

    /// Opens `path`; nil when it has no audio stream. The first `skipping` seconds are
    /// dropped (whole packets, as `ffmpeg -ss … -c:a copy` cuts), and the rest starts at 0.
    static func open(path: String, skipping: Double = 0) throws -> AudioPassthrough? {
        var context: UnsafeMutablePointer<AVFormatContext>? = nil
        var ret = avformat_open_input(&context, path, nil, nil)
        guard ret >= 0, let input = context else {
            throw VideoIOError.openFailed(path: path, code: ret, message: ffErrorString(ret))
        }
        ret = avformat_find_stream_info(input, nil)
        let index = av_find_best_stream(input, AVMEDIA_TYPE_AUDIO, -1, -1, nil, 0)
        guard ret >= 0, index >= 0 else {
            avformat_close_input(&context)
            return nil
        }
        return AudioPassthrough(input: input, streamIndex: index, path: path, skipping: skipping)
    }

    private init(input: UnsafeMutablePointer<AVFormatContext>, streamIndex: Int32, path: String, skipping: Double) {
        self.input = input
        self.streamIndex = streamIndex
        self.path = path
        let stream = input.pointee.streams[Int(streamIndex)]!
        inputTimeBase = stream.pointee.time_base
        let first = stream.pointee.start_time == EQR_AV_NOPTS_VALUE ? 0 : stream.pointee.start_time
        startTime = first + Int64((skipping / eqr_q2d(inputTimeBase)).rounded())
        packet = av_packet_alloc()
    }

    deinit {
        avformat_close_input(&input)
        av_packet_free(&packet)
    }

    /// Adds the copied stream to an output before its header is written.
    func addStream(to output: UnsafeMutablePointer<AVFormatContext>) throws {
        let source = input!.pointee.streams[Int(streamIndex)]!
        let codecID = source.pointee.codecpar.pointee.codec_id
        guard avformat_query_codec(output.pointee.oformat, codecID, FF_COMPLIANCE_NORMAL) == 1 else {
            let codec = String(cString: avcodec_get_name(codecID))
            let muxer = String(cString: output.pointee.oformat.pointee.name)
            throw VideoIOError.invalidArgument("the \(muxer) container cannot hold the \(codec) audio of \(path); choose another output format or drop the audio")
        }
        guard let stream = avformat_new_stream(output, nil), packet != nil else {
            throw VideoIOError.invalidArgument("cannot add an audio stream (out of memory)")
        }
        let ret = avcodec_parameters_copy(stream.pointee.codecpar, source.pointee.codecpar)
        if ret < 0 { throw VideoIOError.invalidArgument("cannot copy the audio parameters of \(path): \(ffErrorString(ret))") }
        stream.pointee.codecpar.pointee.codec_tag = 0
        stream.pointee.time_base = inputTimeBase
        outputStream = stream
    }

    /// Writes every audio packet that starts before `seconds` (from the input's start).
    func copy(upTo seconds: Double, write: (UnsafeMutablePointer<AVPacket>) throws -> Void) throws {
        guard let input, let packet, let outputStream, !isExhausted else { return }
        while true {
            if !hasPendingPacket {
                let ret = av_read_frame(input, packet)
                if ret < 0 {
                    // End of file or a damaged tail: the audio simply ends here.
                    isExhausted = true
                    return
                }
                if packet.pointee.stream_index != streamIndex {
                    av_packet_unref(packet)
                    continue
                }
                hasPendingPacket = true
            }
            let pts = packet.pointee.pts == EQR_AV_NOPTS_VALUE ? packet.pointee.dts : packet.pointee.pts
            if pts != EQR_AV_NOPTS_VALUE && pts < startTime {
                // Before the skipped start.
                hasPendingPacket = false
                av_packet_unref(packet)
                continue
            }
            if pts != EQR_AV_NOPTS_VALUE && Double(pts - startTime) * eqr_q2d(inputTimeBase) >= seconds { return }
            if packet.pointee.pts != EQR_AV_NOPTS_VALUE { packet.pointee.pts -= startTime }
            if packet.pointee.dts != EQR_AV_NOPTS_VALUE { packet.pointee.dts -= startTime }
            av_packet_rescale_ts(packet, inputTimeBase, outputStream.pointee.time_base)
            packet.pointee.stream_index = outputStream.pointee.index
            packet.pointee.pos = -1
            hasPendingPacket = false
            try write(packet)
            av_packet_unref(packet)
        }
    }
}
