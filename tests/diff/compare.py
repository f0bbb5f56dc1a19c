#!/usr/bin/env python3
"""tests/diff/compare.py [--ref buildah|docker] EXPECTED BLD [KNOWN] — compares two
tests/diff/imgdump.py dumps: EXPECTED from the reference builder (buildah, the default, or
docker 20.10's BuildKit), BLD from bld. A case's KNOWN file (lines `config.FIELD=JSON` or
`fs PATH ...`) states current BuildKit's value where the reference departs from it; it
replaces the reference's line (or adds it). Where the reference is buildah, its known
departures from BuildKit are undone first, each with the BuildKit behaviour bld must show
instead:

  * buildah leaves empty /etc/hosts, /etc/hostname, /etc/resolv.conf (mode 0755) and /run
    in the image; BuildKit leaves nothing: they are dropped from the expectation, and bld
    must not have them either (unless the base image had them).
  * buildah adds an io.buildah.version label; BuildKit adds none.
  * its KNOWN file holds the rest (SHELL for shell-form CMD/ENTRYPOINT, backslashes in ENV
    with the backtick escape, WorkingDir "/" for scratch ...).

A KNOWN line `fs PATH -` removes PATH from the expectation (a path the reference leaves in
the image and current BuildKit does not, such as a RUN mount's stub in BuildKit 0.8).

Exit 0 when equal; otherwise prints a unified diff and exits 1.
"""
import difflib
import json
import sys

BUILDAH_STUBS = {"/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/run"}


def load(path):
    with open(path) as f:
        return [l.rstrip("\n") for l in f if l.strip()]


def key(line):
    if line.startswith("config."):
        return line.split("=", 1)[0]
    return "fs " + line.split(" ")[1]


def undo_buildah(lines, bld_paths):
    out = []
    for l in lines:
        if l.startswith("fs "):
            parts = l.split(" ")
            path, typ, size = parts[1], parts[2], parts[6]
            if path in BUILDAH_STUBS and path not in bld_paths and (typ == "dir" or size == "0"):
                continue
        if l.startswith("config.Labels="):
            labels = json.loads(l.split("=", 1)[1]) or {}
            labels.pop("io.buildah.version", None)
            l = "config.Labels=" + json.dumps(labels or None, sort_keys=True)
        out.append(l)
    return out


def apply_known(lines, known):
    by_key = {key(k): k for k in known}
    out = [by_key.pop(key(l), l) for l in lines]
    out.extend(by_key.values())
    out = [l for l in out if not (l.startswith("fs ") and l.split(" ")[2:] == ["-"])]
    return sorted(out, key=lambda l: (not l.startswith("config."), key(l)))


def main():
    args = sys.argv[1:]
    ref = "buildah"
    if args[:1] == ["--ref"]:
        ref, args = args[1], args[2:]
    if ref not in ("buildah", "docker") or len(args) not in (2, 3):
        sys.exit(__doc__)
    exp, got = load(args[0]), load(args[1])
    known = []
    if len(args) > 2:
        known = [l for l in load(args[2]) if not l.startswith("#")]
    bld_paths = {l.split(" ")[1] for l in got if l.startswith("fs ")}
    if ref == "buildah":
        exp = undo_buildah(exp, bld_paths)
    exp = apply_known(exp, known)
    got = sorted(got, key=lambda l: (not l.startswith("config."), key(l)))
    if exp == got:
        return 0
    sys.stdout.writelines(difflib.unified_diff([l + "\n" for l in exp], [l + "\n" for l in got],
                                               "expected", "bld", n=1))
    return 1


if __name__ == "__main__":
    sys.exit(main())
