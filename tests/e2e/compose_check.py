#!/usr/bin/env python3
"""tests/e2e/compose_check.py — checks of `bld compose config` output for compose_config.sh.

  schema SCHEMA OUT.json          OUT validates against compose-spec.json (python3-jsonschema)
  expect WANT.json OUT.json DIR   OUT equals WANT (key order included), @DIR@ standing for DIR
  yaml OUT.yaml OUT.json          the YAML output reads back (PyYAML) as the JSON output's data
  v1 V1.yaml OUT.json             docker-compose 1.29.2's `config` agrees with OUT on the
                                  attributes both normalise alike (V1_AGREES); see
                                  tests/fixtures/compose/README.md for where they differ
  corpus V1.yaml OUT.json         docker-compose 1.29.2's `config` and OUT have the same
                                  services, images, ports, volumes and environment (each
                                  written in its own form: compared as tuples)
Prints what differs and exits 1 when a check fails.
"""
import json
import sys

import jsonschema
import yaml

# Service attributes docker-compose 1.29.2 writes as docker compose v2 does.
V1_AGREES = ["image", "restart", "environment", "labels", "build.context", "ulimits",
             "entrypoint", "user", "working_dir", "container_name", "cap_add", "init"]


def load_ordered(path):
    with open(path) as f:
        return json.load(f, object_pairs_hook=list)


def check_schema(schema_path, out_path):
    with open(schema_path) as f:
        schema = json.load(f)
    with open(out_path) as f:
        doc = json.load(f)
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc), key=str)
    for e in errors:
        print("%s: %s" % ("/".join(map(str, e.absolute_path)), e.message))
    return not errors


def check_expect(want_path, out_path, directory):
    with open(want_path) as f:
        want = json.loads(f.read().replace("@DIR@", directory), object_pairs_hook=list)
    got = load_ordered(out_path)
    if want != got:
        print("want: " + json.dumps(want))
        print("got:  " + json.dumps(got))
    return want == got


def check_yaml(yaml_path, json_path):
    with open(yaml_path) as f:
        from_yaml = yaml.safe_load(f)
    with open(json_path) as f:
        from_json = json.load(f)
    # JSON always has command/entrypoint (null when unset); YAML omits them, as v2
    for svc in from_json.get("services", {}).values():
        for key in ("command", "entrypoint"):
            if svc.get(key) is None:
                svc.pop(key, None)
    if from_yaml != from_json:
        print("yaml: " + json.dumps(from_yaml, sort_keys=True))
        print("json: " + json.dumps(from_json, sort_keys=True))
    return from_yaml == from_json


def attr(svc, dotted):
    for key in dotted.split("."):
        if not isinstance(svc, dict) or key not in svc:
            return None
        svc = svc[key]
    return svc


def check_v1(v1_path, json_path):
    with open(v1_path) as f:
        v1 = yaml.safe_load(f)
    with open(json_path) as f:
        v2 = json.load(f)
    ok = True
    for name, svc in v2["services"].items():
        for a in V1_AGREES:
            want, got = attr(svc, a), attr(v1["services"].get(name, {}), a)
            if want != got:
                print("services.%s.%s: bld %r, docker-compose 1.29.2 %r" % (name, a, want, got))
                ok = False
        conds = {k: v["condition"] for k, v in svc.get("depends_on", {}).items()}
        v1conds = {k: v["condition"] for k, v in v1["services"][name].get("depends_on", {}).items()}
        if conds != v1conds:
            print("services.%s.depends_on: bld %r, docker-compose %r" % (name, conds, v1conds))
            ok = False
    for section in ("volumes", "secrets", "configs"):
        if sorted(v2.get(section, {})) != sorted(v1.get(section, {})):
            print("%s: bld %r, docker-compose %r" % (section, sorted(v2.get(section, {})),
                                                    sorted(v1.get(section, {}))))
            ok = False
    return ok


def v1_port(p):
    """A port of either output as (host_ip, published, target, protocol)."""
    if isinstance(p, str):  # v1 keeps the short form of one with a host IP: IP:PUB:TARGET/PROTO
        spec, _, proto = p.partition("/")
        ip, pub, target = spec.rsplit(":", 2)
        return (ip, pub, int(target), proto or "tcp")
    pub = p.get("published")
    return (p.get("host_ip") or "", "" if pub is None else str(pub), int(p["target"]),
            p.get("protocol") or "tcp")


def v1_volume(v):
    """A volume of either output as (source, target, read_only)."""
    if isinstance(v, str):  # v1: SOURCE:TARGET:MODE, TARGET alone for an anonymous one
        parts = v.split(":")
        if len(parts) == 1:
            return ("", parts[0], False)
        mode = parts[2].split(",") if len(parts) > 2 else []
        return (parts[0], parts[1], "ro" in mode)
    return (v.get("source") or "", v["target"], bool(v.get("read_only")))


def corpus_view(doc):
    """What both compose versions must agree on: services, images, ports, volumes, environment."""
    view = {}
    for name, svc in (doc.get("services") or {}).items():
        if svc.get("profiles"):  # v1's config keeps the services no profile enables; v2 drops them
            continue
        env = svc.get("environment") or {}
        if isinstance(env, list):  # KEY=VALUE, or KEY alone (unset)
            env = dict((e.split("=", 1) + [None])[:2] for e in env)
        view[name] = {
            "image": svc.get("image"),
            "ports": sorted(map(v1_port, svc.get("ports") or []), key=str),
            "volumes": sorted(map(v1_volume, svc.get("volumes") or []), key=str),
            "environment": {k: None if v is None else str(v) for k, v in env.items()},
        }
    return view


def check_corpus(v1_path, json_path):
    with open(v1_path) as f:
        v1 = corpus_view(yaml.safe_load(f))
    with open(json_path) as f:
        v2 = corpus_view(json.load(f))
    ok = sorted(v1) == sorted(v2)
    if not ok:
        print("services: bld %r, docker-compose 1.29.2 %r" % (sorted(v2), sorted(v1)))
    for name in sorted(set(v1) & set(v2)):
        for key in v2[name]:
            if v2[name][key] != v1[name][key]:
                print("services.%s.%s: bld %r, docker-compose 1.29.2 %r"
                      % (name, key, v2[name][key], v1[name][key]))
                ok = False
    return ok


def main(argv):
    checks = {"schema": check_schema, "expect": check_expect, "yaml": check_yaml, "v1": check_v1,
              "corpus": check_corpus}
    return 0 if checks[argv[1]](*argv[2:]) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
