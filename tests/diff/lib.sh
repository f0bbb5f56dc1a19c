# tests/diff/lib.sh — shared by the differential tests (tests/e2e/build_diff_buildah.sh and
# tests/e2e/build_diff_docker.sh in make check, the tests/diff/docker-*.sh scripts by hand):
# copies a case of tests/diff/cases/ into a fresh context, dumps images with
# tests/diff/imgdump.py and compares them with tests/diff/compare.py. Every case's Dockerfile
# starts `ARG BASE` / `FROM $BASE`, so all builders get the same base image from the test
# registry. The files of a case other than its context (removed from the copy):
#   bld-args            extra build flags for every builder (--target, --secret ...); every
#                       builder runs in the context directory, so paths are relative to it
#   known-diff          BuildKit's lines where buildah departs from BuildKit (compare.py)
#   docker-known-diff   current BuildKit's lines where docker 20.10's BuildKit 0.8 departs
#                       from it on purpose (tests/diff/README.md lists each with its reason)
#   skip-buildah        the reason buildah cannot build the case (it is not compared there)
#   skip-docker         the reason docker 20.10 cannot build it (dockerfile 1.4+ syntax)
#   pending             a difference of bld under repair, with the reason: the case is left
#                       out of every run until the fix lands and the file goes
DIFF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Debian's python3 (packages/test.txt) directly: a version manager's shim on PATH costs a few
# processes per start, and the suites start it for every case
DIFF_PY=$(command -v /usr/bin/python3 || command -v python3)

# diff_ctx CASE DEST — the case's files in DEST, with prepare.sh run there (and removed)
diff_ctx() {
  rm -rf "$2" && mkdir -p "$2" && cp -a "$DIFF_DIR/cases/$1/." "$2/"
  rm -f "$2/known-diff" "$2/docker-known-diff" "$2/bld-args" "$2/skip-buildah" "$2/skip-docker" \
    "$2/pending"
  if [ -f "$2/prepare.sh" ]; then (cd "$2" && sh ./prepare.sh) && rm -f "$2/prepare.sh"; fi
}

# diff_args CASE — extra build flags of the case (bld-args: e.g. --target), with @HTTP@ the
# URL of the test HTTP server ($DIFF_HTTP, see diff_http_start)
diff_args() {
  [ -f "$DIFF_DIR/cases/$1/bld-args" ] && sed "s|@HTTP@|${DIFF_HTTP:-}|g" "$DIFF_DIR/cases/$1/bld-args"
  true
}

# diff_http_start DIR LOG — serves DIR over HTTP on 127.0.0.1 (a free port) for ADD of URLs;
# sets DIFF_HTTP=http://127.0.0.1:PORT and DIFF_HTTP_PID (the caller stops it by that PID)
diff_http_start() {
  "$DIFF_PY" -u -m http.server --bind 127.0.0.1 --directory "$1" 0 >"$2" 2>&1 &
  DIFF_HTTP_PID=$!
  local port="" i
  for i in $(seq 1 50); do
    port=$(sed -n 's/.* port \([0-9]*\) .*/\1/p' "$2" | head -1)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || return 1
  DIFF_HTTP=http://127.0.0.1:$port
}

# diff_cases REF — the names of the cases that REF (buildah or docker) can build, one a line;
# $DIFF_CASES (space-separated names) narrows them (and may name a pending case)
diff_cases() {
  local d c
  for d in "$DIFF_DIR"/cases/*/; do
    c=$(basename "$d")
    [ -f "$d/skip-$1" ] && continue
    [ -f "$d/pending" ] && [ -z "${DIFF_CASES:-}" ] && continue
    [ -z "${DIFF_CASES:-}" ] || [[ " $DIFF_CASES " == *" $c "* ]] || continue
    echo "$c"
  done
}

# diff_bld_builds WORK BASE CASE... — builds each prepared context WORK/ctx/CASE with bld
# ($BLD, store $BLD_ROOT) and writes its dump to WORK/CASE.bld (or the error to .bld.err)
diff_bld_builds() {
  local w=$1 base=$2 c out extra
  shift 2
  for c in "$@"; do
    read -ra extra <<<"$(diff_args "$c")"
    if out=$(cd "$w/ctx/$c" && "$BLD" build -q -t "diff-$c" --build-arg BASE="$base" "${extra[@]}" . 2>&1); then
      "$DIFF_PY" "$DIFF_DIR/imgdump.py" "$BLD_ROOT/oci" "docker.io/library/diff-$c:latest" >"$w/$c.bld"
    else
      echo "$out" >"$w/$c.bld.err"
    fi
  done
}

# diff_bld_lanes LANES WORK BASE CASE... — diff_bld_builds in LANES concurrent bld processes
# on the same store (bld locks what they share), case i in lane i % LANES
diff_bld_lanes() {
  local n=$1 w=$2 base=$3 i l pids=()
  shift 3
  local all=("$@")
  for ((l = 0; l < n; l++)); do
    local mine=()
    for ((i = l; i < ${#all[@]}; i += n)); do mine+=("${all[$i]}"); done
    diff_bld_builds "$w" "$base" "${mine[@]}" &
    pids+=($!)
  done
  wait "${pids[@]}"
}

# diff_report REF WORK CASE... — one t_pass/t_fail (tests/e2e/lib.sh) per case: bld's dump
# WORK/CASE.bld against the reference's WORK/CASE.REF after the case's known differences
# (compare.py); DIFF_N is the number compared
diff_report() {
  local ref=$1 w=$2 c
  shift 2
  DIFF_N=0
  "$DIFF_PY" "$DIFF_DIR/compare.py" --ref "$ref" --each "$w" "$DIFF_DIR/cases" "$@"
  for c in "$@"; do
    if [ ! -s "$w/$c.bld" ]; then t_fail "$c: bld build" "$(tail -5 "$w/$c.bld.err")"; continue; fi
    if [ ! -s "$w/$c.$ref" ]; then t_fail "$c: $ref build" "$(tail -5 "$w/$c.$ref.err")"; continue; fi
    DIFF_N=$((DIFF_N + 1))
    if [ -f "$w/$c.cmp" ] && [ ! -s "$w/$c.cmp" ]; then
      t_pass "$c: bld and $ref agree"
    else
      t_fail "$c: images differ (- $ref, + bld)" "$(head -c 1500 "$w/$c.cmp" 2>/dev/null)"
    fi
  done
}
