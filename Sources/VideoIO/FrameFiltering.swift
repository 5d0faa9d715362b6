import CFFmpeg

extension Frame {
    /// This frame resized by libswscale (through libavfilter's `scale` filter).
    /// - Throws: `invalidArgument` for a non-positive size, `filterFailed` if FFmpeg fails.
    public func resized(width newWidth: Int, height newHeight: Int, scaling: ScaleAlgorithm = .bicubic) throws -> Frame {
        guard newWidth > 0, newHeight > 0, newWidth <= 16384, newHeight <= 16384 else {
            throw VideoIOError.invalidArgument("size \(newWidth)x\(newHeight) out of range")
        }
        if newWidth == width && newHeight == height { return self }
        return try filtered(nil, tail: [FilterStep(name: "scale", arguments: "w=\(newWidth):h=\(newHeight):flags=\(scaling.rawValue)")])
    }

    /// This frame run through a filter chain in FFmpeg's `-vf` syntax (e.g. `"hflip"`,
    /// `"crop=32:32:0:0,vflip"`, `"drawtext=text=hi:fontcolor=white"`), as a one-frame video.
    /// The chain must produce at least one frame; the first is returned.
    /// - Throws: `unknownFilter`, `filterFailed`, ``VideoIOError/noFrames(path:)``.
    public func filtered(_ chain: String) throws -> Frame {
        try filtered(chain, tail: [])
    }

    private func filtered(_ chain: String?, tail: [FilterStep]) throws -> Frame {
        let graph = try FilterGraph(
            input: FilterInput(width: Int32(width), height: Int32(height), pixelFormat: AV_PIX_FMT_RGB24,
                               timeBase: AVRational(num: 1, den: 25), sampleAspect: AVRational(num: 1, den: 1),
                               frameRate: AVRational(num: 25, den: 1)),
            chain: chain, tail: tail + [FilterStep(name: "format", arguments: "pix_fmts=rgb24")], threads: 1)
        var avFrame = av_frame_alloc()
        defer { av_frame_free(&avFrame) }
        guard let f = avFrame else {
            throw VideoIOError.filterFailed(chain: graph.chainDescription, code: EQR_AVERROR_ENOMEM, message: ffErrorString(EQR_AVERROR_ENOMEM))
        }
        let ret = fillRGB24(f, from: self, pts: 0)
        if ret < 0 { throw VideoIOError.filterFailed(chain: graph.chainDescription, code: ret, message: ffErrorString(ret)) }
        try graph.push(f)
        try graph.push(nil)
        guard try graph.pull(into: f) == .frame else { throw VideoIOError.noFrames(path: "filter:" + graph.chainDescription) }
        defer { av_frame_unref(f) }
        return makeFrame(fromRGB24: f, timestamp: timestamp, index: index)
    }
}
