#!/usr/bin/env bash
# Named and anonymous volumes filled from the image, as docker does: a new (empty) volume
# mounted where the image has content gets that content with its owners and modes (the
# volume's root takes the directory's); a volume with content is never overwritten; `volume
# create` + -v NAME:/path:nocopy stays empty; nocopy on a bind mount is refused; the local
# driver's options (type=none,o=bind,device=) bind device on first use, volume rm unmounts. In a network
# namespace the test creates.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runner_env.bash"

R=$T_DIR/volroot
cp -a "$ROOTFS" "$R"
mkdir -p "$R/data/sub"
echo secret >"$R/data/f"
echo deep >"$R/data/sub/g"
ln -s f "$R/data/link"
# rootless without subordinate ids an image may hold the user's files alone (README.md)
O=1000:2000
t_rootless single && O=0:0
chown -R $O "$R/data" && chmod 0750 "$R/data" && chmod 0640 "$R/data/f"
chmod 0700 "$R/data/sub"
tar -C "$R" --numeric-owner -cf "$T_DIR/vol.tar" .
VIMG=runner-test/volimg:latest
B import "$T_DIR/vol.tar" "$VIMG" >/dev/null || { echo "not ok - import"; exit 1; }
V=$BLD_ROOT/volumes

show='stat -c "%n %u:%g %a" /data /data/f /data/sub /data/sub/g; readlink /data/link; cat /data/f'
want="/data $O 750
/data/f $O 640
/data/sub $O 700
/data/sub/g $O 644
f
secret"
t_eq "a new named volume is filled from the image (owners, modes)" "$want" \
  "$(B run --rm -v fill:/data $VIMG sh -c "$show")"
t_eq "the content is in the volume's directory" "$(t_host_ids $O) 750 secret" \
  "$(stat -c '%u:%g %a' "$V/fill/_data") $(cat "$V/fill/_data/f")"
B run --rm -v fill:/data $VIMG sh -c 'rm /data/f; echo mine >/data/new' >/dev/null
t_eq "a volume with content is not filled again" "link new sub" \
  "$(B run --rm -v fill:/data $VIMG sh -c 'cd /data && echo $(ls)')"
t_eq "... nor is its content replaced" "mine" "$(B run --rm -v fill:/data $VIMG cat /data/new)"

B volume create empty >/dev/null
t_eq "volume create + :nocopy stays empty" "" \
  "$(B run --rm -v empty:/data:nocopy $VIMG ls -A /data)"
t_eq "... also on the host" "" "$(ls -A "$V/empty/_data")"
t_eq "ro,nocopy together" "" "$(B run --rm -v empty:/data:ro,nocopy $VIMG ls -A /data)"
t_eq "a volume created by volume create is filled on first use" "secret" \
  "$(B volume create made >/dev/null; B run --rm -v made:/data $VIMG cat /data/f)"

t_eq "an anonymous volume is filled too" "secret" "$(B run --rm -v /data $VIMG cat /data/f)"
t_eq "a volume where the image has nothing stays empty" "" \
  "$(B run --rm -v elsewhere:/nothing/here $VIMG ls -A /nothing/here)"
t_exit "nocopy on a bind mount is refused" 125 \
  B run --rm -v "$T_DIR:/data:nocopy" $VIMG true
t_exit "an unknown mode is refused" 125 B run --rm -v vx:/data:bogus $VIMG true

B volume rm fill empty made elsewhere >/dev/null
t_match "an unknown driver option refused with docker's words" 'invalid option key: "foo"' \
  "$(B volume create -o foo=bar badopt 2>&1)"
mkdir "$T_DIR/dev" && t_own "$T_DIR/dev"
B volume create -o type=none -o o=bind --opt device="$T_DIR/dev" bindvol >/dev/null
B run --rm -v bindvol:/data:nocopy $VIMG sh -c 'echo in >/data/x' >/dev/null
t_eq "type=none,o=bind,device=: the container writes into device" "in" "$(cat "$T_DIR/dev/x")"
B volume rm bindvol >/dev/null
t_eq "volume rm unmounts first and leaves device's content" "in 0" \
  "$(cat "$T_DIR/dev/x") $(grep -c "$V/bindvol/_data" /proc/self/mountinfo)"
t_eq "nothing of bld remains" "" "$(runner_leftovers)"
