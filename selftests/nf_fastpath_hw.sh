#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Hardware offload on netdevsim: client - router - server over linked
# netdevsim ports, the router's two ports in one netdevsim device whose
# flow table model forwards matched packets itself.  With "flags offload"
# a flow must reach the hardware ([HW_OFFLOAD]) and then be forwarded
# there alone: the router's software fast path and forward chain stand
# still while the model's entry counters grow, and data arrives intact,
# with and without NAT.  A full table or a failing driver leaves flows in
# the software fast path; hardware counters keep a busy flow alive; FIN,
# conntrack -F, device removal, flowtable deletion and netns exit leave no
# hardware entry.  A veth refuses "flags offload".
#
# The traffic cases run under each of the model's driver profiles
# (ft/profile: generic, mtk, mlx5), and every datagram forwarded in
# hardware must reach the server with its TTL / hop limit taken down by
# exactly one.  Under mtk, whose PPE cannot rewrite IPv6 addresses, an
# IPv6 masqueraded stream must be refused, counted and forwarded in
# software; without packet counters (MT7621), the time an entry was last
# used must keep a busy flow alive.
#
# Output is KTAP; the exit status is non-zero if any case failed.

set -u

. "$(dirname "$0")/lib.sh"

NTESTS=30
SPID=
CPID=
DBG=/sys/kernel/debug/netdevsim
BUS=/sys/bus/netdevsim
ID_R=$((100 + RANDOM % 800))
ID_C=$((ID_R + 1000))
ID_S=$((ID_R + 2000))

if [ ! -w $BUS/new_device ] || [ ! -w $BUS/link_device ]; then
	echo "1..0 # SKIP netdevsim with link_device support not available"
	exit $ksft_skip
fi
if ! command -v python3 >/dev/null; then
	echo "1..0 # SKIP python3 not found"
	exit $ksft_skip
fi

nsx()
{
	ip netns exec $R "$@"
}

nsim_cleanup()
{
	local id

	for id in $ID_R $ID_C $ID_S; do
		[ -d $BUS/devices/netdevsim$id ] &&
			echo $id > $BUS/del_device 2>/dev/null
	done
	cleanup
}
trap nsim_cleanup EXIT

ft_dir()
{
	echo $DBG/netdevsim$ID_R/ft
}

# The model's debugfs files must exist: a reader of a missing file fails
# (prints nothing), so that "no entry left" cannot pass by accident.
hw_empty()	# the model holds no entry
{
	[ "$(cat "$(ft_dir)/count" 2>/dev/null)" = 0 ]
}

# Sum of the packets counted by the model's entries (lines of "cookie
# in-dev l3 l4 source destination out-dev packets bytes").
hw_packets()
{
	[ -r "$(ft_dir)/entries" ] &&
		awk '{ n += $(NF - 1) } END { print n + 0 }' "$(ft_dir)/entries"
}

hw_packets_of()	# hw_packets_of <pattern>: packets of the matching entries
{
	[ -r "$(ft_dir)/entries" ] &&
		grep -- "$1" "$(ft_dir)/entries" |
		awk '{ n += $(NF - 1) } END { print n + 0 }'
}

hw_has()	# hw_has <pattern>: an entry of the model matches
{
	grep -q -- "$1" "$(ft_dir)/entries" 2>/dev/null
}

hw_lacks()	# hw_lacks <pattern>: the model's entries are readable, none matches
{
	[ -r "$(ft_dir)/entries" ] && ! grep -q -- "$1" "$(ft_dir)/entries"
}

hw_entries_dump()
{
	cat "$(ft_dir)/entries" 2>&1
}

above()	# above <value> <command...>: the command prints more than <value>
{
	local v=$1 n

	shift
	n=$("$@") && [ -n "$n" ] && [ "$n" -gt "$v" ]
}

# A field of our flowtable's line in /proc/net/nf_fastpath.
ft_field()
{
	nsx awk -v k="$1" '$1 == "flowtable" {
		for (i = 2; i < NF; i++) if ($i == k) print $(i + 1) }' \
		/proc/net/nf_fastpath
}

hw_offloaded()	# hw_offloaded <l4proto> <dport>
{
	ct_list -p "$1" --dport "$2" | grep -q '\[HW_OFFLOAD\]'
}

