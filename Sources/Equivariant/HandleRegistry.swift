import Foundation

/// The live handles of one kind given out to C callers. Every call looks its handle up
/// here, so NULL, freed handles and handles of another kind are refused instead of being
/// dereferenced. The registry owns the objects: a handle stays valid until it is removed.
final class HandleRegistry<Object: AnyObject>: @unchecked Sendable {
    private let lock = NSLock()
    private var live: [UnsafeMutableRawPointer: Object] = [:]

    /// Registers `object` and returns its handle.
    func register(_ object: Object) -> OpaquePointer {
        let address = Unmanaged.passUnretained(object).toOpaque()
        lock.withLock { live[address] = object }
        return OpaquePointer(address)
    }

    /// The object behind a live handle, or nil.
    func object(_ handle: OpaquePointer?) -> Object? {
        guard let handle else { return nil }
        return lock.withLock { live[UnsafeMutableRawPointer(handle)] }
    }

    /// Forgets a handle; returns whether it was live.
    @discardableResult
    func remove(_ handle: OpaquePointer?) -> Bool {
        guard let handle else { return false }
        return lock.withLock { live.removeValue(forKey: UnsafeMutableRawPointer(handle)) != nil }
    }
}
