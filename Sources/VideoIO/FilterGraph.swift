import CFFmpeg

/// The parameters of the frames entering a filter graph through its `buffer` source.
struct FilterInput {
    var width: Int32
    var height: Int32
    var pixelFormat: AVPixelFormat
    var timeBase: AVRational
    var sampleAspect: AVRational
    var frameRate: AVRational
}

/// One filter appended by the library after the user's chain (e.g. `scale`, `format`).
struct FilterStep {
    var name: String
    var arguments: String
}

/// A libavfilter graph: `buffer` source (or a source filter inside the chain) → fixed head
/// steps → the user's `-vf`-style chain → fixed tail steps (scale, format) → `buffersink`.
///
/// The user's chain is parsed by libavfilter itself (`avfilter_graph_parse_ptr`), so any
/// stock filter and FFmpeg's own syntax (labels, `;`, quoting, escaping) work. The tail steps
/// are created and linked directly, so they never interfere with the user's syntax.
final class FilterGraph {
    private var graph: UnsafeMutablePointer<AVFilterGraph>?
    private var source: UnsafeMutablePointer<AVFilterContext>?
    private var sink: UnsafeMutablePointer<AVFilterContext>?
    /// The description reported in errors.
    let chainDescription: String
    /// The input parameters (nil for a graph that generates its own frames).
    let input: FilterInput?

    /// Builds and configures the graph.
    /// - Parameters:
    ///   - input: parameters of the frames pushed in; nil when `chain` starts with a source
    ///     filter (e.g. `testsrc2=size=320x240`).
    ///   - chain: the user's filter chain, may be nil or empty.
    ///   - head: filters inserted between the source and the chain, in order (needs `input`).
    ///   - tail: filters appended after the chain, in order.
    init(input: FilterInput?, head: [FilterStep] = [], chain: String?, tail: [FilterStep], threads: Int = 0) throws {
        let userChain = chain?.trimmingWhitespace() ?? ""
        self.input = input
        self.chainDescription = (head.map { "\($0.name)=\($0.arguments)" } + [userChain] + tail.map { "\($0.name)=\($0.arguments)" })
            .filter { !$0.isEmpty }.joined(separator: ",")
        if !userChain.isEmpty {
            for name in FilterGraph.filterNames(in: userChain) where avfilter_get_by_name(name) == nil {
                throw VideoIOError.unknownFilter(name: name, chain: userChain)
            }
        }
        guard let g = avfilter_graph_alloc() else {
            throw VideoIOError.filterFailed(chain: chainDescription, code: EQR_AVERROR_ENOMEM,
                                            message: ffErrorString(EQR_AVERROR_ENOMEM))
        }
        graph = g
        g.pointee.nb_threads = Int32(max(0, threads))
        do {
            try build(graph: g, head: head, userChain: userChain, tail: tail)
        } catch {
            avfilter_graph_free(&graph)
            throw error
        }
    }

    deinit {
        avfilter_graph_free(&graph)
    }

    private func fail(_ code: Int32) -> VideoIOError {
        .filterFailed(chain: chainDescription, code: code, message: ffErrorString(code))
    }

    private func build(graph g: UnsafeMutablePointer<AVFilterGraph>, head headSteps: [FilterStep],
                       userChain: String, tail: [FilterStep]) throws {
        var ret: Int32
        if let input = input {
            var args = "video_size=\(input.width)x\(input.height):pix_fmt=\(input.pixelFormat.rawValue)"
            args += ":time_base=\(input.timeBase.num)/\(max(1, input.timeBase.den))"
            let sar = input.sampleAspect.num > 0 && input.sampleAspect.den > 0 ? input.sampleAspect : AVRational(num: 1, den: 1)
            args += ":pixel_aspect=\(sar.num)/\(sar.den)"
            if isValidRate(input.frameRate) {
                args += ":frame_rate=\(input.frameRate.num)/\(input.frameRate.den)"
            }
            ret = avfilter_graph_create_filter(&source, avfilter_get_by_name("buffer"), "in", args, nil, g)
            if ret < 0 { throw fail(ret) }
        }
        ret = avfilter_graph_create_filter(&sink, avfilter_get_by_name("buffersink"), "out", nil, nil, g)
        if ret < 0 { throw fail(ret) }

        func create(_ steps: [FilterStep], prefix: String) throws -> [UnsafeMutablePointer<AVFilterContext>] {
            var contexts: [UnsafeMutablePointer<AVFilterContext>] = []
            for (i, step) in steps.enumerated() {
                guard let filter = avfilter_get_by_name(step.name) else {
                    throw VideoIOError.unknownFilter(name: step.name, chain: chainDescription)
                }
                var ctx: UnsafeMutablePointer<AVFilterContext>? = nil
                ret = avfilter_graph_create_filter(&ctx, filter, "\(prefix)\(i)", step.arguments, nil, g)
                if ret < 0 { throw fail(ret) }
                contexts.append(ctx!)
            }
            return contexts
        }
        // Head: source → head steps. Tail: tail steps → sink. Each linked in order.
        if !headSteps.isEmpty && source == nil {
            throw VideoIOError.invalidArgument("head filters need a buffer source")
        }
        let headContexts = try create(headSteps, prefix: "eqr_head")
        let tailContexts = try create(tail, prefix: "eqr_tail")
        let headChain = (source.map { [$0] } ?? []) + headContexts
        for (a, b) in zip(headChain, headChain.dropFirst()) {
            ret = avfilter_link(a, 0, b, 0)
            if ret < 0 { throw fail(ret) }
        }
        for (a, b) in zip(tailContexts, tailContexts.dropFirst() + [sink!]) {
            ret = avfilter_link(a, 0, b, 0)
            if ret < 0 { throw fail(ret) }
        }
        let head = tailContexts.first ?? sink!
        let chainInput = headChain.last

        if userChain.isEmpty {
            guard let src = chainInput else {
                throw VideoIOError.invalidArgument("a filter graph without input needs a source filter")
            }
            ret = avfilter_link(src, 0, head, 0)
            if ret < 0 { throw fail(ret) }
        } else {
            // Open ends of the user's chain: its unlabelled input connects to "in" (our source),
            // its unlabelled output to "out" (the head of the tail).
            var outputs: UnsafeMutablePointer<AVFilterInOut>? = nil
            var inputs: UnsafeMutablePointer<AVFilterInOut>? = avfilter_inout_alloc()
            defer {
                avfilter_inout_free(&inputs)
                avfilter_inout_free(&outputs)
            }
            guard let inp = inputs else { throw fail(EQR_AVERROR_ENOMEM) }
            inp.pointee.name = av_strdup("out")
            inp.pointee.filter_ctx = head
            inp.pointee.pad_idx = 0
            inp.pointee.next = nil
            if let src = chainInput {
                outputs = avfilter_inout_alloc()
                guard let out = outputs else { throw fail(EQR_AVERROR_ENOMEM) }
                out.pointee.name = av_strdup("in")
                out.pointee.filter_ctx = src
                out.pointee.pad_idx = 0
                out.pointee.next = nil
            }
            ret = avfilter_graph_parse_ptr(g, userChain, &inputs, &outputs, nil)
            if ret < 0 { throw fail(ret) }
            // Anything left open means the chain's inputs/outputs did not match ours.
            if inputs != nil || outputs != nil {
                throw VideoIOError.filterFailed(
                    chain: chainDescription, code: EQR_AVERROR_EINVAL,
                    message: ffErrorString(EQR_AVERROR_EINVAL) + " (the chain must have exactly one unconnected input and output)")
            }
        }
        ret = avfilter_graph_config(g, nil)
        if ret < 0 { throw fail(ret) }
    }

