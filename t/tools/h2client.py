#!/usr/bin/python3
"""An HTTP/2 client for the tests, built on python3-h2 (frames as the
library makes them) with a raw frame writer for what no library sends.

    h2client.py PORT [--tls] [--authority A] [--sni S] SCENARIO [JSON]

prints one JSON object: what came back.  Scenarios:
  requests  JSON (or @FILE): [{method, path, authority, headers: [[n, v]...], body, chunks}...],
            all at once on one connection; each answer's status, fields,
            body (latin-1) or reset code; and the GOAWAY, if one came
  rapid_reset N      N streams opened and cancelled at once
  empty_data N       a POST, then N empty DATA frames
  ping_flood N       N PINGs
  continuation N     a HEADERS frame and N CONTINUATION frames, never ended
  over_limit N       N streams at once, before our SETTINGS are acknowledged
  hpack_bomb N       a 4000-byte field, then a request that names it N times
  zero_window PATH   a GET with our window at 0: what the server does in 10 s
  idle SECS          nothing: when does the server say GOAWAY and close
  hold PATH SECS     a GET, then (while its answer comes) wait for GOAWAY
  body_one_write PATH BODY   a POST of no content-length, HEADERS and its one
                     DATA frame (END_STREAM) in one write
  made_reset PATH N  GETs in batches of 10, each then made a stream error
                     by a WINDOW_UPDATE that overflows its window, until
                     GOAWAY or N ("MadeYouReset": the server resets them)
  head_stall SECS    HEADERS without END_HEADERS, then nothing: when does
                     the server give up
"""
import base64
import json
import socket
import ssl
import struct
import sys
import time

import h2.config
import h2.connection
import h2.events
import h2.settings


def connect(port, tls, sni):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(["h2"])
        s = ctx.wrap_socket(s, server_hostname=sni)
        if s.selected_alpn_protocol() != "h2":
            print(json.dumps({"error": "no h2 by ALPN", "alpn": s.selected_alpn_protocol()}))
            sys.exit(0)
    return s


def new_conn(settings=None):
    cfg = h2.config.H2Configuration(client_side=True, header_encoding=None,
                                    validate_outbound_headers=False,
                                    normalize_outbound_headers=False,
                                    validate_inbound_headers=False)
    c = h2.connection.H2Connection(config=cfg)
    c.initiate_connection()
    if settings:
        c.update_settings(settings)
    return c


def b(x):
    return x.encode("latin-1") if isinstance(x, str) else x


class Result:
    def __init__(self):
        self.streams = {}
        self.goaway = None
        self.closed = False
        self.acked = False

    def stream(self, sid):
        return self.streams.setdefault(sid, {"headers": [], "body": b"", "ended": False})


def pump(sock, conn, res, until, timeout=10, on_event=None):
    """Reads and answers until until() or timeout; returns when closed too."""
    end = time.time() + timeout
    sock.settimeout(0.2)
    while time.time() < end and not until():
        out = conn.data_to_send()
        if out:
            try:
                sock.sendall(out)
            except OSError:
                res.closed = True
                return
        try:
            data = sock.recv(65536)
        except (socket.timeout, ssl.SSLWantReadError):
            continue
        except OSError:
            res.closed = True
            return
        if not data:
            res.closed = True
            return
        # GOAWAY is taken out here: python3-h2 closes its state machine on
        # one, and would refuse the answers that still come after it.
        res.buf = getattr(res, "buf", b"") + data
        data = b""
        while len(res.buf) >= 9:
            n = int.from_bytes(res.buf[:3], "big")
            if len(res.buf) < 9 + n:
                break
            f, res.buf = res.buf[:9 + n], res.buf[9 + n:]
            if f[3] == 7:
                last, code = struct.unpack(">II", f[9:17])
                res.goaway = {"code": code, "last": last & 0x7fffffff}
            else:
                data += f
        try:
            events = conn.receive_data(data)
        except Exception as e:  # a frame the library refuses: note it
            res.error = str(e)
            res.closed = True
            return
        for ev in events:
            if isinstance(ev, h2.events.ResponseReceived):
                res.stream(ev.stream_id)["headers"] = [[n.decode("latin-1"), v.decode("latin-1")]
                                                       for n, v in ev.headers]
            elif isinstance(ev, h2.events.TrailersReceived):
                res.stream(ev.stream_id)["trailers"] = True
            elif isinstance(ev, h2.events.DataReceived):
                st = res.stream(ev.stream_id)
                st["body"] += ev.data
                if not getattr(res, "no_window", False):
                    conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, h2.events.StreamEnded):
                res.stream(ev.stream_id)["ended"] = True
            elif isinstance(ev, h2.events.StreamReset):
                res.stream(ev.stream_id)["reset"] = int(ev.error_code)
            elif isinstance(ev, h2.events.ConnectionTerminated):
                res.goaway = {"code": int(ev.error_code), "last": ev.last_stream_id}
            elif isinstance(ev, h2.events.SettingsAcknowledged):
                res.acked = True
            elif isinstance(ev, h2.events.RemoteSettingsChanged):
                res.settings = {int(k): v.new_value for k, v in ev.changed_settings.items()}
            if on_event:
                on_event(ev)
        out = conn.data_to_send()
        if out:
            try:
                sock.sendall(out)
            except OSError:
                res.closed = True
                return


