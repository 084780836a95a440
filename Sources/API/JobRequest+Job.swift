import Foundation
import HTTPTypes
import Jobs
import MediaFormats
import Overlay
import Pipeline
import Store

/// A field that fits the schema but that this server cannot start a job with (a rule across
/// fields, its allowlist, its schedule): 422 `cannot_start` naming its path, so that a 400
/// always means the request itself is malformed.
func cannotStart(_ field: String, _ reason: String) -> APIError {
    let path = "$.\(field)"
    return APIError(.unprocessableContent, code: "cannot_start", message: "\(path) \(reason)", details: ["path": path])
}

extension JobRequest {
    /// The job this request describes on this server, for `key`; every refusal is a 4xx naming
    /// what was wrong. The parts are checked in this order, so a request with several faults
    /// hears of the first.
    func job(for key: APIKeyRecord, desk: JobDesk) async throws -> EnrichmentJob {
        let policy = InputPolicy(allowedHosts: desk.settings.allowedHosts, readTimeout: 5, reconnect: ReconnectPolicy())
        let (inputURL, fixture) = try await opened(policy: policy, desk: desk)
        var clock = clock?.settings(over: Self.baseClock(of: fixture)) ?? Self.baseClock(of: fixture)
        clock.wallClock = desk.wallClock
        let (results, unit) = try await resultsSource(fixture: fixture, desk: desk)
        let (enrichment, outputs) = try outputTargets(policy: policy, jobsDirectory: desk.settings.jobsDirectory)
        var template: OverlayTemplate?
        if let name = self.template { template = try await desk.template(name) }
        let owner = try owner(for: key)

        // Last, when nothing can refuse the request any more: the documents so far, and each new one.
        var source = results
        if case .feed(_, let inbox) = results, let feeds = desk.feeds {
            source = .feed(ledger: await feeds.follow(inbox, rehearsal: self.results?.rehearsal ?? false), inbox: inbox)
        }
        var job = EnrichmentJob(input: inputURL, results: source, clock: clock, outputs: outputs, unit: unit, store: desk.store)
        job.settings = enrichment
        job.template = template
        job.policy = policy
        job.owner = owner
        job.node = desk.node
        job.logger = desk.logger
        if let fixture {
            job.inputLabel = inputText
            job.camera = fixture.camera
            job.lens = fixture.lens
        }
        return job
    }

    /// A fixture's own clock, or the automatic choice; a UTC is required either way.
    private static func baseClock(of fixture: FixtureCase?) -> ClockSettings {
        var settings = ClockSettings(required: true)
        if let fixture {
            settings.source = .anchor
            settings.anchor = fixture.clock.anchor
            settings.frameRate = fixture.clock.frameRate
        }
        return settings
    }

    /// The input's URL: a fixture's clip, or a network source the allowlist lets through. Files
    /// on the server are never reachable by path.
    private func opened(policy: InputPolicy, desk: JobDesk) async throws -> (url: String, fixture: FixtureCase?) {
        switch input {
        case .fixture(let name):
            let fixture = try await offloaded { try desk.fixture(name) }
            return (fixture.clip, fixture)
        case .network(let url):
            let endpoint: InputEndpoint
            do {
                endpoint = try InputEndpoint(url, policy: policy)
            } catch {
                throw APIError(.unprocessableContent, code: "refused_input", message: "$.input: \(error)", details: ["path": "$.input", "input": url])
            }
            guard endpoint.kind.isLive else {
                throw cannotStart("input", "must be a network source (udp, srt, rtmp, rtsp, http(s) HLS) or fixture:NAME; the server opens no file by path")
            }
            return (url, nil)
        }
    }

