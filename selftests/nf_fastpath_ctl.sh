#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Control plane of the fast path: the "nf-fastpath" generic netlink family
# through its tool, nf-fastpath, and through raw netlink. Client - router -
# server (lib.sh), the router masquerading what leaves towards the server.
# Four connections are offloaded: TCP and UDP over IPv4 (masqueraded), TCP
# over IPv6, and one more TCP connection that is handed back. The cases
# check what a user relies on:
# - the listed flows are the connections, address for address, with the
#   NAT the server saw; filters select them; get finds one by conntrack id;
# - the per-flow counters grow with the data sent (within 1%);
# - ctnetlink shows offloaded entries ESTABLISHED, with a timeout bounded
#   by the offload timeout that counts down while idle and goes up again
#   after traffic, like the remaining timeout the family reports;
# - flush hands back exactly the matching flows; their connections go on
#   over the classic path, intact, their conntrack entries stay;
# - monitor reports additions and removals with their reasons;
# - a network namespace sees and flushes only its own flows;
# - without CAP_NET_ADMIN every request is refused;
# - set switches revalidation and refuses unknown flowtables and values;
# - malformed and random requests (nf_fastpath_nlfuzz.py) are refused,
#   leave the flows alone and no kernel report behind.
#
# Output is KTAP; the exit status is non-zero if any case failed.

set -u

NTESTS=16

. "$(dirname "$0")/lib.sh"

FUZZ="$(dirname "$(readlink -f "$0")")/nf_fastpath_nlfuzz.py"
# Remaining time of an offloaded flow, seconds (both protocols, in $R):
# longer than the test, so that no flow idles out before the last case.
OFFLOAD_TIMEOUT=300
TCP_HDR=52	# IPv4 + TCP with timestamps: what each segment adds

for tool in python3 jq; do
	if ! command -v $tool >/dev/null; then
		echo "1..0 # SKIP $tool not found"
		exit $ksft_skip
	fi
done

# The tool: on PATH, else where the harness builds it (the guest runs
# in the repo; the selftests may run from a copy).
FPTOOL=$(command -v nf-fastpath)
for dir in "$PWD/build/userspace" "${KSRC:-/nonexistent}/../userspace" \
	   "$(dirname "$(readlink -f "$0")")/../build/userspace"; do
	[ -n "$FPTOOL" ] && break
	[ -x "$dir/nf-fastpath" ] && FPTOOL=$(readlink -f "$dir/nf-fastpath")
done
if [ -z "$FPTOOL" ]; then
	echo "1..0 # SKIP nf-fastpath not found"
	exit $ksft_skip
fi
rc=0
"$FPTOOL" stats >/dev/null 2>&1 || rc=$?
if [ $rc -eq 3 ]; then
	echo "1..0 # SKIP the kernel has no nf-fastpath netlink family"
	exit $ksft_skip
fi

R2=fpr2-$sfx
MONPID=

ctl_cleanup()
{
	[ -n "$MONPID" ] && kill "$MONPID" 2>/dev/null
	ip netns pids "$R2" 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns del "$R2" 2>/dev/null
	cleanup
}
trap ctl_cleanup EXIT

# fail <name> <diagnostic...>: a failed case, each line of the
# diagnostics a "#" line of its own.
fail()
{
	local name=$1 d
	local -a lines=()

	shift
	for d in "$@"; do
		mapfile -t -O ${#lines[@]} lines <<< "$d"
	done
	result 1 "$name" "${lines[@]}"
}

fp()	# fp <netns> <tool arguments...>
{
	local ns=$1

	shift
	ip netns exec "$ns" "$FPTOOL" "$@"
}

# The tool without CAP_NET_ADMIN: root, but net_admin dropped from the
# bounding set, so the exec'd tool does not get it. Bounded in time (a
# monitor that is not refused would run forever).
fp_noadmin()	# fp_noadmin <netns> <tool arguments...>
{
	local ns=$1

	shift
	timeout $((10 * FP_SCALE)) ip netns exec "$ns" setpriv \
		--inh-caps=-net_admin --bounding-set=-net_admin -- "$FPTOOL" "$@"
}

# list -j of a netns into a file; returns the tool's status.
flows_json()	# flows_json <netns> <file> [filter...]
{
	local ns=$1 out=$2

	shift 2
	fp "$ns" list -j "$@" > "$out" 2> "$out.err"
}

# The sorted ct_ids of a JSON list, one line.
json_ids()	# json_ids <file>
{
	jq -r '[.[].ct_id | tonumber] | sort | map(tostring) | join(" ")' "$1" 2>&1
}

# ct_ids listed in a netns (with a filter), sorted, one line.
listed_ids()	# listed_ids <netns> [filter...]
{
	local ns=$1

	shift
	flows_json "$ns" "$WORK/ids.json" "$@" || {
		echo "list failed: $(cat "$WORK/ids.json.err")"
		return
	}
	json_ids "$WORK/ids.json"
}

sorted()	# sorted <id...>: the ids as listed_ids prints them
{
	printf '%s\n' "$@" | sort -n | tr '\n' ' ' | sed 's/ $//'
}

# The ct_id of the flow whose original direction goes to <dport> (no
# filter: those have their own case).
flow_id()	# flow_id <netns> <proto> <dport>
{
	flows_json "$1" "$WORK/id.json" &&
		jq -r --arg p "$2" --argjson d "$3" \
			'.[] | select(.proto == $p and (.orig.dport | tonumber) == $d) |
			 .ct_id' "$WORK/id.json" | head -n 1
}

# One flow by ct_id (get -j; an array of one or the object).
flow_get()	# flow_get <netns> <ct_id> <jq expression>
{
	fp "$1" get "$2" -j 2>/dev/null |
		jq -r "(if type == \"array\" then .[0] else . end) | $3"
}

# counters <ct_id>: orig packets, bytes, reply packets, bytes (-1 for
# one that is missing)
counters()
{
	flow_get $R "$1" '[.orig.packets, .orig.bytes, .reply.packets,
		.reply.bytes] | map(if type == "number" then . else -1 end) |
		map(tostring) | join(" ")'
}

