import CZMQ
import XCTest

/// The C system libraries link and are recent enough (ZeroMQ is used by the sweep
/// coordinator and workers; CURVE is needed for authenticated clusters).
final class SystemLibraryTests: XCTestCase {
    func testZeroMQIsAtLeast4_3WithCurve() {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        XCTAssertGreaterThanOrEqual(major * 100 + minor, 403, "libzmq \(major).\(minor).\(patch)")
        XCTAssertEqual(zmq_has("curve"), 1)
    }
}
