#!/usr/bin/env python3
"""tests/fuzz/registry_seeds.py DIR — writes the seed inputs of tests/fuzz/fuzz_registry.c
into DIR (byte 0 picks the parser): real manifests, indexes and configs from the layouts that
tests/env/seed.sh builds ($BLD_SEED_DIR or /var/tmp/bld-seed, when present), cosign
documents and keys from tests/fixtures/trust, references from tests/fixtures/image-reference,
and hand-written policies, identity rules, challenges and auth values."""
import base64
import glob
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, "tests", "fixtures")
DG = "sha256:" + "ab" * 32


def manifests():
    seed = os.environ.get("BLD_SEED_DIR", "/var/tmp/bld-seed")
    out = []
    for p in sorted(glob.glob(os.path.join(seed, "*", "blobs", "sha256", "*")) +
                    glob.glob(os.path.join(seed, "*", "index.json"))):
        if os.path.getsize(p) > 65536:
            continue
        data = open(p, "rb").read()
        try:
            json.loads(data)
        except ValueError:
            continue
        out.append(data)
    desc = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": DG, "size": 7}
    out.append(json.dumps({"schemaVersion": 2, "manifests": [
        dict(desc, platform={"os": "linux", "architecture": "arm64"}),
        dict(desc, platform={"os": "linux", "architecture": "arm", "variant": "v6"}),
        dict(desc, platform={"os": "linux", "architecture": "amd64"})]}).encode())
    out.append(json.dumps({"schemaVersion": 2, "config": desc, "layers": [desc, desc]}).encode())
    out.append(b'{"schemaVersion":1,"fsLayers":[]}')
    return out


POLICIES = [
    {"default": [{"type": "insecureAcceptAnything"}]},
    {"default": [{"type": "reject"}], "transports": {"docker": {
        "docker.io/library/busybox": [{"type": "insecureAcceptAnything"}],
        "127.0.0.1:5000": [{"type": "sigstoreSigned", "keyData": "AAAA",
                            "signedIdentity": {"type": "matchRepository"}}],
        "*.example.com": [{"type": "signedBy", "keyType": "GPGKeys", "keyData": "x"}],
        "": [{"type": "reject"}]}}},
    {"default": [{"type": "sigstoreSigned", "keyDatas": ["AAAA", "QUJD"],
                  "signedIdentity": {"type": "remapIdentity", "prefix": "docker.io",
                                     "signedPrefix": "127.0.0.1:5000"}}]},
]
RULES = [
    {"type": "matchRepoDigestOrExact"}, {"type": "matchRepository"}, {"type": "matchExact"},
    {"type": "exactReference", "dockerReference": "docker.io/library/busybox:latest"},
    {"type": "exactRepository", "dockerRepository": "127.0.0.1:5000/a/b"},
    {"type": "remapIdentity", "prefix": "docker.io/library", "signedPrefix": "quay.io/x"},
]
CHALLENGES = [
    'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
    'scope="repository:library/busybox:pull"',
    'Basic realm="Registry Realm"', 'bearer realm=http://x, error="insufficient_scope"',
    'Bearer realm="a\\"b", Basic realm="c"', 'Negotiate', 'Bearer ,,, realm=""',
]


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    n = 0

    def put(sel, data):
        nonlocal n
        if isinstance(data, str):
            data = data.encode()
        with open(os.path.join(out, f"seed-{sel}-{n}"), "wb") as f:
            f.write(bytes([sel]) + data)
        n += 1

    for m in manifests():
        for mt in range(5):
            put(0, bytes([mt]) + m)
    # strings with escapes that decode to control characters, which must not reach errors
    esc = "a\\u001b[31m\\nb"
    put(0, b"\0" + ('{"schemaVersion":2,"mediaType":"%s"}' % esc).encode())
    put(0, b"\4" + ('{"schemaVersion":2,"mediaType":"%s","config":{"digest":"%s"}}'
                     % (esc, esc)).encode())
    put(1, '{"critical":{"identity":{"docker-reference":"%s"},"image":{"docker-manifest-'
           'digest":"%s"},"type":"%s"}}' % (esc, esc, esc))
    put(7, 'Bearer realm="\x1b[31m\n", error="\x1b"')
    cv3 = os.path.join(FIX, "trust", "cosign-v3")
    payload = open(os.path.join(cv3, "payload.json"), "rb").read()
    sigm = open(os.path.join(cv3, "sig-manifest.json"), "rb").read()
    put(1, payload)
    put(2, sigm)
    sig = json.loads(sigm)["layers"][0]["annotations"]["dev.cosignproject.cosign/signature"]
    put(3, payload + b"\0" + sig.encode())
    for p in POLICIES:
        put(4, json.dumps(p))
    for r in RULES:
        put(5, json.dumps(r) + "\0docker.io/library/busybox:latest\0docker.io/library/busybox"
            "\0latest")
    for tsv in glob.glob(os.path.join(FIX, "image-reference", "*.tsv")):
        for line in open(tsv, encoding="utf-8").read().splitlines()[1:]:
            put(6, line.split("\t")[0])
    for c in CHALLENGES:
        put(7, c)
    put(8, base64.b64encode(b"user:secret").decode())
    put(8, base64.b64encode(b":").decode())
    for pub in glob.glob(os.path.join(FIX, "trust", "*.pub")) + [os.path.join(cv3, "cosign.pub")]:
        put(9, open(pub, "rb").read())
    put(10, '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}}]}')
    put(10, '{"details":"bad request"}')


if __name__ == "__main__":
    main()
