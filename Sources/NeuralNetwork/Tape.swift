/// What forward passes keep for their backward passes, as a stack.
///
/// A forward pass given a tape pushes one record per layer call; backward passes pop them,
/// so backward calls must come in exactly the reverse order of the forward calls. The
/// same layer may run several times in one pass (each call has its own record). Without a
/// tape, forward keeps nothing and mutates nothing, so a model can serve several threads.
public final class Tape {
    private var records: [Any] = []

    /// Creates an empty tape.
    public init() {}

    /// The number of records not yet consumed by a backward pass.
    public var count: Int { records.count }

    /// Saves a record for the matching backward call.
    public func push(_ record: Any) { records.append(record) }

    /// Takes the most recent record, which must have been pushed by `layer` as type `T`.
    public func pop<T>(_ type: T.Type, for layer: String) -> T {
        guard let last = records.popLast() else {
            preconditionFailure("\(layer).backward: the tape is empty (backward called without a matching forward)")
        }
        guard let record = last as? T else {
            preconditionFailure("\(layer).backward: the tape's last record is \(Swift.type(of: last)), not \(T.self); backward calls must mirror forward calls in reverse order")
        }
        return record
    }

    /// Drops every record (e.g. after a forward pass whose backward is not needed).
    public func clear() { records.removeAll(keepingCapacity: true) }
}
