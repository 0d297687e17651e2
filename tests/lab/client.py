"""The lab's WebRTC client: two real participants (LiveKit's Python SDK, a native WebRTC stack).

One publishes an audio and a video track, the other subscribes; after a few seconds both report
what they received and which ICE candidate pair carried their media. Prints one JSON object.

Test scaffolding for the lab (tests/lab.rs), run inside the client's network namespace. The API
key and secret come from the environment (LAB_API_KEY, LAB_API_SECRET), never from argv.
Trust for the server's certificate comes from SSL_CERT_FILE, as for any rustls client.
"""

import argparse
import asyncio
import json
import math
import os
import sys

from livekit import api, rtc
from livekit.rtc._proto import stats_pb2

SAMPLE_RATE = 48000
FRAME_MS = 10
WIDTH, HEIGHT = 160, 120


def token(identity: str, room: str) -> str:
    grant = api.VideoGrants(room_join=True, room=room)
    return (
        api.AccessToken(os.environ["LAB_API_KEY"], os.environ["LAB_API_SECRET"])
        .with_identity(identity)
        .with_grants(grant)
        .to_jwt()
    )


def options(relay: bool) -> rtc.RoomOptions:
    config = rtc.RtcConfiguration()
    if relay:
        config.ice_transport_type = rtc.IceTransportType.TRANSPORT_RELAY
    return rtc.RoomOptions(auto_subscribe=True, rtc_config=config, connect_timeout=10)


async def selected_pairs(room: rtc.Room) -> list:
    """The candidate pairs each transport selected, with both candidates."""
    stats = await room.get_rtc_stats()
    pairs = []
    for side, items in (("publisher", stats.publisher_stats), ("subscriber", stats.subscriber_stats)):
        by_id = {}
        selected = []
        for item in items:
            kind = item.WhichOneof("stats")
            value = getattr(item, kind)
            by_id[value.rtc.id] = (kind, value)
            if kind == "transport" and value.transport.selected_candidate_pair_id:
                selected.append(value.transport.selected_candidate_pair_id)
        for pair_id in selected:
            kind, pair = by_id.get(pair_id, (None, None))
            if kind != "candidate_pair":
                continue
            p = pair.candidate_pair

            def candidate(cid):
                entry = by_id.get(cid)
                if entry is None:
                    return None
                c = entry[1].candidate
                return {
                    "address": c.address,
                    "port": c.port,
                    "protocol": c.protocol,
                    "type": stats_pb2.IceCandidateType.Name(c.candidate_type),
                    "relay_protocol": stats_pb2.IceServerTransportProtocol.Name(c.relay_protocol),
                }

            pairs.append(
                {
                    "side": side,
                    "bytes_sent": p.bytes_sent,
                    "bytes_received": p.bytes_received,
                    "local": candidate(p.local_candidate_id),
                    "remote": candidate(p.remote_candidate_id),
                }
            )
    return pairs


async def publish_tracks(room: rtc.Room) -> tuple:
    """A microphone and a camera track, published; their sources, to capture frames into."""
    audio = rtc.AudioSource(SAMPLE_RATE, 1)
    video = rtc.VideoSource(WIDTH, HEIGHT)
    await room.local_participant.publish_track(
        rtc.LocalAudioTrack.create_audio_track("tone", audio),
        rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE),
    )
    await room.local_participant.publish_track(
        rtc.LocalVideoTrack.create_video_track("pattern", video),
        rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_CAMERA),
    )
    return audio, video


async def publish(room: rtc.Room, stop: asyncio.Event) -> None:
    audio, video = await publish_tracks(room)
    samples = SAMPLE_RATE * FRAME_MS // 1000
    n = 0
    while not stop.is_set():
        frame = rtc.AudioFrame.create(SAMPLE_RATE, 1, samples)
        data = frame.data
        for i in range(samples):
            data[i] = int(8000 * math.sin(2 * math.pi * 440 * (n * samples + i) / SAMPLE_RATE))
        await audio.capture_frame(frame)
        if n % 3 == 0:
            shade = (n * 5) % 256
            pixels = bytearray([shade, 255 - shade, 128, 255]) * (WIDTH * HEIGHT)
            video.capture_frame(rtc.VideoFrame(WIDTH, HEIGHT, rtc.VideoBufferType.RGBA, pixels))
        n += 1
        await asyncio.sleep(FRAME_MS / 1000)


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--room", default="lab")
    parser.add_argument("--seconds", type=float, default=6)
    parser.add_argument("--relay", action="store_true", help="only TURN relay candidates")
    args = parser.parse_args()

    received = {"audio": 0, "video": 0}
    result = {"url": args.url, "received": received}
    publisher = rtc.Room()
    subscriber = rtc.Room()
    counting = []

    async def count(stream, kind):
        async for _ in stream:
            received[kind] += 1

    @subscriber.on("track_subscribed")
    def on_track(track, _publication, _participant):
        if track.kind == rtc.TrackKind.KIND_AUDIO:
            counting.append(asyncio.ensure_future(count(rtc.AudioStream(track), "audio")))
        elif track.kind == rtc.TrackKind.KIND_VIDEO:
            counting.append(asyncio.ensure_future(count(rtc.VideoStream(track), "video")))

    stop = asyncio.Event()
    try:
        await subscriber.connect(args.url, token("lab-subscriber", args.room), options(args.relay))
        await publisher.connect(args.url, token("lab-publisher", args.room), options(args.relay))
        sending = asyncio.ensure_future(publish(publisher, stop))
        await asyncio.sleep(args.seconds)
        result["publisher_pairs"] = await selected_pairs(publisher)
        result["subscriber_pairs"] = await selected_pairs(subscriber)
        stop.set()
        await sending
    except Exception as e:  # reported, not raised: the test reads the JSON
        result["error"] = f"{type(e).__name__}: {e}"
    finally:
        for task in counting:
            task.cancel()
        await publisher.disconnect()
        await subscriber.disconnect()
    print(json.dumps(result))
    return 0 if "error" not in result else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
