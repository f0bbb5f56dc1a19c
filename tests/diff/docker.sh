#!/usr/bin/env bash
# tests/diff/docker.sh [CASE...] — the differential cases of tests/diff/cases/ against
# docker 20.10's BuildKit, by hand: runs tests/e2e/build_diff_docker.sh (the make check
# suite: its own dockerd, registry and network namespace, all removed at the end) on the
# named cases, or on all of them. Needs root and a built ./bld.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
DIFF_CASES="$*" exec "$TOP/tests/run-e2e.sh" "$TOP/tests/e2e/build_diff_docker.sh"
