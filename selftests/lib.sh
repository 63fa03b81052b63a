#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Shared by the nf_fastpath selftests: a client ($C), a router ($R) and a
# server ($S) network namespace joined by veth pairs (c0-r0, r1-s0), with
# IPv4 and IPv6 addresses and routes; KTAP result helpers; readers of the
# router's /proc/net/nf_fastpath, conntrack table and nft counters; and
# traffic: a TCP bulk transfer checked end to end, a UDP flow left
# offloaded.
# Sourced, not run.

ksft_skip=4
sfx=$(mktemp -u XXXXXX)
C=fpc-$sfx
R=fpr-$sfx
S=fps-$sfx
WORK=$(mktemp -d /tmp/nf_fastpath.XXXXXX)
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

fp_dump()
{
	ip netns exec $R cat /proc/net/nf_fastpath | tr '\n' ' '
}

fp_flows()
{
	ip netns exec $R awk '$1 == "flowtable" { n += $6 } END { print n + 0 }' \
		/proc/net/nf_fastpath
}

# Packets counted by a named nft counter.
ns_counter()	# ns_counter <netns> <inet table> <counter>
{
	ip netns exec "$1" nft list counter inet "$2" "$3" |
		awk '/packets/ { print $2 }'
}

nft_packets()
{
	ns_counter $R filter "$1"
}

# Every deadline of the tests is in milliseconds times FP_TIMEOUT_SCALE
# (an integer, default 1): the debug kernel runs several times slower.
# Deadlines are caps: a case that passes never waits for one.
FP_SCALE=${FP_TIMEOUT_SCALE:-1}

now_ms()
{
	local t=${EPOCHREALTIME/[.,]/}

	echo $((t / 1000))
}

# wait_for <ms> <command...>: run the command every 100 ms until it
# succeeds; return 1 once <ms> x FP_TIMEOUT_SCALE milliseconds passed
# without success.
wait_for()
{
	local deadline=$(($(now_ms) + $1 * FP_SCALE))

	shift
	until "$@"; do
		[ "$(now_ms)" -ge "$deadline" ] && return 1
		sleep 0.1
	done
}

# wait_growing <ms> <file> <command...>: wait_for, with a deadline that
# moves each time <file> grows: for a transfer whose length is set by the
# sender's pace, which a loaded machine slows down, and which has failed
# only once it stopped making progress.
wait_growing()
{
	local ms=$(($1 * FP_SCALE)) file=$2 size last=-1 deadline=0

	shift 2
	until "$@"; do
		size=$(stat -c %s "$file" 2>/dev/null || echo 0)
		if [ "$size" != "$last" ]; then
			last=$size
			deadline=$(($(now_ms) + ms))
		elif [ "$(now_ms)" -ge "$deadline" ]; then
			return 1
		fi
		sleep 0.1
	done
}

# listening <netns> <tcp|udp> <port>: a socket listens on the port (for
# UDP: is bound there, not connected).
listening()
{
	local opt=-Hltn

	[ "$2" = udp ] && opt=-Hlun
	ip netns exec "$1" ss $opt "sport = :$3" | grep -q .
}

# wait_listen <netns> <tcp|udp> <port>: wait for a server started in the
# background. On failure WHY names what is missing.
wait_listen()
{
	WHY=
	wait_for 30000 listening "$@" && return 0
	WHY="server not listening on $2 port $3"
	return 1
}

ns_idle()	# ns_idle <netns...>: no process runs in them
{
	local ns

	for ns in "$@"; do
		[ -z "$(ip netns pids "$ns" 2>/dev/null)" ] || return 1
	done
}

