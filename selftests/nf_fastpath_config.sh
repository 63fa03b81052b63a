#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Bad control-plane input: requests a user can get wrong, sent with the
# stock nft to a router with a flowtable and a "flow add" rule, and to the
# fast path's own /proc/net/nf_fastpath knob. Each must fail with the errno
# that tells the user what is wrong, and leave the ruleset exactly as it
# was (listed before and after). A transaction with one bad request in it
# must change nothing at all.
#
# Output is KTAP; the exit status is non-zero if any case failed.

set -u

NTESTS=16

. "$(dirname "$0")/lib.sh"

nsx()
{
	ip netns exec $R "$@"
}

load_ruleset()
{
	nsx nft -f - <<EOF
flush ruleset
table inet filter {
	flowtable ft {
		hook ingress priority 0
		devices = { r0, r1 }
	}

	chain forward {
		type filter hook forward priority 0; policy accept;
		ct state established flow add @ft
	}

	chain input {
		type filter hook input priority 0; policy accept;
	}
}
EOF
}

# refused <name> <expected error text> <nft arguments...>: nft fails,
# says why, and the ruleset is unchanged.
refused()
{
	local name=$1 want=$2 rc

	shift 2
	nsx nft list ruleset > "$WORK/before"
	nsx nft "$@" > "$WORK/out" 2>&1
	rc=$?
	nsx nft list ruleset > "$WORK/after"
	if [ $rc -ne 0 ] && grep -q "$want" "$WORK/out" &&
	   cmp -s "$WORK/before" "$WORK/after"; then
		result 0 "$name: $want"
	else
		result 1 "$name: $want" "nft exit status $rc" \
			"$(cat "$WORK/out")" \
			"$(diff "$WORK/before" "$WORK/after")"
	fi
}

# knob <name> <expected error text> <line>: the write to
# /proc/net/nf_fastpath fails, and the flowtable keeps its setting.
# knob NAME STATUS TEXT ARGS...: "nf-fastpath set ARGS" exits with STATUS
# and says TEXT, and changes nothing.
knob()
{
	local name=$1 want_rc=$2 want=$3 before after rc=0

	shift 3
	# everything but gc_passes, which the garbage collector moves
	before=$(fp_dump | sed 's/gc_passes [0-9]*//')
	nsx nf-fastpath set "$@" > /dev/null 2> "$WORK/out" || rc=$?
	after=$(fp_dump | sed 's/gc_passes [0-9]*//')
	if [ $rc -eq "$want_rc" ] && grep -q "$want" "$WORK/out" &&
	   [ "$before" = "$after" ]; then
		result 0 "$name: $want"
	else
		result 1 "$name: $want" "status $rc" "$(cat "$WORK/out")"
	fi
}

echo "TAP version 13"
echo "1..$NTESTS"

if ! setup_topology; then
	echo "Bail out! cannot build the namespaces"
	exit 1
fi
ip -n $R link add r2 type veth peer name r3
ip -n $R link set r2 up
ip -n $R link set r3 up
if ! load_ruleset; then
	echo "Bail out! cannot load the ruleset"
	exit 1
fi

refused "flow add to an unknown flowtable" "No such file or directory" \
	add rule inet filter forward flow add @nosuch
refused "flowtable with a device that does not exist" \
	"No such file or directory" \
	add flowtable inet filter f2 \
	'{ hook ingress priority 0; devices = { nosuch0 }; }'
refused "flags offload on a device that cannot offload" \
	"Operation not supported" \
	add flowtable inet filter f3 \
	'{ hook ingress priority 0; devices = { r2 }; flags offload; }'
refused "delete a flowtable a rule refers to" "Device or resource busy" \
	delete flowtable inet filter ft
refused "flowtable name over 256 characters" "name too long" \
	add flowtable inet filter "$(printf 'n%.0s' $(seq 300))" \
	'{ hook ingress priority 0; devices = { r2 }; }'
refused "device already in another flowtable of the table" "File exists" \
	add flowtable inet filter f4 \
	'{ hook ingress priority 0; devices = { r0 }; }'
refused "flowtable on a hook other than ingress" "Operation not supported" \
	add flowtable inet filter f5 \
	'{ hook egress priority 0; devices = { r2 }; }'
refused "change the priority of a live flowtable" "Operation not supported" \
	add flowtable inet filter ft '{ hook ingress priority 10; }'
refused "flow add in an input chain" "Operation not supported" \
	add rule inet filter input flow add @ft

# One bad request spoils the whole transaction.
cat > "$WORK/batch.nft" <<EOF
add flowtable inet filter f6 { hook ingress priority 0; devices = { r2 }; }
add chain inet filter pre { type filter hook prerouting priority 0; }
add rule inet filter pre flow add @f6
EOF
refused "transaction with a flow add outside forward" \
	"Operation not supported" -f "$WORK/batch.nft"

# Valid, as with mainline: a flowtable without devices, filled later.
if nsx nft add flowtable inet filter f7 '{ hook ingress priority 0; }' &&
   nsx nft add flowtable inet filter f7 '{ devices = { r2 }; }' &&
   nsx nft list flowtable inet filter f7 | grep -q 'devices = { r2 }'; then
	result 0 "flowtable without devices accepted, devices added later"
else
	result 1 "flowtable without devices accepted, devices added later" \
		"$(nsx nft list flowtables 2>&1)"
fi
nsx nft delete flowtable inet filter f7

knob "revalidation knob: unknown flowtable" 1 "no flowtable nosuch" \
	inet filter nosuch revalidate off
knob "revalidation knob: unknown setting" 2 "revalidate" \
	inet filter ft revalidate maybe
knob "revalidation knob: extra words" 2 "now" \
	inet filter ft revalidate off now

# The settings moved to netlink: /proc/net/nf_fastpath is read-only.
before=$(fp_dump | sed 's/gc_passes [0-9]*//')
if echo "inet filter ft revalidate off" |
   nsx tee /proc/net/nf_fastpath > /dev/null 2>&1; then
	result 1 "/proc/net/nf_fastpath refuses writes" "a write was accepted"
elif [ "$before" != "$(fp_dump | sed 's/gc_passes [0-9]*//')" ]; then
	result 1 "/proc/net/nf_fastpath refuses writes" "$(fp_dump)"
else
	result 0 "/proc/net/nf_fastpath refuses writes"
fi

# After all of this the router still offloads.
ip netns exec $S socat UDP4-LISTEN:9000,reuseaddr EXEC:cat >/dev/null 2>&1 &
echo hello > "$WORK/hello"
if ! wait_listen $S udp 9000; then
	result 1 "flows still offloaded after the refused requests" "$WHY"
elif ! udp_echo "$WORK/hello" "$WORK/hello-got" UDP4:10.0.2.1:9000,sourceport=9001; then
	result 1 "flows still offloaded after the refused requests" \
		"no echo from the server" "$(ct_list)"
elif wait_for 10000 offloaded udp 9000; then
	result 0 "flows still offloaded after the refused requests"
else
	result 1 "flows still offloaded after the refused requests" "$(ct_list)"
fi

echo "# $failed of $testno failed"
[ $failed -eq 0 ]
