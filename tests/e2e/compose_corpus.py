#!/usr/bin/python3
"""tests/e2e/compose_corpus.py — the checks of compose_corpus.sh, in one process.

  compose_corpus.py BLD SCHEMA DIR...

For each project directory: `BLD compose config --format json` run there; its output
validated against SCHEMA (python3-jsonschema); docker-compose 1.29.2's `config` (Debian's
python3-compose, called in this process: its start-up is most of its time) and, where it
accepts the file, the services, images, ports, volumes and environment of both compared
(compose_check.corpus_view). Prints one line a check, "ok NAME: WHAT" or "not ok NAME: WHAT:
WHY", and "v1-refused NAME" for a file docker-compose refuses.
"""
import contextlib
import io
import json
import os
import subprocess
import sys

import jsonschema
import yaml
from compose.cli.main import main as v1_main

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compose_check import corpus_view  # noqa: E402


def v1_config(directory):
    """docker-compose 1.29.2's config of the project in directory, or None when refused."""
    os.chdir(directory)
    sys.argv = ["docker-compose", "-p", "corpus", "config"]
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            v1_main()
        except SystemExit as e:
            code = e.code
    return yaml.safe_load(out.getvalue()) if code in (0, None) else None


def differences(v1, v2):
    a, b = corpus_view(v1), corpus_view(v2)
    if sorted(a) != sorted(b):
        return ["services: bld %r, docker-compose %r" % (sorted(b), sorted(a))]
    return ["services.%s.%s: bld %r, docker-compose %r" % (n, k, b[n][k], a[n][k])
            for n in sorted(b) for k in b[n] if a[n][k] != b[n][k]]


def check(bld, validator, directory):
    name = os.path.basename(os.path.normpath(directory))
    run = subprocess.run([bld, "compose", "-p", "corpus", "config", "--format", "json"],
                         cwd=directory, capture_output=True, text=True)
    if run.returncode != 0:
        print("not ok %s: bld compose config: %s" % (name, run.stderr.strip()))
        return
    v2 = json.loads(run.stdout)
    errors = sorted("/".join(map(str, e.absolute_path)) + ": " + e.message
                    for e in validator.iter_errors(v2))
    print(("not ok %s: the output validates against compose-spec.json: %s" % (name, errors))
          if errors else "ok %s: the output validates against compose-spec.json" % name)
    for svc in v2["services"].values():  # docker-compose wants the build contexts to exist
        ctx = svc.get("build", {}).get("context", "")
        if ctx.startswith("/"):
            os.makedirs(ctx, exist_ok=True)
    v1 = v1_config(directory)
    if v1 is None:
        print("v1-refused %s" % name)
        return
    diff = differences(v1, v2)
    what = "docker-compose 1.29.2 gives the same services, images, ports, volumes, environment"
    print(("not ok %s: %s: %s" % (name, what, "; ".join(diff))) if diff
          else "ok %s: %s" % (name, what))


def main(argv):
    with open(argv[2]) as f:
        validator = jsonschema.Draft7Validator(json.load(f))
    for directory in argv[3:]:
        check(argv[1], validator, directory)
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
