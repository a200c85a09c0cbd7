# bash completion for dfcsim and dtcpctl: subcommands, then the chosen subcommand's options and
# some option values. The subcommands and options are read from the program's own --help
# (CLI11's "Subcommands:" and option lines), so the completion cannot drift from the program.
# Installed as share/bash-completion/completions/dfcsim and .../dtcpctl (this same file).

# The names CLI11's --help lists: subcommands under "Subcommands:", or every option.
_dfc_help_words() {
  local prog=$1 what=$2
  shift 2
  SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 "$prog" "$@" --help 2>/dev/null | awk -v what="$what" '
    /^Subcommands:/ { sub_on = 1; next }
    /^[^ ]/ { sub_on = 0 }
    what == "subcommands" && sub_on && /^  [a-z]/ { print $1 }
    what == "options" && !sub_on && /^  -/ {
      n = split($1, names, ",")
      for (i = 1; i <= n; ++i) print names[i]
    }'
}

_dfc_complete() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=""
  ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
  local prog=${COMP_WORDS[0]}
  prog=${prog/#\~/$HOME}
  COMPREPLY=()
  # Values of the options whose values are a fixed set or files.
  case $prev in
    --classifier) mapfile -t COMPREPLY < <(compgen -W "rtl model lockstep" -- "$cur"); return 0 ;;
    --mode) mapfile -t COMPREPLY < <(compgen -W "timing fast" -- "$cur"); return 0 ;;
    --wave) mapfile -t COMPREPLY < <(compgen -W "vcd fst" -- "$cur"); return 0 ;;
    --pcap-timing) mapfile -t COMPREPLY < <(compgen -W "capture line-rate" -- "$cur"); return 0 ;;
    --profile) mapfile -t COMPREPLY < <(compgen -W "ms3 ms400" -- "$cur"; compgen -f -- "$cur"); return 0 ;;
    # rfc2544 --tests takes a comma-separated list: one name per completion.
    --tests) mapfile -t COMPREPLY < <(compgen -W "throughput latency loss back-to-back all" -- "$cur"); return 0 ;;
    --sizes) mapfile -t COMPREPLY < <(compgen -W "64,128,256,512,1024,1280,1518,imix 64,1518 imix" -- "$cur"); return 0 ;;
    --flags) mapfile -t COMPREPLY < <(compgen -W "Static SendAsync Stats Criteria Both" -- "$cur"); return 0 ;;
    --out) mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return 0 ;;
    --config | --dtcp | --pcap-in | --key-file | --seq-file | --list | --rules | --trace)
      mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return 0 ;;
  esac
  # The subcommand: the first word after the program that is one of its subcommands.
  local subs sub="" i
  subs=$(_dfc_help_words "$prog" subcommands)
  for ((i = 1; i < COMP_CWORD; ++i)); do
    if [[ " ${subs//$'\n'/ } " == *" ${COMP_WORDS[i]} "* ]]; then
      sub=${COMP_WORDS[i]}
      break
    fi
  done
  if [[ $cur == -* ]]; then
    local opts
    if [[ -n $sub ]]; then opts=$(_dfc_help_words "$prog" options "$sub"); fi
    # dtcpctl's global options may follow the subcommand.
    opts+=$'\n'$(_dfc_help_words "$prog" options)
    mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
  elif [[ -z $sub ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$subs" -- "$cur")
  else
    # Positional arguments (scenario, .dtcp script) are files.
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
  fi
  return 0
}

complete -o filenames -F _dfc_complete dfcsim dtcpctl
