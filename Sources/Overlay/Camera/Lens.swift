public import Foundation

/// A lens calibration: raw zoom/focus encoder values to focal length, image centre, radial distortion.
///
/// ```json
/// {"sensorWidthMm": 9.6, "aspect": "16/9", "imageCentre": [0.5, 0.5], "k1": -0.02, "k2": 0.001,
///  "calibration": [{"zoom": 0, "focus": 0, "focalLengthMm": 8.0}, {"zoom": 65535, "focus": 0, "focalLengthMm": 120.0}]}
/// ```
public struct Lens: Sendable, Hashable {
    /// One calibration point.
    public struct Point: Sendable, Hashable, Decodable {
        public let zoom: Int
        public let focus: Int
        public let focalLengthMm: Double

        /// Creates a calibration point.
        public init(zoom: Int, focus: Int, focalLengthMm: Double) {
            self.zoom = zoom
            self.focus = focus
            self.focalLengthMm = focalLengthMm
        }
    }

    /// Width of the sensor area the picture uses, millimetres.
    public let sensorWidthMm: Double
    /// Picture width over height.
    public let aspect: Double
    /// Principal point, normalised (x right, y down).
    public let imageCentre: (x: Double, y: Double)
    /// Radial distortion coefficients.
    public let k1: Double
    public let k2: Double
    /// Calibration points.
    public let calibration: [Point]
    /// The calibration grouped by focus value (ascending), each group by zoom: computed once, read per frame.
    private let byFocus: [(focus: Int, points: [Point])]

    public static func == (lhs: Lens, rhs: Lens) -> Bool {
        lhs.sensorWidthMm == rhs.sensorWidthMm && lhs.aspect == rhs.aspect && lhs.imageCentre == rhs.imageCentre
            && lhs.k1 == rhs.k1 && lhs.k2 == rhs.k2 && lhs.calibration == rhs.calibration
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(sensorWidthMm)
        hasher.combine(calibration)
    }

    /// Creates a lens.
    public init(sensorWidthMm: Double, aspect: Double, imageCentre: (x: Double, y: Double), k1: Double, k2: Double, calibration: [Point]) {
        self.sensorWidthMm = sensorWidthMm
        self.aspect = aspect
        self.imageCentre = imageCentre
        self.k1 = k1
        self.k2 = k2
        self.calibration = calibration
        byFocus = Dictionary(grouping: calibration, by: \.focus)
            .map { (focus: $0.key, points: $0.value.sorted { $0.zoom < $1.zoom }) }
            .sorted { $0.focus < $1.focus }
    }

    /// Reads a lens file; errors name the field.
    public init(json: Data) throws(LensError) {
        struct File: Decodable {
            let sensorWidthMm: Double
            let aspect: String
            let imageCentre: [Double]
            let k1: Double
            let k2: Double
            let calibration: [Point]
        }
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: json)
        } catch let DecodingError.keyNotFound(key, _) {
            throw LensError("\"\(key.stringValue)\" is missing")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw LensError("\"\(context.codingPath.map(\.stringValue).joined(separator: "."))\" has the wrong type")
        } catch {
            throw LensError("not a lens file: \(error)")
        }
        guard file.sensorWidthMm > 0 else { throw LensError("\"sensorWidthMm\" must be positive") }
        guard let aspect = Rational(parsing: file.aspect), aspect > .zero else { throw LensError("\"aspect\" must be a fraction such as \"16/9\"") }
        guard file.imageCentre.count == 2 else { throw LensError("\"imageCentre\" must be [x, y]") }
        guard !file.calibration.isEmpty, file.calibration.allSatisfy({ $0.focalLengthMm > 0 }) else {
            throw LensError("\"calibration\" needs at least one point with a positive focalLengthMm")
        }
        self.init(
            sensorWidthMm: file.sensorWidthMm, aspect: Double(aspect.numerator) / Double(aspect.denominator),
            imageCentre: (file.imageCentre[0], file.imageCentre[1]), k1: file.k1, k2: file.k2, calibration: file.calibration
        )
    }

    /// Focal length at a zoom and focus: linear in zoom within each calibrated focus, then linear between the two nearest focus values.
    public func focalLength(zoom: Int, focus: Int) -> Double {
        func alongZoom(_ points: [Point]) -> Double {
            guard let first = points.first, let last = points.last else { return 1 }
            if zoom <= first.zoom { return first.focalLengthMm }
            if zoom >= last.zoom { return last.focalLengthMm }
            let upper = points.firstIndex { $0.zoom >= zoom }!
            let (a, b) = (points[upper - 1], points[upper])
            return a.focalLengthMm + (b.focalLengthMm - a.focalLengthMm) * Double(zoom - a.zoom) / Double(b.zoom - a.zoom)
        }
        guard let low = byFocus.last(where: { $0.focus <= focus }) ?? byFocus.first,
              let high = byFocus.first(where: { $0.focus >= focus }) ?? byFocus.last
        else { return 1 }
        let lowFocal = alongZoom(low.points)
        guard high.focus != low.focus else { return lowFocal }
        let highFocal = alongZoom(high.points)
        return lowFocal + (highFocal - lowFocal) * Double(focus - low.focus) / Double(high.focus - low.focus)
    }
}

/// Why a lens file was refused.
public struct LensError: Error, Equatable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = "lens file: " + description }
}
