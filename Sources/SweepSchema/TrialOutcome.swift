import Foundation
import MLPKit

/// A trial's final result as a worker reported it (MLPKit's `TrialResult`), decoded and checked
/// against the schema: a status the coordinator knows, accuracies in [0, 1], losses not
/// negative, epochs within the trial's budget. Nothing that breaks these is ever stored as a
/// result.
public struct TrialOutcome: Sendable, Equatable {
    public var result: TrialResult
    /// The result object as received, stored whole (the report reads its weight histograms).
    public var json: String

    public var status: TrialResult.Status { result.status }

    /// Decodes and checks `json`; `epochBudget` is the most epochs the trial may run.
    public init(json: String, epochBudget: Int) throws(SchemaError) {
        let result: TrialResult
        do { result = try SchemaCoding.decode(TrialResult.self, from: json) } catch {
            throw SchemaError(field: error.field, problem: error.problem)
        }
        try Self.check(result, epochBudget: epochBudget)
        self.result = result
        self.json = json
    }

    static func check(_ r: TrialResult, epochBudget: Int) throws(SchemaError) {
        for (field, value) in [("test_acc", r.testAcc), ("val_acc", r.valAcc), ("train_acc", r.trainAcc)] {
            if let value, !value.isNaN, !(0...1).contains(value) {
                throw SchemaError(field: field, problem: "\(value) is not an accuracy in [0, 1]")
            }
        }
        for (field, value) in [("test_loss", r.testLoss), ("train_loss", r.trainLoss), ("val_loss", r.valLoss)] {
            if let value, value < 0 { throw SchemaError(field: field, problem: "\(value) is a negative loss") }
        }
        guard (0...max(epochBudget, 0)).contains(r.epochs) else {
            throw SchemaError(field: "epochs", problem: "\(r.epochs) is outside the trial's budget 0...\(epochBudget)")
        }
        guard r.seconds >= 0 || r.seconds.isNaN else { throw SchemaError(field: "seconds", problem: "\(r.seconds) is negative") }
        guard r.samplesPerS >= 0 || r.samplesPerS.isNaN else {
            throw SchemaError(field: "samples_per_s", problem: "\(r.samplesPerS) is negative")
        }
    }

    /// The number a sweep ranks by.
    public func value(of metric: Metric.Name) -> Double? {
        switch metric {
        case .testAcc: result.testAcc
        case .valAcc: result.valAcc
        case .testLoss: result.testLoss
        case .trainLoss: result.trainLoss
        case .valLoss: result.valLoss
        case .trainAcc: result.trainAcc
        }
    }
}

/// A payload that breaks the schema: which field, and what is wrong with it.
public struct SchemaError: Error, Equatable, Sendable, CustomStringConvertible {
    public var field: String
    public var problem: String

    public init(field: String, problem: String) {
        self.field = field
        self.problem = problem
    }

    public var description: String { field.isEmpty ? problem : "\(field): \(problem)" }
}

/// How the payloads are read everywhere (`JSONPayload(encoding:)` writes them): NaN and
/// infinities as the strings "nan", "inf" and "-inf", which JSON has no numbers for.
public enum SchemaCoding {
    public static func decode<T: Decodable>(_ type: T.Type, from json: String) throws(SchemaError) -> T {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            return try decoder.decode(type, from: Data(json.utf8))
        } catch let DecodingError.keyNotFound(key, context) {
            throw SchemaError(field: path(context.codingPath + [key]), problem: "missing")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw SchemaError(field: path(context.codingPath), problem: "wrong type: \(context.debugDescription)")
        } catch let DecodingError.dataCorrupted(context) {
            throw SchemaError(field: path(context.codingPath), problem: context.debugDescription)
        } catch {
            throw SchemaError(field: "", problem: "\(error)")
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}

/// The most epochs a trial with these parameters runs (every stage of a progressive plan);
/// nil when they are not valid `TrialConfig` parameters.
public func epochBudget(of pairs: [(String, String)]) -> Int? {
    var config = TrialConfig()
    do { try config.apply(pairs) } catch { return nil }
    return config.plan.totalEpochs
}
