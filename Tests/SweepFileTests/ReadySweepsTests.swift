import Foundation
import XCTest
@testable import SweepFile

/// Every sweep file shipped in sweeps/ parses, validates and expands as its comments say.
final class ReadySweepsTests: XCTestCase {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("sweeps")

    func trials(_ name: String) throws -> [Trial] {
        try SweepSpec.load(path: Self.folder.appendingPathComponent(name).path).trials()
    }

    /// Grid, list and capped random sweeps expand; bayes and uncapped random ones draw.
    func testEveryShippedSweepExpands() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).filter { $0.hasSuffix(".yaml") }
        XCTAssertGreaterThanOrEqual(files.count, 4)
        for file in files {
            let spec = try SweepSpec.load(path: Self.folder.appendingPathComponent(file).path)
            if spec.method == .bayes || spec.isUnbounded {
                XCTAssertFalse(try spec.sample(0).isEmpty, file)
            } else {
                XCTAssertFalse(try spec.trials().isEmpty, file)
            }
        }
    }

    func testTheSeedStudyIsTheStudysTable() throws {
        let trials = try trials("seed-study.yaml")
        XCTAssertEqual(trials.count, 12 * 3)
        XCTAssertEqual(Set(trials.map(\.configId)).count, 12)
        let byName = Dictionary(grouping: trials, by: \.name)
        XCTAssertEqual(byName["model-1"]?.first?.config.architecture.depth, 3)
        XCTAssertEqual(byName["std-10.0"]?.first?.config.architecture.initStd, 10)
        XCTAssertEqual(byName["adam"]?.first?.config.lr, 0.001)
        XCTAssertEqual(byName["skip"]?.first?.config.architecture.skip, .seed)
        XCTAssertEqual(byName["train-some-layers"]?.first?.config.schedule, .progressive)
        XCTAssertEqual(Set(trials.map(\.config.seed)), [42, 43, 44])
        XCTAssertTrue(trials.allSatisfy { $0.config.epochs == 100 })
    }

    func testDepthSweepReachesFiftyLayers() throws {
        let depths = Set(try trials("depth.yaml").map(\.config.architecture.depth))
        XCTAssertEqual(depths, [3, 7, 15, 30, 50])
    }

    /// The promoted file reruns the search's own trials: each seed-42 trial is one of best.yaml's.
    func testTheTopThreeComeFromTheSearch() throws {
        let search = Set(try trials("best.yaml").map(\.id))
        let top = try trials("best-top3.yaml")
        XCTAssertEqual(top.count, 9)
        XCTAssertEqual(top.filter { $0.config.seed == 42 }.filter { search.contains($0.id) }.count, 3)
    }
}
