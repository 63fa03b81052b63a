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

ksft_skip=4
sfx=$(mktemp -u XXXXXX)
C=fpc-$sfx
R=fpr-$sfx
S=fps-$sfx
WORK=$(mktemp -d /tmp/nf_fastpath.XXXXXX)
NTESTS=12
testno=0
failed=0

cleanup()
{
	for ns in $C $R $S; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

result()	# result <0|1> <name> [diagnostic...]
{
	local ok=$1 name=$2

	shift 2
	testno=$((testno + 1))
	if [ "$ok" -eq 0 ]; then
		echo "ok $testno $name"
	else
		for line in "$@"; do echo "# $line"; done
		echo "not ok $testno $name"
		failed=$((failed + 1))
	fi
}

for tool in nft conntrack socat ip sha256sum; do
	if ! command -v $tool >/dev/null; then
		echo "1..0 # SKIP $tool not found"
		exit $ksft_skip
	fi
done

# Counter of /proc/net/nf_fastpath in the router namespace.
fp_stat()
{
	ip netns exec $R awk -v k="$1" '$1 == k { print $2 }' /proc/net/nf_fastpath
}

fp_flows()
{
	ip netns exec $R awk '$1 == "flowtable" { n += $7 } END { print n + 0 }' \
		/proc/net/nf_fastpath
}

# Packets counted by a named nft counter on the router.
nft_packets()
{
	ip netns exec $R nft list counter inet filter "$1" |
		awk '/packets/ { print $2 }'
}

# wait_for <seconds> <command...>: poll until the command succeeds.
wait_for()
{
	local deadline=$((SECONDS + $1))

	shift
	until "$@"; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.2
	done
}

# conntrack -L of the router, both families.
ct_list()
{
	ip netns exec $R conntrack -L -f ipv4 "$@" 2>/dev/null
	ip netns exec $R conntrack -L -f ipv6 "$@" 2>/dev/null
}

offloaded()	# offloaded <l4proto> <dport>
{
	ct_list -p "$1" --dport "$2" | grep -q '\[OFFLOAD\]'
}

not_offloaded()
{
	! offloaded "$@"
}

no_flows()
{
	[ "$(fp_flows)" -eq 0 ]
}

setup_topology()
{
	ip netns add $C && ip netns add $R && ip netns add $S || return 1
	ip link add c0 netns $C type veth peer name r0 netns $R || return 1
	ip link add s0 netns $S type veth peer name r1 netns $R || return 1

	ip -n $C addr add 10.0.1.1/24 dev c0
	ip -n $C addr add dead:1::1/64 dev c0 nodad
	ip -n $R addr add 10.0.1.254/24 dev r0
	ip -n $R addr add dead:1::fe/64 dev r0 nodad
	ip -n $R addr add 10.0.2.254/24 dev r1
	ip -n $R addr add dead:2::fe/64 dev r1 nodad
	ip -n $S addr add 10.0.2.1/24 dev s0
	ip -n $S addr add dead:2::1/64 dev s0 nodad
	for ns in $C $R $S; do
		ip -n $ns link set lo up
		for dev in $(ip -n $ns -o link show type veth |
			     awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
			ip -n $ns link set $dev up
		done
	done
	ip -n $C route add default via 10.0.1.254
	ip -n $C route add default via dead:1::fe
	ip -n $S route add default via 10.0.2.254
	ip -n $S route add default via dead:2::fe
	ip netns exec $R sysctl -qw net.ipv4.ip_forward=1
	ip netns exec $R sysctl -qw net.ipv6.conf.all.forwarding=1
	ip netns exec $R sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0
}

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
		meta l4proto tcp tcp flags & (fin | syn | rst) == 0 counter name fwd_tcp
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

# A TCP transfer that stays open around the bulk data:
#   "start" line, pause (the flow gets offloaded), $BIG, pause, close.
# Checks taken while the bulk is in flight must see the forward chain idle.
tcp_transfer_case()	# <name> <listen type> <server address> <port>
{
	local name=$1 listen=$2 addr=$3 port=$4
	local want=$WORK/want-$port out=$WORK/out-$port peer=$WORK/peer-$port
	local fwd0 fwd1 hit0 hit1 cpid spid

	{ echo start; cat "$WORK/big"; } > "$want"
	ip netns exec $S socat -u $listen:$port,reuseaddr \
		SYSTEM:"echo \$SOCAT_PEERADDR > $peer; cat > $out" &
	spid=$!
	sleep 0.5
	ip netns exec $C sh -c "{ echo start; sleep 4; cat $WORK/big; sleep 4; } |
		socat -u - TCP:$addr:$port" &
	cpid=$!

	if ! wait_for 4 offloaded tcp $port; then
		wait $cpid $spid
		result 1 "$name" "connection never showed [OFFLOAD]" \
			"$(ct_list -p tcp)"
		return
	fi
	fwd0=$(nft_packets fwd_tcp)
	hit0=$(fp_stat hit)

	wait_for 60 test "$(stat -c %s "$out" 2>/dev/null)" = \
		"$(stat -c %s "$want")"
	fwd1=$(nft_packets fwd_tcp)
	hit1=$(fp_stat hit)
	wait $cpid $spid

	if ! cmp -s "$want" "$out"; then
		result 1 "$name" "data corrupted: $(sha256sum < "$out")"
	elif [ "$fwd1" -ne "$fwd0" ]; then
		result 1 "$name" "forward chain saw $((fwd1 - fwd0)) data packets"
	elif [ $((hit1 - hit0)) -lt 20 ]; then
		result 1 "$name" "fast path hits: $((hit1 - hit0))"
	else
		echo "# $name: $(stat -c %s "$out") bytes, fast path hits $((hit1 - hit0)), forward chain +0"
		result 0 "$name"
	fi
	PEER=$(cat "$peer" 2>/dev/null)
}

udp_echo_case()	# <name> <server address> <port> <lines>
{
	local name=$1 addr=$2 port=$3 lines=$4
	local want=$WORK/uwant-$port got=$WORK/ugot-$port
	local fwd0 fwd1 hit0 hit1 spid

	seq -f "datagram %g" 1 "$lines" > "$want"
	fwd0=$(nft_packets fwd_udp)
	hit0=$(fp_stat hit)
	ip netns exec $S socat UDP-LISTEN:$port,reuseaddr EXEC:cat &
	spid=$!
	sleep 0.5
	ip netns exec $C sh -c "while read -r l; do echo \"\$l\"; sleep 0.02; done < $want |
		socat -t 2 - UDP:$addr:$port,sourceport=$((port + 1000))" > "$got"
	fwd1=$(nft_packets fwd_udp)
	hit1=$(fp_stat hit)

	if ! offloaded udp $port; then
		result 1 "$name" "no [OFFLOAD] entry" \
			"$(ct_list -p udp)"
	elif ! cmp -s "$want" "$got"; then
		result 1 "$name" "echoed data differs ($(wc -l < "$got") of $lines lines)"
	elif [ $((fwd1 - fwd0)) -gt 3 ]; then
		result 1 "$name" "forward chain saw $((fwd1 - fwd0)) of $((2 * lines)) datagrams"
	elif [ $((hit1 - hit0)) -lt $((2 * lines - 3)) ]; then
		result 1 "$name" "fast path hits $((hit1 - hit0)) for $((2 * lines)) datagrams"
	else
		echo "# $name: $((2 * lines)) datagrams, forward chain +$((fwd1 - fwd0)), fast path hits $((hit1 - hit0))"
		result 0 "$name"
	fi
	kill $spid 2>/dev/null
	wait $spid 2>/dev/null
}

# A UDP flow left offloaded, for the lifetime cases.
udp_flow_up()	# <port>
{
	ip netns exec $S socat UDP-LISTEN:$1,reuseaddr EXEC:cat >/dev/null &
	sleep 0.5
	ip netns exec $C sh -c "for i in 1 2 3 4 5; do echo \$i; sleep 0.1; done |
		socat -t 1 - UDP:10.0.2.1:$1,sourceport=$(($1 + 1000))" >/dev/null
	wait_for 2 offloaded udp $1
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
if wait_for 3 no_flows && not_offloaded tcp 5001 &&
   ct_list -p tcp --dport 5001 | grep -Eq 'TIME_WAIT|CLOSE|LAST_ACK|FIN_WAIT'; then
	result 0 "tcp close hands the flow back to conntrack"
else
	result 1 "tcp close hands the flow back to conntrack" \
		"$(ct_list -p tcp)" "$(ip netns exec $R cat /proc/net/nf_fastpath)"
fi

# 5: UDP request/response stream.
udp_echo_case "udp ipv4 echo on the fast path" 10.0.2.1 6001 200

# 6: conntrack -F: dying entries leave the flowtable.
ip netns exec $R conntrack -F >/dev/null 2>&1
if wait_for 3 no_flows && [ "$(fp_stat del_ct_dying)" -gt 0 ]; then
	result 0 "conntrack -F removes offloaded flows"
else
	result 1 "conntrack -F removes offloaded flows" "flows: $(fp_flows)"
fi

# 7: idle flows expire and conntrack keeps tracking the connection.
ip netns exec $R sysctl -qw net.netfilter.nf_flowtable_udp_timeout=2
if udp_flow_up 6002 && wait_for 6 no_flows &&
   [ "$(fp_stat del_timeout)" -gt 0 ] &&
   ct_list -p udp --dport 6002 | grep -q 6002 &&
   not_offloaded udp 6002; then
	result 0 "idle flow expires back to conntrack"
else
	result 1 "idle flow expires back to conntrack" \
		"$(ct_list -p udp)" "flows: $(fp_flows)"
fi
ip netns exec $R sysctl -qw net.netfilter.nf_flowtable_udp_timeout=30
ip netns pids $S | xargs -r kill 2>/dev/null

# 8: masquerade: the server sees the router, data intact both ways.
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

# 10: deleting the table with live flows leaves nothing offloaded.
udp_flow_up 6003
ip netns exec $R nft flush ruleset
if wait_for 3 not_offloaded udp 6003 &&
   ! ip netns exec $R grep -q '^flowtable' /proc/net/nf_fastpath; then
	result 0 "ruleset flush with live flows"
else
	result 1 "ruleset flush with live flows" "$(ct_list)"
fi

# 11: removing a flowtable device with live flows.
load_ruleset ""
udp_flow_up 6004
ip -n $R link del r1
if wait_for 3 not_offloaded udp 6004 && wait_for 3 no_flows; then
	result 0 "device removal with live flows"
else
	result 1 "device removal with live flows" "flows: $(fp_flows)"
fi

# 12: netns exit with live flows (a leak or splat shows in the kernel log).
ip link add s0 netns $S type veth peer name r1 netns $R
ip -n $R addr add 10.0.2.254/24 dev r1
ip -n $S addr add 10.0.2.1/24 dev s0
ip -n $R link set r1 up
ip -n $S link set s0 up
ip -n $S route add default via 10.0.2.254
load_ruleset ""
if udp_flow_up 6005; then
	ip netns pids $R | xargs -r kill 2>/dev/null
	ip netns del $R
	result 0 "netns exit with live flows"
else
	result 1 "netns exit with live flows" "flow not offloaded before exit"
fi

echo "# $failed of $testno failed"
[ $failed -eq 0 ]
