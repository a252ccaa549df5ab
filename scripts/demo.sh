#!/usr/bin/env bash
# The one-command demo (`npm run demo`, as root): three network namespaces, the project's own gateway, our
# client connecting with a profile, routes and DNS from the gateway, traffic through the tunnel,
# vpnc-disconnect, and proof that everything was put back. Nothing outside the namespaces is touched, and
# everything is removed at the end, even when a step fails.
#
# `--cert` (npm run demo -- --cert): certificate authentication instead of the group secret. A test CA made with
# openssl issues the gateway's and the client's certificates; the gateway takes main mode with RSA signatures
# only, the client connects with `IKE Authmode cert` (profiles/demo-cert.conf), then XAUTH as before.
set -euo pipefail

auth=psk
case "${1:-}" in
  "") ;;
  --cert) auth=cert ;;
  *) echo "demo: unknown argument '$1' (the only one is --cert)" >&2; exit 1 ;;
esac

here=$(cd "$(dirname "$0")/.." && pwd)
# VPNC_TS_COMMANDS=DIR runs the installed commands in DIR (vpnc, vpnc-gateway, vpnc-disconnect; e.g. an npm
# prefix's bin/) instead of this tree's bin/*.js.
if [ -n "${VPNC_TS_COMMANDS:-}" ]; then
  vpnc_cmd="$VPNC_TS_COMMANDS/vpnc" gateway_cmd="$VPNC_TS_COMMANDS/vpnc-gateway" disconnect_cmd="$VPNC_TS_COMMANDS/vpnc-disconnect"
else
  vpnc_cmd="node $here/bin/vpnc.js" gateway_cmd="node $here/bin/vpnc-gateway.js" disconnect_cmd="node $here/bin/vpnc-disconnect.js"
fi
tag="d$$"
CLIENT="demo-client-$tag" GATEWAY="demo-gw-$tag" INNER="demo-inner-$tag"
work=$(mktemp -d /tmp/vpnc-demo.XXXXXX)
gw_pid=""
srv_pid=""

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
say() { printf '   %s\n' "$*"; }
run_in() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

