/// `exp` for Float without a libm call, so the element-wise loops vectorise: the scalar
/// form of the eight-lane `fastExp` in Lanes.swift, which holds the arithmetic.
@inline(__always)
public func fastExp(_ x: Float) -> Float {
    fastExp(Lanes(repeating: x))[0]
}
