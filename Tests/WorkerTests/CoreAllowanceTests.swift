import Foundation
import SweepWire
import XCTest
@testable import Worker

/// A worker counts the cores it was given, not the machine's.
final class CoreAllowanceTests: XCTestCase {
    private func allowance(status: String = "", cgroups: String = "", environment: [String: String] = [:],
                           files: [String: String] = [:]) -> CoreAllowance {
        CoreAllowance.from(status: status, cgroups: cgroups, environment: environment, read: { files[$0] })
    }

    func testTheAffinityListIsCounted() {
        XCTAssertEqual(CoreAllowance.affinity("Name:\tworker\nCpus_allowed_list:\t0-3,8,10-11\n"), 7)
        XCTAssertEqual(CoreAllowance.affinity("Cpus_allowed_list:\t1\n"), 1)
        XCTAssertNil(CoreAllowance.affinity("Cpus_allowed_list:\t3-1\n"))
        XCTAssertNil(CoreAllowance.affinity("Cpus_allowed:\tff\n"))
    }

    func testACgroupV2QuotaIsRoundedUpAndTheTightestAncestorCounts() {
        let cgroups = "0::/slurm/job1/step0\n"
        XCTAssertEqual(CoreAllowance.quota(cgroups, read: { ["/sys/fs/cgroup/slurm/job1/step0/cpu.max": "150000 100000\n"][$0] }), 2)
        XCTAssertEqual(CoreAllowance.quota(cgroups, read: {
            ["/sys/fs/cgroup/slurm/job1/step0/cpu.max": "max 100000\n", "/sys/fs/cgroup/slurm/cpu.max": "100000 100000\n"][$0]
        }), 1)
        XCTAssertNil(CoreAllowance.quota(cgroups, read: { ["/sys/fs/cgroup/cpu.max": "max 100000\n"][$0] }))
    }

    func testACgroupV1QuotaIsRead() {
        let cgroups = "4:memory:/x\n2:cpu,cpuacct:/docker/abc\n"
        let files = ["/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "300000\n",
                     "/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000\n"]
        XCTAssertEqual(CoreAllowance.quota(cgroups, read: { files[$0] }), 3)
        XCTAssertNil(CoreAllowance.quota("2:cpu:/\n", read: { ["/sys/fs/cgroup/cpu/cpu.cfs_quota_us": "-1", "/sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000"][$0] }))
    }

    func testTheFewestWinsAndSlurmCountsWhereNothingElseTells() {
        let status = "Cpus_allowed_list:\t0-7\n"
        XCTAssertEqual(allowance(status: status), CoreAllowance(cores: 8, source: "affinity"))
        XCTAssertEqual(allowance(status: status, environment: ["SLURM_CPUS_PER_TASK": "1"]),
                       CoreAllowance(cores: 1, source: "SLURM_CPUS_PER_TASK"))
        XCTAssertEqual(allowance(status: status, cgroups: "0::/a\n", environment: ["SLURM_CPUS_PER_TASK": "4"],
                                 files: ["/sys/fs/cgroup/a/cpu.max": "200000 100000"]),
                       CoreAllowance(cores: 2, source: "cgroup quota"))
        XCTAssertEqual(allowance(status: status, environment: ["SLURM_CPUS_PER_TASK": "zero"]).cores, 8)
        XCTAssertEqual(allowance().source, "the machine")
    }

    /// A real worker pinned to one CPU by `taskset`, and one told by Slurm's variable, say 1 in
    /// HELLO on this machine of 2 or more.
    func testAWorkerGivenOneCPUSaysSoInHello() throws {
        guard ProcessInfo.processInfo.activeProcessorCount >= 2 else { throw XCTSkip("needs 2 cores to tell 1 apart") }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/taskset") else { throw XCTSkip("taskset (util-linux) is missing") }
        for (program, arguments, environment) in [
            ("/usr/bin/taskset", ["-c", "0", WorkerTrainTests.workerURL.path], [String: String]()),
            (WorkerTrainTests.workerURL.path, [], ["SLURM_CPUS_PER_TASK": "1"]),
        ] {
            let context = try ZMQContext()
            let router = try ZMQSocket(context: context, type: .router)
            try router.bind("tcp://127.0.0.1:*")
            let worker = Process()
            worker.executableURL = URL(fileURLWithPath: program)
            worker.arguments = arguments + ["--connect", try router.lastEndpoint, "--give-up-after", "20"]
            worker.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            worker.standardError = FileHandle.nullDevice
            try worker.run()
            defer { kill(worker.processIdentifier, SIGKILL); worker.waitUntilExit() }
            var hello: HelloBody?
            let deadline = Date().addingTimeInterval(10)
            while hello == nil && Date() < deadline {
                _ = try Poller([router]).poll(timeoutMilliseconds: 50)
                if let frames = try router.receive(dontWait: true), case .hello(let h) = try MessageCodec.decode(routed: frames).message {
                    hello = h
                }
            }
            XCTAssertEqual(try XCTUnwrap(hello, "no HELLO from \(program) \(environment)").cores, 1, "\(program) \(environment)")
        }
    }
}
