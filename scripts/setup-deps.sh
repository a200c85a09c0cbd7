#!/usr/bin/env bash
# Installs the Debian 12 packages dfcsim needs to build and test, only when missing.
# Idempotent and quiet when everything is present. Must run as root (or via sudo) the
# first time; later runs only check.
set -euo pipefail

PKGS=(
  build-essential cmake ninja-build pkg-config git
  libsystemc-dev verilator zlib1g-dev
  libboost-dev libboost-system-dev
  libcli11-dev libgtest-dev libgmock-dev googletest
  libpcap-dev libssl-dev nlohmann-json3-dev
  clang libclang-rt-14-dev
  tshark
  help2man
  yosys lcov ccache
  slurm-wlm munge
  g++-mips-linux-gnu libunicorn-dev gdb-multiarch
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "setup-deps: installing ${missing[*]}" >&2
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then SUDO=sudo; else
    echo "setup-deps: missing packages (${missing[*]}) and not root; run as root or install them" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup-deps: done" >&2