# new_port <id> <ports> <netns> <names...>: a netdevsim device whose
# ports move into <netns> under <names>.
new_port()
{
	local id=$1 n=$2 ns=$3 i=0 dev

	shift 3
	echo "$id $n" > $BUS/new_device || return 1
	wait_for 10000 eval "[ \$(ls $BUS/devices/netdevsim$id/net 2>/dev/null | wc -l) -eq $n ]" ||
		return 1
	for dev in $(ls $BUS/devices/netdevsim$id/net | sort); do
		i=$((i + 1))
		ip link set "$dev" netns "$ns" || return 1
		ip -n "$ns" link set "$dev" name "${!i}" || return 1
	done
}

ifidx()	# ifidx <netns> <dev>
{
	ip netns exec "$1" cat /sys/class/net/"$2"/ifindex
}

link_ports()	# link_ports <netns> <dev> <netns> <dev>
{
	local fa fb rc

	exec {fa}<"/run/netns/$1" {fb}<"/run/netns/$3"
	echo "$fa:$(ifidx "$1" "$2") $fb:$(ifidx "$3" "$4")" > $BUS/link_device
	rc=$?
	exec {fa}<&- {fb}<&-
	return $rc
}

pings()	# pings <address>: the client reaches it through the router
{
	ip netns exec $C ping -q -c 1 -W 1 "$1" > /dev/null
}

setup_nsim_topology()
{
	ip netns add $C && ip netns add $R && ip netns add $S || return 1
	new_port $ID_R 2 $R r0 r1 || return 1
	new_port $ID_C 1 $C c0 || return 1
	new_port $ID_S 1 $S s0 || return 1
	link_ports $C c0 $R r0 && link_ports $R r1 $S s0 || return 1
	setup_addresses
	wait_for 20000 pings 10.0.2.1 && wait_for 20000 pings dead:2::1
}

# load_ruleset [nat]: flowtable with "flags offload" over r0 and r1.
load_ruleset()
{
	local nat=""

	[ "${1:-}" = nat ] && nat="chain post {
		type nat hook postrouting priority 100;
		oifname r1 masquerade;
	}"
	# A driver binds a device to one flowtable at a time: the old one
	# must be gone before the new one binds.
	nsx nft flush ruleset
	nsx nft -f - <<EOF
table inet filter {
	counter forwarded { }

	flowtable ft {
		hook ingress priority 0
		devices = { r0, r1 }
		flags offload
		counter
	}

	chain forward {
		type filter hook forward priority 0; policy accept;
		meta l4proto { tcp, udp } flow add @ft
		counter name forwarded
	}
	$nat
}
EOF
}

