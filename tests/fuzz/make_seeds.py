#!/usr/bin/env python3
"""Writes the hand-made seeds of tests/fuzz/corpus/<target>/ (docs/fuzzing.md).

Deterministic: run it again after editing and commit what changes. Seeds cover the valid
inputs of each decoder and every hostile input the security probe of issue 19 found (a
huge chunk extension or trailer, invalid close frames, non-UTF-8 text, logins like
`x' OR 1=1 --` and a 5,000-character login). Inputs the fuzzer finds and that once
failed are kept next to these as crash-<what> files; this script never deletes files.
"""

import base64
import hashlib
import hmac
import json
import os
import struct
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))
SQL_LOGIN = "x' OR 1=1 --"
LONG_LOGIN = "a" * 5000


def put(target, name, data, where="corpus"):
    d = os.path.join(ROOT, where, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def js(o):
    return json.dumps(o, separators=(",", ":"), ensure_ascii=False)


# -- core/text ------------------------------------------------------------------------
def text():
    put("text", "ascii", "hello")
    put("text", "spaces", "\t \u00a0\u2003 trimmed \u3000\ufeff\n")
    put("text", "multibyte", "h\u00e9llo \u4e16\u754c \U0001f600")
    put("text", "all-space", "\u2028\u2029\u205f")
    for name, b in {
        "invalid-ff": b"\xff",
        "overlong-slash": b"\xc0\xaf",
        "surrogate": b"\xed\xa0\x80",
        "past-max": b"\xf4\x90\x80\x80",
        "truncated-3": b"ok \xe2\x82",
        "lone-lead-tab": b"\xc9",
        "lone-continuation": b"abc\x80",
        "latin1": "caf\u00e9".encode("latin-1"),
    }.items():
        put("text", name, b)


# -- WebSocket frames (2 control bytes, then the wire) ---------------------------------
def frame(op, payload=b"", fin=True, mask=b"\x11\x22\x33\x44", rsv=0, length=None):
    if isinstance(payload, str):
        payload = payload.encode()
    b0 = (0x80 if fin else 0) | rsv | op
    n = len(payload) if length is None else length
    if mask is None:
        mb = 0
    else:
        mb = 0x80
    if n < 126:
        hdr = bytes([b0, mb | n])
    elif n < 65536:
        hdr = bytes([b0, mb | 126]) + struct.pack(">H", n)
    else:
        hdr = bytes([b0, mb | 127]) + struct.pack(">Q", n)
    if mask is None:
        return hdr + payload
    return hdr + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(payload))


def close(code=None, reason=b""):
    p = b"" if code is None else struct.pack(">H", code)
    return frame(8, p + reason)


def ws():
    big = 6   # caps: 65536
    small = 2  # caps: 125
    seeds = {
        "text-hello": (big, frame(1, "hello")),
        "binary": (big, frame(2, bytes(range(40)))),
        "fragmented-with-ping": (big, frame(1, "hel", fin=False) + frame(9, "p") + frame(0, "lo")),
        "ping-pong": (big, frame(9, "ping") + frame(10, "pong")),
        "close-1000": (big, close(1000, b"bye")),
        "close-empty": (big, close()),
        "text-16bit-length": (big, frame(1, "x" * 300)),
        # A 64-bit length whose payload has not all arrived (keeps the seed small).
        "text-64bit-length": (7, frame(1, "y" * 70000)[:200]),
        # The probe's invalid close frames (RFC 6455 7.4: answered with 1002).
        "close-999": (big, close(999)),
        "close-1005": (big, close(1005)),
        "close-1006": (big, close(1006)),
        "close-1015": (big, close(1015)),
        "close-5000": (big, close(5000)),
        "close-1-byte": (big, frame(8, b"\x03")),
        "close-reason-not-utf8": (big, close(1000, b"\xff\xfe")),
        # Non-UTF-8 text (8.1: 1007), whole and split inside a code point.
        "text-not-utf8": (big, frame(1, b"\xc3\x28")),
        "text-utf8-split": (big, frame(1, b"\xe2\x82", fin=False) + frame(0, b"\xac")),
        # Protocol errors.
        "unmasked": (big, frame(1, "hi", mask=None)),
        "reserved-bits": (big, frame(1, "hi", rsv=0x40)),
        "opcode-3": (big, frame(3, "hi")),
        "control-126": (big, frame(9, "p" * 126)),
        "control-fragmented": (big, frame(9, "p", fin=False)),
        "continuation-first": (big, frame(0, "x")),
        "text-inside-message": (big, frame(1, "a", fin=False) + frame(1, "b")),
        "length-msb": (big, frame(2, b"", length=1 << 63)[:10] + b"\x00" * 4),
        "too-large": (small, frame(1, "z" * 200)),
        "too-large-skipped": (small | 8, frame(1, "z" * 200) + frame(1, "after")),
        "too-large-fragments": (small | 8, frame(1, "z" * 100, fin=False) + frame(0, "z" * 100)),
    }
    for name, (ctl, wire) in seeds.items():
        put("ws_frame", name, bytes([ctl, 0x5A]) + wire)


