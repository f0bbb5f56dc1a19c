#!/usr/bin/env bash
# tests/deb_check.sh — the Debian package `make deb` built (in $BLD_DEB_DIR), as `make
# deb-check` runs it: lintian reports no error; its dependencies name the libraries bld links
# and the ones it loads with dlopen() (the sonames of the Makefile's shims); it installs into
# a throwaway root with dpkg --root (its maintainer scripts run outside a chroot with DPKG_ROOT
# set, which deb-systemd-helper honours: the root has no shell), every file where Debian puts
# it, the boot unit enabled there by its postinst, the config a conffile; and the installed bld does the README's
# demo: `bld version`, then examples/demo.sh (import a busybox base, build examples/echo, run it).
. "$(dirname "$0")/e2e/lib.sh"

deb=$(ls "${BLD_DEB_DIR:?}"/bld_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || { t_fail "a package in $BLD_DEB_DIR"; exit 1; }
out=$(lintian --fail-on error "$deb" 2>&1)
t_ok "lintian reports no error" test -z "$(grep '^E:' <<<"$out")"
deps=$(dpkg-deb -f "$deb" Depends)
for so in $(grep -o 'lib[a-z0-9]*\.so\.[0-9.]*' "$TOP/Makefile" | sort -u) $(ldd "$BLD" | awk '/=>/{print $1}'); do
  pkg=$(dpkg -S "*/$so" 2>/dev/null | grep -v -- '-dev' | head -1 | cut -d: -f1)
  [ -n "$pkg" ] && t_match "depends on $pkg ($so)" "(^|, )$pkg( |,|$)" "$deps"
done

root=$T_DIR/root
mkdir -p "$root"/var/lib/dpkg/{info,updates,triggers} && touch "$root/var/lib/dpkg/status"
t_ok "dpkg --root installs it" dpkg --root="$root" --force-script-chrootless --force-depends -i "$deb"
t_ok "... dpkg knows it there" dpkg --root="$root" -s bld
t_ok "the binary in /usr/bin" test -x "$root/usr/bin/bld"
"$BLD" __man "$T_DIR/man"
t_eq "a manual page for bld and every command" "$(ls "$T_DIR/man" | sed 's/$/.gz/')" \
  "$(ls "$root/usr/share/man/man1")"
for p in "$TOP"/doc/*.[1-8]; do
  t_ok "${p##*/}" test -f "$root/usr/share/man/man${p##*.}/${p##*/}.gz"
done
t_ok "bash completion" test -s "$root/usr/share/bash-completion/completions/bld"
t_ok "zsh completion" test -s "$root/usr/share/zsh/vendor-completions/_bld"
t_ok "fish completion" test -s "$root/usr/share/fish/vendor_completions.d/bld.fish"
t_match "the boot unit runs /usr/bin/bld" '^ExecStart=/usr/bin/bld system boot$' \
  "$(cat "$root/lib/systemd/system/bld-boot.service")"
for u in "$TOP"/tools/systemd/*; do
  for target in $(sed -n 's/^WantedBy=//p' "$u"); do
    t_eq "the postinst enabled ${u##*/} ($target)" "/lib/systemd/system/${u##*/}" \
      "$(readlink "$root/etc/systemd/system/$target.wants/${u##*/}")"
  done
done
t_eq "the config is a conffile" "/etc/bld/config.json" \
  "$(dpkg-query --root="$root" -W -f '${Conffiles}' bld | awk '{print $1}')"

t_match "the installed bld version runs" '^ Version: +[0-9]' "$("$root/usr/bin/bld" version 2>&1)"
out=$(BLD=$root/usr/bin/bld "$TOP/examples/demo.sh" 2>&1); rc=$?; echo "$out" | tail -5
t_eq "the installed bld builds and runs the echo example" "0" "$rc"
t_match "... which says hello" 'hello from a bld-built image' "$out"
