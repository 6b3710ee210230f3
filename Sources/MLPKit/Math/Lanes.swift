/// Eight floats at a time: the element-wise loops of MLPKit are written on `SIMD8<Float>`
/// so they vectorise without relying on the auto-vectoriser, branch-free, with a scalar
/// tail for the last `count % 8` elements.
typealias Lanes = SIMD8<Float>

extension SIMD8 where Scalar == Float {
    @inline(__always) init(load p: UnsafePointer<Float>) {
        self = UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }
    @inline(__always) init(load p: UnsafeMutablePointer<Float>) { self.init(load: UnsafePointer(p)) }
    @inline(__always) func store(to p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: self, as: SIMD8<Float>.self)
    }

    /// Loads the first `count` (< 8) floats, zero in the other lanes.
    @inline(__always) init(loadPartial p: UnsafePointer<Float>, count: Int) {
        self.init()
        for j in 0..<count { self[j] = p[j] }
    }
    @inline(__always) func storePartial(to p: UnsafeMutablePointer<Float>, count: Int) {
        for j in 0..<count { p[j] = self[j] }
    }
}

/// Calls `body` with each lane-group offset and how many lanes of it are real (8 but for the tail).
@inline(__always)
func forEachLaneGroup(_ count: Int, _ body: (_ offset: Int, _ lanes: Int) -> Void) {
    var i = 0
    while i + 8 <= count { body(i, 8); i += 8 }
    if i < count { body(i, count - i) }
}

/// A function on eight lanes, as a type: `mapLanes` is specialised for each and inlines it.
protocol LaneFunction {
    static func apply(_ x: Lanes) -> Lanes
}

/// `out[i] = F(x[i])` eight at a time.
@inline(__always)
func mapLanes<F: LaneFunction>(_ f: F.Type, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    while i + 8 <= count {
        F.apply(Lanes(load: x + i)).store(to: out + i)
        i += 8
    }
    if i < count {
        F.apply(Lanes(loadPartial: x + i, count: count - i)).storePartial(to: out + i, count: count - i)
    }
}

/// `out[i] = f(x[i], y[i])` eight at a time; `out` may alias either input.
@inline(__always)
func mapLanes(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
              _ out: UnsafeMutablePointer<Float>, count: Int, _ f: (Lanes, Lanes) -> Lanes) {
    forEachLaneGroup(count) { i, lanes in
        if lanes == 8 {
            f(Lanes(load: x + i), Lanes(load: y + i)).store(to: out + i)
        } else {
            f(Lanes(loadPartial: x + i, count: lanes), Lanes(loadPartial: y + i, count: lanes))
                .storePartial(to: out + i, count: lanes)
        }
    }
}

/// `out[i] = f(x[i], y[i], z[i])` eight at a time; `out` may alias any input.
@inline(__always)
func mapLanes(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ z: UnsafePointer<Float>,
              _ out: UnsafeMutablePointer<Float>, count: Int, _ f: (Lanes, Lanes, Lanes) -> Lanes) {
    forEachLaneGroup(count) { i, lanes in
        if lanes == 8 {
            f(Lanes(load: x + i), Lanes(load: y + i), Lanes(load: z + i)).store(to: out + i)
        } else {
            f(Lanes(loadPartial: x + i, count: lanes), Lanes(loadPartial: y + i, count: lanes),
              Lanes(loadPartial: z + i, count: lanes)).storePartial(to: out + i, count: lanes)
        }
    }
}

/// `exp` on eight lanes without a libm call.
///
/// Cody-Waite range reduction `x = n·ln2 + r`, |r| <= ln2/2, then a degree-6 Taylor
/// polynomial for `e^r` (relative error below 1.3e-7, about one float ulp) and `2^n` built
/// directly in the exponent bits. Inputs are clamped to [-87.3, 88.3], where the result is
/// a normal float, which also keeps it branch-free.
@inline(__always)
func fastExp(_ x: Lanes) -> Lanes {
    // Masks rather than `clamped(...)`, whose generic min/max are not inlined.
    let low = Lanes(repeating: -87.3), high = Lanes(repeating: 88.3)
    let clamped = x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
    let shifter = Lanes(repeating: 12_582_912)
    let t = clamped * 1.442_695_04 + shifter
    let n = t - shifter
    let r = (clamped - n * 0.693_145_75) - n * 1.428_606_8e-6
    var p = Lanes(repeating: 1.0 / 720)
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    let exponent = unsafeBitCast(t, to: SIMD8<Int32>.self) &- 0x4B40_0000
    let scale = unsafeBitCast((exponent &+ 127) &<< 23, to: Lanes.self)
    return p * scale
}
