"""The lab's relay-only subscriber: a second real WebRTC stack (aiortc, pure Python: ICE, DTLS,
SRTP) that joins LiveKit as a browser would and receives media through TURN over TLS only.

Why a second stack: LiveKit's own SDKs run libwebrtc, whose TURN client trusts only the public
roots compiled into it, so it cannot relay through a server whose certificate comes from the lab's
private CA (Pebble). aiortc's TURN client uses Python's TLS, which trusts SSL_CERT_FILE.

It speaks LiveKit's signalling itself (the protobuf messages of the `livekit-protocol` package
over a WebSocket): join, answer the server's subscriber offer, exchange candidates, ping, leave.
ICE is restricted to relay candidates, and only the `turns:` server LiveKit hands out is used.
Prints one JSON object: frames and packets received, the TURN URL, the selected candidate pair.

Test scaffolding for the lab (tests/lab.rs), run inside the client's network namespace. The API
key and secret come from the environment (LAB_API_KEY, LAB_API_SECRET), never from argv.
"""

import argparse
import asyncio
import json
import os
import ssl
import sys
import time

import aiohttp
from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCIceTransportPolicy,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.sdp import candidate_from_sdp
from livekit import api
from livekit.protocol import rtc as proto

# The signalling protocol version the Python SDK of the same generation announces (v0 /rtc: one
# peer connection to publish, one to subscribe).
PROTOCOL = 15


def token(identity: str, room: str) -> str:
    grant = api.VideoGrants(room_join=True, room=room, can_publish=False)
    return (
        api.AccessToken(os.environ["LAB_API_KEY"], os.environ["LAB_API_SECRET"])
        .with_identity(identity)
        .with_grants(grant)
        .to_jwt()
    )


def turns_servers(join) -> list:
    """Only the TURN-over-TLS URLs of the join response, with their credentials."""
    servers = []
    for s in join.ice_servers:
        urls = [u for u in s.urls if u.startswith("turns:")]
        if urls:
            servers.append(RTCIceServer(urls=urls, username=s.username, credential=s.credential))
    return servers


def selected_pair(pc: RTCPeerConnection) -> dict | None:
    """The nominated candidate pair of the peer connection's ICE transport."""
    for transceiver in pc.getTransceivers():
        ice = transceiver.receiver.transport.transport
        connection = getattr(ice, "_connection", None)
        for pair in getattr(connection, "_nominated", {}).values():
            local, remote = pair.local_candidate, pair.remote_candidate
            return {
                "local": {"type": local.type, "address": local.host, "port": local.port,
                          "protocol": local.transport},
                "remote": {"type": remote.type, "address": remote.host, "port": remote.port,
                           "protocol": remote.transport},
            }
    return None


async def run(args) -> dict:
    result = {"url": args.url, "received": {"audio": 0, "video": 0}, "offers": 0, "tracks": []}
    context = ssl.create_default_context(cafile=os.environ.get("SSL_CERT_FILE"))
    query = f"access_token={token('lab-relay', args.room)}&protocol={PROTOCOL}&auto_subscribe=1&sdk=python"
    pc = None
    counting = []
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(
            f"{args.url.rstrip('/')}/rtc?{query}", ssl=context,
            timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=10))

        async def send(request):
            await ws.send_bytes(request.SerializeToString())

        async def count(track):
            while True:
                await track.recv()
                result["received"][track.kind] += 1

        deadline = time.monotonic() + args.seconds
        next_ping = time.monotonic()
        ping_interval = 5
        while time.monotonic() < deadline:
            if time.monotonic() >= next_ping:
                await send(proto.SignalRequest(ping=int(time.time() * 1000)))
                next_ping = time.monotonic() + ping_interval
            try:
                message = await ws.receive(timeout=0.5)
            except asyncio.TimeoutError:
                continue
            if message.type != aiohttp.WSMsgType.BINARY:
                if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                                    aiohttp.WSMsgType.ERROR):
                    result["error"] = f"signalling closed: {message.data!r}"
                    break
                continue
            response = proto.SignalResponse()
            response.ParseFromString(message.data)
            kind = response.WhichOneof("message")
            if kind == "join":
                ping_interval = response.join.ping_interval or 5
                servers = turns_servers(response.join)
                result["ice_servers"] = [u for s in servers for u in s.urls]
                if not servers:
                    result["error"] = "LiveKit offered no turns: server"
                    break
                pc = RTCPeerConnection(RTCConfiguration(
                    iceServers=servers[:1], iceTransportPolicy=RTCIceTransportPolicy.RELAY))

                @pc.on("track")
                def on_track(track):
                    result["tracks"].append(track.kind)
                    counting.append(asyncio.ensure_future(count(track)))
            elif kind == "offer" and pc is not None:
                result["offers"] += 1
                # aiortc starts a renegotiated receiver only on a transport whose DTLS is already
                # up (LiveKit's first offer has the data channel only; the tracks come in a
                # second one): over a relay the first connection takes a moment longer.
                while result["offers"] > 1 and pc.connectionState not in ("connected", "failed", "closed"):
                    if time.monotonic() >= deadline:
                        break
                    await asyncio.sleep(0.05)
                await pc.setRemoteDescription(RTCSessionDescription(sdp=response.offer.sdp, type="offer"))
                await pc.setLocalDescription(await pc.createAnswer())
                await send(proto.SignalRequest(answer=proto.SessionDescription(
                    type="answer", sdp=pc.localDescription.sdp)))
            elif kind == "trickle" and pc is not None:
                if response.trickle.target != proto.SignalTarget.SUBSCRIBER:
                    continue
                init = json.loads(response.trickle.candidateInit)
                line = init.get("candidate", "")
                if not line:
                    continue
                candidate = candidate_from_sdp(line.split(":", 1)[1])
                candidate.sdpMid = init.get("sdpMid")
                candidate.sdpMLineIndex = init.get("sdpMLineIndex")
                await pc.addIceCandidate(candidate)
            elif kind == "leave":
                result["error"] = f"LiveKit asked to leave: {response.leave}"
                break
        if pc is not None:
            result["pair"] = selected_pair(pc)
            result["state"] = {"connection": pc.connectionState, "ice": pc.iceConnectionState}
            packets = 0
            for stat in (await pc.getStats()).values():
                if stat.type == "inbound-rtp":
                    packets += stat.packetsReceived
            result["packets_received"] = packets
            await send(proto.SignalRequest(leave=proto.LeaveRequest()))
        for task in counting:
            task.cancel()
        if pc is not None:
            await pc.close()
        await ws.close()
    return result


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--room", default="lab")
    parser.add_argument("--seconds", type=float, default=12)
    args = parser.parse_args()
    try:
        result = await run(args)
    except Exception as e:  # reported, not raised: the test reads the JSON
        result = {"url": args.url, "error": f"{type(e).__name__}: {e}"}
    print(json.dumps(result))
    return 0 if "error" not in result else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
