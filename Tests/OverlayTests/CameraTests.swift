import Foundation
import Overlay
import Testing

struct FreeDTests {
    static let pose = CameraPose(camera: 7, pan: -31.25, tilt: -12.5, roll: 0.75, x: 12.5, y: -8.25, z: 9.0, zoom: 20000, focus: 1234)

    @Test func aMessageRoundTripsAtTheWiresResolution() throws {
        let bytes = FreeD.encode(Self.pose)
        #expect(bytes.count == 29)
        #expect(bytes[0] == 0xD1)
        #expect(try FreeD.parse(bytes) == Self.pose)
    }

    @Test func decodesAHandWrittenMessage() throws {
        // Pan +90° (0x2D0000 = 2949120 = 90 × 32768), tilt −1° (0xFF8000), roll 0, X = 1 m (64000 = 0x00FA00),
        // Y = −2 m (−128000 = 0xFE0C00), Z = 0.5 m (32000 = 0x007D00), zoom 0x000100, focus 0x000010, user 0x0000.
        var bytes: [UInt8] = [0xD1, 0x01, 0x2D, 0x00, 0x00, 0xFF, 0x80, 0x00, 0x00, 0x00, 0x00,
                              0x00, 0xFA, 0x00, 0xFE, 0x0C, 0x00, 0x00, 0x7D, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00]
        let sum = bytes.reduce(0) { $0 + Int($1) }
        bytes.append(UInt8((0x40 - sum % 256 + 256) % 256))
        let pose = try FreeD.parse(bytes)
        #expect(pose == CameraPose(camera: 1, pan: 90, tilt: -1, roll: 0, x: 1, y: -2, z: 0.5, zoom: 256, focus: 16))
    }

    @Test(arguments: [
        (Array(repeating: UInt8(0), count: 28), FreeD.Failure.wrongLength(28)),
        ([0xD2] + Array(repeating: UInt8(0), count: 28), FreeD.Failure.wrongType(0xD2)),
    ])
    func refusesMalformedMessages(bytes: [UInt8], failure: FreeD.Failure) {
        #expect(throws: failure) { try FreeD.parse(bytes) }
    }

    @Test func aBadChecksumIsCountedAndDropped() {
        var bytes = FreeD.encode(Self.pose)
        bytes[28] &+= 1
        var track = CameraTrack()
        track.add(message: bytes, at: UTCInstant(millisecondsSinceEpoch: 1000))
        track.add(message: FreeD.encode(Self.pose), at: UTCInstant(millisecondsSinceEpoch: 1020))
        #expect(track.rejected == 1)
        #expect(track.samples.count == 1)
    }

    @Test func aFrameTakesTheLatestSampleAtItsCaptureTimePlusTheDelay() {
        var track = CameraTrack(delay: Rational(40, 1000), maximumAge: Rational(1, 10))
        for index in 0..<10 {
            track.add(CameraPose(camera: 1, pan: Double(index), tilt: 0, roll: 0, x: 0, y: 0, z: 0, zoom: 0, focus: 0),
                      at: UTCInstant(millisecondsSinceEpoch: 1000 + Int64(index) * 20))
        }
        #expect(track.pose(forCaptureAt: UTCInstant(millisecondsSinceEpoch: 1000))?.pan == 2, "1000 + 40 ms is the sample at 1040")
        #expect(track.pose(forCaptureAt: UTCInstant(millisecondsSinceEpoch: 1005))?.pan == 2)
        #expect(track.pose(forCaptureAt: UTCInstant(millisecondsSinceEpoch: 900)) == nil, "before the first sample")
        #expect(track.pose(forCaptureAt: UTCInstant(millisecondsSinceEpoch: 1300)) == nil, "the last sample is too old")
    }
}