    /// Results: a fixture's own folder, or the server's feeds (live as they arrive), with the unit
    /// to follow.
    private func resultsSource(fixture: FixtureCase?, desk: JobDesk) async throws -> (ResultsSource, unit: String?) {
        switch results?.source ?? (fixture != nil ? .fixture : nil) {
        case .fixture?:
            guard let fixture else { throw cannotStart("results.source", "may be fixture only when the input is a fixture") }
            if let name = results?.feedOnlyFields.first { throw cannotStart("results.\(name)", "applies to results from the feeds only") }
            return (.folder(fixture.folder.appendingPathComponent("results").path), results?.unit)
        case .feeds?:
            guard let feeds = desk.feeds else { throw cannotStart("results.source", "feeds are not served by this server") }
            let results = self.results!
            if results.rehearsal, !feeds.takesRehearsals {
                throw cannotStart("results.ledger", "is rehearsal, which this server does not keep (podium serve --rehearsals)")
            }
            // The job follows the feeds only once the whole request has been accepted (`job(for:desk:)`).
            let following = ResultsSource.feed(ledger: ResultsLedger(), inbox: DocumentInbox())
            if let venue = results.venue {
                // "The unit scheduled at this venue now (or at `at`)", resolved once, from the schedule as received.
                let at = results.at ?? desk.wallClock.now()
                let schedule = await feeds.book(asKnownAt: nil, rehearsal: results.rehearsal).schedule
                guard let scheduled = ScheduleQuery.unit(at: venue, on: at, in: schedule) else {
                    throw cannotStart("results.venue", "has no unit scheduled at \(at.iso8601) in the schedule received so far")
                }
                return (following, scheduled.unit.rawValue)
            }
            guard let unit = results.unit else { throw cannotStart("results.unit", "or results.venue must name what to follow in the feeds") }
            return (following, unit)
        case nil:
            throw cannotStart("results", "is required for a network input: {\"source\": \"feeds\", \"unit\": RSC}")
        }
    }

    /// Carriers, look-ahead and outputs: network streams the allowlist lets through, and Podium's
    /// HLS in the job's own folder.
    private func outputTargets(policy: InputPolicy, jobsDirectory: String) throws -> (EnrichmentSettings, [OutputTarget]) {
        var enrichment = EnrichmentSettings()
        if let carriers { enrichment.carriers = carriers }
        enrichment.cues = cues
        enrichment.lookahead = Double(lookaheadMs) / 1000
        var targets: [OutputTarget] = []
        for (index, text) in outputs.enumerated() {
            let target = try Self.networkOutput(text, index: index, policy: policy)
            guard !targets.contains(target) else { throw cannotStart("outputs[\(index)]", "is given twice") }
            if enrichment.carriers == .id3, !target.container.carriesTimedID3 {
                throw cannotStart("outputs[\(index)]", "is \(target.container.rawValue), which carries the sei carrier only; add sei to carriers")
            }
            targets.append(target)
        }
        if let hls {
            enrichment.hlsTargetDuration = hls.segmentSeconds
            enrichment.hlsWindow = hls.window
            let folder = URL(fileURLWithPath: jobsDirectory).appendingPathComponent(UUID().uuidString.lowercased())
            targets.append(try OutputTarget(folder.appendingPathComponent("hls/index.m3u8").path))
        }
        guard !targets.isEmpty else { throw cannotStart("outputs", "or hls must give the job at least one output") }
        return (enrichment, targets)
    }

    /// One network output the allowlist lets through, pinned to the address its host was checked at.
    private static func networkOutput(_ text: String, index: Int, policy: InputPolicy) throws -> OutputTarget {
        var target: OutputTarget
        do {
            target = try OutputTarget(text)
        } catch {
            throw APIError(.unprocessableContent, code: "refused_output", message: "$.outputs[\(index)]: \(error)", details: ["path": "$.outputs[\(index)]", "output": text])
        }
        guard target.isNetwork else {
            throw cannotStart("outputs[\(index)]", "must be a udp://, srt:// or rtmp:// stream; files are written only as the job's HLS (\"hls\")")
        }
        let host = target.host ?? ""
        guard host.isEmpty || InputPolicy.isLoopback(host) || policy.allows(host: host) else {
            throw cannotStart("outputs[\(index)]", "reaches \(host), which is not an allowed host of this server")
        }
        // A listener binds here; everything else sends to the address that was checked.
        if !host.isEmpty, !target.isListener {
            do {
                target = target.pinned(to: try policy.pinnedAddress(for: host, in: text))
            } catch {
                throw cannotStart("outputs[\(index)]", error.ruleText)
            }
        }
        return target
    }

    /// A broadcaster's job is its own; an admin may make one for a broadcaster.
    private func owner(for key: APIKeyRecord) throws -> String? {
        guard key.scope == .broadcaster else { return owner }
        if let owner, owner != key.owner {
            throw APIError(.forbidden, code: "forbidden", message: "a broadcaster key makes jobs of its own owner only", details: ["path": "$.owner"])
        }
        return key.owner
    }
}
