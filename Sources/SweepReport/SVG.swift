import Foundation
import SweepStorage

/// A small builder for inline SVG: shapes appended in drawing order, every attribute value
/// and text escaped, numbers written with two decimals at most. `render()` gives the
/// `<svg>` element, sized by its viewBox so it scales down on narrow screens.
public struct SVG {
    public let width: Double
    public let height: Double
    /// Read by screen readers and shown as the browser's tooltip.
    public var title: String
    private var parts: [String] = []

    public init(width: Double, height: Double, title: String) {
        self.width = width
        self.height = height
        self.title = title
    }

    // MARK: - Shapes

    public mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String,
                       stroke: String? = nil, opacity: Double? = nil, rx: Double? = nil, tooltip: String? = nil) {
        guard x.isFinite, y.isFinite, width.isFinite, height.isFinite else { return }
        var a = ["x": Self.n(x), "y": Self.n(y), "width": Self.n(max(width, 0)), "height": Self.n(max(height, 0)), "fill": fill]
        if let stroke { a["stroke"] = stroke }
        if let opacity { a["opacity"] = Self.n(opacity) }
        if let rx { a["rx"] = Self.n(rx) }
        element("rect", a, tooltip: tooltip)
    }

    public mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String,
                       width: Double = 1, dash: String? = nil, opacity: Double? = nil) {
        guard x1.isFinite, y1.isFinite, x2.isFinite, y2.isFinite else { return }
        var a = ["x1": Self.n(x1), "y1": Self.n(y1), "x2": Self.n(x2), "y2": Self.n(y2),
                 "stroke": stroke, "stroke-width": Self.n(width)]
        if let dash { a["stroke-dasharray"] = dash }
        if let opacity { a["opacity"] = Self.n(opacity) }
        element("line", a)
    }

    public mutating func circle(cx: Double, cy: Double, r: Double, fill: String, stroke: String? = nil,
                         strokeWidth: Double = 1, opacity: Double? = nil, tooltip: String? = nil) {
        guard cx.isFinite, cy.isFinite, r.isFinite else { return }
        var a = ["cx": Self.n(cx), "cy": Self.n(cy), "r": Self.n(r), "fill": fill]
        if let stroke { a["stroke"] = stroke; a["stroke-width"] = Self.n(strokeWidth) }
        if let opacity { a["opacity"] = Self.n(opacity) }
        element("circle", a, tooltip: tooltip)
    }

    /// A closed polygon, e.g. a diamond marker or a filled histogram.
    public mutating func polygon(_ points: [(Double, Double)], fill: String, stroke: String? = nil,
                          opacity: Double? = nil, tooltip: String? = nil) {
        let finite = points.filter { $0.0.isFinite && $0.1.isFinite }
        guard finite.count >= 3 else { return }
        var a = ["points": finite.map { "\(Self.n($0.0)),\(Self.n($0.1))" }.joined(separator: " "), "fill": fill]
        if let stroke { a["stroke"] = stroke }
        if let opacity { a["opacity"] = Self.n(opacity) }
        element("polygon", a, tooltip: tooltip)
    }

    /// A line through the points; a missing or non-finite point breaks it into segments, and a
    /// segment of one point is drawn as a dot so a lone value still shows.
    public mutating func polyline(_ points: [(Double, Double?)], stroke: String, width: Double = 1.5,
                           dash: String? = nil, opacity: Double? = nil, tooltip: String? = nil) {
        var segments: [[(Double, Double)]] = [[]]
        for (x, y) in points {
            if let y, y.isFinite, x.isFinite { segments[segments.count - 1].append((x, y)) }
            else if !segments[segments.count - 1].isEmpty { segments.append([]) }
        }
        for segment in segments where !segment.isEmpty {
            if segment.count == 1 {
                circle(cx: segment[0].0, cy: segment[0].1, r: width + 0.5, fill: stroke, opacity: opacity, tooltip: tooltip)
                continue
            }
            var a = ["points": segment.map { "\(Self.n($0.0)),\(Self.n($0.1))" }.joined(separator: " "),
                     "fill": "none", "stroke": stroke, "stroke-width": Self.n(width),
                     "stroke-linejoin": "round", "stroke-linecap": "round"]
            if let dash { a["stroke-dasharray"] = dash }
            if let opacity { a["opacity"] = Self.n(opacity) }
            element("polyline", a, tooltip: tooltip)
        }
    }

    public enum Anchor: String { case start, middle, end }

    public mutating func text(_ string: String, x: Double, y: Double, size: Double = 11, anchor: Anchor = .start,
                       fill: String = "#333", weight: String? = nil, rotate: Double? = nil, tooltip: String? = nil) {
        guard x.isFinite, y.isFinite else { return }
        var a = ["x": Self.n(x), "y": Self.n(y), "font-size": Self.n(size), "fill": fill]
        if anchor != .start { a["text-anchor"] = anchor.rawValue }
        if let weight { a["font-weight"] = weight }
        if let rotate { a["transform"] = "rotate(\(Self.n(rotate)) \(Self.n(x)) \(Self.n(y)))" }
        var inner = HTML.escape(string)
        if let tooltip { inner = "<title>\(HTML.escape(tooltip))</title>" + inner }
        parts.append("<text\(Self.attributes(a))>\(inner)</text>")
    }

    /// A linear gradient usable as `fill="url(#id)"`.
    public mutating func linearGradient(id: String, stops: [(offset: Double, color: String)], vertical: Bool = false) {
        let direction = vertical ? #"x1="0" y1="1" x2="0" y2="0""# : #"x1="0" y1="0" x2="1" y2="0""#
        let body = stops.map { #"<stop offset="\#(Self.n($0.offset))" stop-color="\#(HTML.escape($0.color))"/>"# }.joined()
        parts.append(#"<defs><linearGradient id="\#(HTML.escape(id))" \#(direction)>\#(body)</linearGradient></defs>"#)
    }

    // MARK: - Output

    public func render(id: String? = nil, cssClass: String = "chart") -> String {
        let idAttribute = id.map { #" id="\#(HTML.escape($0))""# } ?? ""
        // Inline in HTML, an <svg> needs no xmlns (and the page carries no URL at all).
        return #"<svg\#(idAttribute) class="\#(HTML.escape(cssClass))" "#
            + #"viewBox="0 0 \#(Self.n(width)) \#(Self.n(height))" width="\#(Self.n(width))" height="\#(Self.n(height))" "#
            + #"role="img" aria-label="\#(HTML.escape(title))"><title>\#(HTML.escape(title))</title>"#
            + parts.joined(separator: "\n") + "</svg>"
    }

    private mutating func element(_ name: String, _ attributes: [String: String], tooltip: String? = nil) {
        if let tooltip {
            parts.append("<\(name)\(Self.attributes(attributes))><title>\(HTML.escape(tooltip))</title></\(name)>")
        } else {
            parts.append("<\(name)\(Self.attributes(attributes))/>")
        }
    }

    private static func attributes(_ a: [String: String]) -> String {
        a.keys.sorted().map { #" \#($0)="\#(HTML.escape(a[$0]!))""# }.joined()
    }

    /// Coordinates: at most two decimals, no trailing zeros (hot: called per point).
    public static func n(_ x: Double) -> String {
        let hundredths = (x * 100).rounded()
        guard hundredths.isFinite, abs(hundredths) < 1e15 else { return "0" }
        let value = Int(hundredths)
        let sign = value < 0 ? "-" : ""
        let whole = abs(value) / 100, fraction = abs(value) % 100
        if fraction == 0 { return sign + String(whole) }
        if fraction % 10 == 0 { return sign + String(whole) + "." + String(fraction / 10) }
        return sign + String(whole) + (fraction < 10 ? ".0" : ".") + String(fraction)
    }
}

/// Escaping and number formatting for the page.
public enum HTML {
    /// Escapes text for element content and attribute values alike.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters other than tab and newline are not allowed in HTML text.
                if c.value < 0x20 && c != "\t" && c != "\n" { out += "\u{FFFD}" } else { out.unicodeScalars.append(c) }
            }
        }
        return out
    }

    /// A value with `digits` decimals, or an en dash when there is none.
    public static func fixed(_ x: Double?, _ digits: Int = 3) -> String {
        guard let x else { return "–" }
        if x.isNaN { return "NaN" }
        if x.isInfinite { return x > 0 ? "∞" : "−∞" }
        return String(format: "%.\(digits)f", x)
    }

    /// A value in compact scientific form for gradient-sized numbers (3.1e-05 → 3.1e-5).
    public static func scientific(_ x: Double?) -> String {
        guard let x else { return "–" }
        if !x.isFinite { return fixed(x) }
        if x == 0 { return "0" }
        let text = String(format: "%.2g", x)
        return text.replacingOccurrences(of: "e-0", with: "e-").replacingOccurrences(of: "e+0", with: "e")
            .replacingOccurrences(of: "e+", with: "e")
    }
}

