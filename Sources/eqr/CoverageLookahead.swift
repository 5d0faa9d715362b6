import Dispatch
import EquivariantModel
import Retargeting
import VideoIO

/// The model's coverage of the host's next frame, computed on a thread of its own while the
/// current frame renders.
///
/// Over a clip's plate (`-plate clip`) a layered model's coverage is read wherever the plate
/// is not trusted, and it depends on the frame alone, so it can run one frame ahead: the
/// network's GEMMs then fill the cores while the matte, the composite and the encoder's
/// hand-off of the frame before wait on one another (`eqr bench host`: README). The
/// coverage comes from a pipeline of its own over the same model (its own scalers), so the
/// result is the one the rendering pipeline would compute.
final class CoverageLookahead: @unchecked Sendable {
    /// One frame's coverage, being computed.
    final class Job: @unchecked Sendable {
        fileprivate var result: Result<PlanarMask?, Error>?
        fileprivate let done = DispatchSemaphore(value: 0)

        /// Waits for the coverage (nil for a model without one); rethrows its error.
        func wait() throws -> PlanarMask? {
            done.wait()
            done.signal()  // a second wait returns at once
            return try result!.get()
        }
    }

    /// Used on `queue` only, one frame at a time.
    private let estimator: FramePipeline
    private let queue = DispatchQueue(label: "eqr.coverage-lookahead")

    /// A lookahead for `model` (shared with the rendering pipeline: inference reads it only).
    init(model: EquivariantModel) throws {
        estimator = try FramePipeline(model: model)
    }

    /// Starts computing the coverage of `frame`; `Job.wait()` returns it.
    func start(_ frame: Frame) -> Job {
        let job = Job()
        queue.async { [estimator] in
            job.result = Result { try frame.withPixelBuffer { try estimator.coverage($0) } }
            job.done.signal()
        }
        return job
    }
}
