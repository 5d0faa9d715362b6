extension SafeTensors {
    /// A file's header: its metadata and the name, shape and size of every tensor, fully
    /// validated against the file's length.
    public struct Header: Equatable, Sendable {
        /// The `__metadata__` strings (empty when the file has none).
        public var metadata: [String: String]
        /// Every tensor's entry, by name.
        public var entries: [String: Entry]
        /// The length of the JSON header in bytes (the value of the 8-byte length field).
        public var headerByteCount: Int
        /// The length of the data section in bytes.
        public var dataByteCount: Int

        /// Creates a header description.
        public init(metadata: [String: String], entries: [String: Entry], headerByteCount: Int, dataByteCount: Int) {
            self.metadata = metadata
            self.entries = entries
            self.headerByteCount = headerByteCount
            self.dataByteCount = dataByteCount
        }
    }
}
