#!/usr/bin/env python3
"""A small agent for Relay's agent relay (docs/agents.md), with Python `websockets`.

It answers every event by streaming the payload's `text` (or the payload as JSON) back
word by word, then a `reply`; `cancel` stops an event; the socket is reopened with
exponential backoff.

    RELAY_URL=ws://127.0.0.1:8080 RELAY_AGENT_TOKEN=rla_... python3 examples/python/echo_agent.py
"""

import asyncio
import json
import os
import re
import sys
import time

import websockets

from relay_ws import connect

BASE = os.environ.get("RELAY_URL", "ws://127.0.0.1:8080").rstrip("/").replace("http", "ws", 1)
TOKEN = os.environ.get("RELAY_AGENT_TOKEN")
DELAY = float(os.environ.get("ECHO_TOKEN_DELAY_MS", "50")) / 1000
MODEL = os.environ.get("ECHO_MODEL", "echo-py")


def log(msg):
    print(f"echo_agent.py: {msg}", file=sys.stderr, flush=True)


def words(text):
    return re.findall(r"\s*\S+\s*", text) or ([text] if text else [])


async def serve(ws, event, cancelled):
    payload = event.get("payload")
    text = payload["text"] if isinstance(payload, dict) and isinstance(payload.get("text"), str) \
        else json.dumps(payload)
    parts = words(text)
    started = time.monotonic()
    for part in parts:
        await asyncio.sleep(DELAY)
        if event["event_id"] in cancelled:
            return
        await ws.send(json.dumps({"type": "token", "event_id": event["event_id"], "token": part}))
    await ws.send(json.dumps({
        "type": "reply", "event_id": event["event_id"], "content": "".join(parts), "done": True,
        "metadata": {"tokens_used": len(parts), "model": MODEL,
                     "latency_ms": int((time.monotonic() - started) * 1000)},
    }))


async def session():
    ws = await connect(f"{BASE}/v1/ws/agent", TOKEN)
    log(f"connected to {BASE}/v1/ws/agent")
    cancelled = set()
    tasks = set()
    try:
        async for raw in ws:
            if not isinstance(raw, str):
                continue
            frame = json.loads(raw)
            kind = frame.get("type")
            if kind == "event":
                task = asyncio.create_task(serve(ws, frame, cancelled))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            elif kind == "cancel":
                cancelled.add(frame.get("event_id"))
            elif kind == "ping":
                await ws.send(json.dumps({"type": "pong"}))
    finally:
        for task in tasks:
            task.cancel()


async def main():
    if not TOKEN:
        log("set RELAY_AGENT_TOKEN to the rla_... token printed by `relay agent add`")
        sys.exit(2)
    backoff = 0.5
    while True:
        try:
            await session()
            backoff = 0.5
        except (OSError, websockets.WebSocketException) as err:
            log(f"socket: {err}; reconnecting in {backoff} s")
        await asyncio.sleep(backoff)
        backoff = min(backoff * 2, 30)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
