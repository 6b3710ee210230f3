import MLPKit

// The payloads that travel in METRIC and RESULT frames are MLPKit's own report types: the
// worker encodes them, the coordinator checks the result, the CSV and the report decode both
// (with `SchemaCoding`), all through these names.

/// One epoch's report: losses, accuracies, speed and the per-layer gradient diagnostics.
public typealias EpochReport = MLPKit.EpochReport
/// A trial's final result.
public typealias TrialResult = MLPKit.TrialResult
/// One Dense layer's weights before and after training, as counts over the same bins.
public typealias WeightHistogram = MLPKit.WeightHistogram
