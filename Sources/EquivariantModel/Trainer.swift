import NeuralNetwork
import Tensors

/// Trains an `EquivariantModel` with Adam on the scene, reconstruction, equivariance and
/// invariance losses.
///
/// Per step, with x and x' stacked on the batch axis so each net runs once:
/// `F = f([x; x'])`, `H = h([x; x'])`, θ_z from the predictor, `W = T^z(F_x)`,
/// `G = g([W + H_x; F_x + H_x])`; losses on G (vs x' and x), on W − F_x' and on H_x' − H_x.
/// Backward runs in exact reverse order through one tape.
///
/// When the batch carries a distant frame x'' of the same shot, h also encodes it and the
/// prediction is drawn over it: `g(W + H_x'')`, with `H_x'' − H_x` added to the invariance
/// loss. h(x'') cannot know where the character stands in x', so the character has to come
/// through f and T^z; with h of x itself, h can explain the whole frame and a layered
/// model's α collapses.
///
/// With a drawn-motion weight, a learned predictor also sees (x, x̃), x̃ being x with a patch
/// (or the whole frame) moved by a motion the trainer drew (``DrawnMotion``), and must
/// return that motion's θ: a label-free signal, since nothing about the data's own motion
/// is read. For `features`, f encodes x̃ in the same pass as x and x'.
public final class Trainer {
    /// The model being trained.
    public let model: EquivariantModel
    /// The optimiser (its state is saved in checkpoints).
    public let optimizer: Adam
    /// Loss weights.
    public let weights: LossWeights
    /// When positive, gradients whose global L2 norm exceeds it are scaled down to it
    /// before the update (guards against the occasional spike of a learned T^z).
    public let gradientClipNorm: Float
    /// The learning-rate schedule (a factor on each group's base rate per step).
    public let schedule: LearningRateSchedule
    /// The loss of the rendered frames.
    public let imageLoss: ImageLoss
    /// What the drawn-motion term moves (see ``DrawnMotion/Region``).
    public let drawnMotionRegion: DrawnMotion.Region
    /// Each parameter group's base learning rate.
    private let baseLearningRates: [Float]

    /// Creates a trainer with Adam at `learningRate` over f, h and g, at
    /// `learningRate × transformLearningRateScale` over the T^z predictor and at
    /// `learningRate × coverageLearningRateScale` over a layered model's coverage head.
    ///
    /// Adam moves every weight by about its rate whatever the gradient's size, so even a
    /// small prior on α pulls the coverage head at full speed into a saturated sigmoid
    /// (α ≡ 0 or α ≡ 1), where the scene loss's gradient vanishes; a smaller rate for the
    /// head gives the scene loss time to shape it.
    ///
    /// The predictor gets a smaller step because Adam moves every weight by about the
    /// learning rate whatever its gradient: through a dense head over many hidden units that
    /// shifts θ_z by O(1) per step, enough to warp the features entirely out of the frame,
    /// where zero padding leaves no gradient to come back (seen at step ~350 of a `features`
    /// run at 2e-3).
    /// Throws ``ModelError/invalidConfiguration(_:)`` unless the rates are usable: the learning
    /// rate in (0, 1), the predictor's and the coverage head's scales in (0, 1], the gradient
    /// clip norm ≥ 0 (0 = off). The initializer checks them too; callers that take them from
    /// a user check them first, before any work.
    public static func checkRates(learningRate: Float, transformLearningRateScale: Float = 0.05, gradientClipNorm: Float = 0,
                                  coverageLearningRateScale: Float = 1) throws {
        guard learningRate.isFinite, learningRate > 0, learningRate < 1 else {
            throw ModelError.invalidConfiguration("learning rate must be in (0, 1), got \(learningRate)")
        }
        guard transformLearningRateScale.isFinite, transformLearningRateScale > 0, transformLearningRateScale <= 1 else {
            throw ModelError.invalidConfiguration("transform learning-rate scale must be in (0, 1], got \(transformLearningRateScale)")
        }
        guard gradientClipNorm.isFinite, gradientClipNorm >= 0 else {
            throw ModelError.invalidConfiguration("gradient clip norm must be ≥ 0 (0 = off), got \(gradientClipNorm)")
        }
        guard coverageLearningRateScale.isFinite, coverageLearningRateScale > 0, coverageLearningRateScale <= 1 else {
            throw ModelError.invalidConfiguration("coverage learning-rate scale must be in (0, 1], got \(coverageLearningRateScale)")
        }
    }

