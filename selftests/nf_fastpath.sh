#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Software fast path selftest: client - router - server in three network
# namespaces joined by veth pairs. The router offloads established flows
# into a flowtable with the stock nft "flow add" statement. Each case
# checks what a user can observe: data delivered intact, conntrack
# entries marked [OFFLOAD], the forward chain standing still while the
# fast path counters grow, and flows leaving the table when they should.
#
# Output is KTAP; the exit status is non-zero if any case failed.

set -u

NTESTS=15

. "$(dirname "$0")/lib.sh"

load_ruleset()	# load_ruleset [extra nat rules]
{
	ip netns exec $R nft -f - <<EOF
flush ruleset
table inet filter {
	counter fwd_tcp { }
	counter fwd_udp { }

	flowtable ft {
		hook ingress priority 0
		devices = { r0, r1 }
		counter
	}

	chain forward {
		type filter hook forward priority 0; policy accept;
		tcp flags & (fin | syn | rst) == 0 counter name fwd_tcp
		meta l4proto udp counter name fwd_udp
		ct state established flow add @ft
	}
}
table ip nat {
	chain postrouting {
		type nat hook postrouting priority 100;
		$1
	}
}
EOF
}

# UDP request/response: one exchange gets the flow offloaded, then every
# datagram of the stream, both ways, must take the fast path.
udp_echo_case()	# <name> <server address> <port> <lines>
{
	local name=$1 addr=$2 port=$3 lines=$4
	local want=$WORK/uwant-$port got=$WORK/ugot-$port
	local client="UDP:$addr:$port,sourceport=$((port + 1000))"
	local fwd0 fwd1 hit0 hit1 req0 rep0 requests replies

	seq -f "datagram %g" 1 "$lines" > "$want"
	echo hello > "$WORK/hello"
	ip netns exec $S nft -f - <<EOF
table inet count {
	counter requests { }
	counter replies { }
	chain input {
		type filter hook input priority 0;
		udp dport $port counter name requests
	}
	chain output {
		type filter hook output priority 0;
		udp sport $port counter name replies
	}
}
EOF
	ip netns exec $S socat UDP-LISTEN:$port,reuseaddr EXEC:cat &
	if ! wait_listen $S udp $port; then
		result 1 "$name" "$WHY"
	elif ! udp_echo "$WORK/hello" "$WORK/hello-got" "$client" ||
	     ! wait_for 10000 offloaded udp $port; then
		result 1 "$name" "no [OFFLOAD] entry after one exchange" \
			"$(ct_list -p udp)"
	else
		fwd0=$(nft_packets fwd_udp)
		hit0=$(fp_stat hit)
		req0=$(ns_counter $S count requests)
		rep0=$(ns_counter $S count replies)
		udp_echo "$want" "$got" "$client"
		fwd1=$(nft_packets fwd_udp)
		hit1=$(fp_stat hit)
		requests=$(($(ns_counter $S count requests) - req0))
		replies=$(($(ns_counter $S count replies) - rep0))

		if ! cmp -s "$want" "$got"; then
			result 1 "$name" \
				"echoed data differs ($(wc -l < "$got") of $lines lines)"
		elif [ "$fwd1" -ne "$fwd0" ]; then
			result 1 "$name" "forward chain saw $((fwd1 - fwd0)) datagrams" \
				"$(fp_dump)"
		elif [ $((hit1 - hit0)) -ne $((requests + replies)) ]; then
			result 1 "$name" "fast path hits $((hit1 - hit0))" \
				"for $requests requests, $replies replies" "$(fp_dump)"
		else
			echo "# $name: $requests requests and $replies replies," \
				"all on the fast path"
			result 0 "$name"
		fi
	fi
	ns_kill $S
	wait
	ip netns exec $S nft delete table inet count
}

echo "TAP version 13"
echo "1..$NTESTS"

if ! setup_topology; then
	echo "Bail out! cannot build the namespaces"
	exit 1
fi
head -c 4000000 /dev/urandom > "$WORK/big"

# 1: the ruleset of a typical router loads with stock nft.
if load_ruleset "" 2>"$WORK/nft.err"; then
	result 0 "ruleset with flowtable and flow add loads"
else
	result 1 "ruleset with flowtable and flow add loads" "$(cat "$WORK/nft.err")"
fi

# 2-3: TCP over IPv4 and IPv6.
tcp_transfer_case "tcp ipv4 transfer on the fast path" TCP4-LISTEN 10.0.2.1 5001
tcp_transfer_case "tcp ipv6 transfer on the fast path" TCP6-LISTEN "[dead:2::1]" 5002

