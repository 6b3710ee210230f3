#if canImport(CXSMM)
import CXSMM
#endif

/// Matrix products through kernels that libxsmm compiles just in time for this CPU.
///
/// A training step's products are small (64 x 128 x 128 at the seed's batch size), and on
/// those OpenBLAS spends a third of its time packing operands into its block layout and
/// zeroing outputs. libxsmm's kernels read the operands in place: 180-190 GFLOP/s against
/// OpenBLAS's 100-150 on this machine kind (docs/performance.md). Its kernels have no
/// transposed first operand and run on one thread; everything else goes to OpenBLAS.
enum SmallGEMM {
    /// Larger products go to OpenBLAS, which blocks them for the caches.
    static let maxDimension = 1024

    /// With more than one BLAS thread, products above this many multiply-adds go to
    /// OpenBLAS, which shares them out; below it (512 x 128 x 128 and smaller) a second
    /// OpenBLAS thread gains less than libxsmm's single one (docs/performance.md).
    static let singleThreadLimit = 512 * 128 * 128

    /// The instruction set libxsmm generates code for, e.g. "clx" (AVX-512) or "hsw" (AVX2);
    /// nil where libxsmm is not built in.
    static var targetArchitecture: String? {
        #if canImport(CXSMM)
        libxsmm_get_target_arch().map { String(cString: $0) }
        #else
        nil
        #endif
    }

    /// Row-major `c = op(a)·b` (`+ c` when `accumulate`), `m x n` from an inner dimension
    /// `k`. Returns false, having done nothing, when libxsmm has no kernel for it.
    ///
    /// Row-major `C = op(A)·B` is column-major `Cᵀ = Bᵀ·op(A)ᵀ`, and a row-major matrix read
    /// column-major is its own transpose: so `b`'s storage is the first operand as it is, and
    /// `a`'s storage is the second, transposed by the kernel when `op(A) = Aᵀ`.
    static func run(_ a: UnsafePointer<Float>, lda: Int, transposeA: Bool,
                    _ b: UnsafePointer<Float>, ldb: Int,
                    _ c: UnsafeMutablePointer<Float>, ldc: Int,
                    m: Int, n: Int, k: Int, accumulate: Bool, threads: Int) -> Bool {
        #if canImport(CXSMM)
        guard k > 0, max(m, n, k) <= maxDimension, threads == 1 || m * n * k <= singleThreadLimit,
              let kernel = vgsweep_xsmm_kernel(Int32(n), Int32(m), Int32(k), Int32(ldb), Int32(lda), Int32(ldc),
                                               transposeA ? 1 : 0, accumulate ? 1 : 0)
        else { return false }
        vgsweep_xsmm_run(kernel, b, a, c)
        return true
        #else
        return false
        #endif
    }
}