cleanup() {
  set +e
  [ -n "$gw_pid" ] && kill "$gw_pid" 2>/dev/null && wait "$gw_pid" 2>/dev/null
  [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null && wait "$srv_pid" 2>/dev/null
  for ns in "$CLIENT" "$GATEWAY" "$INNER"; do ip netns delete "$ns" 2>/dev/null; done
  rm -rf "/etc/netns/$CLIENT" "$work"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "demo: needs root (network namespaces, TUN devices)" >&2; exit 1; }
[ -n "${VPNC_TS_COMMANDS:-}" ] || [ -f "$here/dist/cli/vpnc.js" ] || { echo "demo: run 'npm install' first (it builds dist/ and the native addon)" >&2; exit 1; }
tools="ip node"; [ "$auth" = cert ] && tools="$tools openssl"
for tool in $tools; do command -v "$tool" >/dev/null || { echo "demo: $tool is missing" >&2; exit 1; }; done

step "1. A client, a gateway and a host behind it, each in its own network namespace"
for ns in "$CLIENT" "$GATEWAY" "$INNER"; do ip netns add "$ns"; run_in "$ns" ip link set lo up; done
ip link add "c$tag" netns "$CLIENT" type veth peer name "g$tag" netns "$GATEWAY"
ip link add "i$tag" netns "$INNER" type veth peer name "h$tag" netns "$GATEWAY"
run_in "$CLIENT" ip addr add 198.51.100.2/24 dev "c$tag"; run_in "$CLIENT" ip link set "c$tag" up
run_in "$CLIENT" ip route add default via 198.51.100.1
run_in "$GATEWAY" ip addr add 198.51.100.1/24 dev "g$tag"; run_in "$GATEWAY" ip link set "g$tag" up
run_in "$GATEWAY" ip addr add 203.0.113.1/24 dev "h$tag"; run_in "$GATEWAY" ip link set "h$tag" up
run_in "$GATEWAY" sysctl -qw net.ipv4.ip_forward=1
run_in "$INNER" ip addr add 203.0.113.2/24 dev "i$tag"; run_in "$INNER" ip link set "i$tag" up
run_in "$INNER" ip route add default via 203.0.113.1
mkdir -p "/etc/netns/$CLIENT"
printf '# the client namespace before the VPN\nnameserver 198.51.100.53\n' > "/etc/netns/$CLIENT/resolv.conf"
say "client 198.51.100.2  --  198.51.100.1 gateway 203.0.113.1  --  203.0.113.2 inner host"

# A test CA and two certificates (RSA 2048, SHA-256, a day): the gateway's names its address, the client's is alice's.
make_pki() {
  local d="$work/pki" who cn
  mkdir -m 700 "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.pem" -days 1 -subj "/O=vpnc-ts demo/CN=Demo CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  printf 'subjectAltName=IP:198.51.100.1\nextendedKeyUsage=serverAuth\n' > "$d/gw.ext"
  printf 'extendedKeyUsage=clientAuth\n' > "$d/alice.ext"
  for who in gw alice; do
    cn=alice; [ "$who" = gw ] && cn=gateway.demo.example
    openssl req -new -newkey rsa:2048 -nodes -keyout "$d/$who.key" -out "$d/$who.csr" -subj "/O=vpnc-ts demo/CN=$cn" 2>/dev/null
    openssl x509 -req -in "$d/$who.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -set_serial "0x$(openssl rand -hex 8)" -days 1 -sha256 \
      -extfile "$d/$who.ext" -out "$d/$who.pem" 2>/dev/null
  done
  say "the CA \"O=vpnc-ts demo, CN=Demo CA\" issued gateway.demo.example (IP 198.51.100.1) and alice, in $d"
}

if [ "$auth" = cert ]; then
  step "2. A test CA (openssl), and the project's gateway (vpnc-gateway) on 198.51.100.1 taking certificates only"
  make_pki
  auth_lines="Certificate $work/pki/gw.pem
Private key $work/pki/gw.key
Client CA $work/pki/ca.pem"
  profile="$here/profiles/demo-cert.conf"
else
  step "2. The project's gateway (vpnc-gateway) on 198.51.100.1, handing out 192.0.2.0/24"
  auth_lines="Group demo
Group secret demo-group-secret"
  profile="$here/profiles/demo.conf"
fi
cat > "$work/gateway.conf" <<EOF
Listen 198.51.100.1
$auth_lines
User alice demo-password
Pool 192.0.2.10-192.0.2.20
DNS 203.0.113.53
Default domain corp.example
Banner "Welcome to the vpnc-ts demo gateway"
Split include 203.0.113.0/24
Netns $GATEWAY
EOF
$gateway_cmd --debug 1 "$work/gateway.conf" > "$work/gateway.log" 2>&1 &
gw_pid=$!
for _ in $(seq 50); do grep -q 'listening\|ready\|started' "$work/gateway.log" 2>/dev/null && break; sleep 0.1; done
sleep 0.5
kill -0 "$gw_pid" 2>/dev/null || { cat "$work/gateway.log"; exit 1; }
say "gateway running (pid $gw_pid); its log: $work/gateway.log"

step "3. The client profile (profiles/$(basename "$profile"), with this run's pid file and our route script)"
sed -e "s#@PIDFILE@#$work/vpnc.pid#" -e "s#@SCRIPT@#$here/scripts/vpnc-script#" -e "s#@PKI@#$work/pki#" "$profile" > "$work/demo.conf"
chmod 600 "$work/demo.conf"
sed 's/^/   | /' "$work/demo.conf"

# The client and vpnc-disconnect share a private /run (the route script keeps its restore journal there).
cat > "$work/client.sh" <<EOF
set -e
mount -t tmpfs tmpfs /run
show() { echo "   --- \$1"; shift; "\$@" | sed 's/^/   | /'; }
echo; echo '   Before: the routing table and resolv.conf of the client namespace'
show 'ip route' ip route
show '/etc/resolv.conf' cat /etc/resolv.conf
ip route > $work/routes-before; cat /etc/resolv.conf > $work/resolv-before

printf '\n\033[1m== 4. vpnc connects (background mode, as vpnc does by default)\033[0m\n'
$vpnc_cmd $work/demo.conf | sed 's/^/   | /'
echo; echo "   The gateway's log of phase 1"
grep -h 'mode from\|phase 1 established' $work/gateway.log | sed 's/^/   | /'

echo; echo '   During: the gateway asked for a split tunnel to 203.0.113.0/24 and its DNS server'
show 'ip route' ip route
show '/etc/resolv.conf' cat /etc/resolv.conf

printf '\n\033[1m== 5. Traffic through the tunnel\033[0m\n'
ping -c 3 -i 0.2 -W 2 203.0.113.2 | sed 's/^/   | /'
node $here/scripts/demo-transfer.mjs client 203.0.113.2 | sed 's/^/   /'

printf '\n\033[1m== 6. vpnc-disconnect\033[0m\n'
$disconnect_cmd --pid-file $work/vpnc.pid | sed 's/^/   | /'
echo; echo '   After: routes and resolv.conf are as they were'
show 'ip route' ip route
show '/etc/resolv.conf' cat /etc/resolv.conf
ip route > $work/routes-after; cat /etc/resolv.conf > $work/resolv-after
if cmp -s $work/routes-before $work/routes-after && cmp -s $work/resolv-before $work/resolv-after; then
  echo '   identical to before the connection'
else
  echo '   DIFFERENT from before:'; diff $work/routes-before $work/routes-after; diff $work/resolv-before $work/resolv-after; exit 1
fi
EOF
run_in "$INNER" node "$here/scripts/demo-transfer.mjs" server > "$work/transfer-server.log" 2>&1 &
srv_pid=$!
run_in "$CLIENT" unshare -m --propagation private sh "$work/client.sh"

step "7. Cleaning up: gateway stopped, namespaces removed"
kill "$gw_pid"; wait "$gw_pid" 2>/dev/null || true; gw_pid=""
say "done"
