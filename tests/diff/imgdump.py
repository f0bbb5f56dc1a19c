#!/usr/bin/env python3
"""tests/diff/imgdump.py LAYOUT NAME [CONFIG_JSON] — prints an image of an OCI layout in a canonical text
form for differential tests: the config fields docker users see (one `config.FIELD=JSON`
line each) and the flattened filesystem (one line per path: type, mode, uid, gid, size,
sha256 of the content, link target; backslash, space, tab and newline in names written as
octal escapes), with the layers applied in order and OCI whiteouts honoured. Two builders agree on an image when these dumps are equal.

CONFIG_JSON, when given, is a file holding the image config to use instead of the layout's
(buildah's docker-format config: its OCI push drops Healthcheck, Shell and OnBuild).
NAME is matched against the org.opencontainers.image.ref.name annotation (a full name like
docker.io/library/x:latest or a bare tag). Standard library only.
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

FIELDS = ["Env", "Cmd", "Entrypoint", "WorkingDir", "User", "ExposedPorts", "Labels",
          "Volumes", "StopSignal", "Healthcheck", "Shell", "OnBuild"]


def blob(layout, digest):
    algo, hexd = digest.split(":", 1)
    with open(os.path.join(layout, "blobs", algo, hexd), "rb") as f:
        return f.read()


def find_manifest(layout, name):
    with open(os.path.join(layout, "index.json")) as f:
        index = json.load(f)
    for m in index.get("manifests", []):
        ref = m.get("annotations", {}).get("org.opencontainers.image.ref.name", "")
        if ref == name or ref.endswith("/" + name) or ref == "docker.io/library/" + name:
            doc = json.loads(blob(layout, m["digest"]))
            if "manifests" in doc:  # an index: take linux/amd64
                for e in doc["manifests"]:
                    p = e.get("platform", {})
                    if p.get("architecture") == "amd64":
                        return json.loads(blob(layout, e["digest"]))
            return doc
    sys.exit("imgdump: %s not found in %s" % (name, layout))


def open_layer(data):
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    elif data[:4] == b"\x28\xb5\x2f\xfd":
        sys.exit("imgdump: zstd layers are not supported")
    return tarfile.open(fileobj=io.BytesIO(data), mode="r:")


def norm(name):
    parts = [p for p in name.split("/") if p not in ("", ".")]
    return "/" + "/".join(parts)


def apply_layer(fs, tf):
    members = tf.getmembers()
    # whiteouts of one layer apply to the lower layers only
    for m in members:
        path = norm(m.name)
        base = os.path.basename(path)
        parent = os.path.dirname(path)
        if base == ".wh..wh..opq":
            for p in [p for p in fs if p.startswith(parent.rstrip("/") + "/")]:
                del fs[p]
        elif base.startswith(".wh."):
            gone = os.path.join(parent, base[4:])
            for p in [p for p in fs if p == gone or p.startswith(gone + "/")]:
                del fs[p]
    for m in members:
        path = norm(m.name)
        if os.path.basename(path).startswith(".wh."):
            continue
        if m.isdir():
            entry = ("dir", m.mode, m.uid, m.gid, 0, "-", "-")
        elif m.issym():
            entry = ("symlink", m.mode, m.uid, m.gid, 0, "-", m.linkname)
        elif m.islnk():
            tgt = fs.get(norm(m.linkname))
            if tgt is None:
                sys.exit("imgdump: hardlink %s to missing %s" % (path, m.linkname))
            entry = ("file", m.mode, m.uid, m.gid, tgt[4], tgt[5], "-")
        elif m.isreg():
            data = tf.extractfile(m).read()
            entry = ("file", m.mode, m.uid, m.gid, len(data), hashlib.sha256(data).hexdigest(), "-")
        elif m.ischr() or m.isblk():
            entry = ("chr" if m.ischr() else "blk", m.mode, m.uid, m.gid, 0, "-",
                     "%d:%d" % (m.devmajor, m.devminor))
        elif m.isfifo():
            entry = ("fifo", m.mode, m.uid, m.gid, 0, "-", "-")
        else:
            continue
        old = fs.get(path)
        if old and old[0] == "dir" and entry[0] != "dir":
            for p in [p for p in fs if p.startswith(path + "/")]:
                del fs[p]
        fs[path] = entry


def esc(s):
    """Backslash, space, tab and newline as octal escapes (as /proc/mounts writes them), so
    that a line splits on spaces into its fields."""
    for c in "\\ \t\n":
        s = s.replace(c, "\\%03o" % ord(c))
    return s


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    layout, name = sys.argv[1], sys.argv[2]
    man = find_manifest(layout, name)
    cfg = json.loads(blob(layout, man["config"]["digest"]))
    if len(sys.argv) == 4:
        with open(sys.argv[3]) as f:
            cfg = json.load(f)
    c = cfg.get("config") or {}
    out = []
    for f in FIELDS:
        v = c.get(f)
        if v in ({}, [], "", None):
            v = None
        out.append("config.%s=%s" % (f, json.dumps(v, sort_keys=True)))
    fs = {}
    for layer in man["layers"]:
        with open_layer(blob(layout, layer["digest"])) as tf:
            apply_layer(fs, tf)
    fs.pop("/", None)
    for p in sorted(fs):
        t, mode, uid, gid, size, h, link = fs[p]
        out.append("fs %s %s %04o %d %d %d %s %s" % (esc(p), t, mode & 0o7777, uid, gid, size, h,
                                                    esc(link)))
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