timeout_ms()
{
	flow_get $R "$1" '.timeout_ms'
}

listed()	# listed <netns> <ids...>: exactly these flows are listed
{
	local ns=$1

	shift
	[ "$(listed_ids "$ns")" = "$(sorted "$@")" ]
}

# conntrack -L line of the router's IPv4 TCP entry to <dport>.
ct_line()
{
	ip netns exec $R conntrack -L -p tcp --dport "$1" 2>/dev/null | head -n 1
}

ct_timeout()
{
	ct_line "$1" | awk '{ print $3 }'
}

ct_timeout_below()	# ct_timeout_below <dport> <seconds>
{
	local t

	t=$(ct_timeout "$1")
	[ -n "$t" ] && [ "$t" -lt "$2" ]
}

ct_timeout_above()
{
	local t

	t=$(ct_timeout "$1")
	[ -n "$t" ] && [ "$t" -gt "$2" ]
}

within_1pct()	# within_1pct <measured> <expected>
{
	local d=$(($1 - $2))

	[ "$2" -gt 0 ] && [ $((${d#-} * 100)) -le "$2" ]
}

# TCP connections that stay open: the client reads what the test writes
# into a FIFO (opened read-write here, so that opening never blocks), the
# server writes what it receives to $WORK/<name>.out, and the peer it saw
# to $WORK/<name>.peer. $WORK/<name>.want holds what was sent.
declare -A FD

tcp_server()	# tcp_server <name> <socat listen address>
{
	local peer="echo \$SOCAT_PEERADDR \$SOCAT_PEERPORT > $WORK/$1.peer"

	ip netns exec $S socat -u "$2,reuseaddr" \
		SYSTEM:"$peer; exec cat > $WORK/$1.out" &
}

tcp_client()	# tcp_client <name> <socat connect address>
{
	local name=$1 fd

	mkfifo "$WORK/$name.in"
	: > "$WORK/$name.want"
	exec {fd}<>"$WORK/$name.in"
	FD[$name]=$fd
	ip netns exec $C socat -u STDIN "$2" < "$WORK/$name.in" &
	echo "hello $name" > "$WORK/$name.hello"
	tcp_send "$name" "$WORK/$name.hello"
}

tcp_send()	# tcp_send <name> <file>
{
	cat "$2" >> "$WORK/$1.want"
	timeout $((60 * FP_SCALE)) cat "$2" >&"${FD[$1]}"
}

tcp_delivered()
{
	same_size "$WORK/$1.out" "$WORK/$1.want"
}

# tcp_push <name> <file>: send, wait for the server to have it all and
# compare. On failure WHY says what went wrong.
tcp_push()
{
	WHY=
	if ! tcp_send "$1" "$2"; then
		WHY="$1: could not write to the client"
	elif ! wait_for 60000 tcp_delivered "$1"; then
		WHY="$1: server got $(stat -c %s "$WORK/$1.out" 2>/dev/null)"
		WHY+=" of $(stat -c %s "$WORK/$1.want") bytes"
	elif ! cmp -s "$WORK/$1.want" "$WORK/$1.out"; then
		WHY="$1: data differs at the server"
	else
		return 0
	fi
	return 1
}

# UDP: an echo server on the given ports (IPv4), logging "port address
# port" of each new peer; and a client that sends <count> datagrams of
# <size> bytes from a fixed source port, one at a time, each waiting for
# its echo (no queue anywhere overflows), and fails unless every echo
# came back intact.
UDP_ECHO='
import select, socket, sys
log = open(sys.argv[1], "a", buffering=1)
socks = {}
for p in sys.argv[2:]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(p)))
    socks[s] = p
seen = set()
while True:
    for s in select.select(list(socks), [], [])[0]:
        data, peer = s.recvfrom(65535)
        if (socks[s], peer) not in seen:
            seen.add((socks[s], peer))
            log.write("%s %s %d\n" % (socks[s], peer[0], peer[1]))
        s.sendto(data, peer)
'
UDP_CLIENT='
import socket, sys
dst, dport, sport, count, size, wait = sys.argv[1:7]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sport)))
s.connect((dst, int(dport)))
s.settimeout(float(wait))
ok = 0
for i in range(int(count)):
    msg = (b"%08d:" % i).ljust(int(size), bytes([65 + i % 26]))
    s.send(msg)
    try:
        while s.recv(65535) != msg:
            pass
    except socket.timeout:
        print("no echo of datagram %d" % i, file=sys.stderr)
        break
    ok += 1
