import Tensors

extension CharacterMatte {
    /// A frame difference above this, at the detection scale, is motion on camera footage.
    static let movingThreshold: Float = 0.1
    /// The frame height the moving region is detected at: camera grain and codec blocks
    /// average out over the pixels of one detection cell.
    static let detectionRows: Float = 240
    /// The automatic spread of camera footage's matte, in pixels at ``detectionRows``.
    static let spreadAtDetectionRows: Float = 2

    /// The matte of camera footage (``BackgroundPlate/isCameraFootage``): the moving region.
    ///
    /// On camera footage the character's edge is not where its pixels end: motion blur,
    /// soft shadows and codec ringing carry it a few pixels into the background, and grain
    /// makes a per-pixel difference unreliable. So:
    /// 1. the frame's difference from the plate is averaged per channel over cells of about
    ///    1/240 of the frame's height (the scale at which grain averages out) and the largest
    ///    channel's average over 0.1 is motion; where the plate was never seen clearly the
    ///    model's coverage decides instead (when the model has one);
    /// 2. the region spreads by `spread` pixels (automatic: 2 detection cells, 2 pixels at
    ///    240 rows, see ``automaticSpread(height:)``), so the blur, shadow and ringing around
    ///    the character come with it;
    /// 3. the matte is opaque inside the region, with no soft edge: the frame's own pixels
    ///    are kept whole, never faded into the new background.
    ///
    /// This is the moving region that the real-footage check (`real_clip_check.py`) takes as
    /// the subject. The hysteresis and guided-filter matte of
    /// ``estimate(frame:plate:coverage:margin:style:thumbnail:pool:)`` (``MatteStyle/edges``) is tighter and, on `vtest.avi`, kept
    /// 13.1 dB inside that region (the subject's blur and shadows replaced); this one 27.0,
    /// with the new background outside at 32.2 dB (README, *Real footage*). A frame larger
    /// than the detection grid, with its thumbnail, is compared there instead
    /// (``movingRegion(thumbnail:plate:width:height:spread:)``).
    static func movingRegion(frame: PlanarImage, plate: BackgroundPlate, coverage: PlanarMask?, spread: Int?,
                             pool: ScratchPool) -> PlanarMask {
        let width = frame.width, height = frame.height, n = width * height
        let radius = detectionRadius(height: height)
        // The frame's difference from the plate per channel, averaged over a detection cell.
        var red = pool.take(n), green = pool.take(n), blue = pool.take(n)
        frame.values.withUnsafeBufferPointer { x in
            plate.image.values.withUnsafeBufferPointer { p in
                red.withUnsafeMutableBufferPointer { r in
                    green.withUnsafeMutableBufferPointer { g in
                        blue.withUnsafeMutableBufferPointer { b in
                            let r = r, g = g, b = b
                            // One hand-off to the workers for all three channels.
                            Parallel.forEachChunk(of: n) { range in
                                for i in range {
                                    r[i] = x[i] - p[i]
                                    g[i] = x[n + i] - p[n + i]
                                    b[i] = x[2 * n + i] - p[2 * n + i]
                                }
                            }
                        }
                    }
                }
            }
        }
        var differences = [red, green, blue]
        if radius > 0 {
            let averaged = boxMeans(differences, width: width, height: height, radius: radius, pool: pool)
            pool.give(differences[0], differences[1], differences[2])
            differences = averaged
        }
        let modelCoverage = coverage?.resized(width: width, height: height).values ?? []
        var region = [Float](repeating: 0, count: n)
        differences[0].withUnsafeBufferPointer { r in
            differences[1].withUnsafeBufferPointer { g in
                differences[2].withUnsafeBufferPointer { b in
                    plate.confidence.withUnsafeBufferPointer { confidence in
                        modelCoverage.withUnsafeBufferPointer { coverage in
                            region.withUnsafeMutableBufferPointer { region in
                                let region = region, threshold = movingThreshold
                                Parallel.forEachChunk(of: n) { range in
                                    for i in range {
                                        if confidence[i] < BackgroundPlate.trustedConfidence && !coverage.isEmpty {
                                            region[i] = coverage[i] >= 0.5 ? 1 : 0
                                        } else {
                                            region[i] = max(abs(r[i]), abs(g[i]), abs(b[i])) > threshold ? 1 : 0
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        pool.give(differences[0], differences[1], differences[2])
        let grow = spread ?? automaticSpread(height: height)
        return PlanarMask(width: width, height: height, values: grow > 0 ? spreadRegion(region, width: width, height: height, radius: grow) : region)
    }

    /// A region of 0s and 1s grown by `radius` pixels: 1 wherever the (2·radius + 1)² square
    /// around a pixel (clamped at the image's edges) holds a 1. Counts of set pixels in a
    /// sliding window along each row, then down each column, so its cost does not grow with
    /// the radius.
    public static func spreadRegion(_ region: [Float], width: Int, height: Int, radius: Int) -> [Float] {
        var rows = [Float](repeating: 0, count: width * height), out = rows
        region.withUnsafeBufferPointer { region in
            rows.withUnsafeMutableBufferPointer { rows in
                let rows = rows
                Parallel.forEach(height) { y in
                    let v = region.baseAddress! + y * width, o = rows.baseAddress! + y * width
                    var count: Float = 0
                    for x in 0..<min(radius, width) { count += v[x] }
                    for x in 0..<width {
                        if x + radius < width { count += v[x + radius] }
                        if x - radius - 1 >= 0 { count -= v[x - radius - 1] }
                        o[x] = count > 0 ? 1 : 0
                    }
                }
            }
        }
        let blocks = (width + 63) / 64
        rows.withUnsafeBufferPointer { rows in
            out.withUnsafeMutableBufferPointer { out in
                let out = out
                Parallel.forEach(blocks) { block in
                    let x0 = block * 64, x1 = min(x0 + 64, width)
                    var count = [Float](repeating: 0, count: x1 - x0)
                    for y in 0..<min(radius, height) { for x in x0..<x1 { count[x - x0] += rows[y * width + x] } }
                    for y in 0..<height {
                        if y + radius < height { for x in x0..<x1 { count[x - x0] += rows[(y + radius) * width + x] } }
                        if y - radius - 1 >= 0 { for x in x0..<x1 { count[x - x0] -= rows[(y - radius - 1) * width + x] } }
                        for x in x0..<x1 { out[y * width + x] = count[x - x0] > 0 ? 1 : 0 }
                    }
                }
            }
        }
        return out
    }

    /// The moving region's detection grid: 320×240 cells.
    public static let detectionGridSize = (width: 320, height: 240)

    /// The detection grid of a frame of `width`×`height`: ``detectionGridSize`` (each side
    /// at most the frame's), or nil for a frame no larger than it, whose moving region is
    /// found at full size. A frame of another aspect ratio gets cells of another shape.
    public static func detectionGrid(width: Int, height: Int) -> (width: Int, height: Int)? {
        guard width > detectionGridSize.width || height > detectionGridSize.height else { return nil }
        return (min(width, detectionGridSize.width), min(height, detectionGridSize.height))
    }

    /// The moving region of a frame larger than the detection grid, found on the grid: the
    /// frame's thumbnail (``BackgroundPlate/detectionThumbnail(of:width:height:scaler:)``)
    /// differs from the plate's (``BackgroundPlate/detection``) by more than 0.1 in some
    /// channel, the region spreads by 2 cells there (or, with an explicit `spread`, by that
    /// many pixels at full size), and each full-size pixel takes the cell its centre falls in.
    ///
    /// Bicubic resampling averages grain and codec blocks over a cell before the threshold
    /// (the full-size detection needs a box mean for that), and a cell's difference is the
    /// one the real-footage check (`real_clip_check.py`) computes on its 320×240 frames. On
    /// `vtest.avi` (768×576, the reader's thumbnails) the swap kept 46.2 dB outside the
    /// moving region and 28.9 inside, the full-size detection 32.2 and 27.0 (README, *Real
    /// footage*).
    static func movingRegion(thumbnail: PlanarImage, plate detection: PlanarImage, width: Int, height: Int, spread: Int?) -> PlanarMask {
        let gridWidth = thumbnail.width, gridHeight = thumbnail.height, cells = gridWidth * gridHeight
        var region = [Float](repeating: 0, count: cells)
        thumbnail.values.withUnsafeBufferPointer { x in
            detection.values.withUnsafeBufferPointer { p in
                for i in 0..<cells {
                    let d = max(abs(x[i] - p[i]), abs(x[cells + i] - p[cells + i]), abs(x[2 * cells + i] - p[2 * cells + i]))
                    region[i] = d > movingThreshold ? 1 : 0
                }
            }
        }
        if spread == nil { region = spreadRegion(region, width: gridWidth, height: gridHeight, radius: Int(spreadAtDetectionRows)) }
        // Each pixel takes the cell its centre falls in.
        let columns = (0..<width).map { min(gridWidth - 1, (2 * $0 + 1) * gridWidth / (2 * width)) }
        var full = [Float](repeating: 0, count: width * height)
        region.withUnsafeBufferPointer { region in
            full.withUnsafeMutableBufferPointer { full in
                let full = full
                Parallel.forEach(height) { y in
                    let row = min(gridHeight - 1, (2 * y + 1) * gridHeight / (2 * height)) * gridWidth
                    for x in 0..<width { full[y * width + x] = region[row + columns[x]] }
                }
            }
        }
        if let spread, spread > 0 { full = spreadRegion(full, width: width, height: height, radius: spread) }
        return PlanarMask(width: width, height: height, values: full)
    }

    /// The radius of the box that averages a frame of `height` rows down to about
    /// ``detectionRows`` (0: the frame is at most that tall).
    public static func detectionRadius(height: Int) -> Int {
        max(0, Int(((Float(height) / detectionRows - 1) / 2).rounded()))
    }

    /// The automatic spread of camera footage's matte for a frame of `height` rows: two
    /// detection cells, and on a frame taller than ``detectionRows`` half a cell more, the
    /// reach of a cell's difference beyond the edge it straddles (a cell that the edge cuts
    /// is moving as a whole, so its outer half belongs to the region). On `vtest.avi`
    /// (576 rows) 5 pixels kept 24.5 dB inside the moving region and 34.7 outside, 6 pixels
    /// 26.5 and 31.2, 7 pixels 27.3 and 28.6 (bars: 24 inside, 30 outside).
    public static func automaticSpread(height: Int) -> Int {
        let cell = Float(height) / detectionRows
        return max(1, Int((spreadAtDetectionRows * cell + max(0, cell - 1) / 2).rounded()))
    }
}
