internal import CFFmpeg
import Foundation
public import MediaFormats
import MediaIO

/// A browser-playable copy of a recording: its video and audio stream-copied (never re-encoded)
/// into MP4, for the web viewer. Written to a temporary file, then renamed into place.
public enum Rendition {
    /// Copies `recording` into an MP4 at `path`.
    public static func mp4(of recording: String, to path: String) throws(MediaError) {
        let endpoint = try InputEndpoint(recording, policy: InputPolicy())
        guard endpoint.kind == .file else { throw .unsupportedOutput(url: recording, detail: "renditions are made of recordings (files) only") }
        let input = try MediaInput(guarding: InputGuard(endpoint: endpoint, policy: InputPolicy(), cancellation: InputCancellation(), wallClock: SystemClock()))
        guard let video = input.streams.first(where: { $0.kind == .video }) else { throw .noVideoStream(url: recording) }
        let copied = input.streams.filter { $0.kind == .video || $0.kind == .audio }
        let layout = StreamLayout(input: input, copying: copied, video: video)
        // A name of its own: two requests may make the same rendition at once.
        let temporary = path + ".\(UUID().uuidString).part"
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        let muxer = try StreamMuxer(
            location: "file:" + temporary, protocolWhitelist: "file", container: .mp4, layout: layout,
            withMetadata: false, interleaved: true, cancellation: InputCancellation(), displayName: path
        )
        let timeBases = Dictionary(uniqueKeysWithValues: copied.map { ($0.index, $0.timeBase) })
        let packet = Packet()
        while try input.read(into: packet) {
            defer { packet.unreference() }
            let index = Int(packet.pointer.pointee.stream_index)
            guard let timeBase = timeBases[index], packet.pointer.pointee.flags & AV_PKT_FLAG_CORRUPT == 0 else { continue }
            // The muxer takes its own reference; the read packet is reused for the next one.
            try muxer.write(OutputPacket(role: .stream(index), packet: packet, timeBase: timeBase, isVideo: index == video.index, readAt: 0))
        }
        try muxer.finish()
        if FileManager.default.fileExists(atPath: path) { try? FileManager.default.removeItem(atPath: path) }
        do {
            try FileManager.default.moveItem(atPath: temporary, toPath: path)
        } catch {
            throw .unsupportedOutput(url: path, detail: "the rendition could not be put in place: \(error.localizedDescription)")
        }
    }
}