print(ok)
sys.exit(ok != int(count))
'

udp_send()	# udp_send <client ns> <dst> <dport> <sport> <count> <size>
{
	ip netns exec "$1" python3 -c "$UDP_CLIENT" "$2" "$3" "$4" "$5" "$6" \
		$((5 * FP_SCALE)) > "$WORK/udp.out" 2>&1
}

udp_peer()	# udp_peer <port>: "address port" the server saw
{
	awk -v p="$1" '$1 == p { print $2, $3; exit }' "$WORK/udp.peers"
}

# Packets through the router's forward chain counted by fwd_d (data
# segments of connection D).
fwd_d()
{
	ns_counter $R filter fwd_d
}

load_ruleset()
{
	ip netns exec $R nft -f - <<EOF
flush ruleset
table inet filter {
	set noflow {
		type inet_service
	}
	counter fwd_d { }

	flowtable ft {
		hook ingress priority 0
		devices = { r0, r1 }
	}

	chain forward {
		type filter hook forward priority 0; policy accept;
		tcp dport 5104 tcp flags & (fin | syn | rst) == 0 counter name fwd_d
		tcp dport @noflow accept
		tcp sport @noflow accept
		ct state established flow add @ft
	}
}
table ip nat {
	chain postrouting {
		type nat hook postrouting priority 100;
		oifname "r1" masquerade
	}
}
EOF
}

# The second router: C (c1, 10.0.3.1) - R2 (q0, q1) - S (s1, 10.0.4.1).
setup_r2()
{
	ip netns add $R2 || return 1
	ip link add c1 netns $C type veth peer name q0 netns $R2 || return 1
	ip link add s1 netns $S type veth peer name q1 netns $R2 || return 1
	ip -n $C addr add 10.0.3.1/24 dev c1
	ip -n $R2 addr add 10.0.3.254/24 dev q0
	ip -n $R2 addr add 10.0.4.254/24 dev q1
	ip -n $S addr add 10.0.4.1/24 dev s1
	ip -n $C link set c1 up
	ip -n $S link set s1 up
	ip -n $R2 link set lo up
	ip -n $R2 link set q0 up
	ip -n $R2 link set q1 up
	ip -n $C route add 10.0.4.0/24 via 10.0.3.254
	ip -n $S route add 10.0.3.0/24 via 10.0.4.254
	ip netns exec $R2 sysctl -qw net.ipv4.ip_forward=1
	ip netns exec $R2 nft -f - <<EOF
table inet t2 {
	flowtable ft2 {
		hook ingress priority 0
		devices = { q0, q1 }
	}
	chain forward {
		type filter hook forward priority 0; policy accept;
		ct state established flow add @ft2
	}
}
EOF
}

# The monitor has joined the "flows" group: /proc/net/netlink of the
# router lists a generic netlink socket with that group's bit (ids up to
# 32 are shown); for higher ids, that a generic netlink socket is there.
monitor_ready()	# monitor_ready <group id>
{
	local proto groups

	ip netns exec $R tail -n +2 /proc/net/netlink > "$WORK/netlink"
	while read -r _ proto _ groups _; do
		[ "$proto" = 16 ] || continue
		if [ "$1" -gt 32 ]; then
			return 0
		fi
		[ $(((0x$groups >> ($1 - 1)) & 1)) -eq 1 ] && return 0
	done < "$WORK/netlink"
	return 1
}

mon_has()	# mon_has <extended regex>
{
	grep -Eq "$1" "$WORK/mon.log"
}

# What monitor saw leave: for the diagnostics of a flow gone missing.
mon_dels()
{
	echo "monitor: $(grep '^del ' "$WORK/mon.log" | cut -d' ' -f2,6-11 | tr '\n' '|')"
}

echo "TAP version 13"
echo "1..$NTESTS"

if ! setup_topology; then
	echo "Bail out! cannot build the namespaces"
	exit 1
fi
ip netns exec $R sysctl -qw net.netfilter.nf_flowtable_tcp_timeout=$OFFLOAD_TIMEOUT
ip netns exec $R sysctl -qw net.netfilter.nf_flowtable_udp_timeout=$OFFLOAD_TIMEOUT
if ! load_ruleset 2> "$WORK/nft.err"; then
	echo "Bail out! ruleset: $(cat "$WORK/nft.err")"
	exit 1
fi

# The monitor runs from before the first flow to the end.
ip netns exec $R "$FPTOOL" monitor > "$WORK/mon.log" 2> "$WORK/mon.err" &
MONPID=$!
grp=$(ip netns exec $R python3 "$FUZZ" mcgrp)
if [ -z "$grp" ] || ! wait_for 10000 monitor_ready "$grp"; then
	echo "# monitor not subscribed (group '$grp'): $(cat "$WORK/mon.err")"
fi

