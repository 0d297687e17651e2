"""TURN/TLS on 443, end to end: the credentials and the `turns:` URL come from LiveKit's own join
response; the TLS connection sends the TURN host name as SNI and verifies the certificate against
SSL_CERT_FILE; a relay is allocated and bytes go to a UDP peer and back through it.

Test scaffolding for the lab (tests/lab.rs). libwebrtc's TURN client trusts only its built-in
public roots, so with the lab's private CA a WebRTC relay over TLS cannot be shown with the SDK;
this speaks TURN (RFC 8656) itself over the same path. Prints one JSON object.
"""

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import socket
import ssl
import struct
import sys
import time
from urllib.parse import urlparse

import aiohttp
from livekit import api
from livekit.protocol import rtc as proto

MAGIC = 0x2112A442


def attr(kind: int, value: bytes) -> bytes:
    pad = (4 - len(value) % 4) % 4
    return struct.pack("!HH", kind, len(value)) + value + b"\0" * pad


def xor_address(ip: str, port: int) -> bytes:
    raw = struct.unpack("!I", socket.inet_aton(ip))[0]
    return struct.pack("!BBHI", 0, 1, port ^ (MAGIC >> 16), raw ^ MAGIC)


def parse_xor_address(value: bytes) -> tuple:
    _, _, port, raw = struct.unpack("!BBHI", value[:8])
    return socket.inet_ntoa(struct.pack("!I", raw ^ MAGIC)), port ^ (MAGIC >> 16)


def message(kind: int, attrs: list, key: bytes | None = None) -> bytes:
    txid = os.urandom(12)
    body = b"".join(attrs)
    if key is None:
        return struct.pack("!HHI", kind, len(body), MAGIC) + txid + body
    header = struct.pack("!HHI", kind, len(body) + 24, MAGIC) + txid
    mac = hmac.new(key, header + body, hashlib.sha1).digest()
    return header + body + attr(0x0008, mac)


def read_message(tls: ssl.SSLSocket) -> tuple:
    def exactly(n):
        data = b""
        while len(data) < n:
            chunk = tls.recv(n - len(data))
            if not chunk:
                raise ConnectionError("connection closed")
            data += chunk
        return data

    kind, length, _ = struct.unpack("!HHI", exactly(8))
    exactly(12)
    body = exactly(length)
    attrs = {}
    i = 0
    while i < len(body):
        a, n = struct.unpack("!HH", body[i : i + 4])
        attrs.setdefault(a, body[i + 4 : i + 4 + n])
        i += 4 + n + (4 - n % 4) % 4
    return kind, attrs


async def turn_servers(url: str, key: str, secret: str) -> list:
    """The ICE servers LiveKit hands a participant in its join response."""
    token = (
        api.AccessToken(key, secret)
        .with_identity("lab-turn-probe")
        .with_grants(api.VideoGrants(room_join=True, room="lab-turn"))
        .to_jwt()
    )
    context = ssl.create_default_context(cafile=os.environ.get("SSL_CERT_FILE"))
    signal = url.rstrip("/") + "/rtc?protocol=15&sdk=python&access_token=" + token
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(signal, ssl=context) as ws:
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.BINARY:
                    continue
                response = proto.SignalResponse()
                response.ParseFromString(msg.data)
                if response.WhichOneof("message") == "join":
                    return [
                        {"urls": list(s.urls), "username": s.username, "credential": s.credential}
                        for s in response.join.ice_servers
                    ]
    return []


def relay(server: dict, turns_url: str, peer: tuple) -> dict:
    rest = turns_url.split(":", 1)[1].split("?")[0]
    host, port = rest.rsplit(":", 1)
    context = ssl.create_default_context(cafile=os.environ.get("SSL_CERT_FILE"))
    started = time.monotonic()
    raw = socket.create_connection((host, int(port)), timeout=5)
    tls = context.wrap_socket(raw, server_hostname=host)
    result = {"url": turns_url, "tls": tls.version(), "certificate_verified": True}
    transport = attr(0x0019, bytes([17, 0, 0, 0]))
    tls.sendall(message(0x0003, [transport]))
    kind, attrs = read_message(tls)
    realm, nonce = attrs.get(0x0014, b""), attrs.get(0x0015, b"")
    user = server["username"].encode()
    key = hashlib.md5(user + b":" + realm + b":" + server["credential"].encode()).digest()
    auth = [attr(0x0006, user), attr(0x0014, realm), attr(0x0015, nonce)]
    tls.sendall(message(0x0003, [transport] + auth, key))
    kind, attrs = read_message(tls)
    if kind != 0x0103:
        result["error"] = f"allocate refused: {attrs.get(0x0009, b'')[4:].decode(errors='replace')}"
        return result
    result["relayed"] = "%s:%d" % parse_xor_address(attrs[0x0016])
    # The address TURN saw the client at (through the proxy): browsers drop a loopback one.
    if 0x0020 in attrs:
        result["mapped"] = "%s:%d" % parse_xor_address(attrs[0x0020])
    tls.sendall(message(0x0008, [attr(0x0012, xor_address(*peer))] + auth, key))
    kind, attrs = read_message(tls)
    if kind != 0x0108:
        result["error"] = f"permission refused: {attrs.get(0x0009, b'')[4:].decode(errors='replace')}"
        return result
    payload = b"selkie-lab " + os.urandom(8).hex().encode()
    sent = time.monotonic()
    tls.sendall(message(0x0016, [attr(0x0012, xor_address(*peer)), attr(0x0013, payload)]))
    while True:
        kind, attrs = read_message(tls)
        if kind == 0x0017:
            break
    result["echoed"] = attrs.get(0x0013) == payload
    result["rtt_ms"] = round((time.monotonic() - sent) * 1000, 2)
    result["total_ms"] = round((time.monotonic() - started) * 1000, 2)
    tls.close()
    return result


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--peer", required=True, help="IP:PORT of a UDP echo")
    args = parser.parse_args()
    ip, port = args.peer.rsplit(":", 1)
    out = {}
    try:
        servers = await turn_servers(args.url, os.environ["LAB_API_KEY"], os.environ["LAB_API_SECRET"])
        out["ice_servers"] = [s["urls"] for s in servers]
        tls_server = next(
            ((s, u) for s in servers for u in s["urls"] if u.startswith("turns:")), None
        )
        if tls_server is None:
            out["error"] = "LiveKit offered no turns: server"
        else:
            out.update(relay(tls_server[0], tls_server[1], (ip, int(port))))
    except Exception as e:  # reported, not raised: the test reads the JSON
        out["error"] = f"{type(e).__name__}: {e}"
    print(json.dumps(out))
    return 0 if "error" not in out else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
