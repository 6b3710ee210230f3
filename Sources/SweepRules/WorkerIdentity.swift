/// Who a worker is, for the lease rules: whose attempt a RESULT may finish, who may take an
/// interrupted trial back, whose losses count as one strike.
///
/// `name` is the id a worker gives itself in HELLO (host-pid-random): enough to tell apart the
/// workers of a trusted network, and nothing more, since any client may claim any name. With
/// CURVE keys, `key` is the public key the client proved it holds in the handshake (ZAP's
/// User-Id): two identities with different keys never match, so no client can pose as a
/// worker whose secret key it does not have, whatever name or routing id it chooses. The name
/// still tells apart the processes that share one key (a Slurm array given one certificate).
public struct WorkerIdentity: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public var name: String
    /// The client's CURVE public key (Z85), or nil on a coordinator without keys.
    public var key: String?

    public init(name: String, key: String? = nil) {
        self.name = name
        self.key = key
    }

    public init(stringLiteral name: String) { self.init(name: name) }

    /// The name, with the key's first characters when there is one.
    public var description: String { key.map { "\(name) (key \($0.prefix(8))…)" } ?? name }
}
