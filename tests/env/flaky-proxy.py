#!/usr/bin/env python3
"""tests/env/flaky-proxy.py — an HTTP proxy for bld's tests that stands in front of a test
registry and misbehaves on blob downloads in a controlled way, so that retries, backoff and
resumed (Range) downloads can be observed.

For every GET of /v2/.../blobs/<digest> (and with --manifests of /v2/.../manifests/<ref>)
the Nth request (counted per digest or ref) is treated by the --plan, one letter per
request, the rest are forwarded faithfully:
  5  answer 503 Service Unavailable
  d  forward the start of the body (--drop-after bytes), then drop the connection
  .  forward faithfully
Everything else (manifests, /v2/, uploads) is forwarded faithfully. Each request is logged
to --log as "METHOD PATH RANGE ACTION" ("-" when there is no Range header).

Usage: flaky-proxy.py --upstream 127.0.0.1:PORT --port-file FILE --log FILE
                      [--plan 5d] [--drop-after BYTES] [--manifests]
Listens on 127.0.0.1 on a free port, written to --port-file when ready. Test fixture only.
"""
import argparse, http.client, os, re, sys, threading
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
            f.write("%s %s %s %s\n" % (self.command, self.path,
                                       self.headers.get("Range", "-").replace(" ", ""), action))

    def action(self):
        what = "blobs|manifests" if self.args.manifests else "blobs"
        m = re.match(r"^/v2/.+/(?:%s)/([^/?]+)$" % what, self.path)
        if self.command != "GET" or not m:
            return "."
        with self.lock:
            n = self.counts.get(m.group(1), 0)
            self.counts[m.group(1)] = n + 1
        return self.args.plan[n] if n < len(self.args.plan) else "."

    def forward(self):
        act = self.action()
        self.log(act)
        if act == "5":
            body = b'{"errors":[{"code":"UNAVAILABLE","message":"try again"}]}'
            self.send_response(503)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        length = int(self.headers.get("Content-Length", "0") or 0)
        body = self.rfile.read(length) if length else None
        up = http.client.HTTPConnection(self.args.upstream, timeout=60)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        up.request(self.command, self.path, body=body, headers=hdrs)
        r = up.getresponse()
        self.send_response(r.status, r.reason)
        for k, v in r.getheaders():
            if k.lower() not in HOP:
                self.send_header(k, v)
        if r.getheader("Content-Length") is None:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        sent = 0
        while self.command != "HEAD":
            chunk = r.read(65536)
            if not chunk:
                break
            if act == "d" and sent + len(chunk) > self.args.drop_after:
                self.wfile.write(chunk[: self.args.drop_after - sent])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
                up.close()
                return
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
