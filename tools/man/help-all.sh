#!/usr/bin/env bash
# help2man's view of a program with subcommands: `--help` prints the program's help and then
# every subcommand's options (the subcommands listed under "Subcommands:"), each under a
# "PROG SUB [OPTIONS]:" heading, so the man page documents every option. The footer (exit codes,
# retries) is left out: the include file's EXIT STATUS section says it in man-page form.
# Anything else (--version) goes to the program unchanged.
set -euo pipefail
prog=$1
shift
if [[ ${1:-} != --help ]]; then exec "$prog" "$@"; fi
name=$(basename "$prog")
main=$("$prog" --help)
awk '/^(Exit codes|Exit status):/ {exit} {print}' <<<"$main"
subs=$(awk '/^Subcommands:/ {on = 1; next} on && /^[^ ]/ {on = 0} on && /^  [a-z]/ {print $1}' <<<"$main")
for sub in $subs; do
  usage=$("$prog" "$sub" --help | sed -n 's/^Usage: [^ ]* //p' | head -n 1)
  printf '%s %s:\n' "$name" "$usage"
  "$prog" "$sub" --help | awk '/^(Exit codes|Exit status):/ {exit} /^  / {print}'
  printf '\n'
done