    public init(
        model: EquivariantModel, weights: LossWeights = LossWeights(), learningRate: Float = 2e-3,
        transformLearningRateScale: Float = 0.05, gradientClipNorm: Float = 0,
        schedule: LearningRateSchedule = .constant, imageLoss: ImageLoss = .squaredError, coverageLearningRateScale: Float = 1,
        drawnMotionRegion: DrawnMotion.Region = .patch
    ) throws {
        self.drawnMotionRegion = drawnMotionRegion
        try weights.validate()
        try schedule.validate()
        try Self.checkRates(learningRate: learningRate, transformLearningRateScale: transformLearningRateScale,
                            gradientClipNorm: gradientClipNorm, coverageLearningRateScale: coverageLearningRateScale)
        self.model = model
        self.weights = weights
        self.gradientClipNorm = gradientClipNorm
        self.schedule = schedule
        self.imageLoss = imageLoss
        let predictor = model.transform.parameters, coverage = model.coverage?.parameters ?? []
        let rest = model.parameters.filter { p in !predictor.contains { $0 === p } && !coverage.contains { $0 === p } }
        // Same order as `model.parameters` (f, h, g, the coverage head, the predictor), which
        // checkpoints rely on. Without a scale of its own the coverage head stays in the
        // first group, as before it had one.
        let coverageGroup: [Adam.Group] = coverageLearningRateScale == 1
            ? [] : [.init(parameters: coverage, learningRate: learningRate * coverageLearningRateScale)]
        optimizer = Adam(groups: [
            .init(parameters: coverageGroup.isEmpty ? rest + coverage : rest, learningRate: learningRate),
        ] + coverageGroup + [
            .init(parameters: predictor, learningRate: learningRate * transformLearningRateScale),
        ])
        baseLearningRates = optimizer.groups.map(\.learningRate)
    }

    /// The global L2 norm of all parameter gradients.
    func gradientNorm() -> Float {
        var sum = 0.0
        for p in model.parameters { for g in p.gradient.scalars { sum += Double(g) * Double(g) } }
        return Float(sum.squareRoot())
    }

    /// Steps taken so far.
    public var step: Int { optimizer.state.step }

    /// One optimisation step; throws on malformed batches or a non-finite loss (the model
    /// is left unchanged).
    ///
    /// With a `shard`, `batch` holds this process's samples of the step's global batch and
    /// the gradients are averaged over the shard's process group before the update, so
    /// every process takes the same step as one process training on the whole batch would
    /// (up to float rounding). A failure on any process fails the step on all of them.
    @discardableResult
    public func train(on batch: TrainingBatch, shard: BatchShard? = nil) throws -> StepReport {
        var report: StepReport
        if let shard, shard.group.size > 1 {
            report = try computeGradientsAcrossProcesses(on: batch, shard: shard)
        } else {
            report = try computeGradients(on: batch)
        }
        let norm = gradientNorm()
        report.gradientNorm = norm
        if gradientClipNorm > 0 && norm > gradientClipNorm {
            let scale = gradientClipNorm / norm
            for p in model.parameters { p.gradient = p.gradient * scale }
        }
        if schedule != .constant {
            let factor = schedule.factor(atStep: step + 1)
            for g in optimizer.groups.indices { optimizer.groups[g].learningRate = baseLearningRates[g] * factor }
        }
        optimizer.step()
        report.step = step
        return report
    }

