#!/usr/bin/env python3
"""tests/fuzz/store_seeds.py DIR — writes the seed inputs of tests/fuzz/fuzz_store.c into
DIR: small hostile tars made on the fly (absolute paths, "..", symlink and hardlink escapes,
whiteouts and opaque markers, device nodes, long names in GNU and PAX form, PAX headers that
override paths, links and xattrs), each prefixed with the selector byte for the layer and
the archive extractor, plain and gzip; plus entry lists in the target's text form."""
import gzip
import io
import os
import sys
import tarfile

SB = "/tmp/sb"  # the sandbox path inside the fuzz target's namespace


def ti(name, kind="f", data=b"", link="", pax=None, mode=None):
    t = tarfile.TarInfo(name)
    t.mtime = 1000
    t.type = {"f": tarfile.REGTYPE, "d": tarfile.DIRTYPE, "l": tarfile.SYMTYPE,
              "h": tarfile.LNKTYPE, "c": tarfile.CHRTYPE, "b": tarfile.BLKTYPE,
              "p": tarfile.FIFOTYPE}[kind]
    t.mode = mode if mode is not None else (0o755 if kind == "d" else 0o644)
    t.linkname = link
    t.size = len(data) if kind == "f" else 0
    if kind in "cb":
        t.devmajor, t.devminor = 1, 3
    if pax:
        t.pax_headers = pax
    return t, data


