#!/usr/bin/python3
"""tests/attest/verify.py - an independent checker of bld's attestations.

Written from the published specifications (in-toto Statement v1, SLSA provenance v1, SPDX 2.3,
DSSE v1 and cosign's attestation layout: DSSE envelopes as layers of the manifest tagged
sha256-<hex>.att), sharing no code with bld. It uses Debian's python3-cryptography for ECDSA
P-256, and the registry helpers of the independent cosign signer (tests/trust/cosign_py.py).

  provenance FILE --subject D [--dep D]... [--url-dep URL=HEX]... [--commit C] [--max]
      FILE (an in-toto statement) is SLSA provenance v1 for manifest digest D, naming every
      --dep digest among its resolved dependencies, URL with its sha256, the git context's
      commit C, and with --max the build steps
  sbom FILE --subject D --packages LIST [--file PATH=HEX]...
      FILE is an SPDX 2.3 statement for D whose OS packages are exactly LIST's
      ("NAME<TAB>VERSION" lines) and whose files include PATH with sha256 HEX
  fetch PUB REG REPO DIGEST --type slsaprovenance|spdxjson --out FILE
      the cosign attestations of REPO@DIGEST: one DSSE envelope of that predicate type must
      verify with PUB, carry an in-toto payload and name DIGEST as its subject; its statement
      is written to FILE. Exit 1 with the reason otherwise.
  referrer REG REPO DIGEST --type ...
      the OCI 1.1 referrers of DIGEST (the referrers API, else the sha256-<hex> referrers tag)
      include a manifest with DIGEST as subject and an attestation layer of that type
  tamper KEY REG REPO DIGEST --how payload|subject D2|resign
      rewrites REPO's sha256-<hex>.att for DIGEST: a payload changed after signing, a
      statement for digest D2 signed with KEY, or a valid statement re-signed with KEY
"""
import argparse
import base64
import hashlib
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "trust"))
import cosign_py  # noqa: E402  (registry helpers and cosign key loading)
from cryptography.exceptions import InvalidSignature  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

INTOTO = "application/vnd.in-toto+json"
DSSE_MEDIA = "application/vnd.dsse.envelope.v1+json"
TYPES = {
    "slsaprovenance": "https://slsa.dev/provenance/v1",
    "slsaprovenance1": "https://slsa.dev/provenance/v1",
    "spdxjson": "https://spdx.dev/Document",
}
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def fail(msg):
    print("verify.py: " + msg, file=sys.stderr)
    sys.exit(1)


def pae(ptype, payload):
    t = ptype.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def check_subject(st, digest):
    if st.get("_type") != "https://in-toto.io/Statement/v1":
        fail("not an in-toto v1 statement: %r" % st.get("_type"))
    got = [s.get("digest", {}).get("sha256") for s in st.get("subject", [])]
    if got != [digest.split(":", 1)[1]]:
        fail("subject %r is not %s" % (got, digest))


def load(path):
    with open(path) as f:
        return json.load(f)


# ------------------------------------------------------------------ provenance

def provenance(a):
    st = load(a.file)
    check_subject(st, a.subject)
    if st.get("predicateType") != TYPES["slsaprovenance"]:
        fail("predicateType %r" % st.get("predicateType"))
    bd = st["predicate"]["buildDefinition"]
    run = st["predicate"]["runDetails"]
    if not bd.get("buildType") or not run["builder"].get("id") or not run["builder"].get("version"):
        fail("buildType, builder id or version missing")
    deps = {d.get("uri"): d.get("digest", {}) for d in bd.get("resolvedDependencies", [])}
    have = {v for dg in deps.values() for v in dg.values()}
    for d in a.dep or []:
        if d.split(":", 1)[1] not in have:
            fail("dependency %s not among %r" % (d, deps))
    for ud in a.url_dep or []:
        url, hexd = ud.rsplit("=", 1)
        if deps.get(url, {}).get("sha256") != hexd:
            fail("URL %s: %r, want sha256 %s" % (url, deps.get(url), hexd))
    src = bd["externalParameters"]["configSource"]
    if a.commit and src.get("digest", {}).get("sha1") != a.commit:
        fail("configSource %r does not name commit %s" % (src, a.commit))
    if not src.get("path") or "sha256" not in src.get("dockerfileDigest", {}):
        fail("configSource lacks the Dockerfile path or digest: %r" % src)
    steps = bd.get("internalParameters", {}).get("buildConfig", {}).get("steps")
    if a.max and not steps:
        fail("mode=max without steps")
    print("provenance ok: %d dependencies" % len(deps))


