#!/usr/bin/env bash
# bench/parse.sh — lines per second of the Dockerfile front end (parse, validation, graph)
# over the whole corpus in tests/fixtures/dockerfile-corpus, measured in memory by a small
# bench binary built from the same objects as ./bld. Also times ./bld parse on one large
# file end to end. Not a timed test: it prints numbers, it does not fail on them.
set -eu
cd "$(dirname "$0")/.."
make -s bld >/dev/null
PKGS="libarchive libcurl openssl libxxhash libgit2 jansson libseccomp yaml-0.1 libsodium"
cc -std=gnu11 -O2 -I. -D_GNU_SOURCE -o build/parse-bench bench/parse_bench.c \
  build/parser/*.o build/common/*.o $(pkg-config --libs $PKGS) -lpthread
mapfile -t files < <(find tests/fixtures/dockerfile-corpus -mindepth 2 -type f | sort)
echo "== parser over the corpus (in memory)"
build/parse-bench "${files[@]}"
big=$(ls -S "${files[@]}" | head -1)
echo "== ./bld parse --graph on the largest file ($big, $(wc -l <"$big") lines)"
start=$(date +%s%N)
./bld parse --graph -f "$big" >/dev/null
echo "wall: $(( ($(date +%s%N) - start) / 1000000 )) ms (process start included)"
