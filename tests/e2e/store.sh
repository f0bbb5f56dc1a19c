#!/usr/bin/env bash
# The image store from the command line: import a busybox rootfs, list, tag, inspect,
# history, read the layout with skopeo and umoci, rmi and prune with garbage collection,
# and `bld system check` catching a damaged blob.
. "$(dirname "$0")/lib.sh"

rootfs=$T_DIR/rootfs
mkdir -p "$rootfs/bin" "$rootfs/etc"
cp /bin/busybox "$rootfs/bin/busybox"
ln -s busybox "$rootfs/bin/sh"
echo "root:x:0:0:root:/root:/bin/sh" >"$rootfs/etc/passwd"
tar -C "$rootfs" -czf "$T_DIR/rootfs.tgz" .

id=$("$BLD" import -c 'CMD ["sh"]' -m "test rootfs" "$T_DIR/rootfs.tgz" busybox 2>&1)
t_match "import prints the image id" '^sha256:[0-9a-f]{64}$' "$id"
short=${id:7:12}
out=$("$BLD" images)
t_match "images lists busybox latest" "^busybox +latest +$short " "$(sed -n 2p <<<"$out")"
t_eq "images -q" "$short" "$("$BLD" images -q)"
t_eq "images --format" "busybox:latest $short" "$("$BLD" images --format '{{.Repository}}:{{.Tag}} {{.ID}}')"

t_ok "tag" "$BLD" tag busybox 127.0.0.1:5000/tools/bb:1.0
t_eq "inspect RepoTags" '["127.0.0.1:5000/tools/bb:1.0","busybox:latest"]' \
  "$("$BLD" inspect -f '{{json .RepoTags}}' "$short" | jq -c 'sort')"
insp=$("$BLD" inspect busybox)
t_eq "inspect Id" "$id" "$(jq -r '.[0].Id' <<<"$insp")"
t_eq "inspect Config.Cmd" '["sh"]' "$(jq -c '.[0].Config.Cmd' <<<"$insp")"
t_eq "inspect Os/Architecture" "linux/amd64" "$(jq -r '.[0].Os + "/" + .[0].Architecture' <<<"$insp")"
t_eq "inspect RootFS has one layer" "1" "$(jq '.[0].RootFS.Layers | length' <<<"$insp")"
t_exit "inspect of a missing image exits 1" 1 "$BLD" inspect nosuchimage
t_match "history shows the import message" "test rootfs" "$("$BLD" history busybox)"

# the layout is a real OCI layout under fully qualified names
sk=$(skopeo inspect "oci:$BLD_ROOT/oci:docker.io/library/busybox:latest" 2>&1)
t_eq "skopeo inspect oci: reads the image" "1" "$(jq '.Layers | length' <<<"$sk" 2>/dev/null)"
t_ok "skopeo inspect oci: with a host:port name" \
  skopeo inspect "oci:$BLD_ROOT/oci:127.0.0.1:5000/tools/bb:1.0"
t_ok "umoci unpacks the image" umoci unpack --image "$BLD_ROOT/oci:docker.io/library/busybox:latest" "$T_DIR/umoci"
t_ok "umoci's rootfs has busybox" test -x "$T_DIR/umoci/rootfs/bin/busybox"
rm -rf "$T_DIR/umoci"

# import from stdin; the old image keeps living unnamed until pruned
t_ok "rmi by tag only untags" "$BLD" rmi 127.0.0.1:5000/tools/bb:1.0
t_eq "the image is still there" "$short" "$("$BLD" images -q)"
id2=$("$BLD" import -c 'CMD ["echo","two"]' - busybox <"$T_DIR/rootfs.tgz")
t_match "import from stdin" '^sha256:' "$id2"
t_match "the replaced image is dangling" '^<none> +<none> ' "$("$BLD" images | grep '<none>')"
t_ok "system check is clean" "$BLD" system check
out=$("$BLD" image prune -f)
t_match "image prune removes the dangling image" "deleted: $id" "$out"
t_match "image prune reports reclaimed space" "Total reclaimed space: [0-9.]+[kMG]?B" "$out"
t_eq "only the new image is left" "${id2:7:12}" "$("$BLD" images -q)"

