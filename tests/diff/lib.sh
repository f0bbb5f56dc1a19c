# tests/diff/lib.sh — shared by the differential tests (tests/e2e/build_diff_buildah.sh in make
# check, tests/diff/docker.sh where dockerd runs): copies a case of tests/diff/cases/ into a
# fresh context, builds it with bld, dumps images with tests/diff/imgdump.py and compares
# them with tests/diff/compare.py. Every case's Dockerfile starts `ARG BASE` / `FROM $BASE`,
# so all builders get the same base image from the test registry.
DIFF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# diff_ctx CASE DEST — the case's files in DEST, with prepare.sh run there (and removed)
diff_ctx() {
  rm -rf "$2" && mkdir -p "$2" && cp -a "$DIFF_DIR/cases/$1/." "$2/"
  rm -f "$2/known-diff" "$2/bld-args"
  if [ -f "$2/prepare.sh" ]; then (cd "$2" && sh ./prepare.sh) && rm -f "$2/prepare.sh"; fi
}

# diff_args CASE — extra build flags of the case (bld-args: e.g. --target)
diff_args() { [ -f "$DIFF_DIR/cases/$1/bld-args" ] && cat "$DIFF_DIR/cases/$1/bld-args"; true; }

# diff_compare EXPECTED_DUMP BLD_DUMP CASE — 0 when equal after the known differences
diff_compare() {
  local known=()
  [ -f "$DIFF_DIR/cases/$3/known-diff" ] && known=("$DIFF_DIR/cases/$3/known-diff")
  python3 "$DIFF_DIR/compare.py" "$1" "$2" "${known[@]}"
}
