import Tensors

/// Doubles the height and width of an NCHW batch.
///
/// `nearest` repeats every pixel 2×2. `bilinear` interpolates with the pixel-centre
/// convention (PyTorch `align_corners=False`): output pixel `o` samples input coordinate
/// `(o + 0.5)/2 − 0.5`, clamped to the edge. Backward is the adjoint: each input pixel
/// receives the weighted sum of the gradients of the output pixels it fed.
public final class Upsample2x: Layer {
    /// How new pixels are computed.
    public enum Mode: String, Sendable {
        /// Copy the nearest input pixel.
        case nearest
        /// Bilinear interpolation between the two nearest pixel centres on each axis.
        case bilinear
    }

    /// The interpolation used.
    public let mode: Mode

    /// Creates the layer.
    public init(mode: Mode = .nearest) { self.mode = mode }

    /// `[N, C, 2H, 2W]` for `[N, C, H, W]`.
    public func outputShape(for s: [Int]) throws(ShapeError) -> [Int] {
        guard s.count == 4, s[2] > 0, s[3] > 0 else {
            throw ShapeError(layer: "Upsample2x(\(mode))", message: "expects input [N, C, H, W], got \(s)")
        }
        return [s[0], s[1], 2 * s[2], 2 * s[3]]
    }

    /// For each output index along an axis of `extent` inputs: the two source indices and
    /// their weights.
    struct AxisTaps {
        var low: [Int], high: [Int], highWeight: [Float]

        /// Calls `body` with unchecked views of the three tables (the inner loops index
        /// them per pixel).
        func withTables<R>(_ body: (UnsafePointer<Int>, UnsafePointer<Int>, UnsafePointer<Float>) -> R) -> R {
            low.withUnsafeBufferPointer { l in
                high.withUnsafeBufferPointer { h in
                    highWeight.withUnsafeBufferPointer { w in body(l.baseAddress!, h.baseAddress!, w.baseAddress!) }
                }
            }
        }

        init(extent: Int, mode: Mode) {
            let outputs = 2 * extent
            low = [Int](repeating: 0, count: outputs)
            high = low
            highWeight = [Float](repeating: 0, count: outputs)
            for o in 0..<outputs {
                switch mode {
                case .nearest:
                    low[o] = o / 2; high[o] = o / 2
                case .bilinear:
                    let source = max(0, (Float(o) + 0.5) / 2 - 0.5)
                    let i0 = min(Int(source), extent - 1)
                    low[o] = i0
                    high[o] = min(i0 + 1, extent - 1)
                    highWeight[o] = source - Float(i0)
                }
            }
        }
    }

    /// Upsamples every channel plane (planes in parallel).
    public func forward(_ input: Tensor, tape: Tape?) -> Tensor {
        let outShape = checkedOutputShape(input)
        let h = input.shape[2], w = input.shape[3], oh = 2 * h, ow = 2 * w
        let planes = input.shape[0] * input.shape[1]
        let rows = AxisTaps(extent: h, mode: mode), cols = AxisTaps(extent: w, mode: mode)
        var output = Tensor(uninitializedShape: outShape)
        output.withUnsafeMutablePointer { yAll in
            input.withUnsafePointer { xAll in
                rows.withTables { rowLow, rowHigh, rowWeight in
                    cols.withTables { colLow, colHigh, colWeight in
                        Parallel.forEach(planes) { plane in
                            let x = xAll + plane * h * w, y = yAll + plane * oh * ow
                            for oy in 0..<oh {
                                let r0 = x + rowLow[oy] * w, r1 = x + rowHigh[oy] * w
                                let wy1 = rowWeight[oy], wy0 = 1 - wy1
                                for ox in 0..<ow {
                                    let c0 = colLow[ox], c1 = colHigh[ox]
                                    let wx1 = colWeight[ox], wx0 = 1 - wx1
                                    y[oy * ow + ox] = wy0 * (wx0 * r0[c0] + wx1 * r0[c1]) + wy1 * (wx0 * r1[c0] + wx1 * r1[c1])
                                }
                            }
                        }
                    }
                }
            }
        }
        tape?.push(input.shape)
        return output
    }

    /// Scatters each output gradient back to the input pixels it came from.
    public func backward(_ outputGradient: Tensor, tape: Tape) -> Tensor {
        let inShape = tape.pop([Int].self, for: "Upsample2x")
        let h = inShape[2], w = inShape[3], oh = 2 * h, ow = 2 * w
        requireShape(outputGradient.shape == [inShape[0], inShape[1], oh, ow], "Upsample2x(\(mode))",
                     "output gradient \(outputGradient.shape) does not match output \([inShape[0], inShape[1], oh, ow])")
        let planes = inShape[0] * inShape[1]
        let rows = AxisTaps(extent: h, mode: mode), cols = AxisTaps(extent: w, mode: mode)
        var inputGradient = Tensor(shape: inShape)
        inputGradient.withUnsafeMutablePointer { dxAll in
            outputGradient.withUnsafePointer { dyAll in
                rows.withTables { rowLow, rowHigh, rowWeight in
                    cols.withTables { colLow, colHigh, colWeight in
                        Parallel.forEach(planes) { plane in
                            let dx = dxAll + plane * h * w, dy = dyAll + plane * oh * ow
                            for oy in 0..<oh {
                                let r0 = dx + rowLow[oy] * w, r1 = dx + rowHigh[oy] * w
                                let wy1 = rowWeight[oy], wy0 = 1 - wy1
                                for ox in 0..<ow {
                                    let g = dy[oy * ow + ox]
                                    let c0 = colLow[ox], c1 = colHigh[ox]
                                    let wx1 = colWeight[ox], wx0 = 1 - wx1
                                    r0[c0] += g * wy0 * wx0
                                    r0[c1] += g * wy0 * wx1
                                    r1[c0] += g * wy1 * wx0
                                    r1[c1] += g * wy1 * wx1
                                }
                            }
                        }
                    }
                }
            }
        }
        return inputGradient
    }
}