# ns_kill <netns...>: end every process of the namespaces, and wait until
# they are gone (so that no socket of theirs outlives the case).
ns_kill()
{
	local ns

	for ns in "$@"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
	done
	wait_for 10000 ns_idle "$@"
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

same_size()	# same_size <file> <file>
{
	[ "$(stat -c %s "$1" 2>/dev/null)" = "$(stat -c %s "$2")" ]
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
	setup_addresses
}

# Addresses, routes and forwarding over the links c0-r0 and r1-s0,
# whatever kind of device they are.
setup_addresses()
{
	local dev

	ip -n $C addr add 10.0.1.1/24 dev c0
	ip -n $C addr add dead:1::1/64 dev c0 nodad
	ip -n $R addr add 10.0.1.254/24 dev r0
	ip -n $R addr add dead:1::fe/64 dev r0 nodad
	ip -n $R addr add 10.0.2.254/24 dev r1
	ip -n $R addr add dead:2::fe/64 dev r1 nodad
	ip -n $S addr add 10.0.2.1/24 dev s0
	ip -n $S addr add dead:2::1/64 dev s0 nodad
	for dev in "$C c0" "$R r0" "$R r1" "$S s0"; do
		set -- $dev
		ip -n $1 link set lo up
		ip -n $1 link set $2 up
	done
	ip -n $C route add default via 10.0.1.254
	ip -n $C route add default via dead:1::fe
	ip -n $S route add default via 10.0.2.254
	ip -n $S route add default via dead:2::fe
	ip netns exec $R sysctl -qw net.ipv4.ip_forward=1
	ip netns exec $R sysctl -qw net.ipv6.conf.all.forwarding=1
	ip netns exec $R sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0
}

# A TCP transfer that stays open around the bulk data: the client sends
# a "start" line, waits until the test saw the flow offloaded, sends
# $WORK/big (made by the test), and keeps the connection open until the
# test took its measurements, so the close (which goes the classic way) is
# never counted.  The router's inet filter table counts forwarded TCP data
# segments in counter fwd_tcp.
tcp_transfer_case()	# <name> <listen type> <server address> <port>
{
	local name=$1 listen=$2 addr=$3 port=$4
	local want=$WORK/want-$port out=$WORK/out-$port peer=$WORK/peer-$port
	local go=$WORK/go-$port done=$WORK/done-$port
	local fwd0 fwd1 hit0 hit1 cpid spid

	{ echo start; cat "$WORK/big"; } > "$want"
	ip netns exec $S socat -u $listen:$port,reuseaddr \
		SYSTEM:"echo \$SOCAT_PEERADDR > $peer; cat > $out" &
	spid=$!
	if ! wait_listen $S tcp $port; then
		kill $spid 2>/dev/null
		wait $spid
		result 1 "$name" "$WHY"
		return
	fi
	ip netns exec $C sh -c "{ echo start;
		while [ ! -e $go ]; do sleep 0.1; done; cat $WORK/big;
		while [ ! -e $done ]; do sleep 0.1; done; } |
		socat -u - TCP:$addr:$port" &
	cpid=$!

	if ! wait_for 20000 offloaded tcp $port; then
		touch "$go" "$done"
		# the client may have failed before the server got a connection
		kill $cpid $spid 2>/dev/null
		wait $cpid $spid
		result 1 "$name" "connection never showed [OFFLOAD]" \
			"$(ct_list -p tcp)"
		return
	fi
	fwd0=$(nft_packets fwd_tcp)
	hit0=$(fp_stat hit)
	touch "$go"

	if ! wait_growing 30000 "$out" same_size "$out" "$want"; then
		touch "$done"
		kill $cpid $spid 2>/dev/null
		wait $cpid $spid
		result 1 "$name" "transfer incomplete: $(stat -c %s "$out") bytes" \
			"$(fp_dump)"
		return
	fi
	fwd1=$(nft_packets fwd_tcp)
	hit1=$(fp_stat hit)
	touch "$done"
	wait $cpid $spid

	if ! cmp -s "$want" "$out"; then
		result 1 "$name" "data corrupted: $(sha256sum < "$out")"
	elif [ "$fwd1" -ne "$fwd0" ]; then
		result 1 "$name" "forward chain saw $((fwd1 - fwd0)) data packets" \
			"$(fp_dump)"
	elif [ $((hit1 - hit0)) -lt 20 ]; then
		result 1 "$name" "fast path hits: $((hit1 - hit0))"
	else
		echo "# $name: $(stat -c %s "$out") bytes," \
			"fast path hits $((hit1 - hit0)), forward chain +0"
		result 0 "$name"
	fi
	PEER=$(cat "$peer" 2>/dev/null)
}

# udp_echo <want> <got> <socat address> [gap]: the client sends the lines
# of <want>, one datagram each every <gap> s (0.02), to a server that
# echoes them, and keeps reading until every echo arrived in <got> or none
# came for 20 s; then the client's processes are ended. Returns 0 when
# <got> is as long as <want>.
udp_echo()
{
	local rc=0 pid

	ip netns exec $C sh -c "while read -r l; do echo \"\$l\"; sleep ${4:-0.02}; done < $1 |
		socat -t 600 - $3" > "$2" &
	pid=$!
	wait_growing 20000 "$2" same_size "$2" "$1" || rc=1
	ns_kill $C
	wait $pid 2>/dev/null
	return $rc
}

# A UDP flow left offloaded, for the lifetime cases. Returns 1, with WHY
# set, if the server did not listen or the flow was not offloaded.
udp_flow_up()	# <port>
{
	ip netns exec $S socat UDP-LISTEN:$1,reuseaddr EXEC:cat >/dev/null &
	wait_listen $S udp $1 || return 1
	ip netns exec $C sh -c "for i in 1 2 3 4 5; do echo \$i; sleep 0.1; done |
		socat -t 1 - UDP:10.0.2.1:$1,sourceport=$(($1 + 1000))" >/dev/null
	wait_for 10000 offloaded udp $1 && return 0
	WHY="udp flow to port $1 never showed [OFFLOAD]"
	return 1
}
