/// The registry of T^z variants: the one place that lists them.
public enum TransformVariants {
    /// Every variant, in the order help texts list them.
    public static let all: [any TransformVariant.Type] = [GivenTransform.self, PixelsTransform.self, FeaturesTransform.self]

    /// The names of every variant (`given`, `pixels`, `features`).
    public static var names: [String] { all.map { $0.name } }

    /// The variant called `name`, or nil.
    public static func named(_ name: String) -> (any TransformVariant.Type)? { all.first { $0.name == name } }

    /// The names joined for messages: "given, pixels or features".
    public static var nameList: String {
        let names = self.names
        return names.count < 2 ? names.joined() : names.dropLast().joined(separator: ", ") + " or " + names.last!
    }
}
