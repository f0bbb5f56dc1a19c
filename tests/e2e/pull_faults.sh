#!/usr/bin/env bash
# tests/e2e/pull_faults.sh — bld pull through tests/env/flaky-proxy.py in front of a test
# registry: 5xx answers, 429 with Retry-After, dropped, reset, stalled and truncated
# transfers and wrong bytes each end in the same image a clean pull gives, or in one
# `bld: ...` line; `bld system check` is clean either way.
. "$(dirname "$0")/lib.sh"
ENV="$TOP/tests/env"
export BLD_CONFIG=$T_DIR/bld-config.json
t_busybox_registry
"$BLD" pull -q "$BASE" >/dev/null || { t_fail "clean pull"; exit 1; }
want=$("$BLD" image inspect -f '{{.Id}}' "$BASE")
N=0

# proxy PLAN [flaky-proxy options] — a fresh proxy (stopped at exit); sets P and PLOG
proxy() {
  N=$((N + 1))
  PLOG=$T_DIR/proxy$N.log
  python3 "$ENV/flaky-proxy.py" --upstream "$REG_ADDR" --port-file "$T_DIR/proxy$N.port" \
    --log "$PLOG" --plan "$1" --drop-after 100000 "${@:2}" >"$T_DIR/proxy$N.out" 2>&1 &
  local pid=$!
  at_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
  for _ in $(seq 1 100); do [ -s "$T_DIR/proxy$N.port" ] && break; sleep 0.05; done
  P=127.0.0.1:$(cat "$T_DIR/proxy$N.port")
}

# pulled NAME PLAN [flaky-proxy options] — a pull through the fault into a fresh store gives
# the clean pull's image and a clean store; OUT holds its output
pulled() {
  local name=$1; shift
  proxy "$@"
  export BLD_ROOT=$T_DIR/root$N
  OUT=$("$BLD" pull "$P/library/busybox:latest" 2>&1); local rc=$?
  t_eq "$name: the pull succeeds" 0 "$rc"
  t_eq "$name: the same image as a clean pull" "$want" \
    "$("$BLD" image inspect -f '{{.Id}}' "$P/library/busybox:latest" 2>&1)"
  t_ok "$name: bld system check is clean" "$BLD" system check
}

for f in 5:503 0:500 2:502; do
  pulled "${f#*:} on the first GET of each blob" "${f%%:*}"
  t_match "... reported as a retry on the layer's line" "^[0-9a-f]{12}: Retrying in 1 second$" "$OUT"
done

pulled "429 with Retry-After: 2" r --retry-after 2
t_match "... reported with its wait" "^[0-9a-f]{12}: Retrying in 2 seconds$" "$OUT"
layer=$(awk '$4 == "r" { print $2; exit }' "$PLOG")
gap=$(awk -v p="$layer" '$2 == p { t[n++] = $5 } END { print (t[1] - t[0] >= 2) ? "yes" : t[1] - t[0] }' "$PLOG")
t_eq "... and the retry waits the 2 s Retry-After asks" yes "$gap"
pulled "503 with Retry-After: 1" 5 --retry-after 1
gap=$(awk '$4 == "5" { p = $2; t0 = $5 } p != "" && $2 == p && $4 == "." { print ($5 - t0 >= 1) ? "yes" : $5 - t0; exit }' "$PLOG")
t_eq "... waits the 1 s Retry-After asks" yes "$gap"

pulled "a dropped connection" d
t_match "... resumes with Range from the bytes it has" "blobs/sha256:[0-9a-f]+ bytes=100000- \\." "$(cat "$PLOG")"
pulled "a reset connection" x
t_match "... resumes with Range" "blobs/sha256:[0-9a-f]+ bytes=100000- \\." "$(cat "$PLOG")"
t0=$(date +%s)
BLD_STALL_TIMEOUT=1 pulled "a transfer that stalls past \$BLD_STALL_TIMEOUT=1" s --stall 30
t_eq "... is given up after about that long, not the stall's 30 s" yes "$(el=$(($(date +%s) - t0)); [ "$el" -lt 20 ] && echo yes || echo "$el s")"
t_match "... resumes with Range" "blobs/sha256:[0-9a-f]+ bytes=100000- \\." "$(cat "$PLOG")"
pulled "a truncated body" t
t_match "... is a digest mismatch on stderr" "digest mismatch" "$OUT"
pulled "wrong bytes once" w
t_match "... is reported as a digest mismatch" "digest mismatch" "$OUT"

