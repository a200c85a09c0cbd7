#!/usr/bin/env bash
# tools.install: `cmake --install BUILD --prefix TMP` gives a dfcsim that works outside the source
# and build trees (scenarios, regression list and dissector found under the prefix), man pages
# and bash completion are installed, and cpack builds a .deb holding them.
set -euo pipefail
build=$1 cmake=$2 cpack=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$cmake" --install "$build" --prefix "$tmp/prefix" >/dev/null
cd "$tmp"   # nowhere near the source tree
p=$tmp/prefix
for f in bin/dfcsim bin/dtcpctl share/dfcsim/regress.list share/dfcsim/wireshark/dtcp.lua \
         share/dfcsim/scenarios/three-sources.json share/dfcsim/scenarios/configs/three-sources.conf \
         share/doc/dfcsim/user-guide.md share/doc/dfcsim/README.md; do
  [[ -e $p/$f ]] || { echo "install: $f missing under the prefix"; exit 1; }
done
# Bash completion under both names; man pages when help2man built them (dfc_man, built by ALL).
for f in share/bash-completion/completions/dfcsim share/bash-completion/completions/dtcpctl; do
  [[ -s $p/$f ]] || { echo "install: $f missing under the prefix"; exit 1; }
done
if [[ -e $build/man/dfcsim.1 ]] || grep -q '^DFC_HELP2MAN:FILEPATH=/' "$build/CMakeCache.txt"; then
  for f in share/man/man1/dfcsim.1 share/man/man1/dtcpctl.1; do
    [[ -s $p/$f ]] || { echo "install: $f missing under the prefix"; exit 1; }
  done
  man_pages=1
else
  echo "install: help2man not found at configure time: no man pages to check"
  man_pages=0
fi
"$p/bin/dfcsim" --version
"$p/bin/dtcpctl" --version
# A scenario of the installed tree, run from elsewhere.
"$p/bin/dfcsim" run "$p/share/dfcsim/scenarios/three-sources.json" --out "$tmp/out" -q
passes=$(grep -c '"pass": true' "$tmp/out/report.json")
[[ $passes -ge 1 ]] || { echo "install: the installed run's scoreboard did not pass"; exit 1; }
# The regression list found by default is the installed one (not the source tree's).
set +e
msg=$("$p/bin/dfcsim" regress --label no-such-label 2>&1); rc=$?
set -e
[[ $rc -eq 2 ]] || { echo "install: regress --label no-such-label exited $rc"; exit 1; }
[[ $msg == *"$p/share/dfcsim/regress.list"* ]] || { echo "install: regress did not use the installed list: $msg"; exit 1; }
# The Debian package.
(cd "$build" && "$cpack" -G DEB -B "$tmp/pkg" >/dev/null)
deb=$(ls "$tmp"/pkg/dfcsim_*.deb)
listing=$(dpkg-deb -c "$deb")
grep -q '\./usr/bin/dfcsim$' <<<"$listing" || { echo "install: $deb has no /usr/bin/dfcsim"; exit 1; }
grep -q 'share/dfcsim/wireshark/dtcp.lua$' <<<"$listing" || { echo "install: $deb has no dissector"; exit 1; }
grep -q 'share/bash-completion/completions/dtcpctl$' <<<"$listing" || { echo "install: $deb has no completion"; exit 1; }
if ((man_pages)); then
  grep -q 'share/man/man1/dfcsim.1$' <<<"$listing" || { echo "install: $deb has no dfcsim.1"; exit 1; }
fi
depends=$(dpkg-deb -f "$deb" Depends)
grep -q libsystemc <<<"$depends" || { echo "install: $deb does not depend on libsystemc ($depends)"; exit 1; }
echo "install: ok ($deb)"
