import ArgumentParser
import Retargeting

/// The ffmpeg-style host's options (everything but the output, which comes last): `-i`, `-m`,
/// `-effect` and the rest. ``HostCommand`` parses them; ``CompletionTree`` offers them to
/// shells at the top level of `eqr`.
struct HostOptions: ParsableArguments {
    @Option(name: .customShort("i"), help: "Input: first the character video, then the background (image or video).", completion: .file())
    var inputs: [String] = []
    @Option(name: .customShort("m"), help: "Model checkpoint: a path, or a name that `eqr models` lists (`default` is aligned-photo-128); with -fit, the layered model the fit starts from.", completion: .file(extensions: ["safetensors"])) var model: String?
    @Option(name: .customLong("fit", withSingleDash: true), help: "Fit a model to the character clip for this long first (e.g. 5m), or reuse the one fitted before (cached by the clip's content).") var fit: String?
    @Option(name: .customLong("effect", withSingleDash: true), help: "swap | reconstruct | matte | cutout | transform=... | transfer=template=FILE", completion: .list(["swap", "reconstruct", "matte", "cutout", "transform=", "transfer=template="])) var effect = "swap"
    @Option(name: .customLong("vf:0", withSingleDash: true), help: "Filter chain on the character input, before the model.") var preFilter: String?
    @Option(name: .customLong("vf:1", withSingleDash: true), help: "Filter chain on the background input, before the model.") var backgroundFilter: String?
    @Option(name: .customLong("vf:out", withSingleDash: true), help: "Filter chain on the output, after scaling back.") var postFilter: String?
    @Option(name: .customLong("c:v", withSingleDash: true), help: "Video encoder (default libx264, else mpeg4).") var codec: String?
    @Option(name: .customLong("crf", withSingleDash: true), help: "Encoder CRF.") var crf: String?
    @Option(name: .customLong("b:v", withSingleDash: true), help: "Encoder bit rate.") var bitRate: String?
    @Option(name: .customLong("preset", withSingleDash: true), help: "Encoder preset.") var preset: String?
    @Option(name: .customLong("frames:v", withSingleDash: true), parsing: .unconditional, help: "Stop after this many frames.") var maxFrames: Int?
    @Option(name: .customShort("t"), parsing: .unconditional, help: "Stop after this many seconds of input.") var duration: Double?
    @Option(name: .customLong("ss", withSingleDash: true), parsing: .unconditional, help: "Start this far into the character input: seconds (12.5) or [hh:]mm:ss[.xx], as in ffmpeg; its audio is cut the same way.") var start: String?
    @Option(name: .customLong("framerate", withSingleDash: true), parsing: .unconditional, help: "Frame rate of an image-sequence character input (frame%04d.png), as ffmpeg's image2 -framerate (default 25).") var inputFrameRate: Double?
    @Option(name: .customShort("r"), parsing: .unconditional, help: "Output frame rate (frames are dropped or repeated by libavfilter's fps filter).") var outputRate: Double?
    @Option(name: .customLong("pix_fmt", withSingleDash: true), help: "Output pixel format (default yuv420p).") var pixelFormat: String?
    @Option(name: [.customLong("loglevel", withSingleDash: true), .customShort("v")], help: "quiet, fatal, error (default), warning, info or debug, as in ffmpeg; quiet also hides progress.", completion: .list(HostCommand.logLevels.keys.sorted())) var logLevel = "error"
    @Option(name: .customLong("threads", withSingleDash: true), parsing: .unconditional, help: "Threads for the model, the composite, the decoder and the encoder (default: all cores), as in ffmpeg.") var threads: Int?
    @Flag(name: .customLong("hide_banner", withSingleDash: true), help: "Accepted as in ffmpeg (eqr prints no banner).") var hideBanner = false
    @Option(name: .customLong("bg-loop", withSingleDash: true), parsing: .unconditional, help: "A background video shorter than the input: 1 loops it, 0 holds its last frame.") var backgroundLoop = 1
    @Option(name: .customLong("bg-fit", withSingleDash: true), help: "A background of another aspect ratio: cover (scale and centre-crop, the default), contain (scale and pad with black) or stretch.", completion: .list(BackgroundFit.allCases.map(\.rawValue))) var backgroundFit = "cover"
    @Option(name: .customLong("render", withSingleDash: true), help: "composite (the character's own pixels, cut out by a matte and laid over the background at the video's resolution; the default) or model (the model's rendering, scaled up).", completion: .list(RenderMode.allCases.map(\.rawValue))) var render = "composite"
    @Option(name: .customLong("matte-margin", withSingleDash: true), parsing: .unconditional, help: "Pixels the composite's matte grows by (default: automatic: for camera footage about 1 % of the frame's height around its moving region (2 pixels at 240 rows, 6 at 576); for a rendered clip 0 when noiseless, 0.5 % of the frame when noisy).") var matteMargin: Int?
    @Option(name: .customLong("matte", withSingleDash: true), help: "How the composite's matte is drawn: auto (the default: region for camera footage, edges for a rendered clip), region (where the frame differs from the clip's background, spread and opaque: keeps the character's blur and shadows) or edges (refined to the frame's own edges: tight).", completion: .list(MatteStyle.allCases.map(\.rawValue))) var matteStyle = "auto"
    @Option(name: .customLong("plate", withSingleDash: true), help: "How composite learns the clip's background: clip (from frames sampled over the whole input first; the default) or running (from the frames so far, as the plugins and the C library do).", completion: .list(["clip", "running"])) var plate = "clip"
    @Option(name: .customLong("lookahead", withSingleDash: true), parsing: .unconditional, help: "With -plate clip and a layered model: compute the model's coverage of the next frame while the current one renders (1, the default, with more than one thread) or not (0); the pixels are the same either way.") var lookahead = 1
    @Option(name: .customLong("extract-motion", withSingleDash: true), help: "Write the motion template of the input here instead of rendering.", completion: .file(extensions: ["json"])) var extractMotion: String?
    @Option(name: .customLong("refine-motion", withSingleDash: true), parsing: .unconditional, help: "With -extract-motion: align each of the model's steps on the clip's frames (1, the default) or keep the model's estimates (0).") var refineMotion = 1
    @Flag(name: .customLong("an", withSingleDash: true), help: "Drop the character input's audio (copied by default).") var noAudio = false
    @OptionGroup var overwrite: OverwriteOptions
    @Flag(name: .customLong("nostats", withSingleDash: true), help: "No progress on stderr.") var noStats = false
}
