/// Moves a value across a thread boundary whose safety the caller guarantees (see `startThread`).
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
