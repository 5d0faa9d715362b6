import NeuralNetwork
import Tensors

extension Trainer {
    /// This process's gradients on its shard, averaged with the other processes' in one
    /// collective sum, and the step's report averaged the same way (the shards are equal,
    /// so the averages are the global batch's means). Every parameter's gradient then holds
    /// the gradient of the global batch's loss on every process.
    ///
    /// The sum also carries a failure flag: a shard that throws (a non-finite loss, say)
    /// contributes zeros and the flag, and every process then throws, so none waits for the
    /// others in a later step.
    func computeGradientsAcrossProcesses(on batch: TrainingBatch, shard: BatchShard) throws -> StepReport {
        let group = shard.group
        var local: StepReport?
        var failure: Error?
        do {
            local = try computeGradients(on: batch, shard: shard)
        } catch {
            failure = error
            optimizer.zeroGradients()
        }
        let parameters = model.parameters
        let gradientCount = parameters.reduce(0) { $0 + $1.gradient.count }
        // Report fields after the gradients: failed, then the values averaged.
        let fields = Self.reportFields(local)
        var buffer = [Float]()
        buffer.reserveCapacity(gradientCount + 1 + fields.count)
        for parameter in parameters { buffer.append(contentsOf: parameter.gradient.scalars) }
        buffer.append(failure == nil ? 0 : 1)
        buffer.append(contentsOf: fields)
        try group.sumAcrossProcesses(&buffer)

        let failed = Int(buffer[gradientCount].rounded())
        if failed > 0 {
            if let failure { throw failure }
            throw ModelError.invalidInput("step \(step + 1) failed in \(failed) of \(group.size) processes (their own messages say why)")
        }
        let scale = 1 / Float(group.size)
        buffer.withUnsafeMutableBufferPointer { values in
            var start = 0
            for parameter in parameters {
                let count = parameter.gradient.count
                parameter.gradient.withUnsafeMutablePointer { g in
                    for i in 0..<count { g[i] = values[start + i] * scale }
                }
                start += count
            }
        }
        var report = local!
        Self.setReportFields(&report, from: buffer[(gradientCount + 1)...].map { $0 * scale })
        return report
    }

    /// The averaged fields of a report, in a fixed order (zeros for a failed step; optional
    /// fields as 0 when absent, which they are on every process alike).
    static func reportFields(_ report: StepReport?) -> [Float] {
        guard let r = report else { return Array(repeating: 0, count: 10) }
        return [r.total, r.scene, r.reconstruction, r.character, r.background, r.characterFeatureMagnitude, r.backgroundFeatureMagnitude,
                r.transformError ?? 0, r.coverageMean ?? 0, r.drawnMotionError ?? 0]
    }

    /// Writes back the fields of ``reportFields(_:)``, keeping absent optionals absent.
    static func setReportFields(_ report: inout StepReport, from fields: [Float]) {
        report.total = fields[0]
        report.scene = fields[1]
        report.reconstruction = fields[2]
        report.character = fields[3]
        report.background = fields[4]
        report.characterFeatureMagnitude = fields[5]
        report.backgroundFeatureMagnitude = fields[6]
        if report.transformError != nil { report.transformError = fields[7] }
        if report.coverageMean != nil { report.coverageMean = fields[8] }
        if report.drawnMotionError != nil { report.drawnMotionError = fields[9] }
    }
}
