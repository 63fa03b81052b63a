#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Faults and churn with offloaded flows live and traffic running: pktgen
# keeps 16 UDP flows busy in both directions through the router while the
# test flushes conntrack, deletes and re-adds tables and flowtables, changes
# the flowtable's device set, deletes and re-creates a device; after each
# round the flows must be offloaded again. Then at least 100,000 short UDP
# flows are created, offloaded and expired over at least 60 s. Afterwards
# no flow may be left in the table, the router's conntrack count must be
# back at its baseline and slab usage near its baseline; finally the
# router netns is deleted with flows live. Kernel reports (KASAN, lockdep,
# kmemleak with the debug kernel) fail the run in the harness.
#
# A debug kernel (KASAN, lockdep) forwards pktgen traffic some twenty times
# slower: the harness then sets FP_TIMEOUT_SCALE, which divides the churn
# targets, and the slab check allows for KASAN's quarantine of freed
# objects (kmemleak is what finds leaks there).
#
# Output is KTAP; the exit status is non-zero if any case failed.

set -u

. "$(dirname "$0")/lib.sh"

NTESTS=9
SCALE=${FP_TIMEOUT_SCALE:-1}
NFLOWS=16		# flows of the background traffic
BATCH=$((25000 / SCALE))	# short flows per round of the churn case
MIN_FLOWS=$((100000 / SCALE))
MIN_SECS=60

if [ ! -d /proc/net/pktgen ] && ! modprobe -q pktgen 2>/dev/null; then
	echo "1..0 # SKIP pktgen not available"
	exit $ksft_skip
fi

load_ruleset()
{
	ip netns exec $R nft -f - <<EOF
flush ruleset
table inet filter {
	flowtable ft {
		hook ingress priority 0
		devices = { r0, r1 }
		counter
	}

	chain forward {
		type filter hook forward priority 0; policy accept;
		ct state established flow add @ft
	}
}
EOF
}

# Client and server only count what reaches them: their stacks must not
# answer the generated packets.
sink()	# sink <netns> <device>
{
	ip netns exec "$1" nft -f - <<EOF
table netdev sink {
	chain in {
		type filter hook ingress device $2 priority 0; counter drop;
	}
}
EOF
}

pg()	# pg <netns> <command> [file]: write to /proc/net/pktgen
{
	ip netns exec "$1" sh -c "echo '$2' > /proc/net/pktgen/${3:-pgctrl}"
}

# pg_setup <netns> <dev> <count> <delay ns> <dst> <src> <sport min> <sport
# max> <dport min> <dport max> <dst mac>: one pktgen device, not started.
# Port ranges: pktgen steps through them in order, max excluded.
pg_setup()
{
	local ns=$1 dev=$2

	pg $ns reset
	pg $ns rem_device_all kpktgend_0
	pg $ns "add_device $dev" kpktgend_0
	for cmd in "count $3" "delay $4" "pkt_size 60" "clone_skb 0" \
		   "dst_min $5" "dst_max $5" "src_min $6" "src_max $6" \
		   "udp_src_min $7" "udp_src_max $8" \
		   "udp_dst_min $9" "udp_dst_max ${10}" "dst_mac ${11}"; do
		pg $ns "$cmd" $dev
	done
}

mac()	# mac <netns> <dev>
{
	ip -n "$1" -o link show "$2" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'
}

# 16 flows, 10.0.1.1:20000-20015 <-> 10.0.2.1:9, 5,000 packets per second
# each way, until traffic_stop.
traffic_start()
{
	traffic_stop
	pg_setup $C c0 0 200000 10.0.2.1 10.0.1.1 20000 $((20000 + NFLOWS)) \
		9 9 "$(mac $R r0)"
	pg_setup $S s0 0 200000 10.0.1.1 10.0.2.1 9 9 \
		20000 $((20000 + NFLOWS)) "$(mac $R r1)"
	pg $C start &
	pg $S start &
}

traffic_stop()
{
	for ns in $C $S; do
		pg $ns stop 2>/dev/null
	done
	wait 2>/dev/null
}

