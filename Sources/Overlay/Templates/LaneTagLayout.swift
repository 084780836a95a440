/// Places lane tags' labels on screen so that no two overlap, none covers a board, and none
/// covers another tag's point.
///
/// A lane tag points at its lane; its label is a box of the template's size. Tags are placed one
/// at a time in race order (the leader's first, then lane order for lanes not yet ranked), each at
/// the first free place: just above its point, then (when the template staggers) just below it,
/// then one row further above, one row further below, and so on. A tag with no free place inside
/// the frame is hidden, never drawn over another. Deterministic: the same frame gives the same
/// layout in the preview, in band and in every graphic that draws the element's `rect`.
public enum LaneTagLayout {
    /// The rows a staggered tag may move away from its point, on either side.
    public static let rows = 4

    /// The label box (x, y, width, height) of the tag at each projected point (normalised x, y;
    /// in priority order), or nil for a tag with no free place. `obstacles` are rectangles already
    /// on the frame (boards, the clock).
    public static func place(_ points: [[Double]], box: OverlayTemplate.TagBox, obstacles: [[Double]]) -> [[Double]?] {
        let (width, height) = (box.width, box.height)
        let gap = height * 0.3, step = height * 1.1
        var taken = obstacles.filter { $0.count == 4 }
        return points.map { point in
            let x = min(max(point[0] - width / 2, 0), 1 - width)
            var candidates: [Double] = []
            for row in 0..<(box.overlap == .stagger ? rows : 1) {
                candidates.append(point[1] - gap - height - Double(row) * step)
                if box.overlap == .stagger { candidates.append(point[1] + gap + Double(row) * step) }
            }
            for y in candidates where y >= 0 && y + height <= 1 {
                let rect = [x, y, width, height].map { ($0 * 10000).rounded() / 10000 }
                // Nor may a label cover another tag's point: each tag stays readable as pointing at its lane.
                if !taken.contains(where: { overlaps($0, rect) }), !points.contains(where: { $0 != point && covers(rect, $0) }) {
                    taken.append(rect)
                    return rect
                }
            }
            return nil
        }
    }

    /// Whether a rectangle covers a point.
    static func covers(_ rect: [Double], _ point: [Double]) -> Bool {
        point[0] > rect[0] && point[0] < rect[0] + rect[2] && point[1] > rect[1] && point[1] < rect[1] + rect[3]
    }

    /// Whether two rectangles share any area (touching edges do not count).
    static func overlaps(_ a: [Double], _ b: [Double]) -> Bool {
        a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3]
    }
}