# 4: FIN took the flow out of the table and conntrack saw the close.
if wait_for 10000 no_flows && [ "$(fp_stat del_teardown)" -eq 2 ] &&
   not_offloaded tcp 5001 &&
   ct_list -p tcp --dport 5001 | grep -Eq 'TIME_WAIT|CLOSE|LAST_ACK|FIN_WAIT'; then
	result 0 "tcp close hands the flow back to conntrack"
else
	result 1 "tcp close hands the flow back to conntrack" \
		"$(ct_list -p tcp)" "$(ip netns exec $R cat /proc/net/nf_fastpath)"
fi

# 5: UDP request/response stream. Its flow must stay offloaded through
# case 8 however slow the machine (a debug kernel beside a build has taken
# more than the default 30 s between two of its datagrams); case 9 tests
# the idle timeout itself.
ip netns exec $R sysctl -qw net.netfilter.nf_flowtable_udp_timeout=300
udp_echo_case "udp ipv4 echo on the fast path" 10.0.2.1 6001 200

# 6-7: the next hop's link-layer address changes under an offloaded flow:
# first the router forgets its neighbour (the next packet resolves it again
# with ARP), then the server's MAC changes and the router is told. The
# stream must go on, intact and on the fast path, to the new address.
ip -n $R neigh flush dev r1
udp_echo_case "udp ipv4 echo after the neighbour is flushed" 10.0.2.1 6001 50
ip -n $S link set s0 address 02:00:00:00:5e:01
ip -n $R neigh replace 10.0.2.1 lladdr 02:00:00:00:5e:01 dev r1 nud reachable
udp_echo_case "udp ipv4 echo after the next hop's MAC changed" 10.0.2.1 6001 50

# 8: conntrack -F: dying entries leave the flowtable. The UDP flow of
# 5-7 is still offloaded.
flows=$(fp_flows)
dying0=$(fp_stat del_ct_dying)
ip netns exec $R conntrack -F >/dev/null 2>&1
if [ "$flows" -eq 0 ]; then
	result 1 "conntrack -F removes offloaded flows" "no flow offloaded before the flush"
elif wait_for 10000 no_flows && [ "$(fp_stat del_ct_dying)" -gt "$dying0" ]; then
	result 0 "conntrack -F removes offloaded flows"
else
	result 1 "conntrack -F removes offloaded flows" "flows: $(fp_flows)" "$(fp_dump)"
fi

# 9: idle flows expire and conntrack keeps tracking the connection. With
# a 2 s timeout the flow may be gone before a slow kernel lists it, so the
# counters tell that it was offloaded and then timed out.
ip netns exec $R sysctl -qw net.netfilter.nf_flowtable_udp_timeout=2
add0=$(fp_stat flow_add)
to0=$(fp_stat del_timeout)
udp_flow_up 6002
if wait_for 15000 no_flows && [ "$(fp_stat flow_add)" -gt "$add0" ] &&
   [ "$(fp_stat del_timeout)" -gt "$to0" ] &&
   ct_list -p udp --dport 6002 | grep -q 6002 &&
   not_offloaded udp 6002; then
	result 0 "idle flow expires back to conntrack"
else
	result 1 "idle flow expires back to conntrack" \
		"$(ct_list -p udp)" "$(fp_dump)"
fi
ip netns exec $R sysctl -qw net.netfilter.nf_flowtable_udp_timeout=30
ns_kill $S

# 9b: an IPv4 route through an IPv6 gateway (RFC 5549). Its neighbour is
# in the IPv6 table: the connection stays on the classic path and every
# datagram of an echo stream arrives. The server answers ARP only for
# addresses of s0, so a fast path sending to an IPv4 neighbour of the
# destination would lose the stream.
ip -n $S addr add 10.0.9.1/32 dev lo
ip netns exec $S sysctl -qw net.ipv4.conf.s0.arp_ignore=1
ip -n $R route add 10.0.9.0/24 via inet6 dead:2::1 dev r1
fail0=$(fp_stat flow_add_fail)
seq -f "datagram %g" 1 50 > "$WORK/v6gw-want"
ip netns exec $S socat UDP-LISTEN:6006,bind=10.0.9.1,reuseaddr EXEC:cat >/dev/null &
if ! wait_listen $S udp 6006; then
	result 1 "ipv4 route via an ipv6 gateway stays classic" "$WHY"