# -- chat frames ----------------------------------------------------------------------
def room():
    seeds = {
        "send": {"type": "send", "clientMsgId": "c1", "content": "hi", "channelId": "__lobby"},
        "send-channel": {"type": "send", "clientMsgId": "c2", "content": "@bob x", "channelId": "ch_01"},
        "send-null-channel": {"type": "send", "clientMsgId": "c3", "content": "x", "channelId": None},
        "send-sql": {"type": "send", "clientMsgId": SQL_LOGIN, "content": SQL_LOGIN},
        "send-long-id": {"type": "send", "clientMsgId": "i" * 129, "content": "x"},
        "send-no-content": {"type": "send", "clientMsgId": "c4"},
        "typing": {"type": "typing", "channelId": "ch_01"},
        "ping": {"type": "ping"},
        "unknown": {"type": "shout", "clientMsgId": "c5"},
        "type-number": {"type": 7},
    }
    for name, o in seeds.items():
        put("room_frame", name, js(o))
    put("room_frame", "not-utf8", b'{"type":"send","clientMsgId":"c","content":"\xff"}')
    put("room_frame", "lone-surrogate-escape", '{"type":"send","clientMsgId":"c","content":"\\ud800"}')
    put("room_frame", "deep", "[" * 40 + "]" * 40)
    put("room_frame", "not-object", '"send"')
    put("room_frame", "truncated", '{"type":"send","clientMsgId":"c"')
    put("room_frame", "resume", "__lobby:12,ch_x:3,ch:with:colons:9")
    put("room_frame", "resume-bad", "__lobby:-1,ch_x:")
    put("room_frame", "resume-overflow", "ch_x:99999999999999999999")


# -- agent relay frames ---------------------------------------------------------------
def agent():
    seeds = {
        "app-event": {"type": "event", "agent_id": "athena", "thread_id": "t1",
                      "payload": {"text": "hello", "n": 1.50e2, "esc": "\"\\/"}},
        "app-event-big-payload": {"type": "event", "agent_id": "athena", "thread_id": "t1",
                                  "payload": {"text": "x" * 40}},
        "app-event-long-agent": {"type": "event", "agent_id": "a" * 65, "thread_id": "t", "payload": {}},
        "app-event-sql-agent": {"type": "event", "agent_id": SQL_LOGIN, "thread_id": "t", "payload": {}},
        "app-event-array-payload": {"type": "event", "agent_id": "a", "thread_id": "t", "payload": [1]},
        "app-discover": {"type": "discover"},
        "app-cancel": {"type": "cancel", "event_id": "ev_1"},
        "app-resume": {"type": "resume", "event_id": "ev_1", "after_seq": 3},
        "app-resume-huge": {"type": "resume", "event_id": "ev_1", "after_seq": 18446744073709551615},
        "agent-token": {"type": "token", "event_id": "ev_1", "token": "Hel"},
        "agent-reply": {"type": "reply", "event_id": "ev_1", "content": "done", "done": True,
                        "metadata": {"tokens_used": 12, "model": "m", "latency_ms": 3.7}},
        "agent-reply-bad-meta": {"type": "reply", "event_id": "ev_1", "content": "",
                                 "metadata": {"latency_ms": 1e300}},
        "agent-error": {"type": "error", "event_id": "ev_1", "error": "boom", "code": "AGENT_TIMEOUT"},
        "relay-accepted": {"type": "accepted", "event_id": "ev_1", "agent_id": "athena"},
        "relay-token": {"type": "token", "event_id": "ev_1", "token": "x", "seq": 4},
        "ping": {"type": "ping"},
    }
    for name, o in seeds.items():
        put("agent_frame", name, js(o))
    # Byte-for-byte payloads: escapes, spacing, a repeated key (the last one counts).
    put("agent_frame", "app-event-raw-payload",
        '{"type":"event","agent_id":"a","thread_id":"t","payload" : { "k" : "\\u00e9\\"}" , "n":1E3 } }')
    put("agent_frame", "app-event-dup-payload",
        '{"type":"event","agent_id":"a","thread_id":"t","payload":{"a":1},"pay\\u006coad":{"b":2}}')
    put("agent_frame", "not-utf8", b'{"type":"event","agent_id":"\xc3\x28","thread_id":"t","payload":{}}')


