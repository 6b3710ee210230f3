import XCTest
@testable import MLPKit

/// `BLAS.gemm` against a product computed in Double, for the shapes and flags a training step
/// uses, through both libraries: libxsmm's kernels (the default with one thread) and OpenBLAS.
final class MatrixProductTests: XCTestCase {
    /// Row-major `op(a)·op(b)` in Double.
    func reference(_ a: Matrix, _ ta: Bool, _ b: Matrix, _ tb: Bool) -> [Double] {
        let m = ta ? a.cols : a.rows, k = ta ? a.rows : a.cols, n = tb ? b.rows : b.cols
        var c = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k {
                    let x = ta ? a.storage[p * a.cols + i] : a.storage[i * a.cols + p]
                    let y = tb ? b.storage[j * b.cols + p] : b.storage[p * b.cols + j]
                    s += Double(x) * Double(y)
                }
                c[i * n + j] = s
            }
        }
        return c
    }

    func matrix(_ rows: Int, _ cols: Int, _ rng: inout Xoshiro256) -> Matrix {
        Matrix(rows: rows, cols: cols, values: (0..<rows * cols).map { _ in Float(rng.nextUnitDouble() * 2 - 1) })
    }

    /// Forward `x·W` (with beta 1 onto a bias), weight gradient `xᵀ·dy` and input gradient
    /// `dy·Wᵀ`, at a full batch, a ragged last batch and the seed's head width.
    func checkProducts(smallKernels: Bool) {
        let saved = BLAS.allowsSmallKernels
        BLAS.allowsSmallKernels = smallKernels
        defer { BLAS.allowsSmallKernels = saved }
        var rng = Xoshiro256(seed: 7)
        for (rows, inputs, outputs) in [(64, 784, 128), (37, 128, 128), (64, 128, 10), (5, 3, 17)] {
            let x = matrix(rows, inputs, &rng), w = matrix(inputs, outputs, &rng), dy = matrix(rows, outputs, &rng)
            var y = matrix(rows, outputs, &rng)
            let start = y.storage
            BLAS.gemm(x, w, into: &y, beta: 1)
            let forward = reference(x, false, w, false)
            var dw = Matrix(rows: inputs, cols: outputs, repeating: 9)
            BLAS.gemm(x, transposeA: true, dy, into: &dw)
            var dx = Matrix(rows: rows, cols: inputs, repeating: 9)
            BLAS.gemm(dy, w, transposeB: true, into: &dx)
            let shape = "\(rows)x\(inputs)x\(outputs), small kernels \(smallKernels)"
            for i in forward.indices {
                XCTAssertEqual(Double(y.storage[i]), forward[i] + Double(start[i]), accuracy: 1e-4, "forward \(shape)")
            }
            for (got, want) in zip(dw.storage, reference(x, true, dy, false)) {
                XCTAssertEqual(Double(got), want, accuracy: 1e-4, "weight gradient \(shape)")
            }
            for (got, want) in zip(dx.storage, reference(dy, false, w, true)) {
                XCTAssertEqual(Double(got), want, accuracy: 1e-4, "input gradient \(shape)")
            }
        }
    }

    func testProductsThroughLibxsmm() { checkProducts(smallKernels: true) }
    func testProductsThroughOpenBLAS() { checkProducts(smallKernels: false) }

    /// The fast path is really taken on this machine kind: libxsmm makes a kernel for the
    /// seed's 64-row product, and one for a transposed first operand (the weight gradient).
    func testLibxsmmMakesKernelsForTrainingShapes() {
        #if arch(x86_64)
        let a = [Float](repeating: 1, count: 64 * 128), b = [Float](repeating: 2, count: 128 * 128)
        var c = [Float](repeating: 0, count: 128 * 128)
        for transposeA in [false, true] {
            let ran = a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        SmallGEMM.run(pa.baseAddress!, lda: 128, transposeA: transposeA, pb.baseAddress!, ldb: 128,
                                      pc.baseAddress!, ldc: 128, m: transposeA ? 128 : 64, n: 128,
                                      k: transposeA ? 64 : 128, accumulate: false, threads: 1)
                    }
                }
            }
            XCTAssertTrue(ran, "no libxsmm kernel (transposeA \(transposeA)) on \(SmallGEMM.targetArchitecture ?? "no libxsmm")")
            XCTAssertEqual(c[0], transposeA ? 128 : 256)
        }
        #endif
    }

    /// With more BLAS threads, the first layer's 512-row product is left to OpenBLAS (which
    /// shares it out) and a 512 x 128 x 128 one stays with libxsmm; with one thread, both
    /// run in libxsmm. A refused product is not touched.
    func testMoreThreadsLeaveBigProductsToOpenBLAS() {
        #if arch(x86_64)
        let x = [Float](repeating: 1, count: 512 * 784), w = [Float](repeating: 1, count: 784 * 128)
        var y = [Float](repeating: -1, count: 512 * 128)
        func run(inputs: Int, threads: Int) -> Bool {
            x.withUnsafeBufferPointer { px in
                w.withUnsafeBufferPointer { pw in
                    y.withUnsafeMutableBufferPointer { py in
                        SmallGEMM.run(px.baseAddress!, lda: inputs, transposeA: false, pw.baseAddress!, ldb: 128,
                                      py.baseAddress!, ldc: 128, m: 512, n: 128, k: inputs,
                                      accumulate: false, threads: threads)
                    }
                }
            }
        }
        XCTAssertFalse(run(inputs: 784, threads: 2))
        XCTAssertEqual(y[0], -1)
        XCTAssertTrue(run(inputs: 128, threads: 2))
        XCTAssertEqual(y[0], 128)
        XCTAssertTrue(run(inputs: 784, threads: 1))
        XCTAssertEqual(y[0], 784)
        #endif
    }
}
