import Tensors

#if canImport(Glibc)
import Glibc
#endif

/// The Adam optimiser (Kingma & Ba) with bias correction and parameter groups.
///
/// Update for each parameter with gradient g at step t (1-based):
/// `m = β₁m + (1−β₁)g`, `v = β₂v + (1−β₂)g²`, `θ −= lr · (m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε)`.
/// The moment estimates live in `state`, apart from the update rule, so they can be saved
/// and restored to resume training exactly.
public final class Adam {
    /// Parameters sharing one learning rate.
    public struct Group {
        /// The parameters updated with `learningRate`.
        public var parameters: [Parameter]
        /// The step size.
        public var learningRate: Float
        /// Creates a group.
        public init(parameters: [Parameter], learningRate: Float) {
            self.parameters = parameters
            self.learningRate = learningRate
        }
    }

    /// The optimiser's mutable state: step count and both moments of every parameter, in
    /// group order.
    public struct State: Equatable {
        /// Steps taken so far.
        public var step: Int
        /// First-moment estimates, one tensor per parameter.
        public var firstMoments: [Tensor]
        /// Second-moment estimates, one tensor per parameter.
        public var secondMoments: [Tensor]

        /// Creates a state (e.g. read back from a checkpoint).
        public init(step: Int, firstMoments: [Tensor], secondMoments: [Tensor]) {
            self.step = step
            self.firstMoments = firstMoments
            self.secondMoments = secondMoments
        }
    }

    /// The parameter groups.
    public var groups: [Group]
    /// Exponential decay of the first moment.
    public let beta1: Float
    /// Exponential decay of the second moment.
    public let beta2: Float
    /// Added to the denominator for stability.
    public let epsilon: Float
    /// Step count and moments.
    public var state: State

    /// Creates an optimiser over the given groups, with zero moments.
    public init(groups: [Group], beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        precondition(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1 && epsilon > 0,
                     "Adam: need 0 ≤ beta1, beta2 < 1 and epsilon > 0, got \(beta1), \(beta2), \(epsilon)")
        self.groups = groups
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        let all = groups.flatMap(\.parameters)
        state = State(
            step: 0,
            firstMoments: all.map { Tensor(shape: $0.value.shape) },
            secondMoments: all.map { Tensor(shape: $0.value.shape) })
    }

    /// Convenience: one group.
    public convenience init(parameters: [Parameter], learningRate: Float) {
        self.init(groups: [Group(parameters: parameters, learningRate: learningRate)])
    }

    /// Zeroes the gradient of every parameter.
    public func zeroGradients() {
        for group in groups { for parameter in group.parameters { parameter.zeroGradient() } }
    }

    /// Applies one update from the accumulated gradients.
    public func step() {
        state.step += 1
        let t = Float(state.step)
        let correction1 = 1 - powf(beta1, t), correction2 = 1 - powf(beta2, t)
        // Move the moments out of `state` while updating (no overlapping access, no copy).
        var firstMoments = state.firstMoments, secondMoments = state.secondMoments
        state.firstMoments = []
        state.secondMoments = []
        defer {
            state.firstMoments = firstMoments
            state.secondMoments = secondMoments
        }
        var index = 0
        for group in groups {
            let lr = group.learningRate
            for parameter in group.parameters {
                let count = parameter.value.count
                let b1 = beta1, b2 = beta2, eps = epsilon
                parameter.value.withUnsafeMutablePointer { theta in
                    parameter.gradient.withUnsafePointer { g in
                        firstMoments[index].withUnsafeMutablePointer { m in
                            secondMoments[index].withUnsafeMutablePointer { v in
                                for i in 0..<count {
                                    m[i] = b1 * m[i] + (1 - b1) * g[i]
                                    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                                    theta[i] -= lr * (m[i] / correction1) / ((v[i] / correction2).squareRoot() + eps)
                                }
                            }
                        }
                    }
                }
                index += 1
            }
        }
    }
}
