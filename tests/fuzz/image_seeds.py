#!/usr/bin/env python3
"""tests/fuzz/image_seeds.py DIR — writes the seed inputs of tests/fuzz/fuzz_image.c into
DIR (format: tests/fuzz/image_input.h): images as blobs (OCI and Docker manifests, an index,
configs, a layer; plus the real manifests and configs of the layouts tests/env/seed.sh
builds, $BLD_SEED_DIR or /var/tmp/bld-seed, when present) and image archives (docker-archive
and OCI, plain and gzip, with symlinked and hardlinked metadata and paths that climb)."""
import glob
import json
import os
import sys

OCI_M = "application/vnd.oci.image.manifest.v1+json"
OCI_I = "application/vnd.oci.image.index.v1+json"
OCI_C = "application/vnd.oci.image.config.v1+json"
OCI_L = "application/vnd.oci.image.layer.v1.tar"
DK_M = "application/vnd.docker.distribution.manifest.v2+json"
LAYER = "TAR:d etc\nfetc/hostname\tfuzz\nlbin\tusr/bin\n"


def manifest(cfg, layers, mt=OCI_M):
    return json.dumps({"schemaVersion": 2, "mediaType": mt,
                       "config": {"mediaType": OCI_C, "digest": f"sha256:${cfg}", "size": 2},
                       "layers": [{"mediaType": OCI_L, "digest": f"sha256:${n}", "size": 40}
                                  for n in layers]})


def config(layers):
    return json.dumps({"architecture": "amd64", "os": "linux",
                       "config": {"Env": ["PATH=/bin"], "Cmd": ["sh"]},
                       "rootfs": {"type": "layers",
                                  "diff_ids": [f"sha256:${n}" for n in layers]}})


def index(m):
    return json.dumps({"schemaVersion": 2, "mediaType": OCI_I, "manifests": [
        {"mediaType": OCI_M, "digest": f"sha256:${m}", "size": 2,
         "platform": {"os": "linux", "architecture": "arm64"}},
        {"mediaType": OCI_M, "digest": f"sha256:${m}", "size": 2,
         "platform": {"os": "linux", "architecture": "amd64"}}]})


BLOBS = {
    "oci": [manifest(1, [2]), config([2]), LAYER],
    "docker": [manifest(1, [2], DK_M), config([2]), LAYER],
    "index": [index(1), manifest(2, [3]), config([3]), LAYER],
    "nolayers": [manifest(1, []), config([])],
    "mismatch": [manifest(1, [2, 2]), config([2]), LAYER],
    "self-index": [json.dumps({"schemaVersion": 2, "manifests": [
        {"digest": "sha256:$0", "platform": {"os": "linux", "architecture": "amd64"}}]})],
}

DOCKER_MF = json.dumps([{"Config": "cfg.json", "RepoTags": ["fuzz:1"],
                         "Layers": ["l/layer.tar"]}])
OCI_IDX = json.dumps({"schemaVersion": 2, "manifests": [
    {"mediaType": OCI_M, "digest": "sha256:$1", "size": 2,
     "annotations": {"org.opencontainers.image.ref.name": "fuzz:1"}}]})
ARCHIVES = {
    "docker": ["manifest.json\n" + DOCKER_MF, "cfg.json\n" + config([2]),
               "l/layer.tar\n" + LAYER],
    "docker-links": ["manifest.json\nLINK:meta/m.json", "meta/m.json\n" + DOCKER_MF,
                     "cfg.json\nHARD:meta/c.json", "meta/c.json\n" + config([4]),
                     "l/layer.tar\nLINK:../../../l2", "l2\n" + LAYER],
    "docker-climb": ["manifest.json\n" + json.dumps([{"Config": "../../etc/passwd",
                                                      "Layers": ["/../x"]}])],
    "oci": ["index.json\n" + OCI_IDX, "blobs/sha256/$1\n" + manifest(2, [3]),
            "blobs/sha256/$2\n" + config([3]), "blobs/sha256/$3\n" + LAYER,
            'oci-layout\n{"imageLayoutVersion":"1.0.0"}'],
    "oci-missing": ["index.json\n" + OCI_IDX, "blobs/sha256/$1\n" + manifest(2, [3]),
                    "blobs/sha256/$2\n" + config([3]), "x\n" + LAYER],
    "oci-wrongname": ["index.json\n" + OCI_IDX, "blobs/sha256/$2\n" + manifest(2, []),
                      "blobs/sha256/$1\n" + config([])],
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)

    def put(name, sel, parts):
        data = b"\0".join(p.encode() if isinstance(p, str) else p for p in parts)
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes([sel]) + data)

    for name, parts in BLOBS.items():
        put(f"blobs-{name}", 0, parts)
    idx = {"schemaVersion": 2, "manifests": [
        {"mediaType": OCI_M, "digest": "sha256:$1", "size": 2,
         "annotations": {"org.opencontainers.image.ref.name": "fuzz.example/x:latest"}},
        {"mediaType": OCI_M, "digest": "sha256:$1", "size": 2},
        {"mediaType": OCI_I, "digest": "sha256:" + "0" * 64, "size": 2,
         "annotations": {"org.opencontainers.image.ref.name": "fuzz.example/z:1",
                         "dev.bld.original-manifest": "sha256:$2",
                         "dev.bld.repo-digest": "sha256:$1"}}]}
    put("index-json", 4, [json.dumps(idx), manifest(2, [3]), config([3]), LAYER])
    put("index-json-bad", 4, ['{"manifests":[{"digest":5},null,"x"]}', "{}"])
    for name, parts in ARCHIVES.items():
        put(f"archive-{name}", 1, parts)
        put(f"archive-{name}-gz", 3, parts)
    seed = os.environ.get("BLD_SEED_DIR", "/var/tmp/bld-seed")
    for layout in sorted(glob.glob(os.path.join(seed, "*"))):
        blobs = {}
        for p in glob.glob(os.path.join(layout, "blobs", "sha256", "*")):
            if os.path.getsize(p) <= 65536:
                try:
                    blobs[os.path.basename(p)] = (open(p, "rb").read(),
                                                  json.load(open(p, "rb")))
                except ValueError:
                    pass
        for hexd, (raw, doc) in blobs.items():
            cfg = (doc.get("config") or {}).get("digest", "")[7:]
            if cfg in blobs:
                put(f"real-{os.path.basename(layout)}-{hexd[:12]}", 0, [raw, blobs[cfg][0]])


if __name__ == "__main__":
    main()
