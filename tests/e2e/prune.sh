#!/usr/bin/env bash
# The prune commands as docker's: container prune removes what is not running, volume prune
# the unused anonymous volumes (-a: named ones too), builder prune the dangling build cache
# (-a: all of it), system prune all of these and the unused images, image prune the images
# its --filter lets go (label=, label!=, until=); each asks first unless
# -f, and reports docker's "Deleted ...:" blocks and "Total reclaimed space". In a network
# namespace the test creates (runner_env.bash).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runner_env.bash"

# --- containers
B run --name done $IMG true
B create --name fresh $IMG true >/dev/null
B run -d --name up $IMG sleep 300 >/dev/null
id_done=$(B inspect -f '{{.Id}}' done) id_fresh=$(B inspect -f '{{.Id}}' fresh)
out=$(echo n | B container prune 2>"$T_DIR/err")
t_match "container prune asks first" '^WARNING! This will remove all stopped containers\.' "$(cat "$T_DIR/err")"
t_eq "... and on no removes nothing" "3" "$(B ps -aq | wc -l)"
out=$(B container prune -f)
t_eq "container prune -f lists the stopped ones, then the total" \
  "Deleted Containers:
$(printf '%s\n' "$id_done" "$id_fresh" | sort)

Total reclaimed space: X" \
  "$(sed -n 1p <<<"$out")
$(sed -n '2,3p' <<<"$out" | sort)
$(sed -n 4p <<<"$out")
$(sed -n 5p <<<"$out" | sed 's/space: [0-9.]*[kMG]*B$/space: X/')"
t_eq "the running one stays" "up" "$(B ps -a --format '{{.Names}}')"
t_eq "a second prune finds nothing" "Total reclaimed space: 0B" "$(B container prune -f)"

# --- volumes
B volume create named >/dev/null
B run --name anon -v /data $IMG sh -c 'echo x > /data/f'
anon=$(B inspect anon | jq -r '.[0].Mounts[0].Name')
B rm anon >/dev/null
t_match "an anonymous volume carries docker's label" '"com.docker.volume.anonymous": ""' \
  "$(B volume inspect "$anon")"
B run -d --name holder -v /held $IMG sleep 300 >/dev/null
held=$(B inspect holder | jq -r '.[0].Mounts[0].Name')
out=$(B volume prune -f)
t_eq "volume prune removes the unused anonymous volume only" "Deleted Volumes:
$anon" "$(sed -n 1,2p <<<"$out")"
t_match "... with its size" 'Total reclaimed space: 2B$' "$out"
t_eq "... named and used ones stay" "$(printf '%s\n' "$held" named | sort)" "$(B volume ls -q | sort)"
t_eq "volume prune -a removes the named one too" "Deleted Volumes:
named" "$(B volume prune -af | sed -n 1,2p)"
t_eq "... never one in use" "$held" "$(B volume ls -q)"

# --- build cache
mkdir -p "$T_DIR/ms"
cat >"$T_DIR/ms/Dockerfile" <<DF
FROM $IMG AS build
# the build stage's layer must differ from the COPY's: it holds a file the COPY leaves behind
RUN echo built > /out && echo scratch > /work-file
FROM $IMG
COPY --from=build /out /out
RUN cat /out > /copy
DF
B build -q -t ms "$T_DIR/ms" >/dev/null
cached() { B build --progress=plain -t ms "$T_DIR/ms" 2>&1 | grep -c ' CACHED$'; }
t_eq "a rebuild is all CACHED" "3" "$(cached)"
out=$(B builder prune -f)
t_match "builder prune removes the dangling record (the build stage's RUN)" \
  '^Deleted build cache objects:
[0-9a-f]{32}

Total reclaimed space: [0-9.]+[kMG]?B$' "$out"
t_eq "... the image's steps stay CACHED" "2" "$(cached)"
t_match "builder prune -a removes all" '^Deleted build cache objects:' "$(B builder prune -af)"
t_eq "... nothing is CACHED then" "0" "$(B build --no-cache=false --progress=plain -t ms "$T_DIR/ms" 2>&1 | grep -c ' CACHED$')"

# --- system prune
B run --name done2 $IMG true
B tag ms ms:extra
B rmi ms:latest >/dev/null
out=$(echo n | B system prune -a --volumes 2>&1)
t_match "system prune -a --volumes warns of all it removes" \
  'all stopped containers
  - all anonymous volumes not used by at least one container
  - all images without at least one container associated to them
  - all build cache' "$out"
out=$(B system prune -af)
t_match "system prune -af removes the stopped container" "^Deleted Containers:
$(B inspect -f '{{.Id}}' done2 2>/dev/null || echo '[0-9a-f]{64}')" "$out"
t_match "... the unused image" 'untagged: ms:extra' "$out"
t_match "... the build cache" 'Deleted build cache objects:' "$out"
t_match "... and gives a total" 'Total reclaimed space: [0-9.]+[kMG]?B$' "$out"
t_eq "... the running containers' image stays" "runner-test/busybox:latest" \
  "$(B images --format '{{.Repository}}:{{.Tag}}')"
t_eq "... and the running containers" "$(printf 'holder\nup')" "$(B ps -a --format '{{.Names}}' | sort)"
t_ok "the store is whole afterwards" B system check
t_exit "--filter is refused with 125" 125 B system prune -f --filter until=1h

# --- image prune --filter: docker's label=, label!=, until= (as dockerd reads them)
mkdir -p "$T_DIR/pctx"
for n in 1 2; do
  printf 'FROM %s\nLABEL pruned=%s\n' "$IMG" "$n" >"$T_DIR/Dockerfile.p$n"
  eval "p$n=\$(B build -q -f \"\$T_DIR/Dockerfile.p$n\" \"\$T_DIR/pctx\")"
done
out=$(B image prune -f --filter label=pruned=1)
t_match "image prune --filter label=K=V deletes the dangling image with the label" "deleted: $p1" "$out"
t_ok "... and not the other" B image inspect "$p2"
t_match "image prune --filter until=PAST keeps what was made after it" 'Total reclaimed space: 0B' \
  "$(B image prune -f --filter until=2000-01-01T00:00:00Z)"
t_match "image prune --filter label!=K=V keeps the image with it" 'Total reclaimed space: 0B' \
  "$(B image prune -f --filter label!=pruned=2)"
t_ok "... it is still there" B image inspect "$p2"
t_match "image prune --filter until=FUTURE deletes what was made before it" "deleted: $p2" \
  "$(B image prune -f --filter until=2100-01-01T00:00:00Z)"
t_eq "--filter of a key docker does not know: refused as dockerd refuses it" \
  "bld: Invalid filter 'nope' rc=1" "$({ B image prune -f --filter nope=1 2>&1; echo "rc=$?"; } | paste -sd" ")"
t_eq "two until filters: refused" "bld: more than one until filter specified rc=1" \
  "$({ B image prune -f --filter until=1h --filter until=2h 2>&1; echo "rc=$?"; } | paste -sd" ")"

B rm -f up holder >/dev/null
t_eq "nothing of bld remains" "" "$(runner_leftovers)"