def report(res, extra=None):
    out = {"goaway": res.goaway, "closed": res.closed, "streams": {}}
    for sid, st in res.streams.items():
        st = dict(st)
        st["body_len"] = len(st["body"])
        st["body"] = st["body"].decode("latin-1")
        out["streams"][str(sid)] = st
    if getattr(res, "settings", None) is not None:
        out["settings"] = {str(k): v for k, v in res.settings.items()}
    if getattr(res, "error", None):
        out["error"] = res.error
    if extra:
        out.update(extra)
    print(json.dumps(out))


def frame(ftype, flags, sid, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", sid) + payload


def main():
    args = sys.argv[1:]
    port = int(args.pop(0))
    tls = authority = sni = None
    while args and args[0].startswith("--"):
        o = args.pop(0)
        if o == "--tls":
            tls = True
        elif o == "--authority":
            authority = args.pop(0)
        elif o == "--sni":
            sni = args.pop(0)
    scenario = args.pop(0)
    authority = authority or "localhost"
    sock = connect(port, tls, sni or "localhost")
    res = Result()

    def base(method, path, extra=(), auth=None):
        return [(b":method", b(method)), (b":scheme", b"https" if tls else b"http"),
                (b":authority", b(auth or authority)), (b":path", b(path))] + [(b(n), b(v)) for n, v in extra]

    def flood(conn, raw):
        """Sends raw at once, then reports what came until the GOAWAY."""
        try:
            sock.sendall(raw)
        except OSError:
            res.closed = True
        pump(sock, conn, res, lambda: res.goaway is not None, timeout=5)
        report(res)

    if scenario == "requests":
        reqs = json.loads(open(args[0][1:]).read() if args[0].startswith("@") else args[0])
        conn = new_conn()
        sids = []
        for q in reqs:
            sid = conn.get_next_available_stream_id()
            sids.append(sid)
            hdrs = q.get("raw_headers")
            if hdrs is not None:
                hdrs = [(b(n), b(v)) for n, v in hdrs]
            else:
                hdrs = base(q.get("method", "GET"), q.get("path", "/"), q.get("headers", []),
                            q.get("authority"))
            body = b(q["body"]) if q.get("body") is not None else None
            conn.send_headers(sid, hdrs, end_stream=body is None)
            if body is not None:
                chunks = q.get("chunks") or [len(body)]
                pos = 0
                for i, n in enumerate(chunks):
                    piece = body[pos:pos + n]
                    pos += n
                    last = i == len(chunks) - 1 and pos >= len(body)
                    # One DATA frame per piece where the windows allow;
                    # else as much as they allow at a time.
                    while piece or last:
                        gone = lambda: res.closed or "reset" in res.streams.get(sid, {})
                        while conn.local_flow_control_window(sid) == 0 and piece and not gone():
                            sock.sendall(conn.data_to_send())
                            pump(sock, conn, res, lambda: conn.local_flow_control_window(sid) > 0 or gone(),
                                 timeout=10)
                        if gone():
                            break
                        k = min(len(piece), conn.local_flow_control_window(sid), conn.max_outbound_frame_size)
                        end = last and k == len(piece) and not q.get("no_end")
                        conn.send_data(sid, piece[:k], end_stream=end)
                        sock.sendall(conn.data_to_send())
                        piece = piece[k:]
                        if not piece:
                            break
        sock.sendall(conn.data_to_send())
        # Done when every stream ended, was reset, or is one a GOAWAY
        # said the server will not take.
        done = lambda: all(res.streams.get(s, {}).get("ended") or "reset" in res.streams.get(s, {})
                           or (res.goaway is not None and s > res.goaway["last"]) for s in sids)
        pump(sock, conn, res, done, timeout=float(args[1]) if len(args) > 1 else 20)
        report(res)
    elif scenario == "rapid_reset":
        n = int(args[0])
        conn = new_conn()
        sent = 0
        for i in range(n):
            if res.closed:
                break
            sid = conn.get_next_available_stream_id()
            conn.send_headers(sid, base("GET", "/rapid/%d" % i), end_stream=True)
            conn.reset_stream(sid)
            sent += 1
            try:
                sock.sendall(conn.data_to_send())
            except OSError:
                res.closed = True
        pump(sock, conn, res, lambda: res.goaway is not None, timeout=5)
        report(res, {"sent": sent})
    elif scenario == "empty_data":
        n = int(args[0])
        conn = new_conn()
        sid = conn.get_next_available_stream_id()
        conn.send_headers(sid, base("POST", "/empty"), end_stream=False)
        raw = conn.data_to_send()
        raw += b"".join(frame(0, 0, sid, b"") for _ in range(n))
        flood(conn, raw)
    elif scenario == "ping_flood":
        n = int(args[0])
        conn = new_conn()
        raw = conn.data_to_send() + b"".join(frame(6, 0, 0, struct.pack(">Q", i)) for i in range(n))
        flood(conn, raw)
    elif scenario == "continuation":
        n = int(args[0])
        conn = new_conn()
        sid = 1
        enc = conn.encoder.encode(base("GET", "/cont") + [(b"x-pad", b"a" * 100)])
        raw = conn.data_to_send() + frame(1, 0x1, sid, enc[:10])  # HEADERS, END_STREAM, no END_HEADERS
        filler = conn.encoder.encode([(b"x-more", b"b" * 50)])
        raw += b"".join(frame(9, 0, sid, filler) for _ in range(n))
        flood(conn, raw)
    elif scenario == "over_limit":
        n = int(args[0])
        conn = new_conn()
        sids = []
        for i in range(n):
            sid = conn.get_next_available_stream_id()
            sids.append(sid)
            conn.send_headers(sid, base("GET", "/slow/%d" % i), end_stream=True)
        # All in the first flight: before the server's SETTINGS can be known.
        sock.sendall(conn.data_to_send())
        done = lambda: all(res.streams.get(s, {}).get("ended") or "reset" in res.streams.get(s, {})
                           for s in sids) or res.goaway is not None
        pump(sock, conn, res, done, timeout=20)
        report(res)
    elif scenario == "hpack_bomb":
        n = int(args[0])
        conn = new_conn()
        big = (b"x-big", b"v" * 4000)
        sid = conn.get_next_available_stream_id()
        conn.send_headers(sid, base("GET", "/first") + [big], end_stream=True)
        sid2 = conn.get_next_available_stream_id()
        conn.send_headers(sid2, base("GET", "/bomb") + [big] * n, end_stream=True)
        sock.sendall(conn.data_to_send())
        done = lambda: all(res.streams.get(s, {}).get("ended") or "reset" in res.streams.get(s, {})
                           for s in (sid, sid2)) or res.goaway is not None
        pump(sock, conn, res, done, timeout=10)
        report(res, {"wire": len(conn.encoder.encode([big] * n))})
    elif scenario == "zero_window":
        res.no_window = True
        conn = new_conn({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 0})
        sid = conn.get_next_available_stream_id()
        conn.send_headers(sid, base("GET", args[0]), end_stream=True)
        sock.sendall(conn.data_to_send())
        start = time.time()
        pump(sock, conn, res, lambda: "reset" in res.streams.get(sid, {}) or res.goaway is not None,
             timeout=float(args[1]) if len(args) > 1 else 10)
        report(res, {"after": round(time.time() - start, 1)})
    elif scenario == "body_one_write":
        conn = new_conn()
        sid = conn.get_next_available_stream_id()
        conn.send_headers(sid, base("POST", args[0]), end_stream=False)
        conn.send_data(sid, b(args[1]), end_stream=True)
        sock.sendall(conn.data_to_send())
        pump(sock, conn, res, lambda: res.streams.get(sid, {}).get("ended")
             or "reset" in res.streams.get(sid, {}), timeout=10)
        report(res)
    elif scenario == "made_reset":
        n = int(args[1])
        conn = new_conn()
        sock.sendall(conn.data_to_send())
        sent = 0
        while sent < n and res.goaway is None and not res.closed:
            sids = []
            for i in range(10):
                sid = conn.get_next_available_stream_id()
                conn.send_headers(sid, base("GET", "%s/%d" % (args[0], sent)), end_stream=True)
                sids.append(sid)
                sent += 1
            try:
                sock.sendall(conn.data_to_send())
                # Their requests start, then each stream's window overflows.
                pump(sock, conn, res, lambda: res.goaway is not None, timeout=0.1)
                sock.sendall(b"".join(frame(8, 0, s, struct.pack(">I", 0x7FFFFFFF)) for s in sids))
            except OSError:
                res.closed = True
            pump(sock, conn, res, lambda: res.goaway is not None, timeout=0.1)
        pump(sock, conn, res, lambda: res.goaway is not None, timeout=3)
        report(res, {"sent": sent})
    elif scenario == "head_stall":
        conn = new_conn()
        sock.sendall(conn.data_to_send())
        # The settings exchanged first: nothing of ours may come inside the block.
        pump(sock, conn, res, lambda: getattr(res, "settings", None) is not None, timeout=2)
        sock.sendall(conn.data_to_send())
        enc = conn.encoder.encode(base("GET", "/stall"))
        sock.sendall(frame(1, 0x1, 1, enc))  # END_STREAM, no END_HEADERS
        start = time.time()
        sock.settimeout(float(args[0]))
        try:
            while sock.recv(65536):
                pass
            res.closed = True
        except (socket.timeout, OSError):
            pass
        report(res, {"after": round(time.time() - start, 1)})
    elif scenario == "idle":
        conn = new_conn()
        sock.sendall(conn.data_to_send())
        start = time.time()
        pump(sock, conn, res, lambda: False, timeout=float(args[0]))
        report(res, {"after": round(time.time() - start, 1)})
    elif scenario == "hold":
        conn = new_conn()
        sid = conn.get_next_available_stream_id()
        conn.send_headers(sid, base("GET", args[0]), end_stream=True)
        sock.sendall(conn.data_to_send())
        # Tell the test we are in, then wait for the answer and a GOAWAY.
        print("started", flush=True)
        pump(sock, conn, res, lambda: res.streams.get(sid, {}).get("ended") and res.goaway is not None,
             timeout=float(args[1]))
        # A stream opened after GOAWAY: the server must not take it.
        extra = {}
        if res.goaway is not None and not res.closed:
            sid2 = sid + 2
            raw = frame(1, 0x5, sid2, conn.encoder.encode(base("GET", "/after")))
            try:
                sock.sendall(raw)
            except OSError:
                res.closed = True
            pump(sock, conn, res, lambda: res.closed, timeout=3)
            extra["after_goaway"] = res.streams.get(sid2)
        report(res, extra)
    else:
        print(json.dumps({"error": "unknown scenario " + scenario}))


if __name__ == "__main__":
    main()