proxy ww
export BLD_ROOT=$T_DIR/root-ww
out=$("$BLD" pull -q "$P/library/busybox:latest" 2>&1); rc=$?
t_eq "wrong bytes twice: the pull fails with 1, as docker's" 1 "$rc"
t_match "... with one line saying digest mismatch" "^bld: .*digest mismatch: expected sha256:[0-9a-f]{64}, got sha256:[0-9a-f]{64}$" "$(tail -1 <<<"$out")"
t_eq "... and nothing is stored" "" "$("$BLD" images -q)"
t_ok "... bld system check is clean" "$BLD" system check

proxy 5555
export BLD_ROOT=$T_DIR/root-5555
echo '{"max-download-attempts": 2}' >"$BLD_CONFIG"
out=$("$BLD" pull "$P/library/busybox:latest" 2>&1); rc=$?
rm -f "$BLD_CONFIG"
t_eq "503 past max-download-attempts: the pull fails with 1" 1 "$rc"
t_match "... with one bld: line" "^bld: blob sha256:[0-9a-f]+: unavailable: try again$" "$(tail -1 <<<"$out")"
t_eq "... after the 2 attempts the config file allows" 2 \
  "$(awk '$4 == "5" { print $2 }' "$PLOG" | sort | uniq -c | sort -rn | awk 'NR == 1 { print $1 }')"
t_eq "... and nothing is stored" "" "$("$BLD" images -q)"
t_ok "... bld system check is clean" "$BLD" system check

# two layers, the second slow (100 KB/s): the first is extracted as soon as its own download
# ends, not after every blob is in
export BLD_ROOT=$T_DIR/root-two
mkdir "$T_DIR/two" && head -c 200000 /dev/urandom >"$T_DIR/two/r" &&
  printf 'FROM %s\nCOPY r /r\n' "$BASE" >"$T_DIR/two/Dockerfile"
"$BLD" build -q -t "$REG_ADDR/t/two" "$T_DIR/two" >/dev/null && "$BLD" push -q "$REG_ADDR/t/two" >/dev/null
first=$(skopeo inspect --raw --tls-verify=false "docker://$REG_ADDR/t/two" | jq -r '.layers[0].digest')
slow=$(skopeo inspect --raw --tls-verify=false "docker://$REG_ADDR/t/two" | jq -r '.layers[1].digest')
proxy l --match "GET:^/v2/t/two/blobs/$slow"
export BLD_ROOT=$T_DIR/root-two2
OUT=$("$BLD" -D pull -q "$P/t/two" 2>&1)
t_match "two layers, the second slow: the first is extracted during the second's download" \
  "layer ${first:0:19}: extracted from its download.*blobs fetched and verified" "$(tr '\n' ' ' <<<"$OUT")"
t_eq "... and the image is the one pushed" \
  "$("$BLD" --root "$T_DIR/root-two" image inspect -f '{{.Id}}' "$REG_ADDR/t/two")" \
  "$("$BLD" image inspect -f '{{.Id}}' "$P/t/two")"

# ---------------------------------------------------------------- push
# pushed NAME PLAN [flaky-proxy options] — a push of busybox through the fault to a new
# repository; OUT and RC hold what it said
pushed() {
  local name=$1; shift
  proxy "$@" --count-all --match "PUT:^/v2/push/[a-z0-9]+/blobs/uploads/"
  export BLD_ROOT=$T_DIR/root-push
  "$BLD" pull -q "$BASE" >/dev/null && "$BLD" tag "$BASE" "$P/push/$name:v1"
  OUT=$("$BLD" push "$P/push/$name:v1" 2>&1); RC=$?
}
wantm=$(skopeo inspect --tls-verify=false "docker://$BASE" | jq -r .Digest)
pushed p503 5
t_eq "push: a 503 on the closing PUT starts the upload again" 0 "$RC"
t_eq "... and the registry has the image bld pushed" "$wantm" \
  "$(skopeo inspect --tls-verify=false "docker://$REG_ADDR/push/p503:v1" | jq -r .Digest)"
BLD_MAX_DOWNLOAD_ATTEMPTS=2 pushed pfail 5555
t_eq "push: 503 past max-download-attempts fails with 1" 1 "$RC"
t_match "... with one bld: line" "^bld: push blob sha256:[0-9a-f]+: .*try again$" "$(tail -1 <<<"$OUT")"
t_ok "... bld system check is clean" "$BLD" system check
