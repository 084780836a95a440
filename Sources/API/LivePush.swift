import Foundation
import HTTPTypes
import Hummingbird
import Store

/// `GET /v1/jobs/{id}/events`: the job's frames as Server-Sent Events, as they are stored.
///
/// Each frame is one event: `id` = its `seq`, `event: frame`, `data` = its `FrameOverlay` (the
/// bytes carried in band). A client resumes with `Last-Event-ID` or `?after=seq` and gets every
/// later frame once, in order. When the job has ended and every frame went out, an `end` event
/// says how it ended and the stream closes. The server follows the store (polling it every
/// 100 ms): the job never waits for a client, and a client never waits for another. A client that
/// is more than `maximumLag` frames behind the job's last frame gets a `dropped` event with the
/// reason and is disconnected: it catches up through the frames pages, then follows again.
struct LivePush<Store: JobReading> {
    let store: Store
    /// About a minute of 50 fps video.
    static var maximumLag: Int { 3000 }
    static var pollInterval: Duration { .milliseconds(100) }
    static var heartbeatInterval: Duration { .seconds(15) }

    func stream(job: JobRecord, after: Int?) -> Response {
        let store = store
        let body = ResponseBody { writer in
            PodiumMetrics.liveClientConnected()
            defer { PodiumMetrics.liveClientDisconnected() }
            var next = (after ?? -1) + 1
            var quietSince = ContinuousClock.now
            while !Task.isCancelled {
                let current = try await store.job(id: job.id) ?? job
                let frames = next < current.frames
                    ? try await store.frames(jobID: job.id, from: next, to: current.frames - 1, limit: 250, asOf: .aired) : []
                if current.frames - next > Self.maximumLag {
                    let reason = #"{"reason":"the client is \#(current.frames - next) frames behind the job (more than \#(Self.maximumLag)): page through /v1/jobs/\#(job.id)/frames from \#(next), then follow again with Last-Event-ID","resumeAfter":\#(next - 1)}"#
                    try await writer.write(ByteBuffer(string: "event: dropped\ndata: \(reason)\n\n"))
                    PodiumMetrics.liveClientDropped()
                    break
                }
                if frames.isEmpty {
                    if current.state != "running", next >= current.frames {
                        try await writer.write(ByteBuffer(string: #"event: end\#ndata: {"frames":\#(current.frames),"state":"\#(current.state)"}\#n\#n"#))
                        break
                    }
                    if ContinuousClock.now - quietSince > Self.heartbeatInterval {
                        // A comment keeps proxies from closing an idle stream.
                        try await writer.write(ByteBuffer(string: ": waiting for frame \(next)\n\n"))
                        quietSince = .now
                    }
                    try await Task.sleep(for: Self.pollInterval)
                    continue
                }
                var chunk = ByteBuffer()
                for frame in frames {
                    chunk.writeString("id: \(frame.seq)\nevent: frame\ndata: ")
                    chunk.writeBytes(frame.overlayJSON)
                    chunk.writeString("\n\n")
                    next = frame.seq + 1
                }
                try await writer.write(chunk)
                quietSince = .now
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store"],
            body: body
        )
    }
}
