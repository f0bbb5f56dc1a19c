#!/usr/bin/env bash
# tests/e2e/api_images.sh — the image endpoints of `bld system service` driven by Debian's
# docker 20.10 CLI, each command's output compared with what the same CLI prints against a
# private dockerd for the same sequence on the same image of a private registry (IDs and
# times masked): pull (first and again), images (with --digests, -q, a repository argument,
# --filter dangling/reference), image inspect, tag, rmi (untag, delete, an image a container
# uses refused, no such image), import (of bld's export, with changes and a message; from a URL), image
# prune (dangling, label and until filters, -a), and that the store is the CLI's
# (bld images sees the pull).
. "$(dirname "$0")/lib.sh"

t_busybox_registry
"$TOP/tests/env/dockerd.sh" start "$T_DIR/dockerd" || { t_fail "start dockerd"; exit 1; }
at_exit "'$TOP/tests/env/dockerd.sh' stop '$T_DIR/dockerd'"
. "$T_DIR/dockerd/env"
at_exit '$DOCKER rm -f $($DOCKER ps -aq) >/dev/null 2>&1'
at_exit '"$BLD" rm -f $("$BLD" ps -aq) >/dev/null 2>&1'
D() { "$DOCKER" "$@"; }
t_api_service
# both CMD...: the command's output and status through bld's socket, then through dockerd
both() { BO=$(DK "$@" 2>&1; echo "rc=$?"); DO=$(D "$@" 2>&1; echo "rc=$?"); }
mask() { sed -E 's/sha256:[0-9a-f]{64}/sha256:H/g; s/\b[0-9a-f]{12}\b/ID/g; s/[0-9]+ (years|months|weeks|days|hours|minutes|seconds) ago/T ago/; s/  +/ /g'; }

both pull "$BASE"
t_eq "docker pull: the lines dockerd's pull prints (per-layer progress aside)" \
  "$(grep -v -E 'Pulling fs layer|Pull complete|Downloading|Download complete|Extract|Verifying|Waiting|Already exists' <<<"$DO" | mask)" \
  "$(mask <<<"$BO")"
t_eq "... the image is in the store bld's CLI reads" "$BASE" "$(B() { "$BLD" "$@"; }; B images --format '{{.Repository}}:{{.Tag}}')"
both pull "$BASE"
t_eq "docker pull again: up to date, as dockerd" "$(mask <<<"$DO")" "$(mask <<<"$BO")"
both pull "$REG_ADDR/library/nosuch"
t_eq "docker pull of an image the registry lacks fails as dockerd's (exit 1)" "$(tail -1 <<<"$DO")" "$(tail -1 <<<"$BO")"
t_match "... with the registry's why" "Error response from daemon: .*not found" "$BO"

both images
t_eq "docker images: dockerd's table" "$(mask <<<"$DO")" "$(mask <<<"$BO")"
both images --digests
t_eq "docker images --digests" "$(mask <<<"$DO")" "$(mask <<<"$BO")"
both images -q --no-trunc
t_eq "docker images -q --no-trunc: the same image ID as dockerd (the same config)" "$DO" "$BO"
both tag "$BASE" api/t:1
t_eq "docker tag" "$DO" "$BO"
both tag "$BASE" api/t:2
both images api/t
t_eq "docker images REPO (a reference filter on the daemon's side)" "$(mask <<<"$DO")" "$(mask <<<"$BO")"
both images --filter reference='api/*:1'
t_eq "docker images --filter reference=PATTERN" "$(mask <<<"$DO")" "$(mask <<<"$BO")"
both images --filter dangling=true
t_eq "docker images --filter dangling=true: none" "$(mask <<<"$DO")" "$(mask <<<"$BO")"
q='.[0] | {Id, RepoTags, RepoDigests, Created, Os, Architecture, Size, RootFS, C: .Config.Cmd, E: .Config.Env}'
t_eq "docker image inspect: dockerd's fields" "$(D image inspect api/t:1 | jq -S "$q")" "$(DK image inspect api/t:1 | jq -S "$q")"
both image inspect nosuch
t_eq "docker image inspect of no such image, as dockerd" "$DO" "$BO"

