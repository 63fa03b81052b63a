#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Conformance: mainline's own flowtable selftest, unmodified, from the
# base tree (tools/testing/selftests/net/netfilter/nft_flowtable.sh). It
# exercises the nftables flowtable uapi that our implementation serves:
# forwarding with offload, PMTU, DSCP mangling in ingress/forward/egress,
# NAT, bridges, VLANs and IPsec. Each of its PASS/FAIL lines becomes a
# KTAP result; its exit status must be 0 as well. Nothing is skipped.

here=$(cd "$(dirname "$0")" && pwd)
ksrc=${KSRC:-$here/../build/linux}
dir=$ksrc/tools/testing/selftests/net/netfilter
log=$(mktemp /tmp/nft_flowtable.XXXXXX)
n=0
bad=0

echo "TAP version 13"
if [ ! -x "$dir/nft_flowtable.sh" ] && [ ! -f "$dir/nft_flowtable.sh" ]; then
	echo "1..0 # SKIP $dir/nft_flowtable.sh not found (run make tree)"
	exit 4
fi

# The script wants to be run from its own directory (it sources lib.sh).
(cd "$dir" && bash ./nft_flowtable.sh) > "$log" 2>&1
status=$?

while IFS= read -r line; do
	case "$line" in
	PASS:*)
		n=$((n + 1))
		echo "ok $n ${line#PASS: }"
		;;
	FAIL:*)
		n=$((n + 1))
		bad=$((bad + 1))
		echo "not ok $n ${line#FAIL: }"
		;;
	*)
		echo "# $line"
		;;
	esac
done < "$log"

n=$((n + 1))
if [ $status -eq 0 ]; then
	echo "ok $n nft_flowtable.sh exit status"
else
	bad=$((bad + 1))
	echo "not ok $n nft_flowtable.sh exit status $status"
fi
echo "1..$n"
rm -f "$log"
[ $bad -eq 0 ]
