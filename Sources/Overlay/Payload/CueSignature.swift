/// What a frame's in-band payload shows, reduced to one value, so that an output sending cues
/// on change (`--cues on-change`) can tell whether a frame changes anything a reader draws.
///
/// Two frames have the same signature when their payloads differ only in what identifies the
/// frame (`seq`, `frame`, `pts`, `captureUTC`, `timecode`), in the data version (which draws
/// nothing), and in the reading of a running clock that says when it started (`startUTC`, and
/// the compact form's `c`): a reader runs that clock from the capture time itself. Anything else
/// that moves on every frame (a world-record line while the race runs, geometry under a tracked
/// camera) is a change on every frame, and gets its cue.
///
/// The value is a `Hasher` digest: it is compared within one process, never stored or sent.
public enum CueSignature {
    /// The signature of `overlay` as carried: the compact form (templated jobs) or the full one.
    public static func of(_ overlay: FrameOverlay, compact: Bool) -> Int {
        var hasher = Hasher()
        if let running = CompactPayload.runningClock(of: overlay) {
            hasher.combine(running.startUTC)
            hasher.combine(running.ids)
        }
        if compact {
            for element in overlay.elements where element.visible { combine(element, of: overlay, into: &hasher) }
            return hasher.finalize()
        }
        hasher.combine(overlay.unit)
        hasher.combine(overlay.resultStatus)
        hasher.combine(overlay.camera)
        hasher.combine(overlay.clock.state)
        hasher.combine(overlay.clock.startUTC)
        if !overlay.clock.runsOnItsOwn { hasher.combine(overlay.clock.hundredths) }
        hasher.combine(overlay.lanes)
        hasher.combine(overlay.order)
        hasher.combine(overlay.leader)
        hasher.combine(overlay.records)
        hasher.combine(overlay.worldRecordLine)
        hasher.combine(overlay.elements.count)
        for element in overlay.elements { combine(element, of: overlay, into: &hasher) }
        return hasher.finalize()
    }

    /// An element as drawn, with a running clock's text left out.
    private static func combine(_ element: FrameOverlay.Element, of overlay: FrameOverlay, into hasher: inout Hasher) {
        hasher.combine(element.id)
        hasher.combine(element.kind)
        hasher.combine(CompactPayload.showsRunningClock(element, of: overlay) ? nil : element.text)
        hasher.combine(element.values)
        hasher.combine(element.rect)
        hasher.combine(element.world)
        hasher.combine(element.screen)
        hasher.combine(element.visible)
        hasher.combine(element.opacity)
    }
}
