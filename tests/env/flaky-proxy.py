#!/usr/bin/env python3
"""tests/env/flaky-proxy.py — an HTTP proxy for bld's tests that stands in front of a test
registry and misbehaves in a controlled way, so that retries, backoff, resumed (Range)
downloads and digest checks can be observed.

For every request that --match selects (default: GET of /v2/.../blobs/<digest>; with
--manifests also of /v2/.../manifests/<ref>) the Nth one (counted per path) is treated by
the --plan, one letter per request (with --count-all the Nth matching request of any path,
as upload sessions each have their own), the rest are forwarded faithfully:
  5  answer 503 Service Unavailable (with Retry-After when --retry-after is given)
  r  answer 429 Too Many Requests with Retry-After: --retry-after (default 1)
  0  answer 500;  2  answer 502
  d  forward the start of the body (--drop-after bytes), then drop the connection
  x  the same, then reset it (RST)
  s  forward --drop-after bytes, then stall for --stall seconds and drop the connection
  t  truncate: forward --drop-after bytes with a Content-Length that says so
  w  wrong bytes: the body with its byte at offset --drop-after flipped
  l  slow: the body at 100 KB/s
  .  forward faithfully
Everything else is forwarded faithfully. Each request is logged to --log as
"METHOD PATH RANGE ACTION TIME" ("-" when there is no Range header).

Usage: flaky-proxy.py --upstream 127.0.0.1:PORT --port-file FILE --log FILE
                      [--plan 5d] [--drop-after BYTES] [--manifests] [--match METHOD:REGEX]
                      [--count-all] [--retry-after SECONDS] [--stall SECONDS]
Listens on 127.0.0.1 on a free port, written to --port-file when ready. Test fixture only.
"""
import argparse, http.client, os, re, socket, struct, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
       "proxy-authorization", "proxy-authenticate"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    args = None
    counts = {}
    lock = threading.Lock()

    def log_message(self, fmt, *a):
        pass

    def log(self, action):
        with open(self.args.log, "a") as f:
            f.write("%s %s %s %s %.3f\n" % (self.command, self.path,
                                            self.headers.get("Range", "-").replace(" ", ""),
                                            action, time.time()))

    def action(self):
        if self.args.match:
            method, rx = self.args.match.split(":", 1)
        else:
            method = "GET"
            what = "blobs|manifests" if self.args.manifests else "blobs"
            rx = r"^/v2/.+/(?:%s)/[^/?]+$" % what
        path = self.path.split("?")[0]
        if self.command != method or not re.match(rx, path):
            return "."
        key = "" if self.args.count_all else path
        with self.lock:
            n = self.counts.get(key, 0)
            self.counts[key] = n + 1
        return self.args.plan[n] if n < len(self.args.plan) else "."

    def error(self, status):
        length = int(self.headers.get("Content-Length", "0") or 0)
        if length:
            self.rfile.read(length)  # the request's body, not the next request
        body = b'{"errors":[{"code":"UNAVAILABLE","message":"try again"}]}'
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        if status == 429 or (status == 503 and self.args.retry_after is not None):
            self.send_header("Retry-After", str(self.args.retry_after or 1))
        self.end_headers()
        self.wfile.write(body)

    def cut(self, act, up):
        """Ends a response cut short: a drop, a reset, or a stall and then a drop."""
        self.wfile.flush()
        if act == "s":
            time.sleep(self.args.stall)
        if act == "x":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
        else:
            self.connection.shutdown(2)
        self.close_connection = True
        up.close()

    def forward(self):
        act = self.action()
        self.log(act)
        if act in ("5", "r", "0", "2"):
            self.error({"5": 503, "r": 429, "0": 500, "2": 502}[act])
            return
        length = int(self.headers.get("Content-Length", "0") or 0)
        body = self.rfile.read(length) if length else None
        up = http.client.HTTPConnection(self.args.upstream, timeout=60)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        up.request(self.command, self.path, body=body, headers=hdrs)
        r = up.getresponse()
        self.send_response(r.status, r.reason)
        for k, v in r.getheaders():
            if k.lower() in HOP or (act == "t" and k.lower() == "content-length"):
                continue
            self.send_header(k, v)
        if act == "t":
            total = int(r.getheader("Content-Length", "0"))
            self.send_header("Content-Length", str(min(total, self.args.drop_after)))
        if r.getheader("Content-Length") is None:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        sent = 0
        while self.command != "HEAD":
            chunk = r.read(65536)
            if not chunk:
                break
            if act in "dxst" and sent + len(chunk) > self.args.drop_after:
                self.wfile.write(chunk[: self.args.drop_after - sent])
                if act != "t":
                    self.cut(act, up)
                    return
                break
            if act == "w" and sent <= self.args.drop_after < sent + len(chunk):
                i = self.args.drop_after - sent
                chunk = chunk[:i] + bytes([chunk[i] ^ 0xFF]) + chunk[i + 1:]
            if act == "l":
                for i in range(0, len(chunk), 10240):
                    self.wfile.write(chunk[i:i + 10240])
                    time.sleep(0.1)
                sent += len(chunk)
                continue
            self.wfile.write(chunk)
            sent += len(chunk)
        up.close()

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = forward


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--upstream", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--plan", default="5d")
    p.add_argument("--drop-after", type=int, default=4 << 20)
    p.add_argument("--match", help="METHOD:REGEX of the paths the plan applies to")
    p.add_argument("--count-all", action="store_true",
                   help="count the matching requests together, not per path (uploads)")
    p.add_argument("--retry-after", type=int)
    p.add_argument("--stall", type=float, default=5)
    p.add_argument("--manifests", action="store_true",
                   help="apply the plan to manifest GETs too (counted per tag or digest)")
    Handler.args = p.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tmp = Handler.args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, Handler.args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
