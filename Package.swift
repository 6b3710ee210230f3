// swift-tools-version:6.1
import PackageDescription

/// libxsmm's just-in-time kernels (Debian's libxsmm-dev) exist for x86-64 only; elsewhere
/// every product goes to OpenBLAS (`SmallGEMM` checks `canImport(CXSMM)`).
#if arch(x86_64)
let smallKernels: [Target.Dependency] = ["CXSMM"]
#else
let smallKernels: [Target.Dependency] = []
#endif

let package = Package(
    name: "vgsweep",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "MLPKit", targets: ["MLPKit"]),
        .executable(name: "worker", targets: ["Worker"]),
        .executable(name: "coordinator", targets: ["Coordinator"]),
        .executable(name: "mlpbench", targets: ["MLPBench"]),
        .executable(name: "sweepbench", targets: ["SweepBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-collections", exact: "1.6.0"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        // libxsmm ships only a static library; its just-in-time kernels run the small products.
        .systemLibrary(name: "CXSMM", providers: [.apt(["libxsmm-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        // libzmq's pkg-config file carries an -isystem flag SwiftPM drops; zmq.h is in /usr/include.
        .systemLibrary(name: "CZMQ", providers: [.apt(["libzmq3-dev"])]),
        // Element-wise kernels built for AVX-512, AVX2 and baseline, chosen when loaded. No
        // contraction into fused multiply-adds (a pragma in the sources): every clone
        // computes the same bits.
        .target(name: "CKernels"),
        .target(
            name: "MLPKit",
            dependencies: [
                "CBLAS", "CKernels", "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
            ] + smallKernels),
        // What coordinator and worker share, one job per module (docs/architecture.md).
        /// The wire protocol (messages, codec, strict JSON) and the ZeroMQ transport.
        .target(name: "SweepWire", dependencies: ["CZMQ"]),
        /// Sweep files: parsing, validation, expansion, trial identity.
        .target(
            name: "SweepFile",
            dependencies: [
                "MLPKit", "Yams", "SweepSchema",
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        /// What travels and is stored: statuses, outcomes, the metric, the epoch report and
        /// the trial result, decoded and checked by every reader with the same types.
        .target(name: "SweepSchema", dependencies: ["MLPKit"]),
        /// The coordinator's rules as one pure state machine: leases, retries, what counts.
        .target(
            name: "SweepRules",
            dependencies: [
                "SweepSchema", "SweepWire",
                .product(name: "Collections", package: "swift-collections"),
            ]),
        /// The SQLite store: carries out the rules' changes; the read model of a sweep.
        .target(
            name: "SweepStorage",
            dependencies: ["SweepSchema", "SweepRules", .product(name: "GRDB", package: "GRDB.swift")]),
        /// Samplers that propose the next trial from the finished ones (TPE, random): pure
        /// values, no I/O; MLPKit only for its seeded `Xoshiro256`.
        .target(name: "SweepSearch", dependencies: ["MLPKit"]),
        /// Results as CSV, the ranking as text, report.html.
        .target(name: "SweepReport", dependencies: ["SweepSchema", "SweepStorage"]),
        .executableTarget(
            name: "Coordinator",
            dependencies: [
                "SweepWire", "SweepFile", "SweepSchema", "SweepRules", "SweepStorage", "SweepReport", "SweepSearch",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "Worker",
            dependencies: [
                "MLPKit", "SweepWire", "SweepSchema",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "MLPBench",
            dependencies: ["MLPKit"],
            path: "benchmarks/MLPBench"),
        .executableTarget(name: "TPEBench", dependencies: ["SweepSearch"], path: "benchmarks/TPEBench"),
        .executableTarget(name: "SweepBench", dependencies: ["SweepWire", "SweepSchema"], path: "benchmarks/SweepBench"),
        .testTarget(name: "MLPKitTests", dependencies: ["MLPKit"]),
        .testTarget(name: "SystemLibraryTests", dependencies: ["CZMQ"]),
        .testTarget(name: "SweepWireTests", dependencies: ["SweepWire", "MLPKit", "CZMQ"]),
        .testTarget(name: "SweepFileTests", dependencies: ["SweepFile"]),
        .testTarget(name: "SweepRulesTests", dependencies: ["SweepRules", "MLPKit"]),
        .testTarget(name: "SweepSearchTests", dependencies: ["SweepSearch", "MLPKit"]),
        .testTarget(name: "SweepStorageTests", dependencies: ["SweepStorage"]),
        .testTarget(name: "SweepReportTests", dependencies: ["SweepReport", "SweepStorage", "SweepFile"]),
        // Real coordinator and worker processes; depending on the targets makes sure they are built.
        .testTarget(name: "CoordinatorTests", dependencies: ["Coordinator", "Worker", "SweepWire", "SweepStorage", "SweepReport", "SweepFile"]),
        .testTarget(name: "WorkerTests", dependencies: ["Worker"]),
    ]
)
