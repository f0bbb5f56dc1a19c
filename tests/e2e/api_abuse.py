#!/usr/bin/env python3
"""tests/e2e/api_abuse.py SOCKET CONTAINER — clients that misbehave against an Engine API
socket: malformed requests, headers and bodies over docker's limits, and clients that hang
up mid-request and mid-stream (events, logs -f, attach of the running CONTAINER, which must
print nothing while this runs). Prints one "name: result" line per case for the caller to
compare; the same script run against dockerd prints what docker answers."""
import socket
import sys
import time

SOCK, CTR = sys.argv[1], sys.argv[2]


def connect():
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(SOCK)
    return s


def status(data):
    """The status line's code the server answers data with ("closed" when it hangs up
    without one). A server may close before all of data is sent: what it wrote is read."""
    s = connect()
    try:
        s.sendall(data)
    except OSError:
        pass
    out = b""
    try:
        while b"\r\n" not in out:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except socket.timeout:
        return "no answer"
    except OSError:
        pass
    s.close()
    parts = out.split(b" ", 2)
    return parts[1].decode() if len(parts) > 1 else "closed"


def hang_up_after(head, wait=b"\r\n\r\n"):
    """Sends head, reads until wait has come (the stream started), then hangs up."""
    s = connect()
    s.sendall(head)
    got = b""
    while wait not in got:
        b = s.recv(65536)
        if not b:
            break
        got += b
    s.close()
    return "started" if wait in got else "refused: " + got[:60].decode("latin-1")


def get(path):
    return b"GET %s HTTP/1.1\r\nHost: d\r\n\r\n" % path.encode()


def post(path, body, ctype=b"application/json"):
    return b"POST %s HTTP/1.1\r\nHost: d\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s" % (
        path.encode(), ctype, len(body), body)


cases = [
    ("unknown HTTP version", lambda: status(b"GET /_ping HTTP/3.7\r\nHost: d\r\n\r\n")),
    ("bad chunked body", lambda: status(
        b"POST /containers/create HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"zz\r\nabc\r\n")),
    ("JSON body cut short", lambda: status(post("/containers/create", b'{"Image":'))),
    ("body not JSON", lambda: status(post("/containers/create", b"\x00\xff<xml/>"))),
    ("filters not JSON", lambda: status(get("/containers/json?filters=%7Bnot"))),
    ("header of 2 MiB", lambda: status(
        b"GET /_ping HTTP/1.1\r\nHost: d\r\nX-Big: " + b"a" * (2 << 20) + b"\r\n\r\n")),
    ("request line of 2 MiB", lambda: status(
        b"GET /_ping?" + b"a" * (2 << 20) + b" HTTP/1.1\r\nHost: d\r\n\r\n")),
    ("hang-up inside the headers", lambda: hang_up_after(b"GET /_ping HTTP/1.1\r\nHo", b"")),
    ("hang-up inside the body", lambda: hang_up_after(
        b"POST /containers/create HTTP/1.1\r\nHost: d\r\nContent-Length: 100\r\n\r\n{\"Im", b"")),
    ("hang-up on events", lambda: hang_up_after(get("/events"))),
    ("hang-up on logs -f", lambda: hang_up_after(
        get("/containers/%s/logs?follow=1&stdout=1&stderr=1" % CTR))),
    ("hang-up on attach", lambda: hang_up_after(
        b"POST /containers/%s/attach?stream=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: d\r\n"
        b"Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n" % CTR.encode())),
    ("hang-up on wait", lambda: hang_up_after(
        post("/containers/%s/wait" % CTR, b""), b"")),
]
big = 20 << 20
cases.append(("body announced of 20 MiB, not sent", lambda: status(
    b"POST /containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\n"
    b"Content-Length: %d\r\n\r\n{" % big)))
for name, fn in cases:
    print("%s: %s" % (name, fn()), flush=True)
time.sleep(0.5)
print("ping after all: %s" % status(b"GET /_ping HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n"))
