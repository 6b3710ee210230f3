import Crypto
import Foundation
import MLPKit

/// One training run of a sweep, with an identity that depends only on what it trains.
///
/// The id hashes the canonical full parameter list, not the file: reordering a sweep file,
/// spelling `1e-3` as `0.001`, or running the same file again gives the same ids, so a
/// coordinator can skip trials that already finished and two sweeps that share a
/// configuration share its result. `configId` leaves the seed out, so the repeats of one
/// configuration can be grouped for a mean and a spread.
public struct Trial: Sendable, Equatable {
    /// One `name=value`, in the text form `TrialConfig` reads and prints.
    public struct Pair: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) { self.name = name; self.value = value }
        public var description: String { "\(name)=\(value)" }
    }

    /// First 12 hex digits of SHA-256 over the canonical pairs (see `Trial.hash`).
    public let id: String
    /// The same hash without the `seed` pair: shared by the repeats of one configuration.
    public let configId: String
    /// The list entry's name; "" for grid and random trials.
    public let name: String
    /// Position in the expansion, from 0: the order trials are handed out.
    public let ordinal: Int
    /// The parameters the file names (plus `seed` when it repeats), in file order, with their
    /// canonical values: what a table of results shows.
    public let swept: [Pair]
    /// Every parameter of `TrialConfig`, in table order: what a worker is given.
    public let pairs: [Pair]
    public let config: TrialConfig

    public init(config: TrialConfig, name: String = "", ordinal: Int = 0, swept: [Pair] = []) {
        let pairs = config.pairs.map { Pair($0.0, $0.1) }
        self.id = Self.hash(pairs)
        self.configId = Self.hash(pairs.filter { $0.name != "seed" })
        self.name = name
        self.ordinal = ordinal
        self.swept = swept
        self.pairs = pairs
        self.config = config
    }

    /// The `key=value` arguments that rebuild `config` (`TrialConfig(arguments:)`).
    public var arguments: [String] { pairs.map(\.description) }

    /// Versioned, so a future change of what identifies a trial cannot silently reuse old ids.
    static let hashPrefix = "vgsweep-trial-v1\n"

    /// First 12 hex digits of SHA-256 over `vgsweep-trial-v1\n` followed by `key=value\n` per pair.
    public static func hash(_ pairs: [Pair]) -> String {
        var text = hashPrefix
        for pair in pairs { text += "\(pair.name)=\(pair.value)\n" }
        let digest = SHA256.hash(data: Data(text.utf8))
        let digits = Array("0123456789abcdef")
        var hex = ""
        for byte in digest.prefix(6) {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0F)])
        }
        return hex
    }
}

/// Stored as its pairs; `config` is rebuilt from them on decoding. The ids are kept as they
/// were written: they name a trial that may already have results, even if a later version
/// would hash it differently.
extension Trial: Codable {
    private enum CodingKeys: String, CodingKey { case id, configId, name, ordinal, swept, pairs }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let pairs = try c.decode([Pair].self, forKey: .pairs)
        var config = TrialConfig()
        do {
            try config.apply(pairs.map { ($0.name, $0.value) })
        } catch {
            throw DecodingError.dataCorruptedError(forKey: .pairs, in: c, debugDescription: error.description)
        }
        self.id = try c.decode(String.self, forKey: .id)
        self.configId = try c.decode(String.self, forKey: .configId)
        self.name = try c.decode(String.self, forKey: .name)
        self.ordinal = try c.decode(Int.self, forKey: .ordinal)
        self.swept = try c.decode([Pair].self, forKey: .swept)
        self.pairs = pairs
        self.config = config
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(configId, forKey: .configId)
        try c.encode(name, forKey: .name)
        try c.encode(ordinal, forKey: .ordinal)
        try c.encode(swept, forKey: .swept)
        try c.encode(pairs, forKey: .pairs)
    }
}