# ------------------------------------------------------------------ SBOM

def sbom(a):
    st = load(a.file)
    check_subject(st, a.subject)
    doc = st.get("predicate", {})
    if st.get("predicateType") != TYPES["spdxjson"] or doc.get("spdxVersion") != "SPDX-2.3":
        fail("not an SPDX 2.3 statement")
    for k in ("SPDXID", "dataLicense", "documentNamespace", "creationInfo", "name"):
        if k not in doc:
            fail("SPDX document lacks " + k)
    got = set()
    for p in doc.get("packages", []):
        purls = [r["referenceLocator"] for r in p.get("externalRefs", [])
                 if r.get("referenceType") == "purl"]
        if purls:
            if not purls[0].startswith("pkg:"):
                fail("bad purl " + purls[0])
            got.add((p["name"], p["versionInfo"]))
    want = set()
    with open(a.packages) as f:
        for line in f:
            if line.strip():
                n, v = line.rstrip("\n").split("\t")
                want.add((n, v))
    if got != want:
        fail("packages differ: only in SBOM %r, only in the list %r"
             % (sorted(got - want)[:5], sorted(want - got)[:5]))
    files = {f["fileName"]: {c["algorithm"]: c["checksumValue"] for c in f["checksums"]}
             for f in doc.get("files", [])}
    # SPDX 2.3, 8.4: every file has a SHA1 checksum; --file gives the sha256 and the SHA1
    for name, sums in files.items():
        if not re.fullmatch(r"[0-9a-f]{40}", sums.get("SHA1", "")):
            fail("file %s: no SHA1 checksum (%r)" % (name, sums))
    for fd in a.file_digest or []:
        path, hexd = fd.rsplit("=", 1)
        want = dict(zip(("SHA256", "SHA1"), hexd.split(",")))
        if any(files.get(path, {}).get(k) != v for k, v in want.items()):
            fail("file %s: %r, want %s" % (path, files.get(path), want))
    print("sbom ok: %d packages, %d files" % (len(got), len(files)))


# ------------------------------------------------------------------ registry

def att_tag(digest):
    return digest.replace(":", "-") + ".att"


def get_manifest(reg, repo, ref):
    st, _, body = cosign_py.http("GET", "%s/manifests/%s" % (cosign_py.base(reg, repo), ref),
                                 headers={"Accept": OCI_MANIFEST + "," + OCI_INDEX})
    if st == 404:
        return None
    if st != 200:
        fail("manifest %s: HTTP %d" % (ref, st))
    return json.loads(body)


def open_envelope(env_bytes, pub, digest, ptype):
    """The statement of a DSSE envelope, or a reason it is refused."""
    env = json.loads(env_bytes)
    if env.get("payloadType") != INTOTO:
        return None, "payloadType %r" % env.get("payloadType")
    payload = base64.b64decode(env["payload"])
    ok = False
    for s in env.get("signatures", []):
        try:
            pub.verify(base64.b64decode(s["sig"]), pae(INTOTO, payload),
                       ec.ECDSA(hashes.SHA256()))
            ok = True
        except InvalidSignature:
            pass
    if not ok:
        return None, "no signature verifies with the key"
    st = json.loads(payload)
    if st.get("predicateType") != ptype:
        return None, "predicateType %r" % st.get("predicateType")
    got = [x.get("digest", {}).get("sha256") for x in st.get("subject", [])]
    if got != [digest.split(":", 1)[1]]:
        return None, "statement for %r, not %s" % (got, digest)
    return st, None


