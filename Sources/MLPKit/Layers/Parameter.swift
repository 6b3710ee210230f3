/// A learned tensor with its gradient: what an optimizer steps and a freeze stops.
///
/// A class, because a layer, the optimizer and the diagnostics all refer to the same
/// weights; the optimizer keeps its own state per parameter in the same order.
public final class Parameter {
    public let name: String
    public var value: Matrix
    public var grad: Matrix
    /// A frozen parameter gets no gradient and no update.
    public var isFrozen = false
    /// Squared norm of the last update the optimizer applied, for the update ratio.
    public internal(set) var lastUpdateSquared: Double = 0

    public init(name: String, rows: Int, cols: Int) {
        self.name = name
        value = Matrix(rows: rows, cols: cols)
        grad = Matrix(rows: rows, cols: cols)
    }

    public var count: Int { value.count }
}
