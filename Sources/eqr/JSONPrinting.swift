import Foundation

/// Prints `value` as one JSON object on standard output, keys sorted (`--json` of the
/// commands that report figures); `pretty`: indented over several lines.
func printJSON<T: Encodable>(_ value: T, pretty: Bool = false) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