def fetch(a):
    pub = cosign_py.load_pub(a.pub)
    ptype = TYPES[a.type]
    m = get_manifest(a.registry, a.repo, att_tag(a.digest))
    if m is None:
        fail("no attestations for %s" % a.digest)
    why = "no layer of predicate type %s" % ptype
    for layer in m.get("layers", []):
        ann = layer.get("annotations", {})
        if layer.get("mediaType") != DSSE_MEDIA or ann.get("predicateType") != ptype:
            continue
        data = cosign_py.get_blob(a.registry, a.repo, layer["digest"])
        if "sha256:" + hashlib.sha256(data).hexdigest() != layer["digest"]:
            why = "envelope does not match its layer digest"
            continue
        st, why = open_envelope(data, pub, a.digest, ptype)
        if st:
            with open(a.out, "w") as f:
                json.dump(st, f)
            print("attestation ok: %s" % layer["digest"])
            return
    fail(why)


def referrer(a):
    st, _, body = cosign_py.http("GET", "%s/referrers/%s" % (cosign_py.base(a.registry, a.repo),
                                                              a.digest))
    if st == 404:  # no referrers API: the referrers tag schema of distribution-spec 1.1
        idx = get_manifest(a.registry, a.repo, a.digest.replace(":", "-"))
        body = json.dumps(idx or {})
    elif st != 200:
        fail("referrers API: HTTP %d" % st)
    for d in json.loads(body).get("manifests", []):
        m = get_manifest(a.registry, a.repo, d["digest"])
        if m and m.get("subject", {}).get("digest") == a.digest and any(
                layer.get("annotations", {}).get("predicateType") == TYPES[a.type]
                for layer in m.get("layers", [])):
            print("referrer ok: %s" % d["digest"])
            return
    fail("no referrer of type %s" % a.type)


def tamper(a):
    m = get_manifest(a.registry, a.repo, att_tag(a.digest))
    if m is None:
        fail("no attestations to tamper with")
    priv = cosign_py.loadkey(a.key)
    for layer in m["layers"]:
        env = json.loads(cosign_py.get_blob(a.registry, a.repo, layer["digest"]))
        payload = base64.b64decode(env["payload"])
        st = json.loads(payload)
        if a.how == "subject":
            st["subject"][0]["digest"]["sha256"] = a.other.split(":", 1)[1]
        if a.how in ("subject", "resign"):
            payload = json.dumps(st).encode()
            sig = priv.sign(pae(INTOTO, payload), ec.ECDSA(hashes.SHA256()))
            env["signatures"] = [{"keyid": "", "sig": base64.b64encode(sig).decode()}]
        else:  # the payload changed after it was signed
            payload = payload.replace(b'"predicate":{', b'"predicate":{"x":1,', 1)
        env["payload"] = base64.b64encode(payload).decode()
        data = json.dumps(env).encode()
        layer["digest"] = cosign_py.put_blob(a.registry, a.repo, data)
        layer["size"] = len(data)
    body = json.dumps(m).encode()
    st, _, _ = cosign_py.http("PUT", "%s/manifests/%s" % (cosign_py.base(a.registry, a.repo),
                                                          att_tag(a.digest)),
                              data=body, headers={"Content-Type": OCI_MANIFEST})
    if st != 201:
        fail("put manifest: HTTP %d" % st)


def main():
    ap = argparse.ArgumentParser(prog="verify.py")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("provenance")
    p.add_argument("file")
    p.add_argument("--subject", required=True)
    p.add_argument("--dep", action="append")
    p.add_argument("--url-dep", action="append")
    p.add_argument("--commit")
    p.add_argument("--max", action="store_true")
    p = sub.add_parser("sbom")
    p.add_argument("file")
    p.add_argument("--subject", required=True)
    p.add_argument("--packages", required=True)
    p.add_argument("--file", dest="file_digest", action="append")
    for name in ("fetch", "referrer", "tamper"):
        p = sub.add_parser(name)
        if name != "referrer":
            p.add_argument("pub" if name == "fetch" else "key")
        p.add_argument("registry")
        p.add_argument("repo")
        p.add_argument("digest")
        if name == "tamper":
            p.add_argument("--how", choices=["payload", "subject", "resign"], required=True)
            p.add_argument("--other")
        else:
            p.add_argument("--type", choices=sorted(TYPES), required=True)
        if name == "fetch":
            p.add_argument("--out", required=True)
    a = ap.parse_args()
    {"provenance": provenance, "sbom": sbom, "fetch": fetch, "referrer": referrer,
     "tamper": tamper}[a.cmd](a)


if __name__ == "__main__":
    main()
