internal import CCairo
public import Foundation
public import MediaFormats
public import Overlay

/// Draws a frame's overlay on its picture, as a designer would see it on air, and writes PNG.
///
/// Elements with a screen rectangle get a dark plate with their text (a lane tag laid out in one
/// gets a leader line from its point); other world-anchored elements are drawn at their
/// projected points (a line through them for a line, a tag above a single point),
/// only while `visible`. Everything takes the element's `opacity`. Text is DejaVu Sans (Cairo
/// through FreeType and fontconfig), sized from the picture's height, so it stays legible from
/// 360p to 1080p.
public enum PreviewPainter {
    /// The font every preview writes in.
    public static let fontFamily = "DejaVu Sans"

    /// `picture` with `overlay` drawn on it, and a caption strip at the bottom when given, as PNG.
    public static func png(_ picture: Picture, overlay: FrameOverlay, caption: String? = nil) throws(MediaError) -> Data {
        var picture = picture
        try draw(overlay, caption: caption, on: &picture)
        return try encode(picture)
    }

    /// Several frames in a grid (`columns` wide), each with its caption (frame number and timecode), as PNG.
    public static func sheet(_ tiles: [(picture: Picture, overlay: FrameOverlay, caption: String)], columns: Int) throws(MediaError) -> Data {
        guard let first = tiles.first else { throw .unsupportedOutput(url: "sheet", detail: "no frames to put on a sheet") }
        let columns = max(1, min(columns, tiles.count))
        let rows = (tiles.count + columns - 1) / columns
        let gap = 4
        var sheet = Picture(width: columns * first.picture.width + (columns + 1) * gap, height: rows * first.picture.height + (rows + 1) * gap, gray: 16)
        for (position, tile) in tiles.enumerated() {
            var drawn = tile.picture
            try draw(tile.overlay, caption: tile.caption, on: &drawn)
            let left = gap + (position % columns) * (first.picture.width + gap)
            let top = gap + (position / columns) * (first.picture.height + gap)
            for row in 0..<min(drawn.height, first.picture.height) {
                let source = row * drawn.width * 4
                let target = ((top + row) * sheet.width + left) * 4
                sheet.pixels.replaceSubrange(target..<target + min(drawn.width, first.picture.width) * 4, with: drawn.pixels[source..<source + min(drawn.width, first.picture.width) * 4])
            }
        }
        return try encode(sheet)
    }

    /// Draws on the picture's own pixels.
    static func draw(_ overlay: FrameOverlay, caption: String?, on picture: inout Picture) throws(MediaError) {
        let width = Double(picture.width), height = Double(picture.height)
        let failed: Bool = picture.pixels.withUnsafeMutableBufferPointer { buffer in
            guard let surface = cairo_image_surface_create_for_data(buffer.baseAddress, CAIRO_FORMAT_ARGB32, Int32(picture.width), Int32(picture.height), Int32(picture.width * 4)) else { return true }
            defer { cairo_surface_destroy(surface) }
            guard let cr = cairo_create(surface) else { return true }
            defer { cairo_destroy(cr) }
            cairo_select_font_face(cr, fontFamily, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD)
            for element in overlay.elements where element.opacity > 0 {
                if let rect = element.rect, rect.count == 4 {
                    if element.visible, let point = element.screen?.first, point.count >= 2 {
                        // A lane tag laid out away from its point: a leader line from the point to its label.
                        leader(cr, from: (point[0] * width, point[1] * height), to: rect, width: width, height: height, opacity: element.opacity)
                    }
                    plate(cr, x: rect[0] * width, y: rect[1] * height, width: rect[2] * width, height: rect[3] * height, text: element.text, opacity: element.opacity)
                } else if element.visible, let points = element.screen, !points.isEmpty {
                    let screen = points.filter { $0.count >= 2 }.map { (x: $0[0] * width, y: $0[1] * height) }
                    if screen.count >= 2 {
                        // A line across the world (the record line): drawn through its projected points.
                        cairo_set_source_rgba(cr, 1, 0.83, 0, element.opacity)
                        cairo_set_line_width(cr, max(2, height * 0.006))
                        cairo_move_to(cr, screen[0].x, screen[0].y)
                        for point in screen.dropFirst() { cairo_line_to(cr, point.x, point.y) }
                        cairo_stroke(cr)
                        if !element.text.isEmpty { label(cr, element.text, x: screen[0].x, y: screen[0].y - height * 0.01, size: height * 0.03, opacity: element.opacity) }
                    } else if let point = screen.first {
                        // A tag above one point (a lane): a plate centred on it.
                        let tagHeight = height * 0.05
                        let tagWidth = min(width * 0.3, textWidth(cr, element.text, size: tagHeight * 0.55) + tagHeight * 0.6)
                        plate(cr, x: point.x - tagWidth / 2, y: point.y - tagHeight * 1.2, width: tagWidth, height: tagHeight, text: element.text, opacity: element.opacity)
                    }
                }
            }
            if let caption {
                let strip = max(12, height * 0.07)
                cairo_set_source_rgba(cr, 0, 0, 0, 0.75)
                cairo_rectangle(cr, 0, height - strip, width, strip)
                cairo_fill(cr)
                label(cr, caption, x: strip * 0.3, y: height - strip * 0.28, size: strip * 0.6, opacity: 1)
            }
            cairo_surface_flush(surface)
            return cairo_status(cr) != CAIRO_STATUS_SUCCESS
        }
        if failed { throw .ffmpeg(operation: "drawing a preview", target: "cairo", code: 0, message: "cairo could not draw") }
    }