elif ! udp_echo "$WORK/v6gw-want" "$WORK/v6gw-got" UDP:10.0.9.1:6006,sourceport=7006 ||
   ! cmp -s "$WORK/v6gw-want" "$WORK/v6gw-got"; then
	result 1 "ipv4 route via an ipv6 gateway stays classic" \
		"echoed $(wc -l < "$WORK/v6gw-got") of 50 datagrams" "$(fp_dump)"
elif [ "$(fp_stat flow_add_fail)" -le "$fail0" ] || offloaded udp 6006; then
	result 1 "ipv4 route via an ipv6 gateway stays classic" \
		"flow not refused" "$(ct_list -p udp)" "$(fp_dump)"
else
	result 0 "ipv4 route via an ipv6 gateway stays classic"
fi
ns_kill $S
ip -n $R route del 10.0.9.0/24
ip -n $S addr del 10.0.9.1/32 dev lo
ip netns exec $S sysctl -qw net.ipv4.conf.s0.arp_ignore=0

# 10: masquerade: the server sees the router, data intact both ways.
ip netns exec $R conntrack -F >/dev/null 2>&1
load_ruleset 'oifname "r1" masquerade'
PEER=
tcp_transfer_case "tcp ipv4 masquerade on the fast path" TCP4-LISTEN 10.0.2.1 5003
if [ "$PEER" = "10.0.2.254" ]; then
	result 0 "masqueraded flow reaches the server from the router address"
else
	result 1 "masqueraded flow reaches the server from the router address" \
		"server saw peer '$PEER'"
fi

no_flowtable()
{
	! ip netns exec $R grep -q '^flowtable' /proc/net/nf_fastpath
}

# 12: deleting the table with live flows leaves nothing offloaded.
if ! udp_flow_up 6003; then
	result 1 "ruleset flush with live flows" "$WHY" "$(ct_list)"
else
	ip netns exec $R nft flush ruleset
	if wait_for 10000 not_offloaded udp 6003 && wait_for 10000 no_flowtable; then
		result 0 "ruleset flush with live flows"
	else
		result 1 "ruleset flush with live flows" "$(ct_list)" "$(fp_dump)"
	fi
fi

# 13: removing a flowtable device with live flows.
load_ruleset ""
if ! udp_flow_up 6004; then
	result 1 "device removal with live flows" "$WHY" "$(ct_list)"
else
	ip -n $R link del r1
	if wait_for 10000 not_offloaded udp 6004 && wait_for 10000 no_flows; then
		result 0 "device removal with live flows"
	else
		result 1 "device removal with live flows" "flows: $(fp_flows)"
	fi
fi

# 14: netns exit with live flows. The router's namespace must really go:
# its cleanup unregisters r0 and r1, which takes their veth peers c0 and
# s0 out of the other namespaces; and the netns cleanup work is not stuck
# (a flow holding the namespace, a device or a conntrack entry would keep
# it waiting): a namespace deleted afterwards is cleaned up as well. A
# leak or splat shows in the kernel log.
peers_gone()
{
	! ip -n $C link show c0 >/dev/null 2>&1 &&
	! ip -n $S link show s0 >/dev/null 2>&1
}

probe_gone()
{
	! ip -n $C link show c9 >/dev/null 2>&1
}

ip link add s0 netns $S type veth peer name r1 netns $R
ip -n $R addr add 10.0.2.254/24 dev r1
ip -n $S addr add 10.0.2.1/24 dev s0
ip -n $R link set r1 up
ip -n $S link set s0 up
ip -n $S route add default via 10.0.2.254
load_ruleset ""
if ! udp_flow_up 6005; then
	result 1 "netns exit with live flows" "$WHY" "flow not offloaded before exit"
else
	flows=$(fp_flows)
	ns_kill $R
	ip netns del $R
	if ! wait_for 30000 peers_gone; then
		result 1 "netns exit with live flows" \
			"c0 or s0 still there: the router's devices were not unregistered"
	elif ! ip netns add fpq-$sfx ||
	     ! ip link add c9 netns $C type veth peer name q9 netns fpq-$sfx ||
	     ! ip netns del fpq-$sfx || ! wait_for 30000 probe_gone; then
		# the cleanup work runs one batch of namespaces at a time
		result 1 "netns exit with live flows" \
			"c9 still there: netns cleanup stuck after the router's"
	else
		echo "# router netns deleted with $flows offloaded flows:" \
			"devices gone, cleanup done"
		result 0 "netns exit with live flows"
	fi
fi

echo "# $failed of $testno failed"
[ $failed -eq 0 ]
