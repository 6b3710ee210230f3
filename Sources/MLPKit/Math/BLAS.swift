import CBLAS

/// The matrix products of MLPKit: libxsmm's just-in-time kernels where they apply
/// (`SmallGEMM`), OpenBLAS's `cblas_sgemm` everywhere else.
///
/// Transposes are passed as flags, never materialised: a weight gradient `Xᵀ·dY` reads `X`
/// in place. Which library runs a product depends only on its shape and the thread count,
/// so a trial's numbers stay bit-identical from run to run.
public enum BLAS {
    /// Whether products may go to libxsmm; off only to measure OpenBLAS alone (mlpbench).
    /// Set it before training starts: it is read by every product, from any thread.
    nonisolated(unsafe) public static var allowsSmallKernels = true

    /// `c = alpha * op(a) * op(b) + beta * c` over the rows in use of each operand.
    public static func gemm(_ a: Matrix, transposeA: Bool = false,
                            _ b: Matrix, transposeB: Bool = false,
                            into c: inout Matrix, alpha: Float = 1, beta: Float = 0) {
        let m = transposeA ? a.cols : a.rows
        let k = transposeA ? a.rows : a.cols
        let kb = transposeB ? b.cols : b.rows
        let n = transposeB ? b.rows : b.cols
        precondition(k == kb, "gemm inner dimensions \(k) and \(kb) differ")
        precondition(c.rows == m && c.cols == n, "gemm output is \(c.rows)x\(c.cols), expected \(m)x\(n)")
        if m == 0 || n == 0 { return }
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                c.storage.withUnsafeMutableBufferPointer { pc in
                    if allowsSmallKernels, !transposeB, alpha == 1, beta == 0 || beta == 1,
                       SmallGEMM.run(pa.baseAddress!, lda: a.cols, transposeA: transposeA,
                                     pb.baseAddress!, ldb: b.cols, pc.baseAddress!, ldc: c.cols,
                                     m: m, n: n, k: k, accumulate: beta == 1, threads: threads) { return }
                    cblas_sgemm(CblasRowMajor,
                                transposeA ? CblasTrans : CblasNoTrans,
                                transposeB ? CblasTrans : CblasNoTrans,
                                Int32(m), Int32(n), Int32(k), alpha,
                                pa.baseAddress, Int32(a.cols),
                                pb.baseAddress, Int32(b.cols),
                                beta, pc.baseAddress, Int32(c.cols))
                }
            }
        }
    }

    /// BLAS threads for every later product. Results are bit-identical for a fixed count.
    public static func setThreads(_ count: Int) {
        openblas_set_num_threads(Int32(count))
    }

    /// Denormal floats become zero on the calling thread (see the CBLAS shim for why).
    public static func flushDenormalsToZero() {
        vgsweep_flush_denormals()
    }

    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// The kernel family OpenBLAS chose at load time, e.g. "SkylakeX" or "Prescott".
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }
}
