extension SafeTensors {
    /// One tensor's header entry: its element type, shape and byte range.
    public struct Entry: Equatable, Sendable {
        /// The element type as written in the file (always `"F32"` for an entry that was read).
        public var dtype: String
        /// The extent of each axis, outermost first.
        public var shape: [Int]
        /// The tensor's bytes within the data section.
        public var dataOffsets: Range<Int>

        /// The number of bytes of data (`shape.reduce(1, *) * 4` for F32).
        public var byteCount: Int { dataOffsets.count }

        /// The number of elements.
        public var elementCount: Int { shape.reduce(1, *) }

        /// Creates an entry.
        public init(dtype: String, shape: [Int], dataOffsets: Range<Int>) {
            self.dtype = dtype
            self.shape = shape
            self.dataOffsets = dataOffsets
        }
    }
}