D run --name user --network=none api/t:2 true >/dev/null 2>&1
"$BLD" run --name user --network none api/t:2 true >/dev/null 2>&1
both rmi api/t:1
t_eq "docker rmi NAME: untagged (the image has other names), as dockerd" "$DO" "$BO"
both rmi "$(DK images -q api/t:2)"
t_eq "docker rmi ID of an image a container uses: refused, exit 1" \
  "$(sed -E 's/(container|image) [0-9a-f]{12}/\1 ID/g; s/\(cannot be forced\) - //' <<<"$DO" | grep -o 'rc=.*')" \
  "$(grep -o 'rc=.*' <<<"$BO")"
t_match "... a conflict in docker's words" "Error response from daemon: conflict: unable to (delete|remove)" "$BO"
both rmi nosuch
t_eq "docker rmi of no such image, as dockerd" "$DO" "$BO"
"$BLD" rm user >/dev/null; D rm user >/dev/null
both rmi api/t:2 "$BASE"
# dockerd also lists the repository's digest reference it untags; bld removes it unlisted
t_eq "docker rmi of the last names: untagged and deleted, as dockerd" \
  "$(mask <<<"$DO" | grep -v -e '^Deleted: sha256:H$' -e '@sha256:H$' | sort)" \
  "$(mask <<<"$BO" | grep -v '^Deleted: sha256:H$' | sort)"
t_match "... the image deleted" "Deleted: sha256:" "$BO"
t_eq "... gone from the store" "" "$("$BLD" images -q)"

# ------------------------------------------------------------------ import, image prune
both pull -q "$BASE"
DK create --name exp --network none "$BASE" >/dev/null && DK export -o "$T_DIR/exp.tar" exp && DK rm exp >/dev/null
both import -c 'CMD ["echo", "hi"]' -c 'ENV A=1' -m note "$T_DIR/exp.tar" api/imp:1
t_eq "docker import FILE NAME: the image ID printed, as dockerd" "$(mask <<<"$DO")" "$(mask <<<"$BO")"
q='.[0] | {RepoTags, Comment, Os, Architecture, C: .Config.Cmd, E: .Config.Env, L: (.RootFS.Layers | length)}'
t_eq "... with the changes and message, as dockerd's" "$(D image inspect api/imp:1 | jq -S "$q")" "$(DK image inspect api/imp:1 | jq -S "$q")"
t_eq "... its history, as dockerd's" "$(D history --format '{{.CreatedBy}}|{{.Comment}}' api/imp:1)" \
  "$(DK history --format '{{.CreatedBy}}|{{.Comment}}' api/imp:1)"
both run --rm --network none api/imp:1
t_eq "... it runs, as dockerd's" "$DO" "$BO"
BO=$(DK import - <"$T_DIR/exp.tar" 2>&1; echo "rc=$?"); DO=$(D import - <"$T_DIR/exp.tar" 2>&1; echo "rc=$?")
t_eq "docker import - (the tar on stdin, unnamed), as dockerd" "$(mask <<<"$DO")" "$(mask <<<"$BO")"
DK rmi api/imp:1 "${BO%%$'\n'*}" >/dev/null; D rmi api/imp:1 "${DO%%$'\n'*}" >/dev/null
# docker import URL: the tar served over HTTP on 127.0.0.1, fetched by the service
mkdir -p "$T_DIR/www" && cp "$T_DIR/exp.tar" "$T_DIR/www/"
python3 -c 'import http.server,functools,sys
h=functools.partial(http.server.SimpleHTTPRequestHandler,directory=sys.argv[1])
s=http.server.HTTPServer(("127.0.0.1",0),h); open(sys.argv[2],"w").write(str(s.server_port)); s.serve_forever()' \
  "$T_DIR/www" "$T_DIR/www.port" 2>/dev/null &
at_exit "kill $!"
for _ in $(seq 50); do [ -s "$T_DIR/www.port" ] && break; sleep 0.1; done
url=http://127.0.0.1:$(cat "$T_DIR/www.port")
both import -c 'CMD ["echo", "from-url"]' "$url/exp.tar" api/url:1
t_eq "docker import URL NAME: the image ID printed, as dockerd" "$(mask <<<"$DO" | tail -1)" "$(mask <<<"$BO" | tail -1)"
t_eq "... the same image, as dockerd's" "$(D image inspect api/url:1 | jq -S "$q")" "$(DK image inspect api/url:1 | jq -S "$q")"
both run --rm --network none api/url:1
t_eq "... it runs, as dockerd's" "$DO" "$BO"
both import "$url/none.tar" api/url:2
t_eq "docker import of a URL that answers 404: refused, as dockerd" "$(tail -1 <<<"$DO")" "$(tail -1 <<<"$BO")"
both rmi api/url:1
both tag "$BASE" api/t:3
DK run --name user --network none api/t:3 true >/dev/null 2>&1
D run --name user --network=none api/t:3 true >/dev/null 2>&1
for n in 1 2; do
  DK build -q - <<<"FROM $BASE
