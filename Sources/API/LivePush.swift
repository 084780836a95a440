import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import NIOCore
import NIOWebSocket
import Store
import Synchronization

/// A job's frames followed from the store as they are written: what both live pushes (Server-Sent
/// Events and WebSocket) send.
///
/// Every frame once, in order, from `after + 1`. When the job has ended and every frame went out,
/// `end` says how it ended. The follower reads the store when the store's `FrameBell` rings for
/// the job (at once after each write of its frames), and every 100 ms if no ring comes: the job
/// never waits for a client, and a client never waits for another. A client more than `maximumLag` frames behind
/// the job's last frame is `dropped` with the reason: it catches up through the frames pages, then
/// follows again.
struct FrameFollower<Store: JobReading> {
    enum Event {
        /// The next frames, in order.
        case frames([StoredFrame])
        /// The job ended; every frame has gone out.
        case end(frames: Int, state: String)
        /// The client fell too far behind; the JSON gives the reason and where to resume.
        case dropped(json: String)
        /// Nothing new for `heartbeatInterval`.
        case idle(waitingFor: Int)
        /// The client's API key was revoked: the stream ends.
        case revoked
    }

    let store: Store
    /// Whether the client's key is still live; asked every `keyCheckInterval`.
    let keyIsLive: @Sendable () async throws -> Bool
    /// About a minute of 50 fps video.
    static var maximumLag: Int { 3000 }
    static var pollInterval: Duration { .milliseconds(100) }
    /// Frames read and sent at once. With the connection's bounded buffers (`PushConnection`) this
    /// is what a follower holds: a batch of overlays of a few KB each. Smaller batches hold less
    /// but cost a catching-up client more store reads.
    static var batchLimit: Int { 16 }
    static var heartbeatInterval: Duration { .seconds(15) }
    /// A revoked key's stream ends within this (plus one poll and `KeyLiveness.lifetime`).
    static var keyCheckInterval: Duration { .milliseconds(250) }

