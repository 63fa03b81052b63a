#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Coexistence with mainline's flowtable core, on a kernel that has both
# (make kernel KERNEL=distro: NF_FASTPATH with NF_FLOW_TABLE, NET_ACT_CT
# and Open vSwitch): nftables flowtables are served by the fast path,
# while a tc act_ct action on the same router offloads other connections
# into its own flowtable through mainline's core - both at once, each
# entry shown [OFFLOAD] - and a conntrack entry act_ct offloaded is never
# taken by the fast path as well, although the nftables ruleset asks for
# every UDP connection.
#
# Output is KTAP; the exit status is non-zero if any case failed.

set -u

. "$(dirname "$0")/lib.sh"

NTESTS=5
FT_PORT=7000	# offloaded by the fast path
CT_PORT=7001	# offloaded by tc act_ct

for tool in nft conntrack socat tc; do
	if ! command -v $tool > /dev/null; then
		echo "1..0 # SKIP $tool not found"
		exit $ksft_skip
	fi
done

nsx()
{
	ip netns exec $R "$@"
}

# act_ct on both router ports, for CT_PORT only: conntrack from tc
# ingress, committed, then on to the stack, which routes and forwards.
load_act_ct()
{
	local dev dir

	for dev in r0 r1; do
		case $dev in
		r0) dir=dst_port ;;
		r1) dir=src_port ;;
		esac
		nsx tc qdisc add dev $dev ingress || return 1
		nsx tc filter add dev $dev ingress protocol ip prio 1 \
			flower ip_proto udp $dir $CT_PORT \
			action ct commit pipe action gact pass || return 1
	done
}

load_ruleset()
{
	nsx nft -f - <<EOT
table inet filter {
	counter forwarded_ft { }
	counter forwarded_ct { }

	flowtable ft {
		hook ingress priority 0
		devices = { r0, r1 }
	}

	chain forward {
		type filter hook forward priority 0; policy accept;
		udp dport $FT_PORT counter name forwarded_ft
		udp dport $CT_PORT counter name forwarded_ct
		meta l4proto udp flow add @ft
	}
}
EOT
}

# echo_stream <port> <lines>: the client's datagrams and their echoes,
# every one of them back, in order. One server process per stream: with
# socat's fork option, a datagram that reaches the listening socket
# before the first child has connected its own starts a second child,
# whose echoes can overtake the first one's.
echo_stream()
{
	ip netns exec $S socat UDP-LISTEN:"$1",reuseaddr EXEC:cat > /dev/null &
	wait_listen $S udp "$1" || return 1
	seq 1 "$2" > "$WORK/want.$1"
	: > "$WORK/got.$1"
	udp_echo "$WORK/want.$1" "$WORK/got.$1" \
		UDP:10.0.2.1:"$1",sourceport=$(($1 + 1000)) 0.01 &&
		cmp -s "$WORK/want.$1" "$WORK/got.$1" && return 0
	WHY="echoes back: $(wc -l < "$WORK/got.$1") of $2, first difference:"
	WHY+=" $(diff "$WORK/want.$1" "$WORK/got.$1" | head -4 | tr '\n' ' ')"
	return 1
}

echo "TAP version 13"

pings()
{
	ip netns exec $C ping -q -c 1 -W 1 10.0.2.1 > /dev/null
}

if ! setup_topology || ! wait_for 10000 pings; then
	echo "1..0 # SKIP cannot build the test topology"
	exit $ksft_skip
fi
if ! load_act_ct 2> "$WORK/tc.err"; then
	# make check runs this test on the distro kernel
	echo "1..0 # SKIP tc act_ct not available: $(head -1 "$WORK/tc.err")"
	exit $ksft_skip
fi
echo "1..$NTESTS"

# The server counts the datagrams of the act_ct stream it gets.
ip netns exec $S nft -f - <<EOT
table inet srv {
	counter got { }
	chain in {
		type filter hook input priority 0; policy accept;
		udp dport $CT_PORT counter name got
	}
}
EOT

# Both connections must stay offloaded until the last case: the idle
# timeout of offloaded UDP entries (30 s) would end the first one while
# the second stream runs.
nsx sysctl -qw net.netfilter.nf_flowtable_udp_timeout=300

# 1. The ruleset loads next to the act_ct filters.
if load_ruleset 2> "$WORK/nft.err"; then
	result 0 "nftables flowtable loads next to tc act_ct filters"
else
	result 1 "nftables flowtable loads next to tc act_ct filters" "$(cat "$WORK/nft.err")"
fi

# 2. A stream the ruleset offloads: the fast path forwards it.
add0=$(fp_stat flow_add); hit0=$(fp_stat hit)
if echo_stream $FT_PORT 200 && offloaded udp $FT_PORT; then
	hit1=$(fp_stat hit)
	if [ "$hit1" -ge $((hit0 + 300)) ]; then
		msg="200/200 back, fast path hits +$((hit1 - hit0))"
		result 0 "fast path: UDP echo [OFFLOAD], $msg"
	else
		result 1 "fast path: UDP echo on the fast path" "hits $hit0 -> $hit1"
	fi
else
	result 1 "fast path: UDP echo [OFFLOAD], all back" "$WHY" "$(ct_list)" "$(fp_dump)"
fi

# 3. A stream act_ct offloads, while the first is still offloaded: the
# ruleset's "flow add" finds the entry taken and leaves it to act_ct;
# its packets still traverse the forward chain, not the fast path: every
# datagram the server gets (socat may send two lines in one) was counted
# there.
hit0=$(fp_stat hit); fwd0=$(nft_packets forwarded_ct)
srv0=$(ns_counter $S srv got)
if echo_stream $CT_PORT 200 && offloaded udp $CT_PORT; then
	hit1=$(fp_stat hit); fwd1=$(nft_packets forwarded_ct)
	srv1=$(ns_counter $S srv got)
	if [ "$hit1" -eq "$hit0" ] && [ "$srv1" -gt "$srv0" ] &&
	   [ $((fwd1 - fwd0)) -eq $((srv1 - srv0)) ]; then
		msg="200/200 back, fast path hits +0"
		msg+=", forward chain +$((fwd1 - fwd0)) of $((srv1 - srv0)) datagrams"
		result 0 "act_ct: UDP echo [OFFLOAD] through mainline's core, $msg"
	else
		result 1 "act_ct: UDP echo through mainline's core" \
			"fast path hits $hit0 -> $hit1, forward chain $fwd0 -> $fwd1" \
			"server got $srv0 -> $srv1"
	fi
else
	result 1 "act_ct: UDP echo [OFFLOAD], all back" "$WHY" "$(ct_list)" "$(fp_dump)"
fi

# 4. Both at once.
if offloaded udp $FT_PORT && offloaded udp $CT_PORT; then
	result 0 "both entries [OFFLOAD] at the same time"
else
	result 1 "both entries [OFFLOAD] at the same time" "$(ct_list)"
fi

# 5. One owner per entry: the fast path holds the nftables connection
# only, although "flow add" saw both.
if [ "$(fp_flows)" -eq 1 ] && [ "$(fp_stat flow_add)" -eq $((add0 + 1)) ]; then
	result 0 "the fast path holds 1 flow: act_ct's entry was not taken twice"
else
	result 1 "the fast path holds only its own flow" \
		"flows $(fp_flows), flow_add $add0 -> $(fp_stat flow_add)" "$(fp_dump)"
fi

[ $failed -eq 0 ]
