/// The version of the vgsweep programs, sent in a worker's hello.
public let vgsweepVersion = "0.2.0"
