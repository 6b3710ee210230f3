/// `exp` for Float without a libm call, so the element-wise loops vectorise.
///
/// Cody-Waite range reduction `x = n·ln2 + r`, |r| <= ln2/2, then a degree-6 Taylor
/// polynomial for `e^r` (relative error below 1.3e-7, about one float ulp) and `2^n` built
/// directly in the exponent bits. Inputs are clamped to [-87.3, 88.3], the range where the
/// result is a normal float, which also makes it branch-free.
@inline(__always)
public func fastExp(_ x: Float) -> Float {
    let clamped = Swift.min(Swift.max(x, -87.3), 88.3)
    // Adding 1.5·2^23 rounds to the nearest integer and leaves it in the low mantissa bits.
    let shifter: Float = 12_582_912
    let t = clamped * 1.442_695_04 + shifter
    let n = t - shifter
    let r = (clamped - n * 0.693_145_75) - n * 1.428_606_8e-6
    var p: Float = 1.0 / 720
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    let exponent = Int32(bitPattern: t.bitPattern) &- 0x4B40_0000
    let scale = Float(bitPattern: UInt32(bitPattern: (exponent &+ 127) << 23))
    return p * scale
}
