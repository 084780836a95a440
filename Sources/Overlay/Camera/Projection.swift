import Foundation

/// Pinhole projection of world points (metres) to normalised screen coordinates, with radial
/// distortion, for a FreeD pose and a lens.
///
/// Conventions: world x across the lanes, y along the pool, z up. Pan 0 looks along +y and turns
/// clockwise seen from above; tilt is positive upwards; roll is positive clockwise seen from
/// behind the camera. Screen x grows to the right and y downwards, both 0…1.
public struct Projection: Sendable {
    private let position: SIMD3<Double>
    private let right: SIMD3<Double>
    private let up: SIMD3<Double>
    private let forward: SIMD3<Double>
    private let focalX: Double
    private let focalY: Double
    private let lens: Lens

    /// The nearest distance in front of the camera a point may be and still project.
    public static let nearPlane = 0.05

    /// Creates the projection of `pose` through `lens`.
    public init(pose: CameraPose, lens: Lens) {
        let radians = Double.pi / 180
        let (pan, tilt, roll) = (pose.pan * radians, pose.tilt * radians, pose.roll * radians)
        forward = SIMD3(sin(pan) * cos(tilt), cos(pan) * cos(tilt), sin(tilt))
        let flatRight = SIMD3(cos(pan), -sin(pan), 0.0)
        let flatUp = SIMD3(
            flatRight.y * forward.z - flatRight.z * forward.y,
            flatRight.z * forward.x - flatRight.x * forward.z,
            flatRight.x * forward.y - flatRight.y * forward.x
        )
        right = flatRight * cos(roll) - flatUp * sin(roll)
        up = flatRight * sin(roll) + flatUp * cos(roll)
        position = SIMD3(pose.x, pose.y, pose.z)
        let focal = lens.focalLength(zoom: pose.zoom, focus: pose.focus)
        focalX = focal / lens.sensorWidthMm
        focalY = focalX * lens.aspect
        self.lens = lens
    }

    /// The normalised screen position of a world point, or nil when it is behind the camera or off screen.
    public func project(_ point: SIMD3<Double>) -> (x: Double, y: Double)? {
        let offset = point - position
        let depth = (offset * forward).sum()
        guard depth > Projection.nearPlane else { return nil }
        let xn = (offset * right).sum() / depth
        let yn = (offset * up).sum() / depth
        let r2 = xn * xn + yn * yn
        let factor = 1 + lens.k1 * r2 + lens.k2 * r2 * r2
        let x = lens.imageCentre.x + focalX * xn * factor
        let y = lens.imageCentre.y - focalY * yn * factor
        guard (0...1).contains(x), (0...1).contains(y) else { return nil }
        return (x, y)
    }
}
