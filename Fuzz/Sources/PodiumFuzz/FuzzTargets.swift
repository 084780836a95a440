import Feeds
import Foundation
import MediaFormats
import Overlay

/// Every parser that takes bytes from outside Podium, as a libFuzzer target. The target is
/// chosen by `PODIUM_FUZZ_TARGET` (one binary, one build); each must answer any input with a
/// value or a thrown error, never a crash, a hang or unbounded memory.
enum FuzzTarget: String, CaseIterable {
    /// ODF 2 XML.
    case odf
    /// Lenex 3 XML (`.lef`).
    case lenex
    /// Any results document as a feed body: gzip, format sniffing, UTF-16, `.lxf` zips, events.
    case documents
    /// Podium timing events (JSON).
    case events
    /// HLS playlists as an origin serves them.
    case hls
    /// FreeD D1 camera messages (29 bytes) and recorded tracks (JSON lines).
    case freed
    /// Clock files (`clock.json`).
    case clock
    /// Lens files (`lens.json`).
    case lens
    /// Overlay templates.
    case template
    /// Job requests: the JSON body and the input and output URLs in it.
    case jobRequest = "job-request"
    /// HTTP response heads from an origin (where a redirect leads), and the URL it names.
    case httpHead = "http-head"

    /// Runs one input.
    func run(_ data: Data) {
        switch self {
        case .odf: _ = try? ODFDocument.parse(data)
        case .lenex: _ = try? LenexDocument.parse(data)
        case .documents:
            _ = DocumentDecoder.sniff(data)
            // As the feeds take a body: gzip-inflated when it is gzip, then decoded.
            let body = (try? GzipBody.inflate(data, limit: DocumentDecoder.maximumDocumentSize)) ?? data
            if case .lenex(let lenex)? = try? DocumentDecoder.decode(body) { _ = lenex.races }
        case .events: _ = try? TimingEventBatch.parse(data)
        case .hls: _ = HLSPlaylist(text: String(decoding: data, as: UTF8.self), baseURL: "http://127.0.0.1:8080/live/index.m3u8")
        case .freed:
            _ = try? FreeD.parse(Array(data))
            _ = try? CameraTrack.recording(data)
        case .clock: _ = try? ClockFile(json: data)
        case .lens: _ = try? Lens(json: data)
        case .template: _ = try? OverlayTemplate.parse(data)
        case .jobRequest: FuzzTarget.jobRequest(data)
        case .httpHead:
            guard let head = HTTPResponseHead(Array(data)), let location = head.location else { return }
            _ = SRTMode(url: location)
            _ = try? InputEndpoint(location, policy: InputPolicy(allowedHosts: ["*.example.net"], resolver: NoResolver()))
        }
    }

    /// A job request's JSON, and every string in it read as the input URL, an output and carriers.
    static func jobRequest(_ data: Data) {
        guard let body = try? JSONDecoder().decode(JSONValue.self, from: data) else { return }
        var strings: [String] = []
        func collect(_ value: JSONValue) {
            switch value {
            case .string(let text): strings.append(text)
            case .array(let items): items.forEach(collect)
            case .object(let fields): fields.values.forEach(collect)
            default: break
            }
        }
        collect(body)
        let policy = InputPolicy(allowedHosts: ["cdn.example"])
        for text in strings.prefix(64) {
            _ = try? InputEndpoint(text, policy: policy)
            _ = try? OutputTarget(text)
            _ = try? Carriers(list: text)
            _ = UnitCode(text)
            _ = UTCInstant(iso8601: text)
        }
    }

    /// The target named by the environment.
    static let selected: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["PODIUM_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            FileHandle.standardError.write(Data("PODIUM_FUZZ_TARGET must be one of \(allCases.map(\.rawValue).joined(separator: ", ")), not \"\(name)\"\n".utf8))
            exit(2)
        }
        return target
    }()
}

/// libFuzzer's entry: one input, given as a pointer and a length that libFuzzer owns.
@_cdecl("LLVMFuzzerTestOneInput")
public func podiumFuzzOneInput(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    FuzzTarget.selected.run(data)
    return 0
}

/// Resolves nothing: a fuzz input must not reach DNS.
struct NoResolver: HostResolving {
    func addresses(of name: String) -> [NetworkAddress] { [] }
}
