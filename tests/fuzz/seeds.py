#!/usr/bin/env python3
"""tests/fuzz/seeds.py TARGET DIR — writes the seed inputs of tests/fuzz/fuzz_TARGET.c into DIR
from tests/fixtures (byte 0 picks the parser where the target has several):
  auth     response headers and challenges, token answers, credential helper output and the
           encrypted cosign keys of tests/fixtures/trust
  compose  the compose files of tests/fixtures/compose (corpus, loader, cli) and its .env files
  kube     the Kubernetes YAML of tests/fixtures/kube/corpus
  api      Engine API requests (method, path, filters, body) of the forms docker's CLI sends"""
import glob
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, "tests", "fixtures")


def files(*patterns):
    out = []
    for pat in patterns:
        for p in sorted(glob.glob(os.path.join(FIX, pat), recursive=True)):
            if os.path.isfile(p) and os.path.getsize(p) <= 65536:
                out.append(open(p, "rb").read())
    return out


def auth():
    challenge = b'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",' \
                b'scope="repository:library/busybox:pull"'
    headers = [b"HTTP/1.1 401 Unauthorized\r\nWww-Authenticate: " + challenge + b"\r\n"
               b"Content-Type: application/json\r\nContent-Length: 157\r\n\r\n",
               b"HTTP/1.1 200 OK\r\nDocker-Content-Digest: sha256:" + b"ab" * 32 + b"\r\n"
               b"Link: </v2/x/tags/list?n=2&last=b>; rel=\"next\"\r\nRange: 0-1023\r\n"
               b"Location: /v2/x/blobs/uploads/1?_state=x\r\nRetry-After: 3\r\n\r\n",
               b"HTTP/1.1 100 Continue\r\n\r\nHTTP/2 429\r\nretry-after: 120\r\n\r\n"]
    tokens = [b'{"token":"abc","expires_in":300,"issued_at":"2024-01-01T00:00:00Z"}',
              b'{"access_token":"xyz","refresh_token":"r"}', b'{"token":""}', b"[]"]
    helpers = [b'{"ServerURL":"r.io","Username":"u","Secret":"s"}',
               b'{"Username":"<token>","Secret":"refresh"}', b'{"Username":"u"}', b"null"]
    keys = files("trust/*.key")
    out = [b"\0" + h for h in headers] + [b"\1" + t for t in tokens]
    out += [b"\2" + h for h in helpers] + [b"\3" + k for k in keys]
    out += [b"\4" + challenge, b'\4Basic realm="r"', b'\4Bearer error="insufficient_scope"']
    return out


def compose():
    out = [b"\0" + f for f in files("compose/corpus/**/*.yaml", "compose/corpus/**/*.yml",
                                    "compose/loader/**/*.yaml", "compose/loader/**/*.yml",
                                    "compose/cli/**/*.yaml")]
    envs = files("compose/dotenv/*.env", "compose/**/.env")
    out += [b"\1" + e for e in envs]
    out += [b"\0services:\n  a:\n    image: x:${TAG}\n    env_file: .env\n\0" + e
            for e in envs[:4]]
    return out


def kube():
    return files("kube/corpus/*.yaml", "kube/corpus/**/*.yaml")


def api():
    create = json.dumps({"Image": "busybox", "Cmd": ["sh"], "Env": ["A=1"], "WorkingDir": "/w",
                         "ExposedPorts": {"80/tcp": {}}, "Labels": {"a": "b"},
                         "Healthcheck": {"Test": ["CMD", "true"], "Interval": 1000000000},
                         "HostConfig": {"Binds": ["/a:/b:ro"], "RestartPolicy": {"Name": "always"},
                                        "PortBindings": {"80/tcp": [{"HostPort": "8080"}]},
                                        "SecurityOpt": ["no-new-privileges"], "AutoRemove": False},
                         "NetworkingConfig": {"EndpointsConfig": {"n": {"Aliases": ["x"]}}}})
    reqs = [("POST", "/v1.41/containers/create", "", create),
            ("GET", "/v1.43/containers/json", '{"status":{"running":true},"label":["a=b"]}', ""),
            ("GET", "/images/docker.io/library/busybox:latest/json", "", ""),
            ("POST", "/v1.12/images/x/tag", "", ""), ("DELETE", "/v1.99/volumes/v", "", ""),
            ("POST", "/networks/n/connect", "", '{"Container":"c"}'), ("HEAD", "/_ping", "", "")]
    return ["\0".join(r).encode() for r in reqs]


def main():
    target, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    for i, data in enumerate(globals()[target]()):
        with open(os.path.join(out, "%s-%03d" % (target, i)), "wb") as f:
            f.write(data)


main()