    /// Forward and backward without updating: zeroes and fills every parameter's gradient
    /// with the gradient of the weighted total loss, and reports the losses.
    ///
    /// With a `shard`, `batch` is this process's part of the step's global batch: the
    /// motions the trainer draws for it are the ones a single process would draw for those
    /// samples, and the one loss that is not a mean of per-sample terms (the normalised
    /// L_c, whose denominator is the batch's feature energy) takes its means over the global
    /// batch (a collective sum inside the forward pass). The gradients and the report are
    /// then this shard's share; ``train(on:shard:)`` averages them across processes.
    public func computeGradients(on batch: TrainingBatch, shard: BatchShard? = nil) throws -> StepReport {
        try model.checkFrames(batch.frames)
        try model.checkFrames(batch.nextFrames, "next frames")
        let n = batch.frames.shape[0]
        guard batch.nextFrames.shape[0] == n else { throw ModelError.invalidInput("frames and next frames differ in batch size") }
        var thetaX: Tensor?
        if let motions = batch.motions {
            guard motions.shape == [n, 6] else { throw ModelError.invalidInput("motions must be [\(n), 6], got \(motions.shape)") }
            thetaX = try EquivariantModel.samplingMatrices(for: Affine2D.list(from: motions))
        }
        if model.variant.needsKnownMotion && thetaX == nil {
            throw ModelError.invalidInput("the `\(model.variant.name)` variant needs the true motion of every training pair")
        }

        // x'': h of a distant frame of the same shot renders the scene loss's background.
        let distant = batch.distantFrames
        if let distant {
            try model.checkFrames(distant, "distant frames")
            guard distant.shape[0] == n else { throw ModelError.invalidInput("frames and distant frames differ in batch size") }
        }

        optimizer.zeroGradients()
        let tape = Tape()
        let layered = model.coverage != nil
        // Forward.
        // Label-free equivariance of a learned T^z: x̃ = x moved by motions the trainer draws.
        let drawn = try drawnMotionPairs(for: batch.frames, firstSample: shard?.offset ?? 0)
        let readsFeatures = model.variant.readsCharacterFeatures
        let features = model.characterEncoder.forward(
            .concatenatingBatches([batch.frames, batch.nextFrames] + (readsFeatures ? drawn.map { [$0.frames] } ?? [] : [])), tape: tape)
        let backgrounds = model.backgroundEncoder.forward(
            .concatenatingBatches([batch.frames, batch.nextFrames] + (distant.map { [$0] } ?? [])), tape: tape)
        let fx = features.batches(0..<n), fNext = features.batches(n..<(2 * n))
        let hx = backgrounds.batches(0..<n), hNext = backgrounds.batches(n..<(2 * n))
        // The background the prediction is drawn over: h(x''), or h(x) without a distant frame.
        let hScene = distant == nil ? hx : backgrounds.batches((2 * n)..<(3 * n))
        let thetaZ = try model.transform.theta(
            for: TransformInputs(frames: batch.frames, nextFrames: batch.nextFrames, characterFeatures: fx.coarse, nextCharacterFeatures: fNext.coarse,
                                 knownTheta: thetaX),
            tape: tape)
        // The predictor on (x, x̃) must find the drawn motion's sampling matrix.
        let drawnTheta = try drawn.map { pairs in
            try model.transform.theta(
                for: TransformInputs(frames: batch.frames, nextFrames: pairs.frames, characterFeatures: fx.coarse,
                                     nextCharacterFeatures: readsFeatures ? features.batches((2 * n)..<(3 * n)).coarse : nil),
                tape: tape)
        }
        let drawnLoss = drawnTheta.map { Loss.meanSquaredError($0, drawn!.theta) }
        let warped = model.warpFeatures(fx, theta: thetaZ, tape: tape)
        // Layered: g also draws the background layers (g(h_scene) behind the prediction, g(h(x))
        // behind the reconstruction: one chunk when they are the same), and α comes from the
        // character features that each frame shows (moved for the prediction, as they are
        // for the reconstruction).
        let backgroundLayers: [FeatureMaps] = !layered ? [] : (distant == nil ? [hx] : [hScene, hx])
        let rendered = model.renderer.forward(.concatenatingBatches([warped + hScene, fx + hx] + backgroundLayers), tape: tape)
        let coverage = model.coverage?.forward(.concatenatingBatches([warped, fx]), tape: tape)
        let chunk = { (k: Int) in rendered.batches((k * n)..<((k + 1) * n)) }
        var prediction = chunk(0), reconstruction = chunk(1)
        let predictionBack = layered ? chunk(2) : prediction, reconstructionBack = layered ? chunk(backgroundLayers.count == 2 ? 3 : 2) : reconstruction
        if let coverage {
            prediction = EquivariantModel.blend(prediction, predictionBack, coverage: coverage.batches(0..<n))
            reconstruction = EquivariantModel.blend(reconstruction, reconstructionBack, coverage: coverage.batches(n..<(2 * n)))
        }

        // Losses.
        let scene = imageLoss(prediction, batch.nextFrames)
        let recon = imageLoss(reconstruction, batch.frames)
        let equivariance = try Self.equivarianceLoss(warped, fNext, normalized: weights.normalizesCharacter, group: shard?.group)
        // Invariance: h(x') ≈ h(x), and h(x'') ≈ h(x) across the distant gap too.
        let invariance = FeatureMaps.meanSquaredError(hNext, hx)
        let distantInvariance = distant == nil ? nil : FeatureMaps.meanSquaredError(hScene, hx)
        let w = weights
        // Optional supervision of a learned T^z by the true motion (synthetic data only).
        let supervision: (value: Float, gradient: Tensor)? =
            (w.transform > 0 && !model.variant.needsKnownMotion) ? thetaX.map { Loss.meanSquaredError(thetaZ, $0) } : nil
        // Optional label-free teacher of a learned T^z: the frame pair aligned where it differs.
        let teacher: (value: Float, gradient: Tensor)? = (w.alignmentTeacher > 0 && learnsTransformFromFrames)
            ? Loss.meanSquaredError(thetaZ, PairAlignment.theta(frames: batch.frames, nextFrames: batch.nextFrames)) : nil
        let priors = coverage.map { Self.coveragePriors($0, sparsity: w.alphaSparsity, binary: w.alphaBinary) }
        let invarianceValue = invariance.value + (distantInvariance?.value ?? 0)
        let total = w.scene * scene.value + w.reconstruction * recon.value + w.character * equivariance.value + w.background * invarianceValue
            + w.transform * (supervision?.value ?? 0) + (priors?.value ?? 0) + w.drawnMotion * (drawnLoss?.value ?? 0)
            + w.alignmentTeacher * (teacher?.value ?? 0)
        guard total.isFinite else {
            tape.clear()
            throw ModelError.invalidInput("the loss is not finite (\(total)) at step \(step + 1); lower the learning rate or check the data")
        }

        // Backward, in reverse order of the forward calls.
        let dPrediction = scene.gradient * w.scene, dReconstruction = recon.gradient * w.reconstruction
        var renderedGradient: FeatureMaps
        var coverageInputGradient: (warped: FeatureMaps, fx: FeatureMaps)?
        if let coverage, let priors {
            let p = Self.blendBackward(chunk(0), predictionBack, coverage.batches(0..<n), dPrediction)
            let r = Self.blendBackward(chunk(1), reconstructionBack, coverage.batches(n..<(2 * n)), dReconstruction)
            let dCoverage = Tensor.concatenatingBatches([p.coverage, r.coverage]) + priors.gradient
            let dInput = model.coverage!.backward(dCoverage, tape: tape)
            coverageInputGradient = (dInput.batches(0..<n), dInput.batches(n..<(2 * n)))
            renderedGradient = model.renderer.backward(
                .concatenatingBatches([p.front, r.front] + (distant == nil ? [p.back + r.back] : [p.back, r.back])), tape: tape)
        } else {
            renderedGradient = model.renderer.backward(.concatenatingBatches([dPrediction, dReconstruction]), tape: tape)
        }
        let renderedChunk = { (k: Int) in renderedGradient.batches((k * n)..<((k + 1) * n)) }
        let dPredictionFeatures = renderedChunk(0), dReconstructionFeatures = renderedChunk(1)
        var dWarped = dPredictionFeatures + equivariance.gradient * w.character
        if let coverageInputGradient { dWarped += coverageInputGradient.warped }
        let (dFxFromWarp, dTheta) = model.warpFeaturesBackward(dWarped, tape: tape)
        let drawnFeatureGradients = drawnLoss.flatMap { model.transform.backward($0.gradient * w.drawnMotion, tape: tape) }
        var dThetaTotal = dTheta
        if let supervision { dThetaTotal += supervision.gradient * w.transform }
        if let teacher { dThetaTotal += teacher.gradient * w.alignmentTeacher }
        let predictorFeatureGradients = model.transform.backward(dThetaTotal, tape: tape)
        let dInvariance = invariance.gradient * w.background
        // h(x) feeds the reconstruction (and its background layer) and the invariance terms;
        // h_scene feeds the prediction (and its background layer).
        let backgroundGradients: [FeatureMaps]
        if let distantInvariance {
            let dDistant = distantInvariance.gradient * w.background
            var dHx = dReconstructionFeatures - dInvariance - dDistant
            var dHScene = dPredictionFeatures + dDistant
            if layered {
                dHScene += renderedChunk(2)
                dHx += renderedChunk(3)
            }
            backgroundGradients = [dHx, dInvariance, dHScene]
        } else {
            var dHx = dPredictionFeatures + dReconstructionFeatures - dInvariance
            if layered { dHx += renderedChunk(2) }
            backgroundGradients = [dHx, dInvariance]
        }
        model.backgroundEncoder.backwardParameters(.concatenatingBatches(backgroundGradients), tape: tape)
        var dFx = dFxFromWarp + dReconstructionFeatures
        if let coverageInputGradient { dFx += coverageInputGradient.fx }
        var dFNext = equivariance.targetGradient * w.character
        if let (a, b) = predictorFeatureGradients {
            dFx.coarse += a
            dFNext.coarse += b
        }
        var featureGradients = [dFx, dFNext]
        if readsFeatures, drawn != nil {
            if let (a, b) = drawnFeatureGradients {
                featureGradients[0].coarse += a
                var drawnGradient = fx.zeros  // the predictor reads the coarse level only
                drawnGradient.coarse = b
                featureGradients.append(drawnGradient)
            } else {
                featureGradients.append(fx.zeros)
            }
        }
        model.characterEncoder.backwardParameters(.concatenatingBatches(featureGradients), tape: tape)
        precondition(tape.count == 0, "Trainer: \(tape.count) tape records left after backward")

        var transformError: Float?
        if let thetaX {
            transformError = Float((thetaZ - thetaX).meanAbsolute())
        }
        return StepReport(
            step: step, total: total, scene: scene.value, reconstruction: recon.value,
            character: equivariance.value, background: invarianceValue,
            characterFeatureMagnitude: Float(fx.coarse.meanAbsolute()), backgroundFeatureMagnitude: Float(hx.coarse.meanAbsolute()),
            transformError: transformError, coverageMean: coverage.map { Float($0.scalars.reduce(0.0) { $0 + Double($1) } / Double(max($0.count, 1))) },
            drawnMotionError: drawnTheta.map { Float(($0 - drawn!.theta).meanAbsolute()) })
    }

