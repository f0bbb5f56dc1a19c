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
`compare.py --ref REF --each WORK CASES_DIR CASE...` compares many cases in one run: each
CASE's WORK/CASE.REF against WORK/CASE.bld with the case's known file (known-diff for
buildah, docker-known-diff for docker), writing the diff (empty when equal) to WORK/CASE.cmp.
"""
import difflib
import json
import os
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


def compare(ref, exp_path, got_path, known_path=None):
    """The unified diff of the expectation against bld's dump; "" when they agree."""
    exp, got = load(exp_path), load(got_path)
    known = []
    if known_path and os.path.exists(known_path):
        known = [l for l in load(known_path) if not l.startswith("#")]
    bld_paths = {l.split(" ")[1] for l in got if l.startswith("fs ")}
    if ref == "buildah":
        exp = undo_buildah(exp, bld_paths)
    exp = apply_known(exp, known)
    got = sorted(got, key=lambda l: (not l.startswith("config."), key(l)))
    if exp == got:
        return ""
    return "".join(difflib.unified_diff([l + "\n" for l in exp], [l + "\n" for l in got],
                                        "expected", "bld", n=1))


def each(ref, work, cases_dir, cases):
    """--each: every CASE with both WORK/CASE.REF and WORK/CASE.bld, in one process (a python
    start per case is slow on a loaded machine); writes WORK/CASE.cmp, empty when equal."""
    known_name = "docker-known-diff" if ref == "docker" else "known-diff"
    for c in cases:
        exp, got = os.path.join(work, c + "." + ref), os.path.join(work, c + ".bld")
        if not (os.path.getsize(exp) if os.path.exists(exp) else 0) or \
           not (os.path.getsize(got) if os.path.exists(got) else 0):
            continue
        d = compare(ref, exp, got, os.path.join(cases_dir, c, known_name))
        with open(os.path.join(work, c + ".cmp"), "w") as f:
            f.write(d)
    return 0


def main():
    args = sys.argv[1:]
    ref = "buildah"
    if args[:1] == ["--ref"]:
        ref, args = args[1], args[2:]
    if ref not in ("buildah", "docker"):
        sys.exit(__doc__)
    if args[:1] == ["--each"] and len(args) >= 3:
        return each(ref, args[1], args[2], args[3:])
    if len(args) not in (2, 3):
        sys.exit(__doc__)
    d = compare(ref, *args)
    sys.stdout.write(d)
    return 1 if d else 0


if __name__ == "__main__":
    sys.exit(main())
