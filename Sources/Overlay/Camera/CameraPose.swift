/// Where a tracked camera is and where it looks, as FreeD reports it, in SI-friendly units.
public struct CameraPose: Sendable, Hashable, Codable {
    /// Camera id from the tracking system.
    public let camera: Int
    /// Pan, tilt and roll in degrees.
    public let pan: Double
    public let tilt: Double
    public let roll: Double
    /// Position in metres in the venue's world frame.
    public let x: Double
    public let y: Double
    public let z: Double
    /// Raw lens encoder values.
    public let zoom: Int
    public let focus: Int

    /// Creates a pose.
    public init(camera: Int, pan: Double, tilt: Double, roll: Double, x: Double, y: Double, z: Double, zoom: Int, focus: Int) {
        self.camera = camera
        self.pan = pan
        self.tilt = tilt
        self.roll = roll
        self.x = x
        self.y = y
        self.z = z
        self.zoom = zoom
        self.focus = focus
    }
}