    /// Whether T^z is a predictor with parameters that estimates motion from frames (`pixels`
    /// or `features` with a learned output), the only kind the label-free T^z terms (drawn
    /// motion, alignment teacher) can train.
    var learnsTransformFromFrames: Bool { !model.variant.needsKnownMotion && !model.transform.parameters.isEmpty }

    /// x̃ (each frame moved by a motion drawn for this step) and the motions' sampling
    /// matrices, when the drawn-motion term is on and T^z is learned from frames (by a
    /// predictor with parameters); else nil. `firstSample`: the frames' place in the step's
    /// global batch (the draws are sequential, so a shard takes its part of the whole list).
    func drawnMotionPairs(for frames: Tensor, firstSample: Int = 0) throws -> (frames: Tensor, theta: Tensor)? {
        guard weights.drawnMotion > 0, learnsTransformFromFrames else { return nil }
        let n = frames.shape[0], size = frames.shape[2]
        let theta = try EquivariantModel.samplingMatrices(for: Array(DrawnMotion.motions(count: firstSample + n, step: step).suffix(n)))
        let moved = model.warp.forward(input: frames, theta: theta, tape: nil)
        switch drawnMotionRegion {
        case .frame: return (moved, theta)
        case .patch:
            // The patch, moved, over the frame as it was.
            let masks = DrawnMotion.patchMasks(count: firstSample + n, size: size, step: step).batches(firstSample..<(firstSample + n))
            let mask = model.warp.forward(input: masks, theta: theta, tape: nil)
            return (EquivariantModel.blend(moved, frames, coverage: mask), theta)
        }
    }