def tar(entries, fmt=tarfile.PAX_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for t, data in entries:
            tf.addfile(t, io.BytesIO(data) if data else None)
    return buf.getvalue()


LONG = "d" * 90 + "/" + "e" * 90 + "/" + "f" * 120
CASES = {
    "abs": [ti("/etc/bld-fuzz"), ti("/abs-link", "l", link="/etc"), ti("/"
            "abs-link/pwn", data=b"x")],
    "dotdot": [ti("../../pwn", data=b"x"), ti("a/../../../pwn", data=b"x"),
               ti("./../sentinel/pwn", data=b"x")],
    "symlink-escape": [ti("s", "l", link="../sentinel"), ti("s/pwn", data=b"x"),
                       ti("r", "l", link="/"), ti("r" + SB + "/sentinel/pwn", data=b"x"),
                       ti("esc/pwn", data=b"x"), ti("abs/pwn", data=b"x"),
                       ti("up/sentinel/pwn", data=b"x")],
    "symlink-dir-escape": [ti("s", "l", link="../sentinel"), ti("s", "d"),
                           ti("s/sub", "d"), ti("up/sentinel/new", "d")],
    "symlink-chain": [ti("a", "l", link="b"), ti("b", "l", link="c/.."),
                      ti("c", "l", link="../.."), ti("a/sentinel/pwn", data=b"x")],
    "hardlink-escape": [ti("h", "h", link="../sentinel/secret"),
                        ti("h2", "h", link=SB + "/sentinel/secret"),
                        ti("h3", "h", link="esc/secret"), ti("h3", data=b"pwned"),
                        ti("h4", "h", link="up/sentinel/secret"),
                        ti("s", "l", link="/"), ti("h5", "h", link="s" + SB + "/sentinel/secret")],
    "hardlink-then-write": [ti("x", "l", link="../sentinel/secret"), ti("h", "h", link="x"),
                            ti("h", data=b"pwned"), ti("x", data=b"pwned")],
    "whiteouts": [ti(".wh.esc"), ti("esc/.wh.secret"), ti("up/.wh.sentinel"),
                  ti("abs/.wh.sub"), ti("esc/.wh..wh..opq"), ti(".wh..wh..opq"),
                  ti("d/.wh..."), ti("d/.wh."), ti("d/.wh..."), ti("up/sentinel/.wh.secret")],
    "whiteout-dir": [ti("d", "d"), ti("d/f", data=b"x"), ti(".wh.d"), ti("d", "d"),
                     ti("d/.wh..wh..opq")],
    "devices": [ti("dev", "d"), ti("dev/null", "c"), ti("dev/sda", "b"), ti("dev/fifo", "p"),
                ti("dev/fifo", data=b"over a fifo"), ti("esc/dev", "c")],
    "long-gnu": [ti(LONG, data=b"x"), ti("l" * 200, "l", link="t" * 200),
                 ti("h" * 150, "h", link=LONG)],
    "long-pax": [ti(LONG + "/" + "g" * 100, data=b"x"), ti("z", "l", link="/" + "y" * 300)],
    "pax-override": [ti("innocent", data=b"x", pax={"path": "../sentinel/pwn"}),
                     ti("lnk", "l", link="ok", pax={"linkpath": "../sentinel"}),
                     ti("lnk/pwn", data=b"x"),
                     ti("hl", "h", link="ok", pax={"linkpath": "../sentinel/secret"})],
    "pax-xattrs": [ti("d", "d", pax={"SCHILY.xattr.trusted.overlay.opaque": "y",
                                     "SCHILY.xattr.trusted.overlay.redirect": "/x",
                                     "SCHILY.xattr.user.note": "hi"}),
                   ti("f", data=b"x", pax={"SCHILY.xattr.security.capability": "\x01",
                                           "uid": "4294967296", "gid": "-1"})],
    "replace": [ti("a", data=b"x"), ti("a", "d"), ti("a/b", data=b"y"), ti("a", data=b"z"),
                ti("a", "l", link="../sentinel"), ti("a", "d"), ti("a/c", data=b"w")],
    "modes": [ti("d", "d", mode=0o000), ti("d/f", data=b"x", mode=0o4755),
              ti("d/g", data=b"x", mode=0o7777), ti(".", "d", mode=0o1777)],
    "root-entries": [ti("./", "d", mode=0o700), ti("/", "d"), ti("..", "d"), ti("", "f")],
}

LISTS = {
    "list-escape": "l s\t../sentinel\nfs/pwn\tx\nhh\tesc/secret\nfh\tpwned\n",
    "list-whiteout": "d d\nfd/f\tx\nf.wh.d\nf.wh.esc\nfesc/.wh.secret\nfup/.wh.sentinel\n",
    "list-xattr": "Xtrusted.overlay.opaque\ty\nd d\nXuser.a\tb\nfd/f\tx\nM4755\nfd/s\tx\n",
    "list-devices": "cdev/null\nbdev/sda\npdev/p\nfdev/p\tx\n",
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, entries in CASES.items():
        fmt = tarfile.GNU_FORMAT if name == "long-gnu" else tarfile.PAX_FORMAT
        try:
            data = tar(entries, fmt)
        except ValueError as e:
            print(f"store_seeds: {name}: {e}", file=sys.stderr)
            continue
        for sel in (0, 1, 2, 3):
            with open(os.path.join(out, f"{name}-{sel}"), "wb") as f:
                f.write(bytes([sel]) + data)
        with open(os.path.join(out, f"{name}-trunc"), "wb") as f:
            f.write(b"\x00" + data[: len(data) // 2 + 7])
        # extraction stops at the first refused entry: each entry also alone, after the
        # links and directories before it, so that every one of them is reached
        for k, (t, _) in enumerate(entries):
            pre = [e for e in entries[:k] if e[0].type in (tarfile.SYMTYPE, tarfile.DIRTYPE)]
            try:
                data = tar(pre + [entries[k]], fmt)
            except ValueError:
                continue
            for sel in (0, 1):
                with open(os.path.join(out, f"{name}-{k}-{sel}"), "wb") as f:
                    f.write(bytes([sel]) + data)
    # gzip streams as they are, so that mutations reach the inflater (ISA-L in
    # cache/layer_stream.c): whole, two members, trailing garbage, cut short
    for name in ("symlink-escape", "whiteouts", "long-pax"):
        data = tar(CASES[name])
        z = gzip.compress(data, mtime=0)
        half = len(data) // 2
        two = gzip.compress(data[:half], mtime=0) + gzip.compress(data[half:], mtime=0)
        for tag, blob in (("gz", z), ("gz2", two), ("gzjunk", z + b"junk" * 8),
                          ("gzcut", z[: len(z) * 2 // 3])):
            with open(os.path.join(out, f"{name}-{tag}"), "wb") as f:
                f.write(b"\x00" + blob)
    for name, text in LISTS.items():
        for sel in (4, 5, 6, 7):
            with open(os.path.join(out, f"{name}-{sel}"), "wb") as f:
                f.write(bytes([sel]) + text.encode())


if __name__ == "__main__":
    main()
