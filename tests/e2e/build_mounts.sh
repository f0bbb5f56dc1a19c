#!/usr/bin/env bash
# tests/e2e/build_mounts.sh — what RUN --mount leaves in a layer, as BuildKit 0.11+ leaves it
# (moby/buildkit PRs 3307 and 3314): nothing. A target the image lacked is removed after the
# step with every parent made for it (a cache mount on /var/cache/thing in an image without
# /var leaves no /var), also through a symlink of the image; a directory the image had is not
# recorded just because a stub was made in it; a parent the command wrote into stays; what
# the command wrote into a mount is in no layer. Each RUN layer is read on its own.
. "$(dirname "$0")/lib.sh"

t_busybox_registry

# layers IMAGE [FROM] — "N PATH" for every entry of the image's layers from the FROM-th
# (1-based, default 2: the base's layer left out), N counting from FROM
layers() {
  python3 - "$BLD_ROOT/oci" "$1" "${2:-2}" <<'PY'
import json, os, sys, tarfile
lay, name, first = sys.argv[1], sys.argv[2], int(sys.argv[3])
blob = lambda d: os.path.join(lay, "blobs", *d.split(":", 1))
for m in json.load(open(os.path.join(lay, "index.json")))["manifests"]:
    if m.get("annotations", {}).get("org.opencontainers.image.ref.name", "").endswith("/" + name + ":latest"):
        for i, l in enumerate(json.load(open(blob(m["digest"])))["layers"][first - 1:]):
            with tarfile.open(blob(l["digest"])) as t:
                for e in t.getmembers():
                    print(i + 1, e.name)
PY
}

# --- 1. stubs on a busybox base (it has /etc, /usr, /var, no /var/cache, /mnt or /run) ---
ctx=$T_DIR/stubs
mkdir -p "$ctx" && echo data >"$ctx/f" && printf 's3cr3t' >"$T_DIR/secret"
cat >"$ctx/Dockerfile" <<DF
FROM $BASE
RUN --mount=type=cache,target=/var/cache/thing echo written-in-cache-7f3 > /var/cache/thing/y && echo 1 > /l1
RUN --mount=type=tmpfs,target=/usr/a/b/c echo x > /usr/a/b/c/y && echo 2 > /l2
RUN --mount=type=bind,source=f,target=/etc/n/f cat /etc/n/f > /l3
RUN --mount=type=secret,id=s cat /run/secrets/s > /dev/null && echo 4 > /l4
RUN ln -s /usr /lnk
RUN --mount=type=cache,target=/lnk/via/link,id=other echo 6 > /l6
RUN --mount=type=tmpfs,target=/mnt/t sh -c 'mkdir /mnt/own && echo x > /mnt/t/y'
RUN --mount=type=cache,target=/var/cache/thing,id=t2 --mount=type=tmpfs,target=/var/cache/thing/deeper echo 8 > /l8
RUN --mount=type=cache,target=/home/c,id=own,mode=0700,uid=5,gid=6 stat -c '%a %u %g' /home/c > /l9
DF
out=$("$BLD" build --secret id=s,src="$T_DIR/secret" -t stubs "$ctx" 2>&1)
t_eq "RUN steps with mounts on missing targets build" 0 "$?"
got=$(layers stubs)
t_eq "each RUN layer holds what its command wrote, and no mount stub or parent made for one" \
"1 l1
2 l2
3 l3
4 l4
5 lnk
6 l6
7 mnt
7 mnt/own
8 l8
9 l9" "$got"
t_eq "a cache mount's mode, uid and gid (as docker 20.10's BuildKit gives them)" "700 5 6" \
  "$("$BLD" run --rm --network none stubs cat /l9 2>&1)"
t_ok "nothing written into a cache or tmpfs mount is in a layer" \
  bash -c "! grep -rqs written-in-cache-7f3 '$BLD_ROOT/layers'"

# --- 2. an image without /var: the cache mount's parents go too ---
cat >"$ctx/Dockerfile" <<DF
FROM $BASE AS bb
FROM scratch
COPY --from=bb /bin/busybox /bin/busybox
RUN --mount=type=cache,target=/var/cache/thing ["/bin/busybox", "sh", "-c", "/bin/busybox echo x > /var/cache/thing/y; /bin/busybox echo > /done"]
RUN --mount=type=bind,source=f,target=/srv/data/f ["/bin/busybox", "cp", "/srv/data/f", "/copied"]
DF
out=$("$BLD" build -t stubs-scratch "$ctx" 2>&1)
t_eq "FROM scratch with mounts builds" 0 "$?"
t_eq "no /var, /srv, /etc, /proc, /dev or /sys in the RUN layers" "1 done
2 copied" "$(layers stubs-scratch)"

# --- 3. a cache mount from a stage: it starts as the stage's source directory, once ---
seeded() { # VALUE: the Dockerfile whose seed stage holds VALUE
  cat >"$ctx/Dockerfile" <<DF
FROM $BASE AS seed
RUN mkdir -p /data && echo $1 > /data/f && chown 5:6 /data
FROM $BASE
RUN --mount=type=bind,from=seed,source=/data,target=/b cat /b/f > /bound
RUN --mount=type=cache,target=/c,from=seed,source=/data cat /c/f > /got && stat -c '%u:%g' /c >> /got && echo again >> /c/f
DF
}
got() { "$BLD" run --rm --network none cache-from cat /bound /got 2>&1; }
seeded v1
out=$("$BLD" build -t cache-from "$ctx" 2>&1)
t_eq "RUN --mount=type=cache,from=STAGE,source=PATH builds" 0 "$?"
t_eq "the cache starts as the stage's directory, with its owner" "v1
v1
5:6" "$(got)"
out=$("$BLD" build --no-cache -t cache-from "$ctx" 2>&1)
t_eq "the cache keeps what a step wrote: it is seeded only when made" "v1
v1
again
5:6" "$(got)"
seeded v2
out=$("$BLD" build -t cache-from "$ctx" 2>&1)
t_eq "a changed stage reruns the steps mounting it and starts a new cache" "v2
v2
5:6" "$(got)"
