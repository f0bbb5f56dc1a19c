#!/usr/bin/python3
"""tests/trust/cosign_py.py - an independent cosign-format signer and verifier for bld's tests.

Written from the published format description (sigstore's "Signature Specification" and the
go-securesystemslib encrypted-key envelope), sharing nothing with bld's C code. It uses
Debian's python3-cryptography (ECDSA P-256, PKCS#8, PKIX) and python3-nacl (secretbox), and
hashlib's scrypt. It talks to a registry over plain HTTP with urllib (127.0.0.1 only).

  genkey PREFIX                     write PREFIX.key (encrypted) and PREFIX.pub
  loadkey KEY                       decrypt KEY, print the public key's fingerprint
  fingerprint PUB                   print sha256:<hex> of the PKIX DER public key
  digest REG REPO TAG               print the manifest digest a tag points at
  sign KEY REG REPO DIGEST [--identity ID] [--claim-digest D] [--tamper]
                                    append a signature layer to REPO:sha256-<hex>.sig
  verify PUB REG REPO DIGEST [--identity ID]
                                    exit 0 when some signature verifies with PUB
  put-sig REG REPO DIGEST MANIFEST PAYLOAD...
                                    store a captured .sig manifest (exact bytes) with its
                                    payload blobs and the config cosign writes for them
The passphrase comes from COSIGN_PASSWORD (empty when unset).
"""
import argparse
import base64
import hashlib
import json
import os
import sys
import urllib.error
import urllib.request

import nacl.exceptions
import nacl.secret
import nacl.utils
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

PEM_TYPES = ("ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY")
SIG_MEDIA = "application/vnd.dev.cosign.simplesigning.v1+json"
SIG_ANN = "dev.cosignproject.cosign/signature"
MANIFEST_TYPES = ",".join([
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
])


def passphrase():
    return os.environ.get("COSIGN_PASSWORD", "").encode()


def pem_wrap(kind, data):
    body = base64.b64encode(data).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN %s-----\n%s\n-----END %s-----\n" % (kind, "\n".join(lines), kind)


def pem_unwrap(text):
    lines = text.strip().splitlines()
    kind = lines[0][len("-----BEGIN "):-len("-----")]
    if lines[-1] != "-----END %s-----" % kind:
        raise SystemExit("malformed PEM")
    return kind, base64.b64decode("".join(lines[1:-1]))


def scrypt_key(pw, salt, n, r, p):
    return hashlib.scrypt(pw, salt=salt, n=n, r=r, p=p, dklen=32, maxmem=512 << 20)


def b64(data):
    return base64.b64encode(data).decode()


