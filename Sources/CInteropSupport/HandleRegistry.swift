import Foundation

/// The live handles of one kind given out to C callers: the one way the C library and the
/// frei0r plugins hand out objects. Every call looks its handle up here, so NULL, freed
/// handles and handles of another kind are refused instead of being dereferenced. The
/// registry owns the objects: a handle stays valid until it is removed.
///
/// Handles are never reused: each is a fresh number, not the object's address, so a freed
/// handle stays invalid even when a new object lands at the same address.
public final class HandleRegistry<Object: AnyObject>: @unchecked Sendable {
    private let lock = NSLock()
    private var live: [UInt: Object] = [:]
    private var lastHandle: UInt

    /// Creates an empty registry. Registries of different kinds start far apart, so a handle
    /// of one kind is not valid in another.
    public init() {
        // 16-byte steps keep handles aligned like pointers; the random start separates kinds.
        lastHandle = UInt.random(in: 1...(1 << 40)) << 4
    }

    /// Registers `object` and returns its handle.
    public func register(_ object: Object) -> OpaquePointer {
        lock.withLock {
            lastHandle &+= 16
            live[lastHandle] = object
            return OpaquePointer(bitPattern: lastHandle)!
        }
    }

    /// The object behind a live handle, or nil.
    public func object(_ handle: OpaquePointer?) -> Object? {
        guard let handle else { return nil }
        return lock.withLock { live[UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(handle)))] }
    }

    /// Forgets a handle; returns whether it was live.
    @discardableResult
    public func remove(_ handle: OpaquePointer?) -> Bool {
        guard let handle else { return false }
        return lock.withLock { live.removeValue(forKey: UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(handle)))) != nil }
    }
}
