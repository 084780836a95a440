import Foundation
import Hummingbird
import Jobs
import Logging
import Metrics
import Prometheus
import Store

/// The metrics Podium exposes besides Hummingbird's per-request ones
/// (`hb_requests`, `hb_request_duration`, `hb_request_errors`, by route, method and status).
enum PodiumMetrics {
    /// Results documents received over HTTP, by outcome.
    static func feedDocument(outcome: String) {
        Counter(label: "podium_feed_documents_total", dimensions: [("outcome", outcome)]).increment()
    }

    /// Clients following a job's frames (SSE), now.
    private static let liveClients = Meter(label: "podium_live_clients")

    static func liveClientConnected() { liveClients.increment() }
    static func liveClientDisconnected() { liveClients.decrement() }

    /// Clients dropped for falling too far behind.
    static func liveClientDropped() {
        Counter(label: "podium_live_clients_dropped_total").increment()
    }
}

/// `/readyz` and `/metrics`: for orchestrators and Prometheus; no key (bind the server to a
/// private address, or put these behind the proxy's own rules).
struct OperationsController<Store: JobReading> {
    let store: Store
    let availability: StoreAvailability
    let registry: PrometheusCollectorRegistry?

    func addRoutes(to router: Router<PodiumRequestContext>) {
        router.get("readyz", use: ready)
        if registry != nil { router.get("metrics", use: metrics) }
    }

    /// Ready when the store answers a query and no write failed for want of disk (or an I/O error) lately.
    @Sendable func ready(_ request: Request, context: PodiumRequestContext) async throws -> Response {
        if let fault = availability.currentFault {
            throw APIError(.serviceUnavailable, code: "not_ready", message: "the store cannot write: \(fault)", details: ["store": fault])
        }
        do {
            _ = try await store.job(id: 0)
            return jsonResponse(Data(#"{"status":"ready"}"#.utf8))
        } catch {
            context.logger.error("store not ready", metadata: ["error": .string("\(error)")])
            throw APIError(.serviceUnavailable, code: "not_ready", message: "the store does not answer")
        }
    }

    /// The Prometheus text exposition of every metric, with the process's resident memory read
    /// as it is asked for.
    @Sendable func metrics(_ request: Request, context: PodiumRequestContext) async throws -> Response {
        if let memory = ResidentMemory.read() {
            Gauge(label: "podium_process_resident_bytes").record(memory.current)
            Gauge(label: "podium_process_peak_resident_bytes").record(memory.peak)
        }
        let bytes = registry?.emitToBuffer() ?? []
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }
}
