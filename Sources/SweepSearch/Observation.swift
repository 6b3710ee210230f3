/// One trial as a sampler sees it: what was suggested and, once it has finished, how it did.
public struct Observation: Sendable, Equatable {
    /// One value per dimension, as `suggest` returned them.
    public var values: [SearchValue]
    /// The objective; nil while the trial is pending (handed out, not finished). NaN is a
    /// failed trial, ranked worst of all.
    public var objective: Double?

    public init(values: [SearchValue], objective: Double?) {
        self.values = values
        self.objective = objective
    }

    /// A trial handed out and not yet finished.
    public static func pending(_ values: [SearchValue]) -> Observation {
        Observation(values: values, objective: nil)
    }
}