# A: TCP over IPv4, B: UDP over IPv4, C6: TCP over IPv6, D: TCP over IPv4,
# to be handed back. The servers start together.
ip netns exec $S python3 -c "$UDP_ECHO" "$WORK/udp.peers" 6101 6102 6201 &
tcp_server A TCP4-LISTEN:5101
tcp_server C6 TCP6-LISTEN:5102
tcp_server D TCP4-LISTEN:5104
setup_ok=1
for p in "tcp 5101" "tcp 5102" "tcp 5104" "udp 6101" "udp 6102" "udp 6201"; do
	# shellcheck disable=SC2086
	wait_listen $S $p || setup_ok=0
done
tcp_client A TCP4:10.0.2.1:5101,sourceport=40101 || setup_ok=0
tcp_client C6 "TCP6:[dead:2::1]:5102,sourceport=40102" || setup_ok=0
tcp_client D TCP4:10.0.2.1:5104,sourceport=40104 || setup_ok=0
udp_send $C 10.0.2.1 6101 40201 3 100 || setup_ok=0

four_listed()
{
	[ "$(fp $R list -j 2>/dev/null | jq length 2>/dev/null)" = 4 ]
}

if [ $setup_ok = 0 ] || ! wait_for 20000 four_listed ||
   ! wait_for 20000 tcp_delivered A || ! wait_for 20000 tcp_delivered C6 ||
   ! wait_for 20000 tcp_delivered D; then
	rc=0
	fp $R list -j > "$WORK/bail.out" 2>&1 || rc=$?
	echo "# list -j: exit $rc: $(tr '\n' ' ' < "$WORK/bail.out")"
	echo "# conntrack: $(ct_list | tr '\n' ' ')"
	echo "Bail out! the four connections are not up and offloaded"
	exit 1
fi
A_ID=$(flow_id $R tcp 5101)
B_ID=$(flow_id $R udp 6101)
C_ID=$(flow_id $R tcp 5102)
D_ID=$(flow_id $R tcp 5104)
echo "# ct ids: A $A_ID, B $B_ID, C6 $C_ID, D $D_ID"

# 1: list shows the connections, address for address. The reply
# direction arrives from the server, to the address and port the server
# saw as its peer (the router's, masqueraded).
fields='[.family, .table, .flowtable, .l3proto, .proto,
	.orig.src, .orig.dst, .orig.sport, .orig.dport, .orig.iif, .orig.oif,
	.reply.src, .reply.dst, .reply.sport, .reply.dport, .reply.iif,
	.reply.oif, .nat, .where, .current] | map(tostring) | join(" ")'
flows_json $R "$WORK/all.json"
apeer='' aport=''
read -r apeer aport < "$WORK/A.peer"
read -r bpeer bport <<< "$(udp_peer 6101)"
why=()
check_flow()	# check_flow <name> <ct_id> <expected fields>
{
	local got

	got=$(jq -r --argjson id "$2" \
		".[] | select((.ct_id | tonumber) == \$id) | $fields" \
		"$WORK/all.json" 2>&1)
	[ "$got" = "$3" ] || why+=("$1: listed '$got'" "$1: expected '$3'")
}
check_flow A "$A_ID" "inet filter ft ipv4 tcp 10.0.1.1 10.0.2.1 40101 5101 r0 r1 \
10.0.2.1 $apeer 5101 $aport r1 r0 snat sw true"
check_flow B "$B_ID" "inet filter ft ipv4 udp 10.0.1.1 10.0.2.1 40201 6101 r0 r1 \
10.0.2.1 $bpeer 6101 $bport r1 r0 snat sw true"
check_flow C6 "$C_ID" "inet filter ft ipv6 tcp dead:1::1 dead:2::1 40102 5102 r0 r1 \
dead:2::1 dead:1::1 5102 40102 r1 r0 none sw true"
[ "$apeer" = 10.0.2.254 ] || why+=("server saw A from '$apeer', not the router")
ctid=$(ip netns exec $R conntrack -L -p tcp --dport 5101 -o id 2>/dev/null |
	sed -n 's/.*id=\([0-9]*\).*/\1/p')
[ "$ctid" = "$A_ID" ] || why+=("conntrack id of A $ctid, listed $A_ID")
# get takes the id conntrack -L -o id prints
got=$(flow_get $R "$ctid" '"\(.orig.sport) \(.orig.dport)"')
[ "$got" = "40101 5101" ] ||
	why+=("get $ctid (conntrack's id of A): '$(fp $R get "$ctid" 2>&1)'")
# The text line of A.
line=$(fp $R list | grep "ct_id=$A_ID ")
for want in "family=inet table=filter flowtable=ft proto=tcp ct_id=$A_ID " \
	    " src=10.0.1.1 dst=10.0.2.1 sport=40101 dport=5101 iif=r0 oif=r1 " \
	    " rsrc=10.0.2.1 rdst=$apeer rsport=5101 rdport=$aport riif=r1 roif=r0 " \
	    " nat=snat where=sw " " current=yes"; do
	[[ "$line" == *"$want"* ]] || why+=("text line lacks '$want': $line")