LABEL pruned=$n" >/dev/null; D build -q - <<<"FROM $BASE
LABEL pruned=$n" >/dev/null
done
pmask() { mask | sed -E 's/space: .*/space: S/'; }
both image prune -f --filter label=other
t_eq "docker image prune --filter label=K: no dangling image has it, none deleted, as dockerd" "$(pmask <<<"$DO")" "$(pmask <<<"$BO")"
both image prune -f --filter label=pruned=1 --filter label!=pruned=2
t_eq "... label=K=V, label!=K=V: the one dangling image that matches deleted, as dockerd" "$(pmask <<<"$DO")" "$(pmask <<<"$BO")"
t_eq "... the other stays, as dockerd's" "$(D images -f dangling=true -q | wc -l)" "$(DK images -f dangling=true -q | wc -l)"
both image prune -f
t_eq "docker image prune: the dangling image deleted, as dockerd" "$(pmask <<<"$DO")" "$(pmask <<<"$BO")"
t_eq "... the named ones stay" "$(D images --format '{{.Repository}}:{{.Tag}}' | sort)" \
  "$(DK images --format '{{.Repository}}:{{.Tag}}' | sort)"
both image prune -f --filter nope=1
t_eq "docker image prune --filter of a key dockerd does not know: refused, as dockerd" "$DO" "$BO"
# dockerd untags every name of it but the last (lexically): bld leaves it as it is
both image prune -a -f
t_eq "docker image prune -a: an image a container uses is not deleted, as dockerd" \
  "$(grep -c '^deleted:' <<<"$DO")" "$(grep -c '^deleted:' <<<"$BO")"
t_eq "... nor its names untagged (dockerd untags all but the last)" "rc=0" "$(DK image inspect "$BASE" >/dev/null; echo "rc=$?")"
"$BLD" rm user >/dev/null; D rm user >/dev/null
# until=: the base image was made at 2024-01-01T00:00:00Z (tests/env/seed.sh); one imported
# now is younger than any until= but one to come
both import "$T_DIR/exp.tar" api/new:1
both import -c 'LABEL gone=1' "$T_DIR/exp.tar" api/lab:1
both image prune -a -f --filter label=gone=1
t_eq "docker image prune -a --filter label=K=V: the named image with it deleted, as dockerd" \
  "$(pmask <<<"$DO" | grep -e '^untagged: ' -e '^deleted: sha256:H$' | uniq)" \
  "$(pmask <<<"$BO" | grep -e '^untagged: ' -e '^deleted: sha256:H$' | uniq)"
both image prune -a -f --filter until=2023-12-31T23:59:59Z
t_eq "docker image prune -a --filter until=TIME: the images made after it stay, as dockerd" \
  "$(pmask <<<"$DO")" "$(pmask <<<"$BO")"
both image prune -a -f --filter until=1h
t_eq "... until=1h: the unused image made before deleted, its names untagged, as dockerd" \
  "$(pmask <<<"$DO" | grep -e '^untagged: api/t:3$' -e '^Deleted Images:' -e '^deleted: sha256:H$' | uniq)" \
  "$(pmask <<<"$BO" | grep -e '^untagged: api/t:3$' -e '^Deleted Images:' -e '^deleted: sha256:H$' | uniq)"
t_eq "... the one made within the hour stays, as dockerd's" "$(D images --format '{{.Repository}}:{{.Tag}}')" \
  "$(DK images --format '{{.Repository}}:{{.Tag}}')"
both image prune -a -f --filter until=yesterday
t_eq "... until= neither a time nor a duration: refused, as dockerd" "$DO" "$BO"
both image prune -a -f --filter until=1h --filter until=2h
t_eq "... two until=: refused, as dockerd" "$DO" "$BO"
both image prune -a -f --filter "until=$(date +%s.%N)"
t_eq "... until=unix seconds now: the new one deleted too, as dockerd" \
  "$(pmask <<<"$DO" | grep -e '^untagged: api/new:1$' -e '^deleted: sha256:H$' | uniq)" \
  "$(pmask <<<"$BO" | grep -e '^untagged: api/new:1$' -e '^deleted: sha256:H$' | uniq)"
t_eq "... gone from the store" "" "$("$BLD" images -q)"
