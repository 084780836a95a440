extension FrameOverlay {
    /// One graphic a template puts on a frame: what it says, where it goes, how visible it is.
    ///
    /// Shaped after JSON-Schema-described graphics (the EBU OGraf idea): a graphics engine binds
    /// to `kind`, `text`, `values` and the geometry, and needs nothing else.
    public struct Element: Sendable, Hashable, Codable {
        /// Stable across frames: the template element's id, `.lane` appended for per-lane elements (`laneTag.4`).
        public let id: String
        /// clock, text, laneTag, splitBoard, resultBoard, lowerThird, line.
        public let kind: String
        /// The bound text.
        public let text: String
        /// Named values for a graphics engine to bind to, when the template declares them.
        public let values: [String: String]?
        /// Screen rectangle, normalised: x, y (top left), width, height, each 0…1. For a world-anchored
        /// lane tag whose template gives a tag box, the box its label was laid out in (`LaneTagLayout`),
        /// with `screen` the point it belongs to; absent for other world-anchored elements.
        public let rect: [Double]?
        /// The world anchor, for AR elements.
        public let world: WorldAnchor?
        /// Projected screen points of a world anchor (normalised x, y), when a camera pose is known and the anchor is in view.
        public let screen: [[Double]]?
        /// False for a world anchor behind the camera or off screen, or a lane tag its template's
        /// layout hid because no place next to its point was free: then `screen` is absent, never garbage.
        public let visible: Bool
        /// 0…1, from the template's fade in and out.
        public let opacity: Double

        /// Creates an element.
        public init(
            id: String, kind: String, text: String, values: [String: String]? = nil, rect: [Double]?, world: WorldAnchor?,
            screen: [[Double]]?, visible: Bool, opacity: Double
        ) {
            self.id = id
            self.kind = kind
            self.text = text
            self.values = values
            self.rect = rect
            self.world = world
            self.screen = screen
            self.visible = visible
            self.opacity = opacity
        }
    }

    /// A point or segment in the venue's world frame (metres): x across the lanes, y along the
    /// pool from the start wall, z up from the water surface.
    public struct WorldAnchor: Sendable, Hashable, Codable {
        /// `laneTag` (a lane's centre line on the water) or `worldRecordLine` (across all lanes).
        public let anchor: String
        /// World points, metres, as [x, y, z].
        public let points: [[Double]]

        /// Creates an anchor.
        public init(anchor: String, points: [[Double]]) {
            self.anchor = anchor
            self.points = points
        }
    }
}