# -- REST bodies ----------------------------------------------------------------------
def rest():
    seeds = {
        "post": {"content": "hello", "channelId": "__lobby", "clientMsgId": "c1"},
        "edit": {"content": "edited"},
        "channel": {"name": "General", "slug": "general", "visibility": "private"},
        "token": {"name": "ci"},
        "room": {"slug": "team", "displayName": "  Team \u00a0", "description": "d",
                 "accentColors": ["#ff0000", "#00ff00"]},
        "room-colors-bad": {"slug": "t", "displayName": "T", "accentColors": ["x" * 33]},
        "room-patch": {"displayName": "New", "avatarUrl": "https://x/a.png", "slug": "n"},
        "room-patch-bad-url": {"avatarUrl": "javascript:alert(1)"},
        "whitelist-mode": {"enabled": True},
        "typing": {"channelId": None},
        "channel-create": {"name": "c", "slug": "c", "inviteLogins": ["bob", SQL_LOGIN]},
        "dm": {"logins": ["bob", "BOB"]},
        "dm-sql": {"logins": [SQL_LOGIN]},
        "dm-long": {"logins": [LONG_LOGIN]},
        "whitelist-login": {"login": "bob", "note": "friend"},
        "whitelist-sql": {"login": SQL_LOGIN},
        "whitelist-long": {"login": LONG_LOGIN},
        "whitelist-both": {"login": "bob", "email": "b@x"},
        "whitelist-email": {"email": " bob@example.com "},
        "access-request": {"note": "please"},
        "bot": {"login": "helper", "name": "Helper", "agentId": "athena", "prefix": "!"},
        "bot-sql": {"login": SQL_LOGIN},
        "bot-long": {"login": LONG_LOGIN},
        "admin-agent": {"agent_id": "athena", "name": "Athena", "description": "d"},
        "admin-app": {"app_id": "web", "name": "Web", "agents": ["athena"], "allow": ["b"]},
        "admin-allowlist": {"agents": ["athena", 3]},
        "hall": {"name": "Standup", "max_participants": 10},
        "hall-blank": {"name": " \t "},
        "hall-join": {"participant_id": "p1", "display_name": "Ann", "role": "publisher"},
        "hall-join-role": {"participant_id": "p1", "display_name": "Ann", "role": "admin"},
    }
    for name, o in seeds.items():
        put("rest_body", name, js(o))
    put("rest_body", "empty", "")
    put("rest_body", "not-utf8", b'{"content":"\xe9t\xe9"}')
    put("rest_body", "not-object", "[1,2,3]")
    put("rest_body", "deep", '{"a":' * 20 + "1" + "}" * 20)


