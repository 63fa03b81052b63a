#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Bad and unusual packets on offloaded flows. With a UDP flow over IPv4,
# one over IPv6 and a TCP connection offloaded by the router, the client
# side injects, through a packet socket, every class of packet the fast
# path must not get wrong: truncated and inconsistent headers, IPv4
# options, IPv6 extension headers, fragments, TTL and hop limit 0 and 1,
# bad and zero checksums, packets over the output MTU with and without DF,
# odd TCP flags, VLAN-tagged frames (nf_fastpath_pkt.py builds them).
#
# The same packets are then sent again with the flowtable in place but
# nothing offloaded. A class passes when both runs put exactly the same
# frames on the wire at the server and back at the client (forwarded,
# fragmented, answered with an ICMP error or dropped, as the classic path
# does). Afterwards the UDP flows must still be offloaded and carry data
# intact. Kernel reports (splats, KASAN) fail the run in the harness.
#
# Output is KTAP; the exit status is non-zero if any case failed.

set -u

. "$(dirname "$0")/lib.sh"

PKT="$(dirname "$(readlink -f "$0")")/nf_fastpath_pkt.py"
MTU=1400

if ! command -v python3 >/dev/null; then
	echo "1..0 # SKIP python3 not found"
	exit $ksft_skip
fi

load_ruleset()	# load_ruleset <statement offloading established flows>
{
	ip netns exec $R nft -f - <<EOF
flush ruleset
table inet filter {
	flowtable ft {
		hook ingress priority 0
		devices = { r0, r1 }
	}

	chain forward {
		type filter hook forward priority 0; policy accept;
		ct state established $1
	}
}
EOF
}

# The server's stack must not answer what the test injects (port
# unreachable, TCP resets and challenge ACKs would make the two runs
# differ): drop it at ingress, after the packet socket saw it.
server_mute()	# server_mute on|off
{
	ip netns exec $S nft delete table netdev mute 2>/dev/null
	[ "$1" = on ] || return 0
	ip netns exec $S nft -f - <<EOF
table netdev mute {
	chain in {
		type filter hook ingress device s0 priority 0;
		ip saddr 10.0.1.1 drop
		ip6 saddr dead:1::1 drop
	}
}
EOF
}

# The flows nf_fastpath_pkt.py writes into: UDP 7001 -> 7000 over IPv4,
# UDP 7003 -> 7002 over IPv6, TCP 7005 -> 7004 over IPv4. Each is up when
# the router's conntrack entry saw its reply, and nothing of it is still
# on the wire (the client got every echo; the TCP greeting was acked), so
# that both runs start from the same state. Returns 1, with WHY set, if
# not.
flows_up()
{
	local p

	seq 1 3 > "$WORK/three"
	ip netns exec $S socat UDP4-LISTEN:7000,reuseaddr EXEC:cat \
		>/dev/null 2>&1 &
	ip netns exec $S socat UDP6-LISTEN:7002,reuseaddr EXEC:cat \
		>/dev/null 2>&1 &
	ip netns exec $S socat TCP4-LISTEN:7004,reuseaddr \
		SYSTEM:"echo hi; sleep 600" >/dev/null 2>&1 &
	for p in "udp 7000" "udp 7002" "tcp 7004"; do
		wait_listen $S $p || return 1
	done
	WHY="no echo on udp 7000 or 7002"
	udp_echo "$WORK/three" "$WORK/three-4" UDP4:10.0.2.1:7000,sourceport=7001 &&
		udp_echo "$WORK/three" "$WORK/three-6" \
			UDP6:[dead:2::1]:7002,sourceport=7003 || return 1
	ip netns exec $C socat TCP4:10.0.2.1:7004,sourceport=7005 \
		SYSTEM:"echo hello; sleep 600" >/dev/null 2>&1 &
	WHY="flows not all established in conntrack"
	wait_for 10000 flows_seen
}