# The background flows are (back) in the flowtable and use the fast path.
recovered()
{
	local hit=$(fp_stat hit)

	[ "$(fp_flows)" -ge "$NFLOWS" ] && sleep 0.5 &&
		[ "$(fp_stat hit)" -gt "$hit" ]
}

# round_case <name> <rounds> <command...>: the command, then 0.3 s of
# traffic, <rounds> times; every round must succeed, and the background
# flows be offloaded again afterwards.
round_case()
{
	local name=$1 rounds=$2 i failed_at=0

	shift 2
	for i in $(seq "$rounds"); do
		if ! "$@"; then
			failed_at=$i
			break
		fi
		sleep 0.3
	done
	if [ $failed_at -ne 0 ]; then
		result 1 "$name: $rounds rounds, flows offloaded again" \
			"round $failed_at of $rounds failed: $*" "$(fp_dump)"
	elif wait_for 40000 recovered; then
		result 0 "$name: $rounds rounds, flows offloaded again"
	else
		result 1 "$name: $rounds rounds, flows offloaded again" \
			"flows not offloaded again after $rounds rounds" "$(fp_dump)"
	fi
}

ct_flush()
{
	ip netns exec $R conntrack -F >/dev/null 2>&1
}

table_readd()
{
	ip netns exec $R nft delete table inet filter && load_ruleset
}

flowtable_readd()
{
	ip netns exec $R nft flush chain inet filter forward &&
	ip netns exec $R nft delete flowtable inet filter ft &&
	ip netns exec $R nft add flowtable inet filter ft \
		'{ hook ingress priority 0; devices = { r0, r1 }; counter; }' &&
	ip netns exec $R nft add rule inet filter forward \
		ct state established flow add @ft
}

devices_change()
{
	ip netns exec $R nft add flowtable inet filter ft '{ devices = { r2 }; }' &&
	ip netns exec $R nft delete flowtable inet filter ft '{ devices = { r1 }; }' &&
	sleep 0.3 &&
	ip netns exec $R nft add flowtable inet filter ft '{ devices = { r1 }; }' &&
	ip netns exec $R nft delete flowtable inet filter ft '{ devices = { r2 }; }'
}

# Delete the router's server-side device under traffic and build it again.
device_recreate()
{
	ip -n $R link del r1 || return 1
	sleep 0.3
	ip link add s0 netns $S type veth peer name r1 netns $R &&
	ip -n $R addr add 10.0.2.254/24 dev r1 &&
	ip -n $S addr add 10.0.2.1/24 dev s0 &&
	ip -n $R link set r1 up && ip -n $S link set s0 up &&
	ip -n $S route add default via 10.0.2.254 &&
	sink $S s0 && load_ruleset && traffic_start
}

ct_count()
{
	ip netns exec $R conntrack -C 2>/dev/null
}

slab_kb()
{
	echo 3 > /proc/sys/vm/drop_caches
	awk '$1 == "Slab:" { print $2 }' /proc/meminfo
}

# How far slab usage may stay above its baseline: 8 MB of caches that
# drop_caches does not shrink, plus, under KASAN, the quarantine that holds
# freed objects back (up to 1/32 of memory).
slab_slack_kb()
{
	local slack=8192

	if grep -qw kasan_quarantine_reduce /proc/kallsyms 2>/dev/null; then
		slack=$((slack + $(awk '$1 == "MemTotal:" { print $2 }' \
					/proc/meminfo) / 32))
	fi
	echo $slack
}

# Rounds of BATCH new flows, each offloaded by its reply and left to
# expire; sources rotate over four client addresses so that a round never
# meets the conntrack entries of the previous ones.
churn_case()
{
	local start=$SECONDS added0 added round=0 src rmac0 rmac1

	rmac0=$(mac $R r0)
	rmac1=$(mac $R r1)
	added0=$(fp_stat flow_add)
	while :; do
		added=$(($(fp_stat flow_add) - added0))
		[ $added -ge $MIN_FLOWS ] && [ $((SECONDS - start)) -ge $MIN_SECS ] &&
			break
		[ $((SECONDS - start)) -ge $((MIN_SECS * 5)) ] && break
		src=10.0.1.$((2 + round % 4))
		pg_setup $C c0 $BATCH 0 10.0.2.1 $src 10000 $((10000 + BATCH)) \
			9 9 "$rmac0"
		pg_setup $S s0 $BATCH 0 $src 10.0.2.1 9 9 \
			10000 $((10000 + BATCH)) "$rmac1"
		# Both ends at once: a flow's two packets pass the router
		# within moments of each other however slow the kernel is.
		pg $C start &
		pg $S start &
		wait
		round=$((round + 1))
		sleep 1
	done
	CHURN="$added flows offloaded in $round rounds over $((SECONDS - start)) s"
	[ $added -ge $MIN_FLOWS ]
}