def fingerprint(pub):
    der = pub.public_bytes(serialization.Encoding.DER,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return "sha256:" + hashlib.sha256(der).hexdigest()


def genkey(prefix):
    key = ec.generate_private_key(ec.SECP256R1())
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    salt = nacl.utils.random(32)
    nonce = nacl.utils.random(nacl.secret.SecretBox.NONCE_SIZE)
    box = nacl.secret.SecretBox(scrypt_key(passphrase(), salt, 32768, 8, 1))
    sealed = box.encrypt(der, nonce).ciphertext  # tag || ciphertext, as NaCl writes it
    env = {"kdf": {"name": "scrypt", "params": {"N": 32768, "r": 8, "p": 1}, "salt": b64(salt)},
           "cipher": {"name": "nacl/secretbox", "nonce": b64(nonce)},
           "ciphertext": b64(sealed)}
    fd = os.open(prefix + ".key", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(pem_wrap(PEM_TYPES[0], json.dumps(env).encode()))
    with open(prefix + ".pub", "w") as f:
        f.write(key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode())
    print(fingerprint(key.public_key()))


def loadkey(path):
    kind, data = pem_unwrap(open(path).read())
    if kind not in PEM_TYPES:
        raise SystemExit("not a cosign private key: " + kind)
    env = json.loads(data)
    if env["kdf"]["name"] != "scrypt" or env["cipher"]["name"] != "nacl/secretbox":
        raise SystemExit("unsupported envelope")
    prm = env["kdf"]["params"]
    key = scrypt_key(passphrase(), base64.b64decode(env["kdf"]["salt"]), prm["N"], prm["r"],
                     prm["p"])
    box = nacl.secret.SecretBox(key)
    try:
        der = box.decrypt(base64.b64decode(env["ciphertext"]),
                          base64.b64decode(env["cipher"]["nonce"]))
    except nacl.exceptions.CryptoError:
        raise SystemExit("wrong passphrase")
    priv = serialization.load_der_private_key(der, None)
    if not isinstance(priv, ec.EllipticCurvePrivateKey) or priv.curve.name != "secp256r1":
        raise SystemExit("not a P-256 key")
    return priv


def load_pub(path):
    return serialization.load_pem_public_key(open(path, "rb").read())


# ------------------------------------------------------------------ registry over HTTP

def http(method, url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def base(reg, repo):
    return "http://%s/v2/%s" % (reg, repo)


def tag_digest(reg, repo, tag):
    st, hdr, body = http("GET", "%s/manifests/%s" % (base(reg, repo), tag),
                         headers={"Accept": MANIFEST_TYPES})
    if st != 200:
        raise SystemExit("manifest %s: HTTP %d" % (tag, st))
    return "sha256:" + hashlib.sha256(body).hexdigest()


def sig_tag(digest):
    return digest.replace(":", "-") + ".sig"


def get_sig_manifest(reg, repo, digest):
    st, _, body = http("GET", "%s/manifests/%s" % (base(reg, repo), sig_tag(digest)),
                       headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    if st == 404:
        return None
    if st != 200:
        raise SystemExit("signature manifest: HTTP %d" % st)
    return json.loads(body)


def get_blob(reg, repo, digest):
    st, _, body = http("GET", "%s/blobs/%s" % (base(reg, repo), digest))
    if st != 200:
        raise SystemExit("blob %s: HTTP %d" % (digest, st))
    return body


def put_blob(reg, repo, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    st, hdr, _ = http("POST", "%s/blobs/uploads/" % base(reg, repo), data=b"")
    if st != 202:
        raise SystemExit("start upload: HTTP %d" % st)
    loc = hdr.get("Location") or hdr.get("location")
    if loc.startswith("/"):
        loc = "http://%s%s" % (reg, loc)
    loc += ("&" if "?" in loc else "?") + "digest=" + digest
    st, _, _ = http("PUT", loc, data=data, headers={"Content-Type": "application/octet-stream"})
    if st != 201:
        raise SystemExit("finish upload: HTTP %d" % st)
    return digest


def payload_bytes(identity, digest):
    # key order and spacing as Go's encoding/json writes cosign's struct
    return ('{"critical":{"identity":{"docker-reference":%s},"image":{"docker-manifest-digest":'
            '%s},"type":"cosign container image signature"},"optional":null}'
            % (json.dumps(identity), json.dumps(digest))).encode()


def sign(args):
    priv = loadkey(args.key)
    claim = args.claim_digest or args.digest
    payload = payload_bytes(args.identity or "%s/%s" % (args.registry, args.repo), claim)
    sig = priv.sign(payload, ec.ECDSA(hashes.SHA256()))
    if args.tamper:  # change the payload after signing; the layer names the new bytes
        payload = payload.replace(b'"optional":null', b'"optional":{"x":"y"}')
    layer_digest = put_blob(args.registry, args.repo, payload)
    old = get_sig_manifest(args.registry, args.repo, args.digest)
    layers = old["layers"] if old else []
    layers.append({"mediaType": SIG_MEDIA, "size": len(payload), "digest": layer_digest,
                   "annotations": {SIG_ANN: b64(sig)}})
    config = sig_config(layers)
    cfg_digest = put_blob(args.registry, args.repo, config)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "size": len(config), "digest": cfg_digest},
        "layers": layers}, separators=(",", ":")).encode()
    st, _, body = http("PUT", "%s/manifests/%s" % (base(args.registry, args.repo),
                                                   sig_tag(args.digest)),
                       data=manifest,
                       headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    if st != 201:
        raise SystemExit("put signature manifest: HTTP %d %s" % (st, body[:200]))


def sig_config(layers):
    return json.dumps({
        "architecture": "", "created": "0001-01-01T00:00:00Z",
        "history": [{"created": "0001-01-01T00:00:00Z"} for _ in layers], "os": "",
        "rootfs": {"type": "layers", "diff_ids": [l["digest"] for l in layers]},
        "config": {}}, separators=(",", ":")).encode()


def put_sig(args):
    raw = open(args.manifest, "rb").read()
    for path in args.payloads:
        put_blob(args.registry, args.repo, open(path, "rb").read())
    cfg = sig_config(json.loads(raw)["layers"])
    if put_blob(args.registry, args.repo, cfg) != json.loads(raw)["config"]["digest"]:
        raise SystemExit("config differs from the captured one")
    st, _, body = http("PUT", "%s/manifests/%s" % (base(args.registry, args.repo),
                                                   sig_tag(args.digest)),
                       data=raw,
                       headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    if st != 201:
        raise SystemExit("put signature manifest: HTTP %d %s" % (st, body[:200]))


def verify(args):
    pub = load_pub(args.key)
    m = get_sig_manifest(args.registry, args.repo, args.digest)
    if not m:
        raise SystemExit("no signatures")
    want_id = args.identity or "%s/%s" % (args.registry, args.repo)
    for layer in m.get("layers", []):
        sig = layer.get("annotations", {}).get(SIG_ANN)
        if layer.get("mediaType") != SIG_MEDIA or not sig:
            continue
        payload = get_blob(args.registry, args.repo, layer["digest"])
        if "sha256:" + hashlib.sha256(payload).hexdigest() != layer["digest"]:
            continue
        try:
            pub.verify(base64.b64decode(sig), payload, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            continue
        crit = json.loads(payload)["critical"]
        if crit["type"] != "cosign container image signature":
            continue
        if crit["image"]["docker-manifest-digest"] != args.digest:
            continue
        if crit["identity"]["docker-reference"] != want_id:
            continue
        print("verified: %s signed by %s" % (args.digest, fingerprint(pub)))
        return
    raise SystemExit("no signature verifies with %s" % args.key)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("genkey").add_argument("prefix")
    sub.add_parser("loadkey").add_argument("key")
    sub.add_parser("fingerprint").add_argument("pub")
    d = sub.add_parser("digest")
    for a in ("registry", "repo", "tag"):
        d.add_argument(a)
    for name in ("sign", "verify"):
        p = sub.add_parser(name)
        for a in ("key", "registry", "repo", "digest"):
            p.add_argument(a)
        p.add_argument("--identity")
        if name == "sign":
            p.add_argument("--claim-digest")
            p.add_argument("--tamper", action="store_true")
    ps = sub.add_parser("put-sig")
    for a in ("registry", "repo", "digest", "manifest"):
        ps.add_argument(a)
    ps.add_argument("payloads", nargs="+")
    args = ap.parse_args()
    if args.cmd == "genkey":
        genkey(args.prefix)
    elif args.cmd == "loadkey":
        print(fingerprint(loadkey(args.key).public_key()))
    elif args.cmd == "fingerprint":
        print(fingerprint(load_pub(args.pub)))
    elif args.cmd == "digest":
        print(tag_digest(args.registry, args.repo, args.tag))
    elif args.cmd == "sign":
        sign(args)
    elif args.cmd == "put-sig":
        put_sig(args)
    else:
        verify(args)


if __name__ == "__main__":
    sys.exit(main())
