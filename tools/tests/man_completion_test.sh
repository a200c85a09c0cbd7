#!/usr/bin/env bash
# tools.man_completion: the generated man pages render without macro errors and hold the
# hand-written sections and every subcommand's options; the bash completion offers subcommands,
# options and option values for both programs.
# Usage: man_completion_test.sh BUILD_DIR DFCSIM DTCPCTL SOURCE_DIR [HELP2MAN]
set -euo pipefail
build=$1 dfcsim=$2 dtcpctl=$3 src=$4 help2man=${5:-}
fail() { echo "man_completion: $*"; exit 1; }

# ---- man pages (built by the dfc_man target when help2man is present) ----
# The page as text: long lines, no hyphenation, single spaces, so phrases can be searched.
render() { groff -man -Tutf8 -rLL=400n -rHY=0 "$1" 2>/dev/null | col -bx | tr -s ' '; }
if [[ -z $help2man || $help2man == *NOTFOUND ]]; then
  echo "man_completion: help2man not found at configure time: man pages not checked"
elif ! command -v groff >/dev/null; then
  echo "man_completion: groff not installed: man pages not rendered"
else
  for prog in dfcsim dtcpctl; do
    page=$build/man/$prog.1
    [[ -s $page ]] || fail "$page missing: build the dfc_man target (cmake --build $build --target dfc_man)"
    # Undefined macros and bad escapes are what a broken include file produces.
    warnings=$(groff -man -Tutf8 -z -wmac -Wbreak "$page" 2>&1) || fail "groff failed on $page: $warnings"
    [[ -z $warnings ]] || fail "groff warns on $page: $warnings"
    text=$(render "$page")
    for want in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" "SEE ALSO"; do
      grep -q "^$want" <<<"$text" || fail "$prog.1 has no $want section"
    done
    if command -v man >/dev/null; then
      man -l "$page" >/dev/null 2>&1 || fail "man -l $page failed"
    fi
  done
  text=$(render "$build/man/dfcsim.1")
  for want in "dfcsim run" "--pcap-in" "dfcsim serve" "--copies-to" "dfcsim regress" "--jobs"; do
    grep -q -- "$want" <<<"$text" || fail "dfcsim.1 does not mention $want (subcommand options missing?)"
  done
  text=$(render "$build/man/dtcpctl.1")
  for want in "dtcpctl add" "--dst-addr" "dtcpctl listen" "--count" "430 Unknown Content Destination"; do
    grep -q -- "$want" <<<"$text" || fail "dtcpctl.1 does not mention $want"
  done
fi

# ---- bash completion ----
# complete_words WORD...: COMPREPLY for the command line WORD... with the cursor on the last word.
complete_words() {
  bash --norc --noprofile -c '
    source "$1"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    _dfc_complete
    printf "%s\n" "${COMPREPLY[@]}"' _ "$src/tools/completion/dfcsim.bash" "$@"
}
expect() {  # expect "WANT" WORD...: WANT is among the completions of WORD...
  local want=$1
  shift
  local got
  got=$(complete_words "$@")
  grep -qx -- "$want" <<<"$got" || fail "completing '$*' offers no '$want' (got: $(tr '\n' ' ' <<<"$got"))"
}
reject() {  # reject "UNWANTED" WORD...
  local bad=$1
  shift
  local got
  got=$(complete_words "$@")
  ! grep -qx -- "$bad" <<<"$got" || fail "completing '$*' offers '$bad'"
}
expect run "$dfcsim" r
expect regress "$dfcsim" r
reject serve "$dfcsim" r
expect --pcap-in "$dfcsim" run --pcap
expect --copies-to "$dfcsim" serve --cop
reject --copies-to "$dfcsim" run --cop
expect lockstep "$dfcsim" run --classifier l
expect fast "$dfcsim" run --mode f
expect --mode "$dfcsim" regress --mo
expect list "$dtcpctl" l
expect listen "$dtcpctl" --json li
expect --dst-addr "$dtcpctl" add --dst
expect --json "$dtcpctl" add --js   # global options may follow the subcommand
# As installed: the program found on PATH by its bare name.
PATH=$(dirname "$dfcsim"):$PATH expect run dfcsim r
# The script registers both programs.
reg=$(bash --norc --noprofile -c 'source "$1"; complete -p dfcsim dtcpctl' _ "$src/tools/completion/dfcsim.bash")
grep -q '_dfc_complete dfcsim' <<<"$reg" && grep -q '_dfc_complete dtcpctl' <<<"$reg" || fail "not registered: $reg"
echo "man_completion: ok"
