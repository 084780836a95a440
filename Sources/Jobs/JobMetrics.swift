import Metrics
import Overlay
import Pipeline

/// What a running job reports to monitoring (swift-metrics; the server exports it to Prometheus,
/// the CLI to nothing unless a backend is bootstrapped). Every series carries the job id.
struct JobMetrics {
    private let frames: Counter
    private let lag: Gauge
    private let reconnects: Counter
    private let arrivalDelay: Gauge
    private let arrivalJitter: Gauge
    private let arrivalDrift: Gauge
    private let jobID: String
    /// What each output had dropped at the last look, to count only what is new.
    private var droppedSoFar: [String: Int] = [:]

    init(jobID: Int64) {
        self.jobID = "\(jobID)"
        frames = Counter(label: "podium_job_frames_total", dimensions: [("job", self.jobID)])
        lag = Gauge(label: "podium_job_lag_seconds", dimensions: [("job", self.jobID)])
        reconnects = Counter(label: "podium_job_reconnects_total", dimensions: [("job", self.jobID)])
        arrivalDelay = Gauge(label: "podium_job_arrival_delay_seconds", dimensions: [("job", self.jobID)])
        arrivalJitter = Gauge(label: "podium_job_arrival_jitter_seconds", dimensions: [("job", self.jobID)])
        arrivalDrift = Gauge(label: "podium_job_arrival_drift_ppm", dimensions: [("job", self.jobID)])
    }

    /// A frame carried `behind` seconds after it was captured (its lag: look-ahead, latency, processing).
    func frameCarried(behind seconds: Double?, arrivalClock: ArrivalClockState?) {
        frames.increment()
        if let seconds { lag.record(seconds) }
        if let arrivalClock {
            arrivalDelay.record(arrivalClock.delaySeconds)
            arrivalJitter.record(arrivalClock.jitterSeconds)
            if let drift = arrivalClock.driftPPM { arrivalDrift.record(drift) }
        }
    }

    func inputReopened() { reconnects.increment() }

    /// The outputs' queues and drops.
    mutating func outputs(_ outputs: [OutputHealth]) {
        for output in outputs {
            Gauge(label: "podium_output_queue_packets", dimensions: [("job", jobID), ("output", output.target)]).record(output.queued)
            let new = output.dropped - droppedSoFar[output.target, default: 0]
            if new > 0 {
                Counter(label: "podium_output_dropped_packets_total", dimensions: [("job", jobID), ("output", output.target)]).increment(by: new)
            }
            droppedSoFar[output.target] = output.dropped
        }
    }
}