done
got=$(flow_get $R "$C_ID" '"\(.ct_id) \(.orig.dport)"')
[ "$got" = "$C_ID 5102" ] || why+=("get $C_ID: '$got'")
if [ ${#why[@]} -eq 0 ]; then
	result 0 "list and get show the connections as client and server see them"
else
	fail "list and get show the connections as client and server see them" \
		"${why[@]}" "$(fp $R list)"
fi

# 2: filters select flows; bad filter words are usage errors.
why=()
check_filter()	# check_filter <expected ids> <filter...>
{
	local want=$1 got

	shift
	got=$(listed_ids $R "$@")
	[ "$got" = "$want" ] || why+=("list $*: '$got', expected '$want'")
}
check_filter "$(sorted "$B_ID")" proto udp
check_filter "$(sorted "$A_ID")" src 10.0.1.1 dport 5101
check_filter "$(sorted "$C_ID")" dst dead:2::1
check_filter "$(sorted "$C_ID")" src dead:1::1
check_filter "$(sorted "$D_ID")" sport 40104
check_filter "$(sorted "$A_ID" "$D_ID")" proto tcp dst 10.0.2.1
check_filter "$(sorted "$A_ID" "$B_ID" "$C_ID" "$D_ID")" family inet table filter flowtable ft sw
check_filter "" hw
check_filter "" table nosuch
# (usage errors, found before any request: no netns needed)
for bad in "bogus" "sport notaport" "proto icmp" "src 10.0.1" "dport"; do
	rc=0
	# shellcheck disable=SC2086
	"$FPTOOL" list $bad >/dev/null 2>&1 || rc=$?
	[ $rc -eq 2 ] || why+=("list $bad: exit $rc, expected 2")
done
if [ ${#why[@]} -eq 0 ]; then
	result 0 "list filters select the matching flows"
else
	fail "list filters select the matching flows" "${why[@]}"
fi

# 3: counters of the TCP flow grow with the data sent: each segment (or
# GSO packet, if the fast path counts those as one) adds its payload and
# one IPv4 + TCP header.
head -c 2000000 /dev/urandom > "$WORK/big"
read -r op0 ob0 rp0 rb0 <<< "$(counters "$A_ID")"
if ! tcp_push A "$WORK/big"; then
	fail "tcp counters grow with the data sent" "$WHY"
else
	read -r op1 ob1 rp1 rb1 <<< "$(counters "$A_ID")"
	dp=$((op1 - op0)) db=$((ob1 - ob0))
	payload=$((db - dp * TCP_HDR))
	echo "# A: sent 2000000 bytes; orig +$dp packets +$db bytes" \
		"(payload $payload), reply +$((rp1 - rp0)) packets +$((rb1 - rb0)) bytes"
	if [ "$dp" -le 0 ] || ! within_1pct "$payload" 2000000; then
		fail "tcp counters grow with the data sent" \
			"orig before: $op0 packets $ob0 bytes, after: $op1 $ob1"
	elif [ $((rp1 - rp0)) -le 0 ] || [ $((rb1 - rb0)) -lt $(((rp1 - rp0) * TCP_HDR)) ]; then
		fail "tcp counters grow with the data sent" \
			"reply (acks): +$((rp1 - rp0)) packets +$((rb1 - rb0)) bytes"
	else
		result 0 "tcp counters grow with the data sent"
	fi
fi

# 4: the same for UDP, datagram for datagram: 300 of 1000 bytes, each
# 1028 bytes as an IPv4 packet, each echoed.
read -r op0 ob0 rp0 rb0 <<< "$(counters "$B_ID")"
if ! udp_send $C 10.0.2.1 6101 40201 300 1000; then
	fail "udp counters grow with the datagrams sent" \
		"echoes: $(cat "$WORK/udp.out")"
else
	read -r op1 ob1 rp1 rb1 <<< "$(counters "$B_ID")"
	echo "# B: 300 datagrams of 1028 bytes each way; orig +$((op1 - op0))" \
		"packets +$((ob1 - ob0)) bytes, reply +$((rp1 - rp0)) +$((rb1 - rb0))"
	if within_1pct $((op1 - op0)) 300 && within_1pct $((ob1 - ob0)) 308400 &&
	   within_1pct $((rp1 - rp0)) 300 && within_1pct $((rb1 - rb0)) 308400; then
		result 0 "udp counters grow with the datagrams sent"
	else
		fail "udp counters grow with the datagrams sent" \
			"before: $op0 $ob0 $rp0 $rb0, after: $op1 $ob1 $rp1 $rb1"
	fi
fi

# 5: ctnetlink shows the offloaded TCP entry as ESTABLISHED with a
# timeout no longer than the offload timeout, and a state filter finds it.
line=$(ct_line 5101)
t=$(ct_timeout 5101)
if [[ "$line" != *ESTABLISHED*"[OFFLOAD]"* ]] ||
   ! [ "${t:-x}" -le $OFFLOAD_TIMEOUT ] 2>/dev/null; then
	fail "conntrack shows the offloaded entry established" \
		"timeout '$t' (offload timeout $OFFLOAD_TIMEOUT s): $line"
elif ! ip netns exec $R conntrack -L -p tcp --state ESTABLISHED 2>/dev/null |
	grep 'dport=5101 ' | grep -q '\[OFFLOAD\]'; then
	fail "conntrack shows the offloaded entry established" \
		"conntrack -L --state ESTABLISHED does not list it" \
		"$(ip netns exec $R conntrack -L -p tcp --state ESTABLISHED 2>&1)"
else
	echo "# $line"
	result 0 "conntrack shows the offloaded entry established"
fi

# 6: while A is idle its remaining time counts down, in the family's
# timeout_ms and in conntrack's timeout (refreshed once a second); after
# traffic both go up again.
why=()
t0=$(ct_timeout 5101)
n0=$(timeout_ms "$A_ID")
# Two seconds lower at least: conntrack prints whole seconds, rounded down.
if ! wait_for 10000 ct_timeout_below 5101 $((${t0:-0} - 1)); then
	why+=("conntrack timeout stayed at $t0 s: $(ct_line 5101)")
fi
t1=$(ct_timeout 5101)
n1=$(timeout_ms "$A_ID")
[ "${n1:-x}" -lt "${n0:-0}" ] 2>/dev/null ||
	why+=("timeout_ms did not count down: $n0 then $n1")
echo "hello again" > "$WORK/small"
if ! tcp_push A "$WORK/small"; then
	why+=("$WHY")
elif ! wait_for 10000 ct_timeout_above 5101 "${t1:-0}"; then
	why+=("conntrack timeout did not go up after traffic: $t1 s, then $(ct_timeout 5101)")
fi
n2=$(timeout_ms "$A_ID")
[ "${n2:-0}" -gt "${n1:-0}" ] 2>/dev/null ||
	why+=("timeout_ms did not go up after traffic: $n1 then $n2")
t2=$(ct_timeout 5101)
[ "${t2:-x}" -le $OFFLOAD_TIMEOUT ] 2>/dev/null ||
	why+=("conntrack timeout $t2 above the offload timeout")
echo "# conntrack timeout $t0 -> $t1 -> $t2 s, timeout_ms $n0 -> $n1 -> $n2"
if [ ${#why[@]} -eq 0 ]; then
	result 0 "remaining timeout counts down while idle, up after traffic"
else
	fail "remaining timeout counts down while idle, up after traffic" "${why[@]}"
fi

# 7: flush by destination port hands back D alone; its conntrack entry
# stays, established and no longer offloaded.
hb0=$(fp_stat del_handback)
rc=0
out=$(fp $R flush dport 5104 2>&1) || rc=$?
ids=$(listed_ids $R)
line=$(ct_line 5104)
if [ $rc -ne 0 ] || [ "$out" != "handed_back=1" ]; then
	fail "flush by port hands back exactly the matching flow" \
		"flush dport 5104: exit $rc: $out" "$(fp $R list)"
elif [ "$ids" != "$(sorted "$A_ID" "$B_ID" "$C_ID")" ]; then
	fail "flush by port hands back exactly the matching flow" \
		"listed after the flush: $ids" "$(fp $R list)" "$(mon_dels)"
elif [[ "$line" != *ESTABLISHED* ]] || [[ "$line" == *OFFLOAD* ]]; then
	fail "flush by port hands back exactly the matching flow" \
		"conntrack entry of D: '$line'"
elif [ "$(fp_stat del_handback)" != $((${hb0:-0} + 1)) ]; then
	fail "flush by port hands back exactly the matching flow" \
		"del_handback went from '$hb0' to '$(fp_stat del_handback)'"
else
	result 0 "flush by port hands back exactly the matching flow"
fi

# 8: D goes on over the classic path. Its port joins the ruleset's
# noflow set (the commit leaves the other flows in place: their next
# packets are judged again and offloaded), so that its segments keep
# going through the forward chain: fwd_d counts them.
ip netns exec $R nft add element inet filter noflow '{ 5104 }'
f0=$(fwd_d)
head -c 300000 /dev/urandom > "$WORK/mid"
if ! tcp_push D "$WORK/mid"; then
	fail "handed back connection goes on over the classic path" "$WHY"
elif [ $(($(fwd_d) - f0)) -lt 5 ]; then
	fail "handed back connection goes on over the classic path" \
		"forward chain saw $(($(fwd_d) - f0)) data segments of D"
elif fp $R list | grep -q "ct_id=$D_ID "; then
	fail "handed back connection goes on over the classic path" \
		"D is listed again: $(fp $R list | grep "ct_id=$D_ID ")"
elif [[ "$(ct_line 5104)" != *ESTABLISHED* ]]; then
	fail "handed back connection goes on over the classic path" \
		"conntrack entry of D: '$(ct_line 5104)'"
else
	echo "# D: 300000 bytes intact, forward chain +$(($(fwd_d) - f0)) segments"
	result 0 "handed back connection goes on over the classic path"
fi

# 9: monitor reported the four additions and D's hand-back.
mon_ok()
{
	local id

	for id in "$A_ID" "$B_ID" "$C_ID" "$D_ID"; do
		mon_has "^add .*ct_id=$id " || return 1
	done
	mon_has "^del reason=handback .*ct_id=$D_ID "
}
if wait_for 10000 mon_ok; then
	result 0 "monitor reports additions and the hand-back"
else
	fail "monitor reports additions and the hand-back" \
		"monitor: $(tr '\n' '|' < "$WORK/mon.log")" \
		"stderr: $(cat "$WORK/mon.err")"
fi

# 10: a second router namespace with its own flowtable and flow: each
# namespace lists, gets and flushes only its own.
r2_one()
{
	[ "$(fp $R2 list -j 2>/dev/null | jq length 2>/dev/null)" = 1 ]
}
why=()
if ! setup_r2 2> "$WORK/r2.err"; then
	why+=("second router: $(cat "$WORK/r2.err")")
elif ! udp_send $C 10.0.4.1 6201 40301 3 100; then
	why+=("udp through the second router: $(cat "$WORK/udp.out")")
elif ! wait_for 10000 r2_one; then
	why+=("second router lists: $(fp $R2 list 2>&1)")
else
	flows_json $R2 "$WORK/r2.json"
	got=$(jq -r '.[0] | "\(.table) \(.flowtable) \(.orig.src) \(.orig.dport)"' "$WORK/r2.json")
	[ "$got" = "t2 ft2 10.0.3.1 6201" ] || why+=("second router's flow: $got")
	ids=$(listed_ids $R)
	[ "$ids" = "$(sorted "$A_ID" "$B_ID" "$C_ID")" ] ||
		why+=("first router lists $ids" "$(mon_dels)")
	rc=0
	"$FPTOOL" list -j > "$WORK/init.json" 2>&1 || rc=$?
	if [ $rc -ne 0 ] || ! jq -e '[.[] | select(.orig.src == "10.0.1.1" or
			.orig.src == "10.0.3.1" or .orig.src == "dead:1::1")] |
			length == 0' "$WORK/init.json" >/dev/null 2>&1; then
		why+=("initial namespace: exit $rc: $(head -c 600 "$WORK/init.json")")
	fi
	rc=0
	fp $R2 get "$A_ID" >/dev/null 2>&1 || rc=$?
	[ $rc -eq 1 ] || why+=("get of the first router's flow in the second: exit $rc")
	out=$(fp $R2 flush 2>&1)
	[ "$out" = "handed_back=1" ] || why+=("flush in the second router: $out")
	ids=$(listed_ids $R)
	[ "$ids" = "$(sorted "$A_ID" "$B_ID" "$C_ID")" ] ||
		why+=("first router lists $ids after the second's flush")
	[ "$(listed_ids $R2)" = "" ] ||
		why+=("second router lists $(listed_ids $R2) after its flush")
	fp $R2 stats | grep -q "^flowtable .*table=t2 name=ft2" ||
		why+=("second router's stats: $(fp $R2 stats 2>&1 | grep flowtable)")
	fp $R2 stats | grep -q "table=filter" &&
		why+=("second router's stats show the first's flowtable")
fi
if [ ${#why[@]} -eq 0 ]; then
	result 0 "a network namespace sees and flushes only its own flows"
else
	fail "a network namespace sees and flushes only its own flows" "${why[@]}"
fi

# 11: without CAP_NET_ADMIN every request is refused and changes nothing.
if ! command -v setpriv >/dev/null; then
	testno=$((testno + 1))
	echo "ok $testno requests without CAP_NET_ADMIN are refused # SKIP setpriv not found"
else
	why=()
	caps=$(ip netns exec $R setpriv --inh-caps=-net_admin \
		--bounding-set=-net_admin -- awk '/^CapEff/ { print $2 }' /proc/self/status)
	[ $(((0x${caps:-1000} >> 12) & 1)) -eq 0 ] ||
		why+=("CAP_NET_ADMIN not dropped: CapEff $caps")
	for args in "list" "get $A_ID" "flush" "stats" \
		    "set inet filter ft revalidate off" "monitor"; do
		rc=0
		# shellcheck disable=SC2086
		fp_noadmin $R $args > "$WORK/noadmin.out" 2> "$WORK/noadmin.err" ||
			rc=$?
		if [ $rc -ne 1 ] || ! grep -q "Operation not permitted" "$WORK/noadmin.err"; then
			why+=("$args: exit $rc: $(cat "$WORK/noadmin.out" "$WORK/noadmin.err")")
		fi
	done
	ids=$(listed_ids $R)
	[ "$ids" = "$(sorted "$A_ID" "$B_ID" "$C_ID")" ] ||
		why+=("listed afterwards: $ids" "$(mon_dels)")
	ip netns exec $R grep -q "^flowtable inet filter ft .*revalidate on" \
		/proc/net/nf_fastpath ||
		why+=("$(ip netns exec $R grep ^flowtable /proc/net/nf_fastpath)")
	if [ ${#why[@]} -eq 0 ]; then
		result 0 "requests without CAP_NET_ADMIN are refused"
	else
		fail "requests without CAP_NET_ADMIN are refused" "${why[@]}"
	fi
fi

# 12: set switches revalidation of a flowtable; an unknown flowtable is a
# kernel error naming it, a bad value a usage error.
why=()
ft_line()
{
	fp $R stats | grep "^flowtable .*family=inet table=filter name=ft "
}
rc=0
out=$(fp $R set inet filter ft revalidate off 2>&1) || rc=$?
[ $rc -eq 0 ] || why+=("set revalidate off: exit $rc: $out")
[[ "$(ft_line)" == *" revalidate=off"* ]] || why+=("stats: $(ft_line)")
ip netns exec $R grep -q "^flowtable inet filter ft .*revalidate off" \
	/proc/net/nf_fastpath || why+=("/proc: $(fp_dump)")
rc=0
out=$(fp $R set inet filter nosuchft revalidate off 2>&1) || rc=$?
[ $rc -eq 1 ] && [[ "$out" == *nosuchft* ]] ||
	why+=("set on an unknown flowtable: exit $rc: $out")
rc=0
out=$(fp $R set inet filter ft revalidate maybe 2>&1) || rc=$?
[ $rc -eq 2 ] || why+=("set revalidate maybe: exit $rc: $out")
rc=0
out=$(fp $R2 set inet filter ft revalidate on 2>&1) || rc=$?
[ $rc -eq 1 ] || why+=("set in the second router on the first's flowtable: exit $rc: $out")
rc=0
out=$(fp $R set inet filter ft revalidate on 2>&1) || rc=$?
[ $rc -eq 0 ] || why+=("set revalidate on: exit $rc: $out")
[[ "$(ft_line)" == *" revalidate=on"* ]] || why+=("stats: $(ft_line)")
if [ ${#why[@]} -eq 0 ]; then
	result 0 "set switches revalidation, refuses unknown flowtables and values"
else
	fail "set switches revalidation, refuses unknown flowtables and values" \
		"${why[@]}"
fi

# 13: stats: JSON that parses, counters that saw the traffic.
hit=$(fp $R stats -j 2>/dev/null | jq '[.. | objects |
	((.hit? | numbers), (select(.name? == "hit") | .value))] | first // empty' \
	2>/dev/null)
thit=$(fp $R stats | awk '$1 == "hit" { print $2 }')
if ! fp $R stats -j 2>&1 | python3 -m json.tool >/dev/null; then
	fail "stats -j is JSON with the counters" "$(fp $R stats -j 2>&1 | head -c 600)"
elif ! [ "${hit:-0}" -gt 0 ] 2>/dev/null || ! [ "${thit:-0}" -gt 0 ] 2>/dev/null; then
	fail "stats -j is JSON with the counters" "hit: json '$hit', text '$thit'" \
		"$(fp $R stats -j 2>&1 | head -c 600)"
else
	result 0 "stats -j is JSON with the counters"
fi

# 14: malformed requests, raw: every one refused, the socket intact.
dmesg > "$WORK/dmesg.before" 2>/dev/null
rc=0
ip netns exec $R python3 "$FUZZ" fuzz --seed 1 --random 20 --src 10.0.1.1 \
	> "$WORK/fuzz.out" 2>&1 || rc=$?
if [ $rc -eq 0 ]; then
	echo "# $(tail -n 1 "$WORK/fuzz.out")"
	result 0 "malformed netlink requests are refused"
else
	fail "malformed netlink requests are refused" "exit $rc" \
		"$(grep -v '^ok ' "$WORK/fuzz.out")"
fi

# 15: after them, the flows are still there and carry data, intact, and
# the kernel reported nothing.
why=()
ids=$(listed_ids $R)
[ "$ids" = "$(sorted "$A_ID" "$B_ID" "$C_ID")" ] || why+=("listed: $ids" "$(mon_dels)")
head -c 200000 /dev/urandom > "$WORK/tail"
tcp_push A "$WORK/tail" || why+=("$WHY")
tcp_push C6 "$WORK/tail" || why+=("$WHY")
udp_send $C 10.0.2.1 6101 40201 20 500 || why+=("udp: $(cat "$WORK/udp.out")")
ids=$(listed_ids $R)
[ "$ids" = "$(sorted "$A_ID" "$B_ID" "$C_ID")" ] ||
	why+=("listed after traffic: $ids" "$(mon_dels)")
dmesg > "$WORK/dmesg.after" 2>/dev/null
reports=$(tail -n +$(($(wc -l < "$WORK/dmesg.before") + 1)) "$WORK/dmesg.after" |
	grep -E 'BUG:|WARNING:|Oops|KASAN|UBSAN|refcount_t:|general protection')
[ -z "$reports" ] || why+=("kernel: $reports")
if [ ${#why[@]} -eq 0 ]; then
	result 0 "flows survive the malformed requests, no kernel report"
else
	fail "flows survive the malformed requests, no kernel report" "${why[@]}"
fi

# 16: an idle UDP flow times out and monitor says so. The offload
# timeout goes down to 2 s for it (E, UDP to port 6102).
ip netns exec $R sysctl -qw net.netfilter.nf_flowtable_udp_timeout=2
if ! udp_send $C 10.0.2.1 6102 40202 3 100; then
	fail "monitor reports a flow that timed out" "udp: $(cat "$WORK/udp.out")"
elif ! wait_for 10000 mon_has "^add .* proto=udp .* sport=40202 dport=6102 " ||
     ! wait_for 20000 mon_has "^del reason=timeout .* proto=udp .* sport=40202 dport=6102 "; then
	fail "monitor reports a flow that timed out" \
		"monitor: $(grep 'sport=40202' "$WORK/mon.log" | tr '\n' '|')" \
		"stderr: $(cat "$WORK/mon.err")"
elif ! kill -0 "$MONPID" 2>/dev/null; then
	fail "monitor reports a flow that timed out" "monitor died"
else
	result 0 "monitor reports a flow that timed out"
fi

echo "# $failed of $testno failed"
[ $failed -eq 0 ]