# The three flows' conntrack entries saw replies (an offloaded entry
# shows no TCP state); the client's "hello" reached the server and was
# acknowledged.
flows_seen()
{
	local p

	for p in "udp 7000" "udp 7002" "tcp 7004"; do
		ct_list -p ${p% *} --dport ${p#* } | grep -v UNREPLIED | grep -q . ||
			return 1
	done
	ip netns exec $S ss -Htin 'sport = :7004' | grep -q 'bytes_received:6 ' &&
	ip netns exec $C ss -Htin 'dport = :7004' > "$WORK/ss" &&
	grep -q 'bytes_sent:6 ' "$WORK/ss" && ! grep -q 'unacked:' "$WORK/ss"
}

all_offloaded()
{
	offloaded udp 7000 && offloaded udp 7002 && offloaded tcp 7004
}

# udp_intact <4|6> <server address> <port> <source port>: 50 datagrams
# of the flow arrive intact.
udp_intact()
{
	local fam=$1 want=$WORK/want-$3 got=$WORK/got-$3

	shift
	seq -f "datagram %05g of the flow after the bad packets" 1 50 > "$want"
	ip netns exec $S timeout 60 socat -u UDP$fam-RECV:$2,reuseaddr \
		OPEN:"$got",creat,trunc >/dev/null 2>&1 &
	wait_listen $S udp $2 || return 1
	ip netns exec $C python3 "$PKT" udp $fam "$1" $2 $3 "$want"
	WHY="datagrams after the bad packets lost or corrupted (port $2)"
	wait_for 20000 same_size "$got" "$want"
	ns_kill $S
	wait 2>/dev/null
	cmp -s "$want" "$got"
}

echo "TAP version 13"

# A fresh set of namespaces with fixed MAC addresses, so that the two runs
# start from the same state and put the same frames on the wire. Flows and
# fragment queues must not expire while a run goes on.
build()
{
	setup_topology || return 1
	ip -n $C link set c0 address 02:00:00:00:01:01
	ip -n $R link set r0 address 02:00:00:00:01:fe
	ip -n $R link set r1 address 02:00:00:00:02:fe
	ip -n $S link set s0 address 02:00:00:00:02:01
	ip -n $R link set r1 mtu $MTU
	ip netns exec $R sysctl -qw net.ipv4.icmp_ratelimit=0 \
		net.ipv6.icmp.ratelimit=0 net.ipv4.icmp_msgs_per_sec=100000 \
		net.ipv4.icmp_msgs_burst=100000 net.ipv4.ipfrag_time=3600 \
		net.netfilter.nf_conntrack_frag6_timeout=3600 \
		net.netfilter.nf_flowtable_tcp_timeout=3600 \
		net.netfilter.nf_flowtable_udp_timeout=3600 >/dev/null
}

teardown()
{
	for ns in $C $R $S; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
	done
	wait 2>/dev/null
	for ns in $C $R $S; do
		ip netns del "$ns" 2>/dev/null
	done
}

if ! build; then
	echo "Bail out! cannot build the namespaces"
	exit 1
fi
rmac=02:00:00:00:01:fe
ncls=$(python3 "$PKT" count)
echo "1..$((ncls + 4))"

# Run 1: flows offloaded.
load_ruleset "flow add @ft"
if ! flows_up; then
	result 1 "udp ipv4, udp ipv6 and tcp flows offloaded" "$WHY" "$(ct_list)"
elif wait_for 10000 all_offloaded; then
	result 0 "udp ipv4, udp ipv6 and tcp flows offloaded"
else
	result 1 "udp ipv4, udp ipv6 and tcp flows offloaded" "$(ct_list)"
fi
server_mute on
hit0=$(fp_stat hit)
ip netns exec $R python3 "$PKT" run $C $R $S "$rmac" "$WORK/fast.json"
server_mute off

# The flows live on: still offloaded, still carrying data, intact.
ns_kill $S
hit1=$(fp_stat hit)
WHY="udp flows no longer offloaded"
if offloaded udp 7000 && offloaded udp 7002 &&
   udp_intact 4 10.0.2.1 7000 7001 &&
   udp_intact 6 dead:2::1 7002 7003 &&
   WHY="fast path hits: $(($(fp_stat hit) - hit1)) for 100 datagrams" &&
   [ $(($(fp_stat hit) - hit1)) -ge 100 ]; then
	result 0 "offloaded udp flows intact after the bad packets"
else
	result 1 "offloaded udp flows intact after the bad packets" "$WHY" \
		"hits $hit1 -> $(fp_stat hit)" "$(ct_list -p udp)"
fi
teardown

# Run 2: same flowtable, nothing offloaded: what the classic path does.
if ! build; then
	echo "Bail out! cannot build the namespaces again"
	exit 1
fi
load_ruleset "counter"
ref_why=
flows_up || ref_why="$WHY"
server_mute on
hit2=$(fp_stat hit)
ip netns exec $R python3 "$PKT" run $C $R $S "$rmac" "$WORK/classic.json"
server_mute off
if [ -n "$ref_why" ]; then
	result 1 "reference run stayed off the fast path" "$ref_why" "$(ct_list)"
elif [ "$(fp_stat hit)" -eq "$hit2" ] && [ "$(fp_flows)" -eq 0 ]; then
	result 0 "reference run stayed off the fast path"
else
	result 1 "reference run stayed off the fast path" "$(fp_dump)"
fi

python3 "$PKT" compare "$WORK/fast.json" "$WORK/classic.json" \
	> "$WORK/compare"
passed=0
tried=0
while IFS= read -r line; do
	case "$line" in
	PASS\ *)
		tried=$((tried + 1)); passed=$((passed + 1))
		result 0 "${line#PASS }" ;;
	FAIL\ *)
		tried=$((tried + 1))
		result 1 "${line#FAIL }" ;;
	*)
		echo "# $line" ;;
	esac
done < "$WORK/compare"

if [ "$tried" -eq "$ncls" ]; then
	result 0 "every class compared"
else
	result 1 "every class compared" "$tried of $ncls"
fi
echo "# classes of packets: $tried tried, $passed passed" \
     "($((hit1 - hit0)) fast path hits among them)"
echo "# $failed of $testno failed"
[ $failed -eq 0 ]