# UDP streams from the client to <addr>:<port>: numbered 512-byte
# datagrams, one every <gap> seconds. The server echoes a reply for the
# first one only (so that conntrack sees the connection established) and
# writes "<distinct intact datagrams> <peers> missing [<first 10 lost>]"
# to its out file when it got all it expects, or when <out>.stop exists.
# Its receive buffer holds every datagram of a stream however late it
# runs. One stream at a time: SPID and CPID are the server and client.
udp_server()	# udp_server <family 4|6> <port> <out file> <count>
{
	rm -f "$3" "$3.stop" "$3.count"
	ip netns exec $S python3 -c '
import os, socket, sys
fam = socket.AF_INET6 if sys.argv[1] == "6" else socket.AF_INET
out, count = sys.argv[3], int(sys.argv[4])
s = socket.socket(fam, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_RCVBUFFORCE", 33), 64 << 20)
s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", int(sys.argv[2])))
s.settimeout(0.1)
seen, peers = set(), set()
while not os.path.exists(out + ".stop"):
    if not count and os.path.exists(out + ".count"):
        count = int(open(out + ".count").read() or 0)
    if count and len(seen) >= count:
        break
    try:
        d, a = s.recvfrom(2048)
    except socket.timeout:
        continue
    n = int.from_bytes(d[:4], "big")
    if d == n.to_bytes(4, "big") + bytes([n % 251]) * 508:
        if not seen:
            s.sendto(b"ack", a)
        seen.add(n)
        peers.add(a[0])
miss = sorted(set(range(max(seen, default=-1) + 1)) - seen)[:10]
open(out + ".tmp", "w").write("%d %s missing %s\n" % (len(seen),
    " ".join(sorted(peers)), miss))
os.rename(out + ".tmp", out)
' "$1" "$2" "$3" "$4" &
	SPID=$!
	wait_listen $S udp "$2"
}

# udp_client <addr> <port> <count> <gap> <sent file>: <count> datagrams,
# or with 0 until <sent file>.stop exists; then writes how many it sent.
# After the first it waits for the server's reply.
udp_client()
{
	rm -f "$5" "$5.stop"
	ip netns exec $C python3 -c '
import os, socket, sys, time
addr, port, count, gap = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
sent, wait = sys.argv[5], float(sys.argv[6])
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", 40000 + port % 1000))
n = 0
while n < count or not count and not os.path.exists(sent + ".stop"):
    s.sendto(n.to_bytes(4, "big") + bytes([n % 251]) * 508, (addr, port))
    n += 1
    if n == 1:
        s.settimeout(wait)
        try:
            s.recv(16)
        except socket.timeout:
            pass
    time.sleep(gap)
open(sent, "w").write("%d\n" % n)
' "$1" "$2" "$3" "$4" "$5" $((10 * FP_SCALE)) &
	CPID=$!
}

# udp_stream <port> <count>: IPv4 server and paced client, in the
# background. Returns 1, with WHY set, if the server does not listen.
udp_stream()
{
	CPID=
	udp_server 4 "$1" "$WORK/udp.$1" "$2" || return 1
	udp_client 10.0.2.1 "$1" "$2" 0.002 "$WORK/sent.$1"
}

# udp_end <port> [stop]: wait for the client to finish, then for the
# server to get every datagram the client sent (with "stop": tell it to
# stop at once); the server's line is then in $WORK/udp.<port>.
udp_end()
{
	local out=$WORK/udp.$1

	[ -n "$CPID" ] && wait $CPID 2>/dev/null
	[ "${2:-}" = stop ] && touch "$out.stop"
	cp "$WORK/sent.$1" "$out.count" 2>/dev/null
	wait_for 20000 test -e "$out" || touch "$out.stop"
	[ -n "$SPID" ] && wait $SPID 2>/dev/null
	[ -e "$out" ] || echo "0 (server gone) missing" > "$out"
}

# udp_got <port> <count>: the server got <count> distinct intact datagrams
udp_got()
{
	[ "$(cut -d' ' -f1 "$WORK/udp.$1")" = "$2" ]
}

# hw_flow_up <port>: a 1500-datagram stream that reaches [HW_OFFLOAD].
hw_flow_up()
{
	udp_stream "$1" 1500 || return 1
	WHY="flow never in hardware"
	wait_for 20000 hw_offloaded udp "$1"
}

# hw_stream <name> <family> <addr> <port>: a UDP stream that must go to
# the hardware; once the model forwards it, the software fast path and
# the forward chain stand still while the model counts 200 more packets;
# all datagrams arrive.
hw_stream()
{
	local name=$1 fam=$2 addr=$3 port=$4 hit0 fwd0 hw0 hit1 fwd1 hw1 msg
	local good0 bad0 good1 bad1

	good0=$(ns_counter $S hop good); bad0=$(ns_counter $S hop bad)
	if ! udp_server "$fam" "$port" "$WORK/udp.$port" 3000; then
		result 1 "$name: [HW_OFFLOAD]" "$WHY"
		touch "$WORK/udp.$port.stop"
		wait
		return
	fi
	udp_client "$addr" "$port" 3000 0.002 "$WORK/sent.$port"
	if ! wait_for 20000 hw_offloaded udp "$port"; then
		udp_end "$port" stop
		result 1 "$name: [HW_OFFLOAD]" "$(ct_list)" "$(fp_dump)" \
			"$(hw_entries_dump)"
		return
	fi
	# packets that entered the software path before the model took
	# the flow are through once the model forwarded 20
	wait_for 20000 above 19 hw_packets_of ":$port "
	hit0=$(fp_stat hit); fwd0=$(nft_packets forwarded)
	hw0=$(hw_packets_of ":$port ")
	wait_for 30000 above $((hw0 + 199)) hw_packets_of ":$port "
	hit1=$(fp_stat hit); fwd1=$(nft_packets forwarded)
	hw1=$(hw_packets_of ":$port ")
	udp_end "$port"
	good1=$(ns_counter $S hop good); bad1=$(ns_counter $S hop bad)
	if [ "$hit1" -eq "$hit0" ] && [ "$fwd1" -eq "$fwd0" ] &&
	   [ "${hw1:-0}" -gt $((${hw0:-0} + 199)) ] && udp_got "$port" 3000 &&
	   [ "$bad1" -eq "$bad0" ] && [ "$good1" -ge $((good0 + 3000)) ]; then
		msg="model +$((hw1 - hw0)) packets"
		msg+=", software and forward chain +0, 3000/3000 intact"
		msg+=", TTL / hop limit 63 on all"
		result 0 "$name: [HW_OFFLOAD], $msg"
	else
		result 1 "$name: in hardware only, data intact" \
			"fast path hits $hit0 -> $hit1, forward $fwd0 -> $fwd1" \
			"model packets $hw0 -> $hw1 (wanted 200 more)" \
			"server: TTL 63 $good0 -> $good1, other TTL $bad0 -> $bad1" \
			"server: $(cat "$WORK/udp.$port")" \
			"$(hw_entries_dump)"
	fi
}

echo "TAP version 13"
echo "1..$NTESTS"

if ! setup_nsim_topology; then
	echo "Bail out! cannot build the netdevsim topology"
	exit 1
fi
# The server counts the UDP datagrams it gets by TTL / hop limit: sent
# with 64, one router hop - in software or in hardware - leaves 63.
if ! ip netns exec $S nft -f - <<EOF
table inet hop {
	counter good { }
	counter bad { }
	chain in {
		type filter hook input priority 0; policy accept;
		ip ttl 63 meta l4proto udp counter name good
		ip ttl != 63 meta l4proto udp counter name bad
		ip6 hoplimit 63 meta l4proto udp counter name good
		ip6 hoplimit != 63 meta l4proto udp counter name bad
	}
}
EOF
then
	echo "Bail out! cannot count hops on the server"
	exit 1
fi

# 1. A veth cannot offload: the flowtable is refused, nothing half-made.
ip -n $R link add v0 type veth peer name v1
nsx nft list ruleset > "$WORK/before"
ft='{ hook ingress priority 0; devices = { v0 }; flags offload; }'
if ! nsx nft add table inet t2 "{ flowtable f $ft; }" > "$WORK/out" 2>&1 &&
   grep -q "Operation not supported" "$WORK/out" &&
   nsx nft list ruleset | cmp -s - "$WORK/before"; then
	result 0 "flags offload on a veth refused: $(head -1 "$WORK/out")"
else
	result 1 "flags offload on a veth refused" "$(cat "$WORK/out")"
fi
ip -n $R link del v0

# use_profile <name>: the router's netdevsim device takes rules as that
# driver does (ft/profile).  Nothing may be bound while it changes.
use_profile()
{
	nsx nft flush ruleset
	echo "$1" > "$(ft_dir)/profile" 2>/dev/null &&
		[ "$(cat "$(ft_dir)/profile")" = "$1" ]
}

# tcp_case <profile> <port>: a TCP transfer in hardware, intact; FIN
# tears the flow down.
tcp_case()
{
	local p=$1 port=$2 hw0=0 hw1=0 fwd0=0 fwd1=0 seen=0 entry=0 msg

	head -c 4000000 /dev/urandom > "$WORK/tcp.in"
	ip netns exec $S socat -u TCP-LISTEN:"$port",reuseaddr OPEN:"$WORK/tcp.out",creat,trunc &
	if wait_listen $S tcp "$port"; then
		ip netns exec $C python3 -c '
import socket, sys, time
s = socket.create_connection(("10.0.2.1", int(sys.argv[2])))
data = open(sys.argv[1], "rb").read()
for i in range(0, len(data), 2000):
    s.sendall(data[i:i + 2000])
    time.sleep(0.005)
s.close()
' "$WORK/tcp.in" "$port" &
		if wait_for 20000 hw_offloaded tcp "$port"; then
			seen=1
			wait_for 10000 hw_has ":$port " && entry=1
			wait_for 20000 above 19 hw_packets_of ":$port "
			hw0=$(hw_packets_of ":$port "); fwd0=$(nft_packets forwarded)
			wait_for 30000 above $((hw0 + 99)) hw_packets_of ":$port "
			hw1=$(hw_packets_of ":$port "); fwd1=$(nft_packets forwarded)
		fi
	else
		echo "# $WHY"
	fi
	wait
	if [ $seen -eq 1 ] && cmp -s "$WORK/tcp.in" "$WORK/tcp.out" &&
	   [ "${hw1:-0}" -gt $((${hw0:-0} + 99)) ] && [ "$fwd1" -eq "$fwd0" ]; then
		msg="model +$((hw1 - hw0)) packets, forward chain +0"
		result 0 "$p: TCP in hardware: $msg, 4 MB intact"
	else
		result 1 "$p: TCP in hardware, data intact" "[HW_OFFLOAD] seen: $seen" \
			"model $hw0 -> $hw1 (wanted 100 more)" "$(ls -l "$WORK"/tcp.*)" "$(fp_dump)"
	fi
	if [ $seen -ne 1 ] || [ $entry -ne 1 ]; then
		result 1 "$p: FIN: flow and hardware entries gone" \
			"precondition: the connection was never in hardware" \
			"([HW_OFFLOAD] seen: $seen, model entry seen: $entry)"
	elif wait_for 10000 eval "! ct_list -p tcp --dport $port | grep -q OFFLOAD" &&
	     wait_for 10000 hw_lacks ":$port "; then
		result 0 "$p: FIN: flow and hardware entries gone"
	else
		result 1 "$p: FIN: flow and hardware entries gone" "$(ct_list)" \
			"$(hw_entries_dump)"
	fi
}

# sw_stream <name> <family> <addr> <port>: a UDP stream whose rules the
# profile refuses: counted as hw_add_unsupported, forwarded by the
# software fast path with every datagram intact, never in hardware.
sw_stream()
{
	local name=$1 fam=$2 addr=$3 port=$4 uns0 uns1 hit0 hit1 msg

	uns0=$(ft_field hw_add_unsupported); hit0=$(fp_stat hit)
	if ! udp_server "$fam" "$port" "$WORK/udp.$port" 3000; then
		result 1 "$name" "$WHY"
		touch "$WORK/udp.$port.stop"
		wait
		return
	fi
	udp_client "$addr" "$port" 3000 0.002 "$WORK/sent.$port"
	WHY="refusal never counted"
	wait_for 20000 above "${uns0:-0}" ft_field hw_add_unsupported
	udp_end "$port"
	uns1=$(ft_field hw_add_unsupported); hit1=$(fp_stat hit)
	if [ "${uns1:-0}" -gt "${uns0:-0}" ] && [ "$hit1" -gt $((hit0 + 1000)) ] &&
	   udp_got "$port" 3000 && ! hw_offloaded udp "$port" &&
	   hw_lacks ":$port "; then
		msg="hw_add_unsupported +$((uns1 - uns0))"
		msg+=", software fast path +$((hit1 - hit0)) hits, 3000/3000 intact"
		result 0 "$name: $msg"
	else
		result 1 "$name: refused, counted, intact in software" \
			"hw_add_unsupported $uns0 -> $uns1, hits $hit0 -> $hit1" \
			"server: $(cat "$WORK/udp.$port")" "$(hw_entries_dump)"
	fi
}

# traffic_cases <profile> <base port>: UDP over IPv4 and IPv6, TCP and
# its FIN, masquerade over IPv4 and IPv6, under one driver profile.  The
# MediaTek PPE cannot rewrite IPv6 addresses: there, IPv6 masquerade must
# stay in software, counted.
traffic_cases()
{
	local p=$1 base=$2

	if ! use_profile "$p"; then
		for i in 1 2 3 4 5 6 7; do
			result 1 "$p: profile" "cannot select profile $p"
		done
		return
	fi
	load_ruleset
	hw_stream "$p: IPv4 UDP" 4 10.0.2.1 $((base + 1))
	hw_stream "$p: IPv6 UDP" 6 dead:2::1 $((base + 2))
	tcp_case "$p" $((base + 3))
	load_ruleset nat
	hw_stream "$p: IPv4 UDP masqueraded" 4 10.0.2.1 $((base + 4))
	if grep -q " 10.0.2.254" "$WORK/udp.$((base + 4))"; then
		result 0 "$p: masquerade applied in hardware: server saw 10.0.2.254"
	else
		result 1 "$p: masquerade applied in hardware" \
			"$(cat "$WORK/udp.$((base + 4))")"
	fi
	if [ "$p" = mtk ]; then
		sw_stream "$p: IPv6 UDP masqueraded, refused by the profile" \
			6 dead:2::1 $((base + 5))
	else
		hw_stream "$p: IPv6 UDP masqueraded" 6 dead:2::1 $((base + 5))
	fi
}

traffic_cases generic 5100
traffic_cases mtk 5200
traffic_cases mlx5 5300
use_profile generic || echo "# cannot select the generic profile again"

# 8. Hardware counters keep a flow alive past the software timeout: the
# timeout is HWTO s and the flow is held in hardware for 2 x HWTO + 1 s;
# only the hardware's counters, read by the garbage collector (every
# second) through a work item, can refresh it. HWTO leaves that reading
# a few seconds of slack, scaled for slow kernels.
HWTO=$((5 * FP_SCALE))

# keepalive_case <name> <port>: a busy flow held in hardware past the
# software timeout by what the driver's STATS report.
keepalive_case()
{
	local name=$1 port=$2 add0 to0 add1 to1 start held inhw sent

	load_ruleset
	nsx conntrack -F > /dev/null 2>&1
	wait_for 10000 no_flows
	nsx sysctl -qw net.netfilter.nf_flowtable_udp_timeout=$HWTO
	add0=$(fp_stat flow_add); to0=$(fp_stat del_timeout)
	if ! udp_server 4 "$port" "$WORK/udp.$port" 0; then
		result 1 "$name" "$WHY"
		touch "$WORK/udp.$port.stop"
		wait
	else
		udp_client 10.0.2.1 "$port" 0 0.002 "$WORK/sent.$port"
		if wait_for 20000 hw_offloaded udp "$port"; then
			start=$(now_ms)
			held=0
			while [ "$(fp_stat del_timeout)" -eq "$to0" ] &&
			      hw_offloaded udp "$port"; do
				if [ $(($(now_ms) - start)) -ge $(((2 * HWTO + 1) * 1000)) ]; then
					held=1
					break
				fi
				sleep 0.5
			done
			inhw=$((($(now_ms) - start) / 1000))
			# read while the stream still runs
			add1=$(fp_stat flow_add); to1=$(fp_stat del_timeout)
			touch "$WORK/sent.$port.stop"
			udp_end "$port"
			sent=$(cat "$WORK/sent.$port")
			if [ "$to1" -eq "$to0" ] && [ "$add1" -eq $((add0 + 1)) ] &&
			   [ $held -eq 1 ] && udp_got "$port" "$sent"; then
				result 0 "$name: $inhw s in hardware, $sent/$sent datagrams"
			else
				result 1 "$name" "in hardware for $inhw s of $((2 * HWTO + 1))" \
					"flow_add $add0 -> $add1, del_timeout $to0 -> $to1" \
					"client sent $sent, server: $(cat "$WORK/udp.$port")"
			fi
		else
			touch "$WORK/sent.$port.stop"
			udp_end "$port" stop
			result 1 "$name" "flow never in hardware" "$(ct_list)" "$(fp_dump)"
		fi
	fi
	nsx sysctl -qw net.netfilter.nf_flowtable_udp_timeout=30
}

keepalive_case "hardware counters keep a busy flow alive past a $HWTO s timeout" 5005
# 8b. The same on hardware that counts no packets (MT7621's PPE): only
# the time an entry was last used keeps the flow alive.
if use_profile mtk && echo 0 > "$(ft_dir)/accounting"; then
	name="mtk without packet counters: last use keeps a busy flow alive"
	keepalive_case "$name past a $HWTO s timeout" 5012
else
	result 1 "mtk without packet counters: last use keeps a flow alive" \
		"cannot select the mtk profile without accounting"
fi
echo 1 > "$(ft_dir)/accounting"
use_profile generic || echo "# cannot select the generic profile again"
load_ruleset

# 9. Full hardware table: the flow stays in the software fast path.
name="table full: software fallback"
echo 0 > "$(ft_dir)/capacity"
nospc0=$(ft_field hw_add_nospc)
if ! udp_stream 5006 1000; then
	result 1 "$name" "$WHY"
	touch "$WORK/udp.5006.stop"
	wait
elif ! wait_for 20000 offloaded udp 5006; then
	udp_end 5006 stop
	result 1 "$name" "flow never offloaded in software" "$(ct_list)" "$(fp_dump)"
else
	hit0=$(fp_stat hit)
	# the stream goes on in the software fast path
	wait_for 20000 above $((hit0 + 9)) fp_stat hit
	hit1=$(fp_stat hit)
	inhw=0
	hw_offloaded udp 5006 && inhw=1
	udp_end 5006
	if [ "$(ft_field hw_add_nospc)" -gt "$nospc0" ] && [ $inhw -eq 0 ] &&
	   [ "$hit1" -gt $((hit0 + 9)) ] && udp_got 5006 1000; then
		msg="counted as hw_add_nospc, flow kept in software, 1000/1000 datagrams"
		result 0 "table full: $msg"
	else
		result 1 "$name" "hits $hit0 -> $hit1, in hardware: $inhw" "$(fp_dump)" \
			"$(ct_list)" "server: $(cat "$WORK/udp.5006")"
	fi
fi
echo 64 > "$(ft_dir)/capacity"

# 10. Injected driver failure: software fallback, reason counted.
name="driver add failure: software fallback"
echo 1 > "$(ft_dir)/fail_add"
err0=$(ft_field hw_add_error)
if ! udp_stream 5007 1000; then
	result 1 "$name" "$WHY"
	touch "$WORK/udp.5007.stop"
	wait
elif ! wait_for 20000 offloaded udp 5007; then
	udp_end 5007 stop
	result 1 "$name" "flow never offloaded in software" "$(ct_list)" "$(fp_dump)"
else
	udp_end 5007
	if [ "$(ft_field hw_add_error)" -gt "$err0" ] && udp_got 5007 1000; then
		msg="counted as hw_add_error, 1000/1000 datagrams in software"
		result 0 "driver add failure: $msg"
	else
		result 1 "$name" "$(fp_dump)" "server: $(cat "$WORK/udp.5007")"
	fi
fi
echo 0 > "$(ft_dir)/fail_add"

# 11. conntrack -F with a hardware flow live (the server answers only
# the first datagram, so the stream is not offloaded again afterwards).
if hw_flow_up 5008; then
	nsx conntrack -F > /dev/null 2>&1
	if wait_for 10000 eval 'hw_empty && no_flows'; then
		result 0 "conntrack -F: flow and hardware entries removed"
	else
		result 1 "conntrack -F: flow and hardware entries removed" \
			"$(ct_list)" "$(hw_entries_dump)"
	fi
else
	result 1 "conntrack -F: flow never in hardware" "$WHY" "$(fp_dump)"
fi
udp_end 5008 stop

# 12. Flowtable deletion with a hardware flow live.
if hw_flow_up 5009; then
	nsx nft flush ruleset
	if wait_for 10000 hw_empty; then
		result 0 "flowtable deleted with a hardware flow: no entry left"
	else
		result 1 "flowtable deleted: no entry left" \
			"$(hw_entries_dump)"
	fi
else
	result 1 "flowtable deleted: flow never in hardware" "$WHY" "$(fp_dump)"
fi
udp_end 5009 stop

# 13. The router's netdevsim device removed with a hardware flow live.
load_ruleset
if hw_flow_up 5010; then
	echo $ID_R > $BUS/del_device
	if wait_for 10000 no_flows &&
	   wait_for 10000 eval '! ct_list | grep -q OFFLOAD'; then
		result 0 "router's device removed with a hardware flow: no flow left"
	else
		result 1 "router's device removed: no flow left" "$(fp_dump)" \
			"$(ct_list)"
	fi
else
	result 1 "router's device removed: flow never in hardware" "$WHY" "$(fp_dump)"
fi
udp_end 5010 stop

# 14. Router netns deleted with a hardware flow live.
new_port $ID_R 2 $R r0 r1 && link_ports $C c0 $R r0 &&
	link_ports $R r1 $S s0
ip -n $R addr add 10.0.1.254/24 dev r0
ip -n $R addr add 10.0.2.254/24 dev r1
ip -n $R link set r0 up
ip -n $R link set r1 up
ip -n $C neigh flush all
ip -n $S neigh flush all
load_ruleset
if ! wait_for 20000 pings 10.0.2.1; then
	result 1 "netns deleted: flow never in hardware" \
		"the client does not reach the server through the new device"
elif hw_flow_up 5011; then
	ip netns del $R
	if wait_for 20000 hw_empty; then
		result 0 "router netns deleted with a hardware flow: no entry left"
	else
		result 1 "netns deleted: no entry left" \
			"$(hw_entries_dump)"
	fi
else
	result 1 "netns deleted: flow never in hardware" "$WHY" "$(fp_dump)" \
		"$(ct_list)"
fi
udp_end 5011 stop

echo "# $failed of $NTESTS failed"
[ $failed -eq 0 ]