# -- the JSON scanner ----------------------------------------------------------------
def scanner():
    put("json_scanner", "flat", '{"type":"event","payload":{"a":[1,2,{"b":"}"}]},"n":-1.5e-3}')
    put("json_scanner", "spaces", ' {\n\t"a" :\r\n"x" , "b":[ ] ,"c":{ } } ')
    put("json_scanner", "escaped-key", '{"\\u0070ayload":{"k":"v"},"p\\"q":1,"\\\\":true}')
    put("json_scanner", "dup-keys", '{"a":1,"a":{"x":[null]},"a":"last"}')
    put("json_scanner", "strings", '{"s":"\\"}{\\\\","t":"\\u00e9\\ud83d\\ude00","u":""}')
    put("json_scanner", "literals", '{"t":true,"f":false,"n":null,"z":0,"big":18446744073709551616}')
    put("json_scanner", "nested", '{"a":{"b":{"c":{"d":{"e":{}}}}}}')
    put("json_scanner", "not-utf8", b'{"a":"\xc0\xaf"}')
    put("json_scanner", "truncated", '{"a":')
    put("json_scanner", "string-only", "\"</script>\\u2028\"")


# -- LiveKit webhooks ----------------------------------------------------------------
LK_KEY = "APIfuzzkey"
LK_SECRET = b"fuzz-secret-0123456789abcdef"


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(payload, secret=LK_SECRET, header=None):
    h = b64u((header or '{"alg":"HS256","typ":"JWT"}').encode())
    p = b64u(payload.encode() if isinstance(payload, str) else payload)
    sig = b64u(hmac.new(secret, f"{h}.{p}".encode(), hashlib.sha256).digest())
    return f"{h}.{p}.{sig}"


def livekit():
    now = 1750000000
    joined = js({"id": "EV_1", "event": "participant_joined", "createdAt": now - 5,
                 "room": {"name": "h_01"},
                 "participant": {"identity": "p1", "name": "Ann", "joinedAt": str(now - 6),
                                 "permission": {"canPublish": True}}})
    left = js({"id": "EV_2", "event": "participant_left", "created_at": str(now),
               "room": {"name": "h_01"}, "participant": {"identity": "p1"}, "numDropped": 2})
    finished = js({"id": "EV_3", "event": "room_finished", "createdAt": now, "room": {"name": "h_01"}})
    sha = lambda body: base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    claims = lambda body, **kw: js({"iss": LK_KEY, "exp": now + 600, "nbf": now - 1,
                                    "sha256": sha(body), **kw})
    # Real tokens, signed with the target's secret, as LiveKit sends them.
    put("livekit_webhook", "signed-joined", f"Bearer {jwt(claims(joined))}\n{joined}")
    put("livekit_webhook", "signed-left", f"{jwt(claims(left))}\n{left}")
    put("livekit_webhook", "signed-finished", f"Bearer {jwt(claims(finished))}\n{finished}")
    # Claims the target signs itself ($SHA: the body's digest).
    put("livekit_webhook", "claims-joined",
        js({"iss": LK_KEY, "exp": now + 60, "sha256": "$SHA"}) + "\n" + joined)
    # Finding 2 (docs/fuzzing.md), fixed in 58ecfcc: undefined behaviour in auth/livekit.cpp.
    put("livekit_webhook", "crash-claims-exp-max",
        '{"iss":"%s","exp":9223372036854775807,"sha256":"$SHA"}\n%s' % (LK_KEY, finished))
    put("livekit_webhook", "crash-claims-exp-huge-double",
        '{"iss":"%s","exp":1e300,"nbf":-1e300,"sha256":"$SHA"}\n%s' % (LK_KEY, finished))
    put("livekit_webhook", "claims-exp-string", js({"iss": LK_KEY, "exp": "soon", "sha256": "$SHA"}) + "\n{}")
    put("livekit_webhook", "claims-wrong-iss", js({"iss": "other", "exp": now + 60, "sha256": "$SHA"}) + "\n{}")
    # Forgeries and malformed headers.
    put("livekit_webhook", "alg-none", jwt(claims(joined), header='{"alg":"none"}')[:-10] + "\n" + joined)
    put("livekit_webhook", "wrong-secret", "Bearer " + jwt(claims(joined), secret=b"guess") + "\n" + joined)
    put("livekit_webhook", "two-parts", "Bearer abc.def\n" + joined)
    put("livekit_webhook", "bad-base64", "Bearer a*b.c=d.e\n{}")
    put("livekit_webhook", "empty", "\n")
    # Bodies with times out of range and of the wrong type.
    put("livekit_webhook", "body-ms-as-seconds",
        js({"iss": LK_KEY, "exp": now + 60, "sha256": "$SHA"}) + "\n" +
        js({"event": "participant_left", "createdAt": now * 1000}))
    put("livekit_webhook", "body-joined-overflow",
        "\n" + js({"event": "participant_joined", "participant": {"joinedAt": "9223372036854775807"}}))
    put("livekit_webhook", "body-double-times",
        "\n" + js({"event": "participant_joined", "createdAt": 1.7e9, "numDropped": -1.5}))
    put("livekit_webhook", "body-not-utf8", b"\n{\"event\":\"\xff\"}")