    /// `sparsity·mean(α) + binary·mean(α(1 − α))` and its gradient with respect to α.
    static func coveragePriors(_ alpha: Tensor, sparsity: Float, binary: Float) -> (value: Float, gradient: Tensor) {
        let count = Float(max(alpha.count, 1))
        var value = 0.0
        var gradient = alpha
        gradient.withUnsafeMutablePointer { g in
            alpha.withUnsafePointer { a in
                for i in 0..<alpha.count {
                    value += Double(sparsity * a[i] + binary * a[i] * (1 - a[i]))
                    g[i] = (sparsity + binary * (1 - 2 * a[i])) / count
                }
            }
        }
        return (Float(value) / count, gradient)
    }

    /// The gradients of `α·front + (1 − α)·back` ([N, C, H, W], α [N, 1, H, W]) given the
    /// gradient of the result: `α·d` for the front, `(1 − α)·d` for the back and
    /// `Σ_c (front − back)·d` for α.
    static func blendBackward(_ front: Tensor, _ back: Tensor, _ alpha: Tensor, _ gradient: Tensor)
        -> (front: Tensor, back: Tensor, coverage: Tensor) {
        let n = front.shape[0], c = front.shape[1], plane = front.shape[2] * front.shape[3]
        var dFront = gradient, dBack = gradient, dAlpha = alpha
        dAlpha.zero()
        dFront.withUnsafeMutablePointer { df in
            dBack.withUnsafeMutablePointer { db in
                dAlpha.withUnsafeMutablePointer { da in
                    front.withUnsafePointer { f in
                        back.withUnsafePointer { b in
                            alpha.withUnsafePointer { a in
                                gradient.withUnsafePointer { d in
                                    for s in 0..<n { for ch in 0..<c {
                                        let base = (s * c + ch) * plane, am = a + s * plane, dam = da + s * plane
                                        for i in 0..<plane {
                                            let k = base + i
                                            df[k] = am[i] * d[k]
                                            db[k] = (1 - am[i]) * d[k]
                                            dam[i] += (f[k] - b[k]) * d[k]
                                        }
                                    } }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (dFront, dBack, dAlpha)
    }

    /// L_c over every level of the feature maps: the sum of each level's normalised (or
    /// plain) squared error, with its gradients with respect to the moved features and the
    /// target. With a process `group` (a data-parallel shard), the normalised error's two
    /// means are the global batch's, summed across the group in one call.
    static func equivarianceLoss(_ moved: FeatureMaps, _ target: FeatureMaps, normalized: Bool, group: ProcessGroup? = nil) throws
        -> (value: Float, gradient: FeatureMaps, targetGradient: FeatureMaps) {
        let pairs = Array(zip(moved.levels, target.levels))
        let terms: [(value: Float, gradient: Tensor, targetGradient: Tensor)]
        if normalized {
            // Per level: mean((p − t)²) and mean(t²), averaged over the processes' equal shards.
            let errors = pairs.map { Loss.meanSquaredError($0, $1) }
            var means = zip(errors, pairs).flatMap { error, pair in [error.value, Self.meanSquare(pair.1)] }
            if let group, group.size > 1 {
                try group.sumAcrossProcesses(&means)
                means = means.map { $0 / Float(group.size) }
            }
            terms = pairs.indices.map { k in
                normalizedSquaredError(target: pairs[k].1, error: errors[k], numerator: means[2 * k], energy: means[2 * k + 1])
            }
        } else {
            terms = pairs.map { plainSquaredError($0, $1) }
        }
        return (terms.reduce(0) { $0 + $1.value }, FeatureMaps(levels: terms.map(\.gradient)), FeatureMaps(levels: terms.map(\.targetGradient)))
    }

    /// mean(t²), accumulated in double precision.
    static func meanSquare(_ t: Tensor) -> Float {
        Float(t.scalars.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(t.count, 1)))
    }

    /// `mean((p − t)²)` with its gradients with respect to p and t.
    static func plainSquaredError(_ p: Tensor, _ t: Tensor) -> (value: Float, gradient: Tensor, targetGradient: Tensor) {
        let (value, gradient) = Loss.meanSquaredError(p, t)
        return (value, gradient, gradient * -1)
    }

    /// `mean((p − t)²) / (mean(t²) + ε)` with its gradients: for p, `2(p − t)/(n·d)`; for t,
    /// `−2(p − t)/(n·d) − L·2t/(n·d)` where d is the denominator and L the value. `error`:
    /// mean((p − t)²) of these tensors and its gradient for p; `numerator` and `energy`: the
    /// two means over the whole batch (more than `t` for a data-parallel shard).
    static func normalizedSquaredError(target t: Tensor, error: (value: Float, gradient: Tensor), numerator: Float, energy: Float)
        -> (value: Float, gradient: Tensor, targetGradient: Tensor) {
        let denominator = energy + 1e-4
        let value = numerator / denominator
        let gradient = error.gradient * (1 / denominator)
        let targetGradient = gradient * -1 - t * (2 * value / (Float(t.count) * denominator))
        return (value, gradient, targetGradient)
    }
}
