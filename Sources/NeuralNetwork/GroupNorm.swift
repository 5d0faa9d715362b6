import Tensors

/// Group normalisation (Wu & He, 2018) over NCHW batches, with a per-channel scale γ and
/// shift β.
///
/// Chosen over batch normalisation because the model trains with small batches and runs
/// on single frames at inference: GroupNorm's statistics come from one sample, so training
/// and inference compute the same function and no running averages are needed.
///
/// For sample n and group g (channels `g·C/G ..< (g+1)·C/G`, all pixels):
/// `x̂ = (x − μ) · rstd`, `rstd = 1/√(σ² + ε)`, `y = γ_c · x̂ + β_c`. Backward:
/// `dβ_c += Σ dy`, `dγ_c += Σ dy·x̂`, and with `d = dy·γ_c`,
/// `dx = rstd · (d − mean(d) − x̂ · mean(d·x̂))`, means over the group.
///
/// With `leakySlope` the layer also applies a leaky ReLU to its output, `y = max(n, a·n)` for
/// `n = γ_c · x̂ + β_c`, in the same pass (and, going back, gates dy by the sign of n,
/// recomputed from the kept input): one pass over the activations less each way, and no
/// second tensor kept, against a `GroupNorm` followed by a `LeakyReLU`.
public final class GroupNorm: DescribedLayer {
    /// `group_norm` with its groups, epsilon and fused leaky ReLU (if any).
    public var layerDescription: LayerDescription {
        var settings = ["groups": Double(groups), "channels": Double(channels), "eps": LayerDescription.decimal(epsilon)]
        if let leakySlope { settings["leaky_relu"] = LayerDescription.decimal(leakySlope) }
        return LayerDescription(op: "group_norm", name: LayerDescription.prefix(of: scale), settings: settings)
    }


    /// Scale γ, `[channels]`, initially 1.
    public let scale: Parameter
    /// Shift β, `[channels]`, initially 0.
    public let shift: Parameter
    /// Number of groups; divides `channels`.
    public let groups: Int
    /// Channels normalised.
    public let channels: Int
    /// Added to the variance for stability.
    public let epsilon: Float
    /// The slope of the fused leaky ReLU for negative outputs; nil for none.
    public let leakySlope: Float?

    /// Creates the layer; `channels` must be a multiple of `groups`, a `leakySlope` in [0, 1).
    public init(groups: Int, channels: Int, epsilon: Float = 1e-5, leakySlope: Float? = nil, name: String = "norm") {
        precondition(groups > 0 && channels > 0 && channels % groups == 0,
                     "GroupNorm: channels (\(channels)) must be a positive multiple of groups (\(groups))")
        precondition(leakySlope.map { $0 >= 0 && $0 < 1 } ?? true, "GroupNorm: leakySlope must be in [0, 1), got \(leakySlope!)")
        self.leakySlope = leakySlope
        self.groups = groups
        self.channels = channels
        self.epsilon = epsilon
        scale = Parameter(name: name + ".scale", value: Tensor(shape: [channels], repeating: 1))
        shift = Parameter(name: name + ".shift", value: Tensor(shape: [channels]))
    }

    /// γ and β.
    public var parameters: [Parameter] { [scale, shift] }

    var label: String { "GroupNorm(\(groups) groups, \(channels) channels\(leakySlope.map { ", leaky ReLU \($0)" } ?? ""))" }

    /// The input shape, which must be `[N, channels, H, W]`.
    public func outputShape(for s: [Int]) throws(ShapeError) -> [Int] {
        guard s.count == 4, s[1] == channels else {
            throw ShapeError(layer: label, message: "expects input [N, \(channels), H, W], got \(s)")
        }
        return s
    }

    struct Record { var input: Tensor; var mean: [Float]; var rstd: [Float] }

