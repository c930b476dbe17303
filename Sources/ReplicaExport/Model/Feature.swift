/// One row of a layer: attribute values in the layer's field order, and an optional geometry.
public struct Feature: Sendable, Equatable {
    /// Indexed like ``LayerSchema/fields``.
    public var attributes: [Value]
    /// nil for tables and for features without geometry.
    public var geometry: Geometry?

    /// A feature with `attributes` in its layer's field order.
    public init(attributes: [Value], geometry: Geometry? = nil) {
        self.attributes = attributes
        self.geometry = geometry
    }
}
