#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Smoke test of a forwarding path: client - router - server network
# namespaces joined by veth pairs. Checks that IPv4 and IPv6 ping cross the
# router (TTL/hop limit decremented once) and that socat TCP transfers through
# the router arrive intact. KTAP output; exits 4 (skip) if tools are missing.

set -u
ksft_skip=4
ret=0
testno=0
NTESTS=4
SIZE_KB=${SIZE_KB:-4096}
# Deadlines are caps, multiplied for slow (debug) kernels.
TMO=$((60 * ${FP_TIMEOUT_SCALE:-1}))

for tool in ip ping socat ss sha256sum; do
	if ! command -v $tool > /dev/null; then
		echo "TAP version 13"
		echo "1..0 # SKIP $tool not found"
		exit $ksft_skip
	fi
done

sfx=$(mktemp -u XXXXXX)
ns_cl="fp-cl-$sfx"
ns_rt="fp-rt-$sfx"
ns_sv="fp-sv-$sfx"
tmpdir=$(mktemp -d)

cleanup() {
	for ns in "$ns_cl" "$ns_rt" "$ns_sv"; do
		ip netns pids "$ns" 2> /dev/null | xargs -r kill 2> /dev/null
		ip netns del "$ns" 2> /dev/null
	done
	rm -rf "$tmpdir"
}
trap cleanup EXIT

result() { # result <0|1> <name> [diagnostic...]
	local rc=$1 name=$2
	shift 2
	testno=$((testno + 1))
	if [ "$rc" -eq 0 ]; then
		echo "ok $testno $name"
	else
		[ $# -eq 0 ] || printf '%s\n' "$@" | sed 's/^/# /'
		echo "not ok $testno $name"
		ret=1
	fi
}

setup() {
	local ns
	for ns in "$ns_cl" "$ns_rt" "$ns_sv"; do
		ip netns add "$ns" || return 1
		ip -net "$ns" link set lo up || return 1
	done
	ip link add veth0 netns "$ns_rt" type veth peer name eth0 netns "$ns_cl" || return 1
	ip link add veth1 netns "$ns_rt" type veth peer name eth0 netns "$ns_sv" || return 1

	ip -net "$ns_cl" addr add 10.0.1.2/24 dev eth0
	ip -net "$ns_cl" addr add dead:1::2/64 dev eth0 nodad
	ip -net "$ns_rt" addr add 10.0.1.1/24 dev veth0
	ip -net "$ns_rt" addr add dead:1::1/64 dev veth0 nodad
	ip -net "$ns_rt" addr add 10.0.2.1/24 dev veth1
	ip -net "$ns_rt" addr add dead:2::1/64 dev veth1 nodad
	ip -net "$ns_sv" addr add 10.0.2.2/24 dev eth0
	ip -net "$ns_sv" addr add dead:2::2/64 dev eth0 nodad
	for ns in "$ns_cl" "$ns_rt" "$ns_sv"; do
		ip -net "$ns" link set dev eth0 up 2> /dev/null
	done
	ip -net "$ns_rt" link set veth0 up && ip -net "$ns_rt" link set veth1 up || return 1

	ip -net "$ns_cl" route add default via 10.0.1.1 || return 1
	ip -net "$ns_cl" route add default via dead:1::1 || return 1
	ip -net "$ns_sv" route add default via 10.0.2.1 || return 1
	ip -net "$ns_sv" route add default via dead:2::1 || return 1
	ip netns exec "$ns_rt" sysctl -q net.ipv4.ip_forward=1 || return 1
	ip netns exec "$ns_rt" sysctl -q net.ipv6.conf.all.forwarding=1 || return 1
}

# ping_test <name> <dst> <expected ttl>
ping_test() {
	local out
	out=$(ip netns exec "$ns_cl" ping -c 3 -i 0.2 -W 2 "$2" 2>&1)
	if [ $? -ne 0 ]; then
		result 1 "$1" "ping $2 failed:" "$out"
	elif ! grep -q "ttl=$3 " <<< "$out"; then
		result 1 "$1" "reply did not cross exactly one router (want ttl=$3):" "$out"
	else
		result 0 "$1"
	fi
}

# tcp_test <name> <socat listen address> <socat connect address> <port>
tcp_test() {
	local name=$1 listen=$2 connect=$3 port=$4 i pid
	local in="$tmpdir/in" out="$tmpdir/out-$port"

	ip netns exec "$ns_sv" socat -u "$listen:$port,reuseaddr" "OPEN:$out,creat,trunc" &
	pid=$!
	for i in $(seq $((TMO * 10))); do
		ip netns exec "$ns_sv" ss -Hltn "sport = :$port" | grep -q LISTEN && break
		sleep 0.1
	done
	if ! ip netns exec "$ns_sv" ss -Hltn "sport = :$port" | grep -q LISTEN; then
		kill $pid 2> /dev/null
		wait $pid 2> /dev/null
		result 1 "$name" "server not listening on tcp port $port"
		return
	fi
	if ! timeout $TMO ip netns exec "$ns_cl" socat -u "OPEN:$in" "$connect:$port"; then
		kill $pid 2> /dev/null
		wait $pid 2> /dev/null
		result 1 "$name" "socat client failed"
		return
	fi
	if ! timeout $TMO tail --pid=$pid -f /dev/null; then
		kill $pid 2> /dev/null
		result 1 "$name" "socat server did not finish"
		return
	fi
	wait $pid
	if [ "$(sha256sum < "$in")" = "$(sha256sum < "$out")" ]; then
		result 0 "$name"
	else
		result 1 "$name" "data corrupted: sent $(stat -c %s "$in") bytes," \
			"got $(stat -c %s "$out")"
	fi
}

echo "TAP version 13"
echo "1..$NTESTS"
if ! setup; then
	echo "# topology setup failed"
	for i in $(seq $NTESTS); do
		echo "not ok $i setup"
	done
	exit 1
fi
head -c $((SIZE_KB * 1024)) /dev/urandom > "$tmpdir/in"

ping_test "ipv4 ping through router" 10.0.2.2 63
ping_test "ipv6 ping through router" dead:2::2 63
tcp_test "ipv4 tcp transfer through router" TCP4-LISTEN "TCP4:10.0.2.2" 4001
tcp_test "ipv6 tcp transfer through router" TCP6-LISTEN "TCP6:[dead:2::2]" 4002
exit $ret
