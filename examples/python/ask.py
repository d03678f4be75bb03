#!/usr/bin/env python3
"""An app for Relay's agent relay (docs/agents.md), with Python `websockets`: sends one
event to an agent, prints its tokens as they stream in, and exits 0 on `reply` (1 on an
`error`, or when Relay refuses the event). If the socket drops mid-stream it reconnects
and `resume`s after the last seq.

    RELAY_URL=ws://127.0.0.1:8080 RELAY_APP_TOKEN=rlk_... python3 examples/python/ask.py AGENT "question"
"""

import asyncio
import json
import os
import sys

import websockets

from relay_ws import connect

BASE = os.environ.get("RELAY_URL", "ws://127.0.0.1:8080").rstrip("/").replace("http", "ws", 1)
TOKEN = os.environ.get("RELAY_APP_TOKEN")


async def follow(ws, event_id, last_seq):
    """Prints tokens after last_seq until the terminal frame; returns (frame, last_seq)."""
    async for raw in ws:
        frame = json.loads(raw)
        if frame.get("event_id") != event_id:
            continue
        if frame["type"] == "token" and frame["seq"] > last_seq:
            last_seq = frame["seq"]
            print(frame["token"], end="", flush=True)
        elif frame["type"] in ("reply", "error"):
            return frame, last_seq
    raise websockets.ConnectionClosed(None, None)


async def main(agent_id, text):
    url = f"{BASE}/v1/ws/app"
    ws = await connect(url, TOKEN)
    await ws.send(json.dumps({"type": "event", "agent_id": agent_id, "thread_id": "ask-py",
                              "payload": {"text": text}}))
    # Relay answers the event with `accepted` (handed to the agent) or, when it refuses
    # it (agent offline, not allowed, rate limited, too large, invalid), with only an
    # `error` whose event_id is null. Anything else (a heartbeat) is not the answer.
    while True:
        answer = json.loads(await ws.recv())
        if answer.get("type") == "accepted":
            break
        if answer.get("type") == "error" and answer.get("event_id") is None:
            print(f"refused: {answer.get('code')}: {answer.get('error')}", file=sys.stderr)
            return 1
    event_id, last_seq = answer["event_id"], 0
    while True:
        try:
            end, last_seq = await follow(ws, event_id, last_seq)
            break
        except websockets.ConnectionClosed:
            ws = await connect(url, TOKEN)
            await ws.send(json.dumps({"type": "resume", "event_id": event_id, "after_seq": last_seq}))
    print()
    if end["type"] == "error":
        print(f"{end['code']}: {end['error']}", file=sys.stderr)
        return 1
    print(f"[{end['metadata']['tokens_used']} tokens, {end['metadata']['latency_ms']} ms]",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or not TOKEN:
        print("usage: RELAY_APP_TOKEN=rlk_... ask.py AGENT_ID TEXT", file=sys.stderr)
        sys.exit(2)
    sys.exit(asyncio.run(main(sys.argv[1], sys.argv[2])))
