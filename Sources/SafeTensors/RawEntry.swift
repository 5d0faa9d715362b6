/// One tensor entry as found in the JSON, before validation.
struct RawEntry {
    var name: String
    var dtype: String?
    var shape: [Int]?
    var offsets: [Int]?
}
