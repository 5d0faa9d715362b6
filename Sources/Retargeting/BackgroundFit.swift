/// How a background whose aspect ratio differs from the video's fills the frame. Every
/// front end (the `eqr` host's `-bg-fit`, the C library, the frei0r plugins) uses
/// ``FramePipeline``, so they all give the same frames; the default is ``cover``.
public enum BackgroundFit: String, CaseIterable, Sendable {
    /// Scale to cover the whole frame and crop the overflow equally on both sides.
    case cover
    /// Scale to fit inside the frame and pad the rest with black.
    case contain
    /// Scale each axis independently to the frame (distorts).
    case stretch

    /// The names, for help texts and messages: "cover, contain, stretch".
    public static var nameList: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// Whether an image of `imageWidth`×`imageHeight` has the aspect ratio of a
    /// `frameWidth`×`frameHeight` frame, within 1 % (smaller differences are left to stretch).
    public static func aspectsMatch(imageWidth: Int, imageHeight: Int, frameWidth: Int, frameHeight: Int) -> Bool {
        let image = Double(imageWidth) / Double(imageHeight), frame = Double(frameWidth) / Double(frameHeight)
        return abs(image / frame - 1) <= 0.01
    }

    /// The centred `width`×`height` part of an `imageWidth`×`imageHeight` image that has the
    /// aspect ratio of a `frameWidth`×`frameHeight` frame (what ``cover`` scales up).
    public static func coverCrop(imageWidth: Int, imageHeight: Int, frameWidth: Int, frameHeight: Int) -> (x: Int, y: Int, width: Int, height: Int) {
        let frame = Double(frameWidth) / Double(frameHeight)
        if Double(imageWidth) / Double(imageHeight) > frame {
            let width = min(imageWidth, max(1, Int((Double(imageHeight) * frame).rounded())))
            return ((imageWidth - width) / 2, 0, width, imageHeight)
        }
        let height = min(imageHeight, max(1, Int((Double(imageWidth) / frame).rounded())))
        return (0, (imageHeight - height) / 2, imageWidth, height)
    }

    /// The size of the scaled image inside a `side`×`side` model frame for ``contain``: the
    /// model frame is the video frame stretched to a square, so the image keeps its aspect
    /// ratio relative to the frame's.
    public static func containedSize(imageWidth: Int, imageHeight: Int, frameWidth: Int, frameHeight: Int, side: Int) -> (width: Int, height: Int) {
        containedSize(imageWidth: imageWidth, imageHeight: imageHeight, frameWidth: frameWidth, frameHeight: frameHeight, targetWidth: side, targetHeight: side)
    }

    /// The size of the scaled image inside a `targetWidth`×`targetHeight` picture of a
    /// `frameWidth`×`frameHeight` video frame (the frame itself, or the frame stretched to
    /// the model's square) for ``contain``.
    public static func containedSize(imageWidth: Int, imageHeight: Int, frameWidth: Int, frameHeight: Int,
                                     targetWidth: Int, targetHeight: Int) -> (width: Int, height: Int) {
        let relative = (Double(imageWidth) / Double(imageHeight)) / (Double(frameWidth) / Double(frameHeight))
        if relative > 1 { return (targetWidth, min(targetHeight, max(1, Int((Double(targetHeight) / relative).rounded())))) }
        return (min(targetWidth, max(1, Int((Double(targetWidth) * relative).rounded()))), targetHeight)
    }
}
