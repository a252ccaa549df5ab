#!/usr/bin/env bash
# The README's test command, for a fresh machine (as root): installs every Debian package the tests use
# (listed below and in test/prereq/prerequisites.json, the table the suite checks before its first test), then
# the Node dependencies (building the native addon and dist/), then runs every test. `.ci/run` calls this.
#   bash scripts/test-all.sh            install what is missing, then npm test
#   bash scripts/test-all.sh --no-apt   skip apt-get (packages already there); npm ci and npm test only
set -euo pipefail
cd "$(dirname "$0")/.."

[ "$(id -u)" = 0 ] || { echo "test-all: run as root (apt-get, network namespaces, TUN devices)" >&2; exit 1; }
command -v node >/dev/null || { echo "test-all: node (>= 20) is missing: install Node.js first" >&2; exit 1; }

# Every Debian package the tests use, as in test/prereq/prerequisites.json (which says what each is for; a unit
# test keeps the two lists equal).
packages=(iproute2 iputils-ping nftables iperf3 tcpdump tshark vpnc vpnc-scripts strongswan-charon
  strongswan-swanctl libstrongswan-standard-plugins libcharon-extra-plugins
  libcharon-extauth-plugins openssl procps util-linux bsdutils coreutils python3 make g++
  libstrongswan strongswan-libcharon dbus-daemon libglib2.0-bin systemd)

if [ "${1:-}" != "--no-apt" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  # --no-install-recommends: what the tests need is named, not pulled in by chance (strongSwan's plugins are
  # spread over several packages that are only Recommends of strongswan-charon).
  apt-get install -y -q --no-install-recommends "${packages[@]}"
fi

# Packages the tests run from an unpacked copy, never installed: their install scripts would rewrite this machine's
# /etc/resolv.conf (test/prereq/prerequisites.json, "unpacked"; a unit test keeps the two lists equal).
unpacked=(systemd-resolved libsystemd-shared openresolv network-manager-vpnc libnm0)
unpack_dir=/var/cache/vpnc-ts/unpacked
# .complete names what was unpacked: a list that grew is unpacked again.
if [ "${1:-}" != "--no-apt" ] && [ "$(cat "$unpack_dir/.complete" 2>/dev/null)" != "${unpacked[*]}" ]; then
  work=$(mktemp -d) && chmod 755 "$work" # apt's _apt user writes the downloads
  (cd "$work" && apt-get download "${unpacked[@]}")
  mkdir -p "$unpack_dir"
  rm -rf "$unpack_dir"/*
  for deb in "$work"/*.deb; do
    case "$deb" in
    # A folder of its own: its sbin/resolvconf and systemd-resolved's resolvconf link would overwrite each other.
    */openresolv_*) dpkg-deb -x "$deb" "$unpack_dir/openresolv" ;;
    *) dpkg-deb -x "$deb" "$unpack_dir" ;;
    esac
  done
  rm -rf "$work"
  printf '%s\n' "${unpacked[*]}" > "$unpack_dir/.complete"
fi

# node-gyp must build against the Node headers on the machine: it cannot download them here.
if [ -d /usr/include/node ]; then export npm_config_nodedir=/usr; fi
npm ci --no-audit --no-fund

npm test
