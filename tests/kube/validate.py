#!/usr/bin/env python3
"""tests/kube/validate.py [--schema SWAGGER] FILE... ('-' reads stdin)

Validates every document of each multi-document YAML file strictly against the Kubernetes
API's OpenAPI v2 document (tests/fixtures/kube/swagger.json, release 1.36), as
`kubectl apply --validate=strict` would against an API server of that release:

- the definition is the one whose x-kubernetes-group-version-kind names the document's
  apiVersion and kind (an unknown pair is an error);
- every $ref is followed (the definitions are one JSON Schema, draft 4);
- types and required fields are checked, null included (a field is a value or absent);
- a field a definition does not name is an error: `additionalProperties: false` is added to
  every schema that lists properties (maps such as labels keep their value schema; the few
  free-form definitions, RawExtension and the like, name no field and stay open);
- formats as the API server reads them: int-or-string is an integer or a string, int32 and
  int64 are bounded integers, byte is base64, a Quantity is a string of the quantity grammar;
- and what the server refuses beyond the schema for the objects bld writes: metadata.name is
  a DNS-1123 subdomain, label keys and values are valid label keys and values.

Prints one line per error, "FILE: document N (KIND NAME): PATH: MESSAGE", and exits 1 when
there is any, 2 when the input is not YAML; prints nothing and exits 0 when all is valid.
"""
import json
import os
import re
import sys

import jsonschema
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SCHEMA = os.path.join(HERE, "..", "fixtures", "kube", "swagger.json")
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
# the API server's quantity grammar (resource.ParseQuantity)
QUANTITY_RE = (r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)"
               r"(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$")
BASE64_RE = r"^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
SUBDOMAIN_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_NAME_RE = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
BOUNDS = {"int32": (-2**31, 2**31 - 1), "int64": (-2**63, 2**63 - 1)}


def strict(node):
    """The schema node with additionalProperties false and formats made checkable."""
    if isinstance(node, list):
        return [strict(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: strict(v) for k, v in node.items()
           if k not in ("description", "properties") and not k.startswith("x-kubernetes-")}
    if isinstance(node.get("properties"), dict):  # a map of names: each value a schema
        out["properties"] = {k: strict(v) for k, v in node["properties"].items()}
    fmt = node.get("format")
    if fmt == "int-or-string":
        out["type"] = ["integer", "string"]
        del out["format"]
    elif fmt in BOUNDS:
        out["minimum"], out["maximum"] = BOUNDS[fmt]
    elif fmt == "byte":
        out["pattern"] = BASE64_RE
    if "properties" in node and "additionalProperties" not in node:
        out["additionalProperties"] = False
    return out


def load_schema(path):
    with open(path) as f:
        defs = json.load(f)["definitions"]
    by_gvk = {}
    for name, d in defs.items():
        for gvk in d.get("x-kubernetes-group-version-kind", []):
            api = gvk["version"] if not gvk["group"] else gvk["group"] + "/" + gvk["version"]
            by_gvk[(api, gvk["kind"])] = name
    defs = {k: strict(v) for k, v in defs.items()}
    defs[QUANTITY]["pattern"] = QUANTITY_RE
    return defs, by_gvk


def label_errors(labels, where):
    """The API server's checks of label keys (optional DNS prefix, a name) and values."""
    errs = []
    for k, v in (labels or {}).items() if isinstance(labels, dict) else []:
        prefix, _, name = k.rpartition("/")
        if (len(name) > 63 or not LABEL_NAME_RE.match(name)
                or (prefix and (len(prefix) > 253 or not SUBDOMAIN_RE.match(prefix)))):
            errs.append("%s: invalid label key %r" % (where, k))
        if isinstance(v, str) and v and (len(v) > 63 or not LABEL_NAME_RE.match(v)):
            errs.append("%s.%s: invalid label value %r" % (where, k, v))
    return errs


def semantic_errors(doc):
    errs = []
    meta = doc.get("metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str):
        return ["metadata.name: required"]
    name = meta["name"]
    if len(name) > 253 or not SUBDOMAIN_RE.match(name):
        errs.append("metadata.name: %r is not a DNS-1123 subdomain" % name)
    errs += label_errors(meta.get("labels"), "metadata.labels")
    tmpl = ((doc.get("spec") or {}).get("template") or {}) if isinstance(doc.get("spec"), dict) else {}
    if isinstance(tmpl, dict) and isinstance(tmpl.get("metadata"), dict):
        errs += label_errors(tmpl["metadata"].get("labels"), "spec.template.metadata.labels")
    return errs


def path_text(path):
    return ".".join(str(p) for p in path) or "(document)"


def document_errors(doc, defs, by_gvk):
    if not isinstance(doc, dict):
        return ["(document): not a mapping"]
    key = (doc.get("apiVersion"), doc.get("kind"))
    if key not in by_gvk:
        return ["(document): no definition for apiVersion %r kind %r" % key]
    schema = {"$ref": "#/definitions/" + by_gvk[key], "definitions": defs}
    v = jsonschema.Draft4Validator(schema)
    errs = ["%s: %s" % (path_text(e.absolute_path), e.message)
            for e in sorted(v.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))]
    return errs + semantic_errors(doc)


def main(argv):
    schema_path = DEFAULT_SCHEMA
    if len(argv) > 2 and argv[1] == "--schema":
        schema_path = argv[2]
        argv = argv[2:]
    if len(argv) < 2:
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    defs, by_gvk = load_schema(schema_path)
    bad = 0
    for path in argv[1:]:
        try:
            text = sys.stdin.read() if path == "-" else open(path).read()
            docs = [d for d in yaml.safe_load_all(text) if d is not None]
        except (OSError, yaml.YAMLError) as e:
            print("%s: %s" % (path, str(e).replace("\n", " ")))
            return 2
        for i, doc in enumerate(docs, 1):
            meta = doc.get("metadata") if isinstance(doc, dict) else None
            name = meta.get("name") if isinstance(meta, dict) else None
            kind = doc.get("kind") if isinstance(doc, dict) else None
            for e in document_errors(doc, defs, by_gvk):
                print("%s: document %d (%s %s): %s" % (path, i, kind, name, e))
                bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