/// Maps a domain onto a pixel range, linearly.
public struct LinearScale {
    public var domain: (Double, Double)
    public var range: (Double, Double)

    public func callAsFunction(_ x: Double) -> Double {
        let span = domain.1 - domain.0
        let t = span == 0 ? 0.5 : (x - domain.0) / span
        return range.0 + t * (range.1 - range.0)
    }

    /// Round-numbered ticks inside the domain, about `count` of them.
    public func ticks(_ count: Int = 5) -> [Double] {
        Self.niceTicks(domain.0, domain.1, count: count)
    }

    public static func niceTicks(_ low: Double, _ high: Double, count: Int) -> [Double] {
        guard low.isFinite, high.isFinite, high > low, count > 0 else { return low.isFinite ? [low] : [] }
        let raw = (high - low) / Double(count)
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var ticks: [Double] = []
        var t = ceil(low / step - 1e-9) * step
        while t <= high + step * 1e-9 && ticks.count < 100 {
            ticks.append(abs(t) < step * 1e-9 ? 0 : t)
            t += step
        }
        return ticks
    }
}

/// Colours shared by the charts.
public enum Palette {
    /// Viridis, sampled at nine points: perceptually even and readable in grey.
    public static let viridis: [(Double, Double, Double)] = [
        (68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142), (33, 144, 141),
        (39, 173, 129), (92, 200, 99), (170, 220, 50), (253, 231, 37),
    ]

