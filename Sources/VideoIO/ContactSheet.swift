/// A grid of frames, optionally labelled, rendered into one image for reports.
///
/// Frames are fitted into equal cells (resized by libswscale keeping their aspect ratio,
/// centred); labels are drawn under each cell with a built-in 5×7 bitmap font, so no font
/// file is needed. (This FFmpeg also has `drawtext`; ``Frame/filtered(_:)`` can run it.)
public struct ContactSheet: Sendable {
    /// Number of columns; nil chooses `ceil(sqrt(n))`.
    public var columns: Int?
    /// Cell width in pixels; nil uses the widest frame.
    public var cellWidth: Int?
    /// Cell height in pixels; nil uses the tallest frame.
    public var cellHeight: Int?
    /// Gap between cells and around the border, in pixels.
    public var spacing: Int
    /// Magnification of the 5×7 label font (1 = 7 pixels tall).
    public var labelScale: Int
    /// Background colour (red, green, blue).
    public var background: (red: UInt8, green: UInt8, blue: UInt8)
    /// Label colour (red, green, blue).
    public var textColor: (red: UInt8, green: UInt8, blue: UInt8)
    /// Resampling used when a frame does not match the cell size.
    public var scaling: ScaleAlgorithm

    /// A contact sheet layout with the given settings.
    public init(columns: Int? = nil, cellWidth: Int? = nil, cellHeight: Int? = nil, spacing: Int = 4,
                labelScale: Int = 1, background: (red: UInt8, green: UInt8, blue: UInt8) = (24, 24, 24),
                textColor: (red: UInt8, green: UInt8, blue: UInt8) = (255, 255, 255),
                scaling: ScaleAlgorithm = .area) {
        self.columns = columns
        self.cellWidth = cellWidth
        self.cellHeight = cellHeight
        self.spacing = spacing
        self.labelScale = labelScale
        self.background = background
        self.textColor = textColor
        self.scaling = scaling
    }

    /// Height of the label strip under each cell (0 without labels).
    func labelStripHeight(hasLabels: Bool) -> Int {
        hasLabels ? (BitmapFont.glyphHeight + 4) * labelScale : 0
    }

    /// Renders the grid.
    /// - Parameters:
    ///   - frames: the frames, left to right, top to bottom.
    ///   - labels: one label per frame (nil or empty strings for none). Labels wider than a
    ///     cell are clipped.
    /// - Throws: `invalidArgument` for no frames, a label count that does not match, or a bad
    ///   layout; `filterFailed` if resizing fails.
    public func render(_ frames: [Frame], labels: [String]? = nil) throws -> Frame {
        guard !frames.isEmpty else { throw VideoIOError.invalidArgument("a contact sheet needs at least one frame") }
        if let l = labels, l.count != frames.count {
            throw VideoIOError.invalidArgument("\(l.count) labels for \(frames.count) frames")
        }
        guard spacing >= 0, labelScale >= 1 else {
            throw VideoIOError.invalidArgument("spacing \(spacing) / labelScale \(labelScale)")
        }
        let cols = columns ?? Int(Double(frames.count).squareRoot().rounded(.up))
        guard cols >= 1 else { throw VideoIOError.invalidArgument("columns \(cols)") }
        let rows = (frames.count + cols - 1) / cols
        let cw = cellWidth ?? frames.map(\.width).max()!
        let ch = cellHeight ?? frames.map(\.height).max()!
        guard cw >= 1, ch >= 1 else { throw VideoIOError.invalidArgument("cell size \(cw)x\(ch)") }
        let hasLabels = labels?.contains { !$0.isEmpty } ?? false
        let strip = labelStripHeight(hasLabels: hasLabels)
        let totalWidth = cols * cw + (cols + 1) * spacing
        let totalHeight = rows * (ch + strip) + (rows + 1) * spacing
        guard totalWidth <= 16384, totalHeight <= 16384 else {
            throw VideoIOError.invalidArgument("contact sheet \(totalWidth)x\(totalHeight) too large")
        }
        var pixels = [UInt8](repeating: 0, count: totalWidth * totalHeight * 3)
        for i in stride(from: 0, to: pixels.count, by: 3) {
            pixels[i] = background.red; pixels[i + 1] = background.green; pixels[i + 2] = background.blue
        }
        for (n, frame) in frames.enumerated() {
            let cellX = spacing + (n % cols) * (cw + spacing)
            let cellY = spacing + (n / cols) * (ch + strip + spacing)
            // Fit inside the cell keeping the aspect ratio.
            var fitted = frame
            if frame.width != cw || frame.height != ch {
                let s = min(Double(cw) / Double(frame.width), Double(ch) / Double(frame.height))
                let w = max(1, min(cw, Int((Double(frame.width) * s).rounded())))
                let h = max(1, min(ch, Int((Double(frame.height) * s).rounded())))
                fitted = try frame.resized(width: w, height: h, scaling: scaling)
            }
            let ox = cellX + (cw - fitted.width) / 2
            let oy = cellY + (ch - fitted.height) / 2
            let rowBytes = fitted.width * 3
            fitted.withUnsafeRGB8 { src in
                pixels.withUnsafeMutableBufferPointer { dst in
                    for y in 0..<fitted.height {
                        let d = dst.baseAddress! + 3 * ((oy + y) * totalWidth + ox)
                        d.update(from: src.baseAddress! + y * rowBytes, count: rowBytes)
                    }
                }
            }
            if let text = labels?[n], !text.isEmpty {
                BitmapFont.draw(text, into: &pixels, imageWidth: totalWidth, imageHeight: totalHeight,
                                x: cellX + labelScale, y: cellY + ch + 2 * labelScale, scale: labelScale,
                                color: (textColor.red, textColor.green, textColor.blue),
                                clip: (cellX, cellY + ch, cellX + cw, cellY + ch + strip))
            }
        }
        return Frame(uncheckedWidth: totalWidth, height: totalHeight, rgb8: pixels, timestamp: 0, index: 0)
    }

    /// Renders the grid and writes it as an image (PNG recommended) via ``ImageFile``.
    public func write(_ frames: [Frame], labels: [String]? = nil, to path: String) throws {
        try ImageFile.write(render(frames, labels: labels), to: path)
    }
}