struct LensTests {
    static let json = #"""
    {"sensorWidthMm": 9.6, "aspect": "16/9", "imageCentre": [0.5, 0.5], "k1": -0.02, "k2": 0.001,
     "calibration": [{"zoom": 0, "focus": 0, "focalLengthMm": 8}, {"zoom": 1000, "focus": 0, "focalLengthMm": 18},
                     {"zoom": 0, "focus": 100, "focalLengthMm": 10}, {"zoom": 1000, "focus": 100, "focalLengthMm": 20}]}
    """#

    @Test func interpolatesFocalLengthInZoomThenFocus() throws {
        let lens = try Lens(json: Data(Self.json.utf8))
        #expect(lens.focalLength(zoom: 500, focus: 0) == 13)
        #expect(lens.focalLength(zoom: 500, focus: 100) == 15)
        #expect(lens.focalLength(zoom: 500, focus: 50) == 14)
        #expect(lens.focalLength(zoom: -5, focus: 0) == 8, "clamped below the table")
        #expect(lens.focalLength(zoom: 5000, focus: 500) == 20, "clamped above the table")
        #expect(abs(lens.aspect - 16.0 / 9.0) < 1e-12)
    }

    @Test(arguments: [
        (#"{"aspect":"16/9","imageCentre":[0.5,0.5],"k1":0,"k2":0,"calibration":[]}"#, "\"sensorWidthMm\" is missing"),
        (#"{"sensorWidthMm":9.6,"aspect":"wide","imageCentre":[0.5,0.5],"k1":0,"k2":0,"calibration":[{"zoom":0,"focus":0,"focalLengthMm":8}]}"#, "\"aspect\""),
        (#"{"sensorWidthMm":9.6,"aspect":"16/9","imageCentre":[0.5],"k1":0,"k2":0,"calibration":[{"zoom":0,"focus":0,"focalLengthMm":8}]}"#, "\"imageCentre\""),
        (#"{"sensorWidthMm":9.6,"aspect":"16/9","imageCentre":[0.5,0.5],"k1":0,"k2":0,"calibration":[]}"#, "\"calibration\""),
    ])
    func refusesBadLensFilesNamingTheField(json: String, fragment: String) {
        #expect {
            _ = try Lens(json: Data(json.utf8))
        } throws: { error in
            "\(error)".contains(fragment)
        }
    }
}

/// The projection against an independent reference: a rotation matrix composed from elementary
/// rotations (yaw about z, pitch about x, roll about y) instead of the basis vectors the code builds.
struct ProjectionTests {
    static let lens = Lens(sensorWidthMm: 10, aspect: 16.0 / 9.0, imageCentre: (0.5, 0.5), k1: -0.03, k2: 0.002,
                           calibration: [Lens.Point(zoom: 0, focus: 0, focalLengthMm: 10), Lens.Point(zoom: 1000, focus: 0, focalLengthMm: 50)])

    typealias Matrix = [[Double]]

    static func multiply(_ a: Matrix, _ b: Matrix) -> Matrix {
        (0..<3).map { row in (0..<3).map { column in (0..<3).reduce(0) { $0 + a[row][$1] * b[$1][column] } } }
    }

    static func reference(_ pose: CameraPose, _ point: [Double]) -> (x: Double, y: Double)? {
        let (p, t, r) = (pose.pan * .pi / 180, pose.tilt * .pi / 180, pose.roll * .pi / 180)
        // Camera axes in its own frame: right = x, forward = y, up = z. World = Rz(−pan) · Rx(tilt) · Ry(roll) · camera.
        let yaw: Matrix = [[cos(-p), -sin(-p), 0], [sin(-p), cos(-p), 0], [0, 0, 1]]
        let pitch: Matrix = [[1, 0, 0], [0, cos(t), -sin(t)], [0, sin(t), cos(t)]]
        let rollM: Matrix = [[cos(r), 0, sin(r)], [0, 1, 0], [-sin(r), 0, cos(r)]]
        let toWorld = multiply(multiply(yaw, pitch), rollM)
        let d = [point[0] - pose.x, point[1] - pose.y, point[2] - pose.z]
        // Camera coordinates: the transpose maps world to camera.
        let camera = (0..<3).map { axis in (0..<3).reduce(0) { $0 + toWorld[$1][axis] * d[$1] } }
        guard camera[1] > Projection.nearPlane else { return nil }
        let (xn, yn) = (camera[0] / camera[1], camera[2] / camera[1])
        let r2 = xn * xn + yn * yn
        let k = 1 + lens.k1 * r2 + lens.k2 * r2 * r2
        let focal = lens.focalLength(zoom: pose.zoom, focus: pose.focus) / lens.sensorWidthMm
        let x = 0.5 + focal * xn * k
        let y = 0.5 - focal * lens.aspect * yn * k
        return (0...1).contains(x) && (0...1).contains(y) ? (x, y) : nil
    }

    @Test func agreesWithTheReferenceOverASweepOfPosesAndPoints() {
        var compared = 0
        var visible = 0
        for pan in stride(from: -60.0, through: 60.0, by: 15) {
            for tilt in stride(from: -40.0, through: 10.0, by: 10) {
                for roll in [-5.0, 0, 3] {
                    let pose = CameraPose(camera: 1, pan: pan, tilt: tilt, roll: roll, x: 10, y: -5, z: 8, zoom: 300, focus: 0)
                    let projection = Projection(pose: pose, lens: Self.lens)
                    for x in stride(from: 0.0, through: 20, by: 5) {
                        for y in stride(from: 0.0, through: 50, by: 10) {
                            let point = [x, y, 0.0]
                            let ours = projection.project(SIMD3(point[0], point[1], point[2]))
                            let theirs = Self.reference(pose, point)
                            compared += 1
                            #expect((ours == nil) == (theirs == nil), "pan \(pan) tilt \(tilt) roll \(roll) point \(point)")
                            if let ours, let theirs {
                                visible += 1
                                #expect(abs(ours.x - theirs.x) < 1e-9 && abs(ours.y - theirs.y) < 1e-9)
                            }
                        }
                    }
                }
            }
        }
        #expect(compared == 9 * 6 * 3 * 5 * 6)
        #expect(visible > 100, "the sweep must actually see the pool")
    }

    @Test func aPointBehindTheCameraIsNotVisible() {
        let pose = CameraPose(camera: 1, pan: 0, tilt: 0, roll: 0, x: 0, y: 0, z: 1, zoom: 0, focus: 0)
        let projection = Projection(pose: pose, lens: Self.lens)
        #expect(projection.project(SIMD3(0, -10, 1)) == nil)
        let ahead = projection.project(SIMD3(0, 10, 1))
        #expect(ahead?.x == 0.5 && ahead?.y == 0.5, "straight ahead lands on the image centre")
    }
}
