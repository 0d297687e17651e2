"""The lab's load client: N real participants (LiveKit's Python SDK) join one room, each publishing
an audio and a small video track; nobody subscribes, so the figures are about what each
participant costs the server. They stay until stdin closes or --seconds pass, then leave.
Prints `joined N` once all are connected, and one JSON object at the end.

Test scaffolding for benches/load.rs. The API key and secret come from LAB_API_KEY and
LAB_API_SECRET. --dual gives each participant two peer connections (publisher and subscriber),
as older SDKs do; the default is the SDK's single peer connection.
"""

import argparse
import asyncio
import json
import sys

from livekit import rtc

from client import HEIGHT, SAMPLE_RATE, WIDTH, publish_tracks, token

async def participant(url: str, room_name: str, n: int, dual: bool, stop: asyncio.Event) -> None:
    room = rtc.Room()
    options = rtc.RoomOptions(auto_subscribe=False, single_peer_connection=not dual)
    await room.connect(url, token(f"load-{n}", room_name), options)
    audio, video = await publish_tracks(room)
    pixels = bytearray([n % 256, 80, 160, 255]) * (WIDTH * HEIGHT)
    silence = rtc.AudioFrame.create(SAMPLE_RATE, 1, SAMPLE_RATE // 100)
    tick = 0
    try:
        while not stop.is_set():
            await audio.capture_frame(silence)
            if tick % 10 == 0:
                video.capture_frame(rtc.VideoFrame(WIDTH, HEIGHT, rtc.VideoBufferType.RGBA, pixels))
            tick += 1
            await asyncio.sleep(0.01)
    finally:
        await room.disconnect()


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--participants", type=int, required=True)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--dual", action="store_true")
    args = parser.parse_args()
    stop = asyncio.Event()
    tasks = []
    for n in range(args.participants):
        tasks.append(asyncio.ensure_future(participant(args.url, "load", n, args.dual, stop)))
        await asyncio.sleep(0.05)
    # Connected means published: wait until every task is in its sending loop or failed.
    await asyncio.sleep(3 + args.participants * 0.1)
    failed = [t for t in tasks if t.done() and t.exception()]
    print(f"joined {args.participants - len(failed)}", flush=True)
    loop = asyncio.get_running_loop()
    reader = loop.run_in_executor(None, sys.stdin.readline)
    await asyncio.wait([reader], timeout=args.seconds)
    stop.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    errors = [f"{type(r).__name__}: {r}" for r in results if isinstance(r, Exception)]
    print(json.dumps({"participants": args.participants, "errors": errors[:5], "failed": len(errors)}))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
