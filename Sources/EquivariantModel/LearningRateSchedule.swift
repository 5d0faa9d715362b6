import Foundation

/// How the learning rate moves over a run: a factor on every parameter group's base rate,
/// a pure function of the step (so a resumed run follows the same curve).
public enum LearningRateSchedule: Equatable, Sendable {
    /// The base rate throughout.
    case constant
    /// A linear warm-up over `warmupSteps`, then a half cosine from the base rate down to
    /// `floor` × the base rate at `totalSteps` (held there after).
    case cosine(totalSteps: Int, warmupSteps: Int = 0, floor: Float = 0.05)

    /// The factor for the update that makes step `step` (1-based).
    public func factor(atStep step: Int) -> Float {
        switch self {
        case .constant:
            return 1
        case let .cosine(total, warmup, floor):
            if warmup > 0 && step <= warmup { return Float(step) / Float(warmup) }
            let span = max(total - warmup, 1)
            let progress = min(max(Float(step - warmup) / Float(span), 0), 1)
            return floor + (1 - floor) * 0.5 * (1 + cos(Float.pi * progress))
        }
    }

    /// Throws unless the schedule's numbers are usable.
    public func validate() throws {
        if case let .cosine(total, warmup, floor) = self {
            guard total >= 1, warmup >= 0, warmup < total else {
                throw ModelError.invalidConfiguration("a cosine schedule needs 0 ≤ warm-up steps < total steps, got \(warmup) of \(total)")
            }
            guard floor.isFinite, floor >= 0, floor <= 1 else {
                throw ModelError.invalidConfiguration("the cosine schedule's floor must be in [0, 1], got \(floor)")
            }
        }
    }
}