echo "TAP version 13"
echo "1..$NTESTS"

if ! setup_topology; then
	echo "Bail out! cannot build the namespaces"
	exit 1
fi
for i in 2 3 4 5; do
	ip -n $C addr add 10.0.1.$i/24 dev c0
done
ip -n $R link add r2 type veth peer name r3
ip -n $R link set r2 up
ip -n $R link set r3 up
sink $C c0
sink $S s0
ip netns exec $R sysctl -qw net.netfilter.nf_flowtable_udp_timeout=2 \
	net.netfilter.nf_conntrack_udp_timeout=10 \
	net.netfilter.nf_conntrack_udp_timeout_stream=2
ct_max=$(cat /proc/sys/net/netfilter/nf_conntrack_max)
trap 'echo "$ct_max" > /proc/sys/net/netfilter/nf_conntrack_max; cleanup' EXIT
echo 262144 > /proc/sys/net/netfilter/nf_conntrack_max

ct0=$(ct_count)
slab0=$(slab_kb)

load_ruleset
traffic_start
if wait_for 40000 recovered; then
	result 0 "background flows offloaded"
else
	result 1 "background flows offloaded" "$(fp_dump)" "$(ct_list | head)"
fi

round_case "conntrack -F" 20 ct_flush
round_case "table deleted and re-added" 10 table_readd
round_case "flowtable deleted and re-added" 10 flowtable_readd
round_case "flowtable device set changed" 5 devices_change
round_case "device deleted and re-created" 5 device_recreate

traffic_stop
if churn_case; then
	result 0 "short flow churn: $CHURN"
else
	result 1 "short flow churn: $CHURN" "$(fp_dump)"
fi

# Everything expires; nothing is left behind.
ip netns exec $R conntrack -F >/dev/null 2>&1
if wait_for 30000 no_flows && wait_for 30000 eval '[ "$(ct_count)" -le "$ct0" ]'; then
	slab1=$(slab_kb)
	left="0 flows, $(ct_count) conntrack entries, slab $slab0 -> $slab1 kB"
	if [ $((slab1 - slab0)) -lt $(slab_slack_kb) ]; then
		result 0 "nothing left: $left"
	else
		result 1 "nothing left: $left" "slab grew by $((slab1 - slab0)) kB"
	fi
else
	result 1 "nothing left" "flows $(fp_flows), conntrack $(ct_count) (was $ct0)"
fi

# The router netns goes away with flows live. Its cleanup must run to the
# end: conntrack's exit waits for every entry to be released (an entry
# held by a flow would stall it before the devices go), and the veth ends
# in the client and server namespaces vanish with their peers. A device
# reference left behind shows as "unregister_netdevice: waiting for" in
# the kernel log, which fails the run in the harness.
peers_gone()
{
	! ip -n $C link show c0 >/dev/null 2>&1 &&
	! ip -n $S link show s0 >/dev/null 2>&1
}

traffic_start
if wait_for 40000 recovered; then
	flows=$(fp_flows)
	ip netns pids $R | xargs -r kill 2>/dev/null
	ip netns del $R
	traffic_stop
	if wait_for 30000 peers_gone; then
		result 0 "router netns deleted with $flows live flows, cleanup done"
	else
		result 1 "router netns deleted with live flows, cleanup done" \
			"c0 or s0 still there 30 s later"
	fi
else
	result 1 "router netns deleted with live flows, cleanup done" \
		"flows not offloaded"
fi

echo "# $failed of $testno failed"
[ $failed -eq 0 ]