    /// Viridis at t in [0, 1] (clamped).
    public static func viridis(_ t: Double) -> String {
        let t = min(max(t.isFinite ? t : 0, 0), 1) * Double(viridis.count - 1)
        let i = min(Int(t), viridis.count - 2)
        let f = t - Double(i)
        let (a, b) = (viridis[i], viridis[i + 1])
        func mix(_ x: Double, _ y: Double) -> Int { Int((x + (y - x) * f).rounded()) }
        return String(format: "#%02x%02x%02x", mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }

    public static let missing = "#e4e4e4"
    public static let axis = "#888"
    public static let grid = "#e8e8e8"
    public static let text = "#333"
    public static let muted = "#777"
    public static let trainLoss = "#c0392b"
    public static let valAcc = "#1f6fb4"
    public static let trainAcc = "#7fb3df"
    public static let published = "#d35400"
    public static let laterEdition = "#8e44ad"
    public static let start = "#9aa5b1"
    public static let end = "#1f6fb4"

    public static func verdict(_ v: Verdict.Kind) -> String {
        switch v {
        case .vanishing: return "#b03a2e"
        case .saturated: return "#b9770e"
        case .healthy: return "#1e8449"
        case .diverged: return "#7d3c98"
        case .noData: return "#888"
        }
    }
}