    /// A thin line from a tag's point to the nearest edge of its label, and a dot on the point.
    private static func leader(_ cr: OpaquePointer, from point: (x: Double, y: Double), to rect: [Double], width: Double, height: Double, opacity: Double) {
        let (left, top, right, bottom) = (rect[0] * width, rect[1] * height, (rect[0] + rect[2]) * width, (rect[1] + rect[3]) * height)
        let end = (x: min(max(point.x, left), right), y: point.y < top ? top : (point.y > bottom ? bottom : (top + bottom) / 2))
        cairo_set_source_rgba(cr, 1, 1, 1, 0.9 * opacity)
        cairo_set_line_width(cr, max(1, height * 0.003))
        cairo_move_to(cr, point.x, point.y)
        cairo_line_to(cr, end.x, end.y)
        cairo_stroke(cr)
        cairo_arc(cr, point.x, point.y, max(1.5, height * 0.005), 0, 2 * Double.pi)
        cairo_fill(cr)
    }

    /// A dark plate with white text fitted inside it.
    private static func plate(_ cr: OpaquePointer, x: Double, y: Double, width: Double, height: Double, text: String, opacity: Double) {
        cairo_set_source_rgba(cr, 0.04, 0.06, 0.12, 0.78 * opacity)
        let radius = min(height, width) * 0.15
        cairo_new_sub_path(cr)
        cairo_arc(cr, x + width - radius, y + radius, radius, -Double.pi / 2, 0)
        cairo_arc(cr, x + width - radius, y + height - radius, radius, 0, Double.pi / 2)
        cairo_arc(cr, x + radius, y + height - radius, radius, Double.pi / 2, Double.pi)
        cairo_arc(cr, x + radius, y + radius, radius, Double.pi, 3 * Double.pi / 2)
        cairo_close_path(cr)
        cairo_fill(cr)
        guard !text.isEmpty else { return }
        let padding = height * 0.25
        var size = height * 0.55
        let measured = textWidth(cr, text, size: size)
        if measured > width - 2 * padding, measured > 0 { size *= (width - 2 * padding) / measured }
        label(cr, text, x: x + padding, y: y + height / 2 + size * 0.36, size: size, opacity: opacity)
    }

    private static func label(_ cr: OpaquePointer, _ text: String, x: Double, y: Double, size: Double, opacity: Double) {
        cairo_set_font_size(cr, size)
        cairo_set_source_rgba(cr, 1, 1, 1, opacity)
        cairo_move_to(cr, x, y)
        cairo_show_text(cr, text)
    }

    private static func textWidth(_ cr: OpaquePointer, _ text: String, size: Double) -> Double {
        cairo_set_font_size(cr, size)
        var extents = cairo_text_extents_t()
        cairo_text_extents(cr, text, &extents)
        return extents.x_advance
    }

    /// The picture as PNG (Cairo's encoder), written to memory.
    static func encode(_ picture: Picture) throws(MediaError) -> Data {
        final class Sink { var data = Data() }
        let sink = Sink()
        var pixels = picture.pixels
        let status = pixels.withUnsafeMutableBufferPointer { buffer -> cairo_status_t in
            guard let surface = cairo_image_surface_create_for_data(buffer.baseAddress, CAIRO_FORMAT_ARGB32, Int32(picture.width), Int32(picture.height), Int32(picture.width * 4)) else {
                return CAIRO_STATUS_NO_MEMORY
            }
            defer { cairo_surface_destroy(surface) }
            return cairo_surface_write_to_png_stream(surface, { context, bytes, length in
                guard let context, let bytes else { return CAIRO_STATUS_WRITE_ERROR }
                Unmanaged<Sink>.fromOpaque(context).takeUnretainedValue().data.append(bytes, count: Int(length))
                return CAIRO_STATUS_SUCCESS
            }, Unmanaged.passUnretained(sink).toOpaque())
        }
        guard status == CAIRO_STATUS_SUCCESS else { throw .ffmpeg(operation: "writing a PNG", target: "cairo", code: Int32(status.rawValue), message: "cairo could not encode the picture") }
        return sink.data
    }
}
