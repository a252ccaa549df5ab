#!/bin/sh
#
# split-wrapper.sh: send only the networks listed below through the VPN, whatever the gateway pushes,
# then hand over to the main route script. The usual way to split a tunnel the gateway wants full.
#
# Install: copy to /etc/vpnc/split-wrapper.sh, `chmod 755` it, and put in the profile:
#     Script /etc/vpnc/split-wrapper.sh
# VPNC_SCRIPT_MAIN names the main script; by default our vpnc-script installed as /etc/vpnc/vpnc-script
# (Debian's /usr/share/vpnc-scripts/vpnc-script works the same way).

# The networks to reach through the tunnel, as ADDRESS/PREFIXLENGTH.
SPLIT_NETWORKS="203.0.113.0/24 198.18.0.0/15"

# Uncomment to keep your own DNS servers instead of the gateway's:
# INTERNAL_IP4_DNS=

# Dotted netmask of a prefix length (24 -> 255.255.255.0).
masklen_to_mask() {
	mask=$(( (0xffffffff << (32 - $1)) & 0xffffffff ))
	echo "$((mask >> 24 & 255)).$((mask >> 16 & 255)).$((mask >> 8 & 255)).$((mask & 255))"
}

# Replace the gateway's split-include list with ours (index i gets _ADDR, _MASK, _MASKLEN, ...).
CISCO_SPLIT_INC=0
for net in $SPLIT_NETWORKS; do
	i=$CISCO_SPLIT_INC
	eval "CISCO_SPLIT_INC_${i}_ADDR=\${net%/*}"
	eval "CISCO_SPLIT_INC_${i}_MASKLEN=\${net#*/}"
	eval "CISCO_SPLIT_INC_${i}_MASK=\$(masklen_to_mask \${net#*/})"
	eval "CISCO_SPLIT_INC_${i}_PROTOCOL=0 CISCO_SPLIT_INC_${i}_SPORT=0 CISCO_SPLIT_INC_${i}_DPORT=0"
	CISCO_SPLIT_INC=$((i + 1))
done
export CISCO_SPLIT_INC

. "${VPNC_SCRIPT_MAIN:-/etc/vpnc/vpnc-script}"