# -- cookies and tokens ---------------------------------------------------------------
def tokens():
    key = b"fuzz-cookie-secret"

    def signed(v):
        return v + "." + b64u(hmac.new(key, v.encode(), hashlib.sha256).digest())

    put("tokens", "session-valid", signed("rls_" + "ab" * 32))
    put("tokens", "oauth-state-valid", signed("0123456789abcdef0123456789abcdef|1750000600000|/r/team"))
    put("tokens", "session-forged", "rls_" + "ab" * 32 + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    put("tokens", "session-padded", signed("rls_x") + "=")
    put("tokens", "api", "rlt_" + "0f" * 32)
    put("tokens", "agent", "rla_" + "1e" * 32)
    put("tokens", "app", "rlk_web_" + "2d" * 32)
    put("tokens", "hall-live", "relay_live_" + "3c" * 32)
    put("tokens", "hall-test", "relay_test_" + "4b" * 32)
    put("tokens", "base64-padded", "QQ==")
    put("tokens", "base64-bad-tail", "QR")
    put("tokens", "dots", "a.b.c.")
    put("tokens", "sql", SQL_LOGIN)
    put("tokens", "not-utf8", b"rls_\xff\xfe.sig")


# -- TOML config -----------------------------------------------------------------------
def config():
    with open(os.path.join(ROOT, "..", "..", "config", "relay.example.toml"), "rb") as f:
        put("config_toml", "example", f.read())
    put("config_toml", "small", 'listen = "0.0.0.0:9000"\ndata_dir = "/tmp/r"\nio_threads = 4\n')
    put("config_toml", "unknown-key", "no_such_option = 1\n")
    put("config_toml", "wrong-type", "io_threads = [1, 2]\n")
    put("config_toml", "out-of-range", "io_threads = 100000\nmax_body_bytes = -1\n")
    put("config_toml", "huge-int", "max_body_bytes = 99999999999999999999\n")
    put("config_toml", "table", "[server]\nlisten = \"x\"\n")
    put("config_toml", "duplicate", 'log_level = "info"\nlog_level = "debug"\n')
    put("config_toml", "bad-enum", 'sqlite_synchronous = "sometimes"\ndev_login = "maybe"\n')
    put("config_toml", "bad-url", 'public_url = "ftp://x"\n')
    put("config_toml", "float-bool-date", "io_threads = 1.5\nreader_threads = true\nsend_rate = 1979-05-27\n")
    put("config_toml", "multiline", 'secret = """\nabc\\\n  def"""\nadmins = \'\'\'raw\\n\'\'\'\n')
    put("config_toml", "not-utf8", b'secret = "\xff"\n')
    put("config_toml", "unterminated", 'secret = "abc\n')


# -- HTTP requests (2 control bytes, then the connection) --------------------------------
def http():
    dflt = 3 | 3 << 2   # header_bytes 16 KiB, body_bytes 64 KiB: the server's defaults
    small = 1 | 2 << 2  # header_bytes 512, body_bytes 1 KiB
    tiny = 0 | 1 << 2   # header_bytes 64, body_bytes 16
    head = "POST /api/health HTTP/1.1\r\nHost: relay\r\nTransfer-Encoding: chunked\r\n\r\n"
    seeds = {
        "get": (dflt, "GET /api/health HTTP/1.1\r\nHost: relay\r\n\r\n"),
        "get-query-cookie": (dflt, "GET /api/rooms/team/ws?resume=__lobby:3 HTTP/1.1\r\nHost: r\r\n"
                             "Cookie: a=1; relay_session=rls_ab.cd\r\nOrigin: http://r\r\n\r\n"),
        "post-json": (dflt, 'POST /api/rooms/team/messages HTTP/1.1\r\nHost: r\r\n'
                      'Content-Type: application/json\r\nContent-Length: 19\r\n'
                      'Authorization: Bearer rlt_00\r\n\r\n{"content":"hello"}'),
        "chunked-trailer": (dflt, head + "5\r\nhello\r\n6;name=val\r\n world\r\n0\r\nX-Sum: 1\r\n\r\n"),
        "pipelined": (dflt, "GET /a HTTP/1.1\r\nHost: r\r\n\r\nGET /b HTTP/1.1\r\nHost: r\r\n\r\n"
                      "POST /c HTTP/1.1\r\nHost: r\r\nContent-Length: 2\r\n\r\nhi"),
        "http10": (dflt, "GET / HTTP/1.0\r\n\r\n"),
        "upgrade": (dflt, "GET /api/rooms/team/ws HTTP/1.1\r\nHost: r\r\nUpgrade: websocket\r\n"
                    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    "Sec-WebSocket-Version: 13\r\n\r\n"),
        # The probe's findings: a huge chunk extension and a huge trailer, under the
        # server's caps and under small ones (same path, shorter input).
        "huge-chunk-extension": (dflt, head + "5;ext=" + "a" * 17000 + "\r\nhello\r\n0\r\n\r\n"),
        "huge-chunk-extension-small": (small, head + "5;e=" + "a" * 600 + "\r\nhello\r\n0\r\n\r\n"),
        "huge-trailer": (dflt, head + "5\r\nhello\r\n0\r\nX-Pad: " + "b" * 17000 + "\r\n\r\n"),
        "huge-trailer-small": (small, head + "0\r\nX-Pad: " + "b" * 600 + "\r\n\r\n"),
        "many-trailers": (small, head + "0\r\n" + "T: x\r\n" * 120 + "\r\n"),
        "many-tiny-chunks": (tiny, head + "1\r\nx\r\n" * 40 + "0\r\n\r\n"),
        "header-too-large": (tiny, "GET / HTTP/1.1\r\nHost: r\r\nX-Long: " + "c" * 200 + "\r\n\r\n"),
        "body-too-large": (small, "POST / HTTP/1.1\r\nContent-Length: 100000\r\n\r\n" + "d" * 100),
        "chunked-too-large": (tiny, head + "20\r\n" + "e" * 32 + "\r\n0\r\n\r\n"),
        # Malformed and smuggling shapes.
        "cl-and-te": (dflt, "POST / HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "0\r\n\r\n"),
        "two-content-lengths": (dflt, "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"),
        "chunk-size-overflow": (dflt, head + "fffffffffffffffff\r\nx\r\n"),
        "chunk-size-bad-hex": (dflt, head + "5g\r\nhello\r\n0\r\n\r\n"),
        "obs-fold": (dflt, "GET / HTTP/1.1\r\nHost: r\r\nX: a\r\n b\r\n\r\n"),
        "bare-lf": (dflt, "GET / HTTP/1.1\nHost: r\n\n"),
        "space-before-colon": (dflt, "GET / HTTP/1.1\r\nHost : r\r\n\r\n"),
        "version-2": (dflt, "GET / HTTP/2.0\r\n\r\n"),
        "nul-in-target": (dflt, "GET /\x00 HTTP/1.1\r\n\r\n"),
        "te-gzip-chunked": (dflt, "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"),
    }
    for name, (ctl, wire) in seeds.items():
        put("http_request", name, bytes([ctl, 0x33]) + wire.encode("latin-1"))
    # Finding 4 (docs/fuzzing.md), fixed: a head of 119 bytes was read under
    # header_bytes = 64 (Beast capped the request line and the fields each, not the head).
    put("http_request", "crash-head-twice-header-bytes",
        bytes([0, 0]) + ("GET /" + "t" * 44 + " HTTP/1.1\r\nX: " + "a" * 52 + "\r\n\r\n").encode())


# -- Cookie headers ----------------------------------------------------------------------
def cookie():
    key = b"fuzz-cookie-secret"

    def signed(v):
        return v + "." + b64u(hmac.new(key, v.encode(), hashlib.sha256).digest())

    put("cookie", "session", "relay_session=" + signed("rls_" + "ab" * 32))
    put("cookie", "both", "theme=dark; relay_session=" + signed("rls_" + "cd" * 32) +
        "; relay_oauth=" + signed("0123456789abcdef|1750000600000|/r/team"))
    put("cookie", "duplicate", "relay_session=first; relay_session=second")
    put("cookie", "spaces", " \trelay_session=x ;  relay_oauth = y")
    put("cookie", "empty-values", "relay_session=; =; ;;relay_oauth")
    put("cookie", "no-pairs", ";;;")
    put("cookie", "sql", "relay_session=" + SQL_LOGIN)
    put("cookie", "long", "relay_session=" + LONG_LOGIN)
    put("cookie", "prefix-name", "xrelay_session=1; relay_sessionx=2")
    put("cookie", "not-utf8", b"relay_session=\xff\xfe; a=\xc0")


# -- logins ------------------------------------------------------------------------------
def login():
    for name, v in {"plain": "bob", "upper": "BOB", "mixed": "Bob-the_2nd", "max": "a" * 39,
                    "over": "a" * 40, "sql": SQL_LOGIN, "long": LONG_LOGIN, "empty": "",
                    "unicode": "b\u00f3b", "space": "bob smith", "dot": "bob.smith",
                    "null": "bob\x00"}.items():
        put("login", name, v)


# -- multipart uploads: the Content-Type value, a newline, the body -----------------------
def multipart():
    b = "----WebKitFormBoundary7MA4YWxkTrZu0gW"
    ct = "multipart/form-data; boundary=" + b + "\n"

    def part(head, data):
        return "--" + b + "\r\n" + head + "\r\n\r\n" + data + "\r\n"

    browser = (part('Content-Disposition: form-data; name="entityType"', "message") +
               part('Content-Disposition: form-data; name="entityId"', "msg_1") +
               part('Content-Disposition: form-data; name="file"; filename="a.png"\r\n'
                    "Content-Type: image/png", "\x89PNG\r\n\x1a\n--" + b[:8]) + "--" + b + "--\r\n")
    put("multipart", "browser", ct + browser)
    put("multipart", "quoted-boundary", 'multipart/form-data; boundary="a b:c"\n--a b:c\r\n'
        'Content-Disposition: form-data; name=file; filename="x\\"y"\r\n\r\n\r\n--a b:c--')
    put("multipart", "padding-epilogue", "multipart/form-data;boundary=x\n--x \t\r\n"
        "content-disposition: FORM-DATA; name=a\r\nX-Other: 1\r\n\r\nv\r\n--x--epilogue")
    put("multipart", "unterminated", ct + part('Content-Disposition: form-data; name="a"', "no end"))
    put("multipart", "no-disposition", ct + part("Content-Type: text/plain", "x") + "--" + b + "--")
    put("multipart", "near-delimiters", ct + part('Content-Disposition: form-data; name="f"',
        ("\r\n--" + b[:-1] + "Y") * 8) + "--" + b + "--")
    put("multipart", "many-parts", ct + part('Content-Disposition: form-data; name="p"', "1") * 6 +
        "--" + b + "--")
    put("multipart", "binary", (ct + part('Content-Disposition: form-data; name="file"', "")).encode() +
        bytes(range(256)) + ("\r\n--" + b + "--").encode())


def main():
    for step in (text, ws, room, agent, rest, scanner, livekit, tokens, config, http, cookie, login,
                 multipart):
        step()
    return 0


if __name__ == "__main__":
    sys.exit(main())