    /// Normalises each (sample, group); keeps the input, means and inverse deviations.
    public func forward(_ input: Tensor, tape: Tape?) -> Tensor {
        _ = checkedOutputShape(input)
        let batch = input.shape[0], groupSize = channels / groups * input.shape[2] * input.shape[3]
        let plane = input.shape[2] * input.shape[3], perGroup = channels / groups
        var mean = [Float](repeating: 0, count: batch * groups), rstd = mean
        var output = Tensor(uninitializedShape: input.shape)
        let slope = leakySlope
        output.withUnsafeMutablePointer { yAll in
            input.withUnsafePointer { xAll in
                scale.value.withUnsafePointer { gamma in
                    shift.value.withUnsafePointer { beta in
                        mean.withUnsafeMutableBufferPointer { meanOut in
                            rstd.withUnsafeMutableBufferPointer { rstdOut in
                                Parallel.forEach(batch * groups) { ng in
                                    let x = xAll + ng * groupSize, y = yAll + ng * groupSize
                                    // Two passes (mean, then squares about it): no cancellation.
                                    let m = Float(LaneSums.sum(x, groupSize) / Double(groupSize))
                                    let variance = LaneSums.sumOfSquares(x, about: m, groupSize) / Double(groupSize)
                                    let r = Float(1 / (variance + Double(epsilon)).squareRoot())
                                    meanOut[ng] = m; rstdOut[ng] = r
                                    let firstChannel = (ng % groups) * perGroup
                                    for cc in 0..<perGroup {
                                        let a = gamma[firstChannel + cc] * r, b = beta[firstChannel + cc] - m * a
                                        let xs = x + cc * plane, ys = y + cc * plane
                                        if let slope {
                                            for i in 0..<plane { let v = xs[i] * a + b; ys[i] = v > 0 ? v : slope * v }
                                        } else {
                                            for i in 0..<plane { ys[i] = xs[i] * a + b }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        tape?.push(Record(input: input, mean: mean, rstd: rstd))
        return output
    }

    /// Accumulates γ and β gradients; returns the input gradient.
    public func backward(_ outputGradient: Tensor, tape: Tape) -> Tensor {
        let record = tape.pop(Record.self, for: label)
        let input = record.input
        requireShape(outputGradient.shape == input.shape, label, "output gradient \(outputGradient.shape) does not match output \(input.shape)")
        let batch = input.shape[0], plane = input.shape[2] * input.shape[3], perGroup = channels / groups
        let groupSize = perGroup * plane
        // Per-(sample, channel) partial sums, added in a fixed order afterwards (deterministic).
        var partialScale = [Float](repeating: 0, count: batch * channels), partialShift = partialScale
        var inputGradient = Tensor(uninitializedShape: input.shape)
        let slope = leakySlope
        inputGradient.withUnsafeMutablePointer { dxAll in
            input.withUnsafePointer { xAll in
                outputGradient.withUnsafePointer { dyAll in
                    scale.value.withUnsafePointer { gamma in
                    shift.value.withUnsafePointer { beta in
                        partialScale.withUnsafeMutableBufferPointer { pScale in
                            partialShift.withUnsafeMutableBufferPointer { pShift in
                                Parallel.forEach(batch * groups) { ng in
                                    let n = ng / groups, firstChannel = (ng % groups) * perGroup
                                    let x = xAll + ng * groupSize, dx = dxAll + ng * groupSize
                                    let m = record.mean[ng], r = record.rstd[ng]
                                    // The gradient at the normalised output: dy, or with the fused
                                    // activation dy gated by the sign of n = γ·x̂ + β (kept in dx).
                                    let dyIn = UnsafePointer(dyAll + ng * groupSize), dy = slope == nil ? dyIn : UnsafePointer(dx)
                                    var sumD = 0.0, sumDX = 0.0
                                    for cc in 0..<perGroup {
                                        let c = firstChannel + cc, offset = cc * plane
                                        let sDy: Double, sDyX: Double
                                        if let slope {
                                            let a = gamma[c] * r
                                            let sums = LaneSums.gatedSums(dyIn + offset, x + offset, scale: a, shift: beta[c] - m * a,
                                                                          slope: slope, about: m, into: dx + offset, plane)
                                            (sDy, sDyX) = (sums.sum, sums.sumOfProducts * Double(r))
                                        } else {
                                            sDy = LaneSums.sum(dy + offset, plane)
                                            sDyX = LaneSums.sumOfProducts(dy + offset, x + offset, about: m, plane) * Double(r)
                                        }
                                        pShift[n * channels + c] = Float(sDy)
                                        pScale[n * channels + c] = Float(sDyX)
                                        sumD += sDy * Double(gamma[c]); sumDX += sDyX * Double(gamma[c])
                                    }
                                    let meanD = Float(sumD / Double(groupSize)), meanDX = Float(sumDX / Double(groupSize))
                                    for cc in 0..<perGroup {
                                        let gam = gamma[firstChannel + cc]
                                        for i in (cc * plane)..<((cc + 1) * plane) {
                                            let xhat = (x[i] - m) * r
                                            dx[i] = r * (dy[i] * gam - meanD - xhat * meanDX)
                                        }
                                    }
                                }
                            }
                        }
                    }
                    }
                }
            }
        }
        for n in 0..<batch {
            for c in 0..<channels {
                scale.gradient.scalars[c] += partialScale[n * channels + c]
                shift.gradient.scalars[c] += partialShift[n * channels + c]
            }
        }
        return inputGradient
    }
}