# damage is detected
blob=$(ls "$BLD_ROOT/oci/blobs/sha256" | head -1)
cp "$BLD_ROOT/oci/blobs/sha256/$blob" "$T_DIR/blob.bak"
echo garbage >>"$BLD_ROOT/oci/blobs/sha256/$blob"
t_exit "system check finds a damaged blob" 1 "$BLD" system check
t_match "system check names it" "blob sha256:$blob is damaged" "$("$BLD" system check 2>&1)"
cp "$T_DIR/blob.bak" "$BLD_ROOT/oci/blobs/sha256/$blob"
t_ok "system check is clean again" "$BLD" system check

# docker-archive: bld save -> skopeo / bld load, skopeo docker-archive -> bld load
t_ok "save -o" "$BLD" save -o "$T_DIR/save.tar" busybox
t_eq "save writes docker's manifest.json" '["busybox:latest"]' \
  "$(tar -xOf "$T_DIR/save.tar" manifest.json | jq -c '.[0].RepoTags')"
t_ok "skopeo inspect docker-archive: reads bld save" skopeo inspect "docker-archive:$T_DIR/save.tar"
t_ok "skopeo copy docker-archive: reads bld save" \
  skopeo copy "docker-archive:$T_DIR/save.tar" "oci:$T_DIR/sk:copied"
t_ok "skopeo writes a docker-archive" \
  skopeo copy "oci:$T_DIR/sk:copied" "docker-archive:$T_DIR/sk.tar:other/name:7"
t_match "bld load reads skopeo's docker-archive" "^Loaded image: other/name:7$" \
  "$("$BLD" load -i "$T_DIR/sk.tar")"
t_ok "the loaded image unpacks with umoci" \
  umoci unpack --image "$BLD_ROOT/oci:docker.io/other/name:7" "$T_DIR/u2"
t_ok "the loaded image has busybox" test -x "$T_DIR/u2/rootfs/bin/busybox"
rm -rf "$T_DIR/u2"
t_ok "skopeo writes an oci-archive" \
  skopeo copy "oci:$T_DIR/sk:copied" "oci-archive:$T_DIR/oa.tar:oci/arch:1"
t_match "bld load reads an OCI archive" "^Loaded image: oci/arch:1$" "$("$BLD" load <"$T_DIR/oa.tar")"
"$BLD" rmi busybox >/dev/null
t_match "bld load restores a saved image" "^Loaded image: busybox:latest$" \
  "$("$BLD" load -i "$T_DIR/save.tar")"
