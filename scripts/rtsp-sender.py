#!/usr/bin/python3
"""A venue's RTSP camera for the tests, built on GStreamer's RTSP server library.

Serves the H.264 video of an MPEG-TS clip at rtsp://127.0.0.1:PORT/clip, paced in real time,
with RTCP sender reports whose NTP times come from a clock that runs --offset seconds ahead of
this machine's UTC (a sender whose wall clock is not the receiver's). It writes JSON lines to
--truth: {"frame": {"rtp": T}} for each frame it sends, in order, and {"report": {"rtp": T,
"utc": S}} for each sender report as it leaves (S: the report's NTP time, in seconds since 1970),
so a frame's time on the sender's clock is S + (its T - the report's T) / 90000.

It shares no code with Podium: it is how the tests check that `--clock-source prft` places
each frame on the sender's NTP time. Needs python3-gi and gir1.2-gst-rtsp-server-1.0 (Debian).
"""
import argparse
import json
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, GObject, Gst, GstRtp, GstRtspServer  # noqa: E402

# Seconds from the NTP epoch (1900) to the Unix epoch (1970).
NTP_TO_UNIX = 2208988800


def sender_clock(offset):
    """A realtime clock that reads NTP time (nanoseconds since 1900) plus `offset` seconds."""
    clock = GObject.new(Gst.SystemClock, clock_type=Gst.ClockType.REALTIME)
    internal = clock.get_internal_time()
    clock.set_calibration(internal, internal + (NTP_TO_UNIX + offset) * Gst.SECOND, 1, 1)
    return clock


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("clip", help="an MPEG-TS file with H.264 video")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--offset", type=float, default=3600.0, help="seconds the sender's clock runs ahead of UTC")
    parser.add_argument("--truth", required=True, help="where each sent frame's RTP timestamp and time go (JSON lines)")
    args = parser.parse_args()

    Gst.init(None)
    truth = open(args.truth, "w", buffering=1)
    seen = set()

    def on_rtp(pad, info):
        """Notes each frame's RTP timestamp, in the order the frames are sent."""
        buffer = info.get_buffer()
        ok, rtp = GstRtp.RTPBuffer.map(buffer, Gst.MapFlags.READ)
        if not ok:
            return Gst.PadProbeReturn.OK
        timestamp = rtp.get_timestamp()
        rtp.unmap()
        if timestamp in seen:
            return Gst.PadProbeReturn.OK
        seen.add(timestamp)
        truth.write(json.dumps({"frame": {"rtp": timestamp}}) + "\n")
        return Gst.PadProbeReturn.OK

    def on_rtcp(_session, buffer, _early):
        """Writes down each sender report as it leaves: the sender's own (NTP, RTP) statement."""
        rtcp = GstRtp.RTCPBuffer()
        if not GstRtp.RTCPBuffer.map(buffer, Gst.MapFlags.READ, rtcp):
            return False
        packet = GstRtp.RTCPPacket()
        more = rtcp.get_first_packet(packet)
        while more:
            if packet.get_type() == GstRtp.RTCPType.SR:
                _ssrc, ntp, rtp_time, _packets, _octets = packet.sr_get_sender_info()
                seconds = (ntp >> 32) + (ntp & 0xFFFFFFFF) / 2**32 - NTP_TO_UNIX
                truth.write(json.dumps({"report": {"rtp": rtp_time, "utc": seconds}}) + "\n")
            more = packet.move_to_next()
        rtcp.unmap()
        return False

    def on_element(_bin, _sub, element):
        factory = element.get_factory()
        if factory is None:
            return
        if factory.get_name() == "rtpbin":
            element.set_property("ntp-time-source", "clock-time")
        elif factory.get_name() == "rtpsession":
            element.get_property("internal-session").connect("on-sending-rtcp", on_rtcp)

    def on_configure(_factory, media):
        pipeline = media.get_element().get_parent()
        pipeline.connect("deep-element-added", on_element)
        # The payloader already sits in the media's bin.
        payloader = media.get_element().get_by_name("pay0")
        payloader.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, on_rtp)

    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(
        f"( filesrc location={args.clip} ! tsdemux ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1 )"
    )
    factory.set_clock(sender_clock(args.offset))
    factory.connect("media-configure", on_configure)

    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    server.get_mount_points().add_factory("/clip", factory)
    if server.attach(None) == 0:
        sys.exit(f"cannot listen on 127.0.0.1:{args.port}")
    print("serving", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
