import SweepSchema
import SweepWire

/// Where the trials of a random or bayes sweep come from: they are made one at a time, as
/// workers ask for work, so that a model-based search (TPE) sees every result before it
/// suggests the next trial. Grid and list sweeps have none: all their trials exist at the start.
///
/// The machine calls `next` when a worker is ready and no trial is queued; a source must be
/// deterministic in what it is given (the same history gives the same trial), so that a
/// restarted coordinator, rebuilt from the store, carries on the same sequence.
public protocol TrialSource: Sendable {
    /// The most trials the sweep may have (W&B's `run_cap`).
    var budget: Int { get }

    /// The next trial, given every trial made so far in order of creation (finished ones with
    /// their objective, the others pending); nil when the source has nothing more to offer.
    /// `history.count` trials exist; the new one gets ordinal `history.count`.
    func next(after history: [SourcedTrial]) -> NewTrial?
}

/// A trial as a source sees it: its parameters and, once finished, the sweep metric's value.
public struct SourcedTrial: Sendable, Equatable {
    public var id: String
    public var parameters: [TaskBody.Parameter]
    /// The metric's value; nil while it is queued or running, NaN when it failed or has none.
    public var objective: Double?

    public init(id: String, parameters: [TaskBody.Parameter], objective: Double?) {
        self.id = id
        self.parameters = parameters
        self.objective = objective
    }
}

/// A trial a source makes: what the store registers and what a worker is given.
public struct NewTrial: Sendable, Equatable {
    public var id: String
    public var configID: String
    public var parameters: [TaskBody.Parameter]
    /// The swept parameters, as a results table shows them.
    public var swept: [TaskBody.Parameter]
    public var epochBudget: Int

    public init(id: String, configID: String, parameters: [TaskBody.Parameter], swept: [TaskBody.Parameter], epochBudget: Int) {
        self.id = id
        self.configID = configID
        self.parameters = parameters
        self.swept = swept
        self.epochBudget = epochBudget
    }
}