    /// Width of the frames leaving the graph.
    var outputWidth: Int { Int(av_buffersink_get_w(sink)) }
    /// Height of the frames leaving the graph.
    var outputHeight: Int { Int(av_buffersink_get_h(sink)) }
    /// Pixel format of the frames leaving the graph.
    var outputFormat: AVPixelFormat { AVPixelFormat(rawValue: av_buffersink_get_format(sink)) }
    /// Time base of the output timestamps.
    var outputTimeBase: AVRational { av_buffersink_get_time_base(sink) }
    /// Frame rate the graph reports for its output (0/1 when unknown).
    var outputFrameRate: AVRational { av_buffersink_get_frame_rate(sink) }

    /// Pushes a frame (its references are moved into the graph and `frame` is reset), or
    /// signals end of input when `frame` is nil.
    func push(_ frame: UnsafeMutablePointer<AVFrame>?) throws {
        guard let src = source else { return }
        let ret = av_buffersrc_add_frame_flags(src, frame, 0)
        if ret < 0 { throw fail(ret) }
    }

    /// The result of pulling from the graph.
    enum PullResult { case frame, needInput, endOfStream }

    /// Pulls one output frame into `frame` (which must be unreferenced).
    func pull(into frame: UnsafeMutablePointer<AVFrame>) throws -> PullResult {
        let ret = av_buffersink_get_frame(sink, frame)
        if ret >= 0 { return .frame }
        if ret == EQR_AVERROR_EAGAIN { return .needInput }
        if ret == EQR_AVERROR_EOF { return .endOfStream }
        throw fail(ret)
    }

    /// The filter names in a chain in FFmpeg's filtergraph syntax, found with the same
    /// quoting and escaping rules libavfilter uses: filters are separated by unquoted,
    /// unescaped `,` or `;`; a filter may start with `[label]`s; its name ends at `=`, `@`,
    /// `[` or the end. Used to report an unknown filter by name.
    static func filterNames(in chain: String) -> [String] {
        var names: [String] = []
        var segment = ""
        var inQuote = false
        var escaped = false
        func flush() {
            var s = Substring(segment).drop { $0.isWhitespace }
            while s.first == "[" {
                guard let close = s.firstIndex(of: "]") else { break }
                s = s[s.index(after: close)...].drop { $0.isWhitespace }
            }
            let name = s.prefix { !"=@[ \t\n\r".contains($0) }
            // `sws_flags=...;` at the start of a graph is a graph option, not a filter.
            if !name.isEmpty && name != "sws_flags" { names.append(String(name)) }
            segment = ""
        }
        for ch in chain {
            if escaped { escaped = false; segment.append(ch); continue }
            if ch == "\\" { escaped = true; segment.append(ch); continue }
            if ch == "'" { inQuote.toggle(); segment.append(ch); continue }
            if !inQuote && (ch == "," || ch == ";") { flush(); continue }
            segment.append(ch)
        }
        flush()
        return names
    }
}

extension String {
    /// The string without leading and trailing whitespace.
    func trimmingWhitespace() -> String {
        let scalars = Substring(self).drop { $0.isWhitespace }
        var end = scalars.endIndex
        while end > scalars.startIndex, scalars[scalars.index(before: end)].isWhitespace {
            end = scalars.index(before: end)
        }
        return String(scalars[scalars.startIndex..<end])
    }
}