    /// Follows `job` from the frame after `after` until it ends, the client is dropped, or the task is cancelled.
    ///
    /// Without `after`, a running job is followed from its live edge (the next frame it stores:
    /// a viewer joining a live final wants the race as it is, not a replay that would leave it
    /// minutes behind), and an ended job from its first frame.
    func follow(job: JobRecord, after: Int?, emit: (Event) async throws -> Void) async throws {
        var next = after.map { $0 + 1 } ?? (job.state == "running" ? job.frames : 0)
        var quietSince = ContinuousClock.now
        var keyCheckedAt = ContinuousClock.now
        // The job as last read: read again only once its frames are all sent (or none came), so a
        // client catching up costs one store read per batch, not two.
        var current = job
        var reread = false
        var rings = store.bell.rings(of: job.id)
        while !Task.isCancelled {
            if ContinuousClock.now - keyCheckedAt >= Self.keyCheckInterval {
                keyCheckedAt = .now
                guard try await keyIsLive() else {
                    try await emit(.revoked)
                    return
                }
            }
            if reread || next >= current.frames {
                // Counted before the read: a ring during it is not slept through.
                rings = store.bell.rings(of: job.id)
                current = try await store.job(id: job.id) ?? current
                reread = false
            }
            if current.frames - next > Self.maximumLag {
                PodiumMetrics.liveClientDropped()
                let reason = "the client is \(current.frames - next) frames behind the job (more than \(Self.maximumLag)): page through /v1/jobs/\(job.id)/frames from \(next), then follow again from there"
                try await emit(.dropped(json: #"{"reason":"\#(reason)","resumeAfter":\#(next - 1)}"#))
                return
            }
            let frames = next < current.frames
                ? try await store.frames(jobID: job.id, from: next, to: current.frames - 1, limit: Self.batchLimit, asOf: .aired) : []
            guard let last = frames.last else {
                if current.state != "running", next >= current.frames {
                    try await emit(.end(frames: current.frames, state: current.state))
                    return
                }
                if ContinuousClock.now - quietSince > Self.heartbeatInterval {
                    try await emit(.idle(waitingFor: next))
                    quietSince = .now
                }
                await store.bell.wait(for: job.id, since: rings, atMost: Self.pollInterval)
                try Task.checkCancellation()
                reread = true
                continue
            }
            try await emit(.frames(frames))
            next = last.seq + 1
            quietSince = .now
        }
    }
}

/// `GET /v1/jobs/{id}/events`: the frames as Server-Sent Events. Each frame is one event: `id` =
/// its `seq`, `event: frame`, `data` = its `FrameOverlay` (the bytes carried in band); then
/// `event: end` or `event: dropped`. Resumed with `Last-Event-ID` or `?after=seq`.
struct ServerSentEvents<Store: JobReading> {
    let store: Store
    let keyIsLive: @Sendable () async throws -> Bool
    /// A frame event's data: the stored overlay's bytes, unless a graphic's push maps them (`OGrafGraphicLibrary`).
    var eventData: (@Sendable (StoredFrame) -> Data)? = nil

    func stream(job: JobRecord, after: Int?, connection: PushConnection) -> Response {
        let follower = FrameFollower(store: store, keyIsLive: keyIsLive)
        let eventData = eventData
        let body = ResponseBody { writer in
            PodiumMetrics.liveClientConnected()
            defer { PodiumMetrics.liveClientDisconnected() }
            try await connection.serve { try await follower.follow(job: job, after: after) { event in try await connection.writing {
                switch event {
                case .frames(let frames):
                    var chunk = ByteBuffer()
                    for frame in frames {
                        chunk.writeString("id: \(frame.seq)\nevent: frame\ndata: ")
                        chunk.writeBytes(eventData?(frame) ?? frame.overlayJSON)
                        chunk.writeString("\n\n")
                    }
                    try await writer.write(chunk)
                case .end(let frames, let state):
                    try await writer.write(ByteBuffer(string: #"event: end\#ndata: {"frames":\#(frames),"state":"\#(state)"}\#n\#n"#))
                case .dropped(let json):
                    try await writer.write(ByteBuffer(string: "event: dropped\ndata: \(json)\n\n"))
                case .idle(let waitingFor):
                    // A comment keeps proxies from closing an idle stream.
                    try await writer.write(ByteBuffer(string: ": waiting for frame \(waitingFor)\n\n"))
                case .revoked:
                    try await writer.write(ByteBuffer(string: #"event: revoked\#ndata: {"reason":"the API key was revoked"}\#n\#n"#))
                }
            } } }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store"], body: body)
    }
}

/// `GET /v1/jobs/{id}/ws` (WebSocket): the same frames as text messages, each a JSON envelope:
/// `{"event":"frame","seq":N,"frame":FrameOverlay}`, then `{"event":"end","frames":N,"state":…}`
/// (closed normally) or `{"event":"dropped","reason":…,"resumeAfter":N}` (closed as a policy
/// violation). Resumed with `?after=seq`. What the client sends is read and ignored; its close ends the stream.
struct WebSocketPush<Store: JobReading> {
    let store: Store
    let keyIsLive: @Sendable () async throws -> Bool

    func run(job: JobRecord, after: Int?, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, connection: PushConnection) async throws {
        PodiumMetrics.liveClientConnected()
        defer { PodiumMetrics.liveClientDisconnected() }
        try await connection.serve { try await push(job: job, after: after, inbound: inbound, outbound: outbound, connection: connection) }
    }

    private func push(job: JobRecord, after: Int?, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, connection: PushConnection) async throws {
        let follower = FrameFollower(store: store, keyIsLive: keyIsLive)
        let following = Task {
            try await follower.follow(job: job, after: after) { event in try await connection.writing {
                switch event {
                case .frames(let frames):
                    for frame in frames {
                        let overlay = String(decoding: frame.overlayJSON, as: UTF8.self)
                        try await outbound.write(.text(#"{"event":"frame","frame":\#(overlay),"seq":\#(frame.seq)}"#))
                    }
                case .end(let frames, let state):
                    try await outbound.write(.text(#"{"event":"end","frames":\#(frames),"state":"\#(state)"}"#))
                    try await outbound.close(.normalClosure, reason: "the job has ended")
                case .dropped(let json):
                    try await outbound.write(.text(#"{"event":"dropped","# + json.dropFirst()))
                    try await outbound.close(.policyViolation, reason: "too far behind the job")
                case .idle:
                    // A ping keeps proxies from closing an idle stream (the client's pong is ignored:
                    // a dead peer is found by TCP keepalive and the stall watch, see `PushConnection`).
                    try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer())))
                case .revoked:
                    try await outbound.write(.text(#"{"event":"revoked","reason":"the API key was revoked"}"#))
                    try await outbound.close(.policyViolation, reason: "the API key was revoked")
                }
            } }
        }
        // The client's close (or a dead connection) ends the inbound stream: stop following then.
        // This watcher is not awaited: once the job's stream has ended the handler returns and the
        // connection closes, whatever the client still sends.
        let watcher = Task {
            for try await _ in inbound {}
            following.cancel()
        }
        defer { watcher.cancel() }
        do {
            // (An unstructured task does not inherit cancellation: the server's shutdown passes it on.)
            try await withTaskCancellationHandler { try await following.value } onCancel: { following.cancel() }
        } catch is CancellationError {
            // The client left.
        }
        // The stream ended with a close (end, dropped, revoked): wait for the client's reply to it
        // before the connection goes. Closing at once discards what is still queued for a client
        // that reads slowly, the last frames and the end with it; a client that never replies is
        // let go after `PushConnection.stallLimit`.
        let lingering = Task {
            try? await Task.sleep(for: PushConnection.stallLimit)
            watcher.cancel()
        }
        _ = await watcher.result
        lingering.cancel()
    }
}

/// The connection of one live push, bounded so a client that stops reading costs little and is
/// let go. Its kernel send buffer is `sendBufferBytes` (Linux doubles the figure for bookkeeping),
/// NIO holds at most its high-water mark (64 KiB) more, and the follower one batch: about 200 KiB
/// in all, however far the job runs ahead. A write that has not gone out after `stallLimit`
/// means the client has stopped reading: the connection is closed, and the client resumes from
/// the last frame it received (`Last-Event-ID`, `?after=`). It cannot be told so in band: its
/// buffers are full. A client that reads, but too slowly, is told in band (`dropped`).
///
/// A peer that is gone without a word (a viewer's phone off the network) while the stream is idle
/// is found by the kernel: TCP keepalive probes after `keepaliveIdleSeconds` of silence, and the
/// connection is closed when `keepaliveProbes` go unanswered, about 30 s in all. Not by
/// WebSocket ping and pong: a pong is read by the server's tasks, and on a server whose cores are
/// busy sending frames to hundreds of followers the pongs were not read within the ping period, so
/// clients that read every frame were closed as "Ping timeout". The kernel answers whatever the load.
public final class PushConnection: Sendable {
    public static let sendBufferBytes = 64 * 1024
    public static let stallLimit: Duration = .seconds(15)
    public static let keepaliveIdleSeconds = 15
    static let keepaliveIntervalSeconds = 5
    static let keepaliveProbes = 3
    static let watchInterval: Duration = .milliseconds(500)
    let channel: any Channel
    /// When the write in progress started; nil between writes.
    private let writeStarted = Mutex<ContinuousClock.Instant?>(nil)

    init(channel: any Channel) {
        self.channel = channel
    }

    /// Runs a push on the connection: its kernel send buffer set to `sendBufferBytes`, TCP
    /// keepalive on, and watched (`watch`) until `push` returns.
    func serve<T>(_ push: () async throws -> T) async throws -> T {
        try? await channel.setOption(ChannelOptions.socketOption(.so_sndbuf), value: SocketOptionValue(Self.sendBufferBytes)).get()
        try? await channel.setOption(ChannelOptions.socketOption(.so_keepalive), value: 1).get()
        for (option, value) in [(TCP_KEEPIDLE, Self.keepaliveIdleSeconds), (TCP_KEEPINTVL, Self.keepaliveIntervalSeconds), (TCP_KEEPCNT, Self.keepaliveProbes)] {
            let name = ChannelOptions.Types.SocketOption(level: .tcp, name: NIOBSDSocket.Option(rawValue: option))
            try? await channel.setOption(name, value: SocketOptionValue(value)).get()
        }
        let watching = watch()
        defer { watching.cancel() }
        return try await push()
    }

    /// `body`, a write to the client, timed for `watch`.
    func writing<T>(_ body: () async throws -> T) async throws -> T {
        writeStarted.withLock { $0 = .now }
        defer { writeStarted.withLock { $0 = nil } }
        return try await body()
    }

    /// Closes the connection once a write has waited `stallLimit`; cancelled when the push ends.
    private func watch() -> Task<Void, Never> {
        Task { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.watchInterval)
                guard let started = writeStarted.withLock({ $0 }), ContinuousClock.now - started >= Self.stallLimit else { continue }
                PodiumMetrics.liveClientDropped()
                channel.close(promise: nil)
                return
            }
        }
    }
}

/// Tells a client it may not follow: `{"event":"refused","status":N,"error":{…}}` (the API's
/// error shape), then a close with code 4000 + N (4401, 4403, 4404, 4400, 4429), which a
/// browser's WebSocket shows its page, unlike the status of a refused handshake.
func refuseWebSocket(_ refusal: APIError, outbound: WebSocketOutboundWriter) async throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let message = try encoder.encode(WebSocketRefusal(error: refusal.body, status: refusal.status.code))
    try await outbound.write(.text(String(decoding: message, as: UTF8.self)))
    // A close reason holds at most 123 bytes; the message above has the whole sentence.
    try await outbound.close(.unknown(UInt16(4000 + refusal.status.code)), reason: refusal.code)
}

/// The message of `refuseWebSocket`.
private struct WebSocketRefusal: Encodable {
    let error: APIError.Envelope.Body
    let event = "refused"
    let status: Int
}
