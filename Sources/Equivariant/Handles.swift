import CEquivariant
import CInteropSupport
import EquivariantModel
import Retargeting
import Synchronization
import VideoIO

/// What an `eqr_model *` stands for: a loaded model, read-only and shared.
final class ModelHandle {
    let model: EquivariantModel

    init(model: EquivariantModel) { self.model = model }

    /// The variant's name, from a static table so it outlives the handle.
    var variant: CString { Self.variantNames[model.configuration.variant]! }

    private static let variantNames = Dictionary(uniqueKeysWithValues: TransformVariants.names.map { ($0, CString($0)) })

    /// Live `eqr_model` handles.
    static let registry = HandleRegistry<ModelHandle>()
}

/// What an `eqr_context *` stands for: one stream's pipeline and its last error.
final class ContextHandle {
    let owner: ModelHandle
    let pipeline: FramePipeline
    private(set) var lastError = CString("")
    /// Set while a call runs: a second thread calling into the same context at that moment
    /// is refused instead of corrupting it (contexts are one per thread).
    private let inUse = Atomic<Bool>(false)

    init(owner: ModelHandle) throws {
        self.owner = owner
        pipeline = try FramePipeline(model: owner.model)
    }

    var model: EquivariantModel { owner.model }

    /// Throws `EQR_ERROR_NOT_READY` naming `call` unless the background it needs is there.
    func requireBackground(_ present: Bool, for call: String) throws {
        guard present else {
            throw CallFailure.notReady("\(call) needs a background: call eqr_context_set_background or eqr_context_set_background_file first")
        }
    }

    /// Runs one C call: stores the failure's message and returns its status.
    func perform(_ body: () throws -> Void) -> eqr_status {
        do {
            try body()
            lastError = CString("")
            return EQR_OK
        } catch {
            let failure = CallFailure(error)
            lastError = CString(failure.message)
            LibraryLog.emit(EQR_LOG_ERROR, failure.message)
            return failure.status
        }
    }

    /// Live `eqr_context` handles.
    static let registry = HandleRegistry<ContextHandle>()

    /// The status of a call on a handle that is not a live context, or of a call made while
    /// another thread is inside the same context (`EQR_ERROR_BUSY`; the other call's message
    /// is left alone).
    static func perform(_ handle: OpaquePointer?, _ body: (ContextHandle) throws -> Void) -> eqr_status {
        guard let context = registry.object(handle) else { return EQR_ERROR_INVALID_HANDLE }
        guard context.inUse.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return EQR_ERROR_BUSY }
        defer { context.inUse.store(false, ordering: .releasing) }
        return context.perform { try body(context) }
    }
}