t_eq "with the same image id" "$id2" "$("$BLD" inspect -f '{{.Id}}' busybox)"
t_ok "save | load through a pipe" bash -c "'$BLD' save busybox | '$BLD' load -q"
# a layer that does not match the config's diff id is refused, and nothing gets a name
mkdir "$T_DIR/bad" && tar -C "$T_DIR/bad" -xf "$T_DIR/save.tar"
layer=$(ls "$T_DIR"/bad/*/layer.tar | head -1)
echo evil >"$T_DIR/evil" && tar -C "$T_DIR" -rf "$layer" evil
tar -C "$T_DIR/bad" -cf "$T_DIR/bad.tar" .
before=$("$BLD" images -q | sort | tr '\n' ' ')
err=$("$BLD" load -i "$T_DIR/bad.tar" 2>&1)
t_match "load of a tampered layer fails with a digest error" "does not match diff id" "$err"
t_eq "and changes no name" "$before" "$("$BLD" images -q | sort | tr '\n' ' ')"
t_exit "load of garbage fails" 1 "$BLD" load -i /etc/hostname
t_ok "system check is clean after loads" "$BLD" system check
"$BLD" rmi other/name:7 oci/arch:1 >/dev/null

out=$("$BLD" rmi busybox)
t_match "rmi untags and deletes" "Deleted: $id2" "$out"
t_eq "no blobs left after rmi" "0" "$(ls "$BLD_ROOT/oci/blobs/sha256" | wc -l)"
t_exit "rmi of a missing image exits 1" 1 "$BLD" rmi busybox
t_match "system df" "^Images +0 " "$("$BLD" system df | sed -n 2p)"

# import from a URL (a local HTTP server on a free port)
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$T_DIR" >"$T_DIR/http.log" 2>&1 &
http_pid=$!
at_exit "kill $http_pid 2>/dev/null; wait $http_pid 2>/dev/null"
for _ in $(seq 300); do grep -q "port [0-9]" "$T_DIR/http.log" && break; sleep 0.1; done
port=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$T_DIR/http.log" | head -1)
uid=$("$BLD" import "http://127.0.0.1:$port/rootfs.tgz" fromurl:1 2>&1)
t_match "import from a URL" '^sha256:[0-9a-f]{64}$' "$uid"
t_match "its history names the URL" "Imported from http://127.0.0.1:$port/rootfs.tgz" \
  "$("$BLD" history --no-trunc fromurl:1)"
t_exit "import from a missing URL fails" 1 "$BLD" import "http://127.0.0.1:$port/nope.tgz" x:1
"$BLD" rmi fromurl:1 >/dev/null

# images that containers use: rmi refuses without -f; forced, the layers stay for the container
"$BLD" import -c 'CMD ["sh"]' "$T_DIR/rootfs.tgz" inuse:1 >/dev/null
cid=$("$BLD" create inuse:1 true 2>&1 | tail -1)
if [[ "$cid" =~ ^[0-9a-f]{64}$ ]]; then
  at_exit "'$BLD' rm -f $cid >/dev/null 2>&1"
  t_exit "rmi of an image a container uses is refused" 1 "$BLD" rmi inuse:1
  t_match "system df counts it active" "^Images +[0-9]+ +1 " "$("$BLD" system df | sed -n 2p)"
  t_ok "image prune -a keeps it" bash -c "'$BLD' image prune -a -f >/dev/null && '$BLD' images -q | grep -q ."
  layers_before=$(ls "$BLD_ROOT/layers" | wc -l)
  t_ok "rmi -f removes it" "$BLD" rmi -f inuse:1
  t_eq "but its unpacked layers stay for the container" "$layers_before" "$(ls "$BLD_ROOT/layers" | wc -l)"
  "$BLD" rm -f "$cid" >/dev/null 2>&1
  "$BLD" image prune -a -f >/dev/null
  t_eq "after the container is gone prune frees them" "0" "$(ls "$BLD_ROOT/layers" | wc -l)"
else
  t_fail "bld create for the in-use checks" "$cid"
fi

# kill -9 in the middle of imports and loads: the store stays consistent and GC cleans up
mkdir -p "$T_DIR/bigfs" && head -c 12000000 /dev/urandom >"$T_DIR/bigfs/blob"
tar -C "$T_DIR/bigfs" -cf "$T_DIR/big.tar" .
for i in 1 2 3 4 5 6; do
  "$BLD" import "$T_DIR/big.tar" big:$i >/dev/null 2>&1 &
  pid=$!
  sleep "0.$((RANDOM % 6))$((RANDOM % 10))"
  kill -9 $pid 2>/dev/null
  wait $pid 2>/dev/null
done
t_ok "system check is clean after killed imports" "$BLD" system check
"$BLD" image prune -a -f >/dev/null
t_eq "prune leaves no partial files" "0" "$(ls -A "$BLD_ROOT/oci/ingest" | wc -l)"
t_eq "prune leaves no blobs" "0" "$(ls -A "$BLD_ROOT/oci/blobs/sha256" | wc -l)"
t_eq "index.json is valid and empty" "0" "$(jq '.manifests | length' "$BLD_ROOT/oci/index.json")"
