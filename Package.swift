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
        /// What coordinator and worker share: the sweep spec, trial identity, the wire protocol
        /// and the ZeroMQ transport.
        .target(
            name: "SweepCore",
            dependencies: [
                "MLPKit", "CZMQ", "Yams",
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .executableTarget(
            name: "Coordinator",
            dependencies: [
                "SweepCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "Worker",
            dependencies: [
                "MLPKit", "SweepCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "MLPBench",
            dependencies: ["MLPKit"],
            path: "benchmarks/MLPBench"),
        .executableTarget(name: "SweepBench", dependencies: ["SweepCore"], path: "benchmarks/SweepBench"),
        .testTarget(name: "MLPKitTests", dependencies: ["MLPKit"]),
        .testTarget(name: "SystemLibraryTests", dependencies: ["CZMQ"]),
        .testTarget(name: "SweepCoreTests", dependencies: ["SweepCore"]),
        .testTarget(name: "CoordinatorTests", dependencies: ["Coordinator", "Worker", "SweepCore"]),
        // Runs the real `worker` binary; depending on the target makes sure it is built.
        .testTarget(name: "WorkerTests", dependencies: ["Worker"]),
    ]
)
