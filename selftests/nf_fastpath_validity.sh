#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every packet the fast path forwards must be one the classic path would
# have forwarded the same way at that moment.  With a UDP flow offloaded
# through the router and a client streaming datagrams every 20 ms, each
# case changes what the classic path checks per packet - the route, the
# conntrack entry, the masquerade address, the IPsec SA, the device's
# address or MTU - and asserts what happened to the datagrams sent after
# the change returned (their first byte names the phase they were sent
# in): whether they reached the server, over which link, from which
# address.  The other way round, changes that do not concern a flow
# (devices coming and going elsewhere, a commit to an input-only table)
# must not cost it anything: not one packet on the forward chain.
#
# Output is KTAP; the exit status is non-zero if any case failed.

set -u

NTESTS=14

. "$(dirname "$0")/lib.sh"

C2=fpc2-$sfx

cleanup_c2()
{
	ip netns pids $C2 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns del $C2 2>/dev/null
	cleanup
}
trap cleanup_c2 EXIT

load_ruleset()	# <flowtable devices> [postrouting rules]
{
	ip netns exec $R nft -f - <<EOF
flush ruleset
table inet filter {
	counter fwd_udp { }

	flowtable ft {
		hook ingress priority 0
		devices = { $1 }
	}

	chain forward {
		type filter hook forward priority 0; policy accept;
		meta l4proto udp counter name fwd_udp
		ct state established flow add @ft
	}
}
table ip nat {
	chain postrouting {
		type nat hook postrouting priority 100;
		${2:-}
	}
}
EOF
}

# UDP echo server for both families (or bound to one address, which its
# replies then come from), replying to every datagram: a connected socat
# would ignore a client whose address changed.
cat > "$WORK/echo.py" <<'EOF'
import socket, sys
addr = sys.argv[2] if len(sys.argv) > 2 else "::"
s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET,
                  socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if ":" in addr:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind((addr, int(sys.argv[1])))
while True:
    data, peer = s.recvfrom(65535)
    s.sendto(data, peer)
EOF

# send.py <addr> <port> <sport> <count> [tos] [size]: <count> datagrams,
# 20 ms apart, from source port <sport>, with DF set.  With <count> 0 it
# streams until the file $CTL/stop exists, $CTL being a control folder:
# each datagram's first byte is the content of $CTL/phase ("0" without
# it), its size that of $CTL/size if it exists, and the number sent in
# each phase goes to $CTL/sent-<phase>.
cat > "$WORK/send.py" <<'EOF'
import os, socket, sys, time
addr, port, sport, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
tos = int(sys.argv[5], 0) if len(sys.argv) > 5 else 0
size = int(sys.argv[6]) if len(sys.argv) > 6 else 32
ctl = os.environ.get("CTL")
v6 = ":" in addr
s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::" if v6 else "0.0.0.0", sport))
if tos:
    if v6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS, tos)
    else:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, tos)
    # IP_TOS also set the socket's priority, which would cross the veth
    # link with the packet: the router must set it itself.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_PRIORITY, 0)
if not v6:
    # DF on every datagram, whatever path MTU the socket learns
    s.setsockopt(socket.IPPROTO_IP, 10, 3)  # IP_MTU_DISCOVER, IP_PMTUDISC_PROBE


def ctl_read(name, default):
    try:
        with open(os.path.join(ctl, name)) as f:
            return f.read().strip() or default
    except OSError:
        return default


sent = {}
i = 0
while (n and i < n) or (not n and not os.path.exists(os.path.join(ctl, "stop"))):
    i += 1
    phase = ctl_read("phase", "0")[:1] if ctl else "0"
    length = int(ctl_read("size", str(size))) if ctl else size
    try:
        s.sendto(phase.encode() + b"x" * (length - 1), (addr, port))
    except OSError:
        pass
    if ctl:
        sent[phase] = sent.get(phase, 0) + 1
        tmp = os.path.join(ctl, "sent.tmp")
        with open(tmp, "w") as f:
            f.write(str(sent[phase]))
        os.rename(tmp, os.path.join(ctl, "sent-" + phase))
    time.sleep(0.02)
EOF

echo_server()	# <port> [address]
{
	ip netns exec $S python3 "$WORK/echo.py" "$@" &
	wait_listen $S udp "$1"
}

send_udp()	# <netns> <addr> <port> <sport> <count> [tos] [size]
{
	local ns=$1

	shift
	ip netns exec "$ns" python3 "$WORK/send.py" "$@"
}

# stream_start <netns> <addr> <port> <sport> [tos] [size]: a stream in
# phase 1, controlled through $WORK/ctl-<port>, until it shows [OFFLOAD]
# (0); otherwise the stream is stopped and WHY says why (1).
stream_start()
{
	local ns=$1 ctl=$WORK/ctl-$3

	shift
	rm -rf "$ctl"
	mkdir -p "$ctl"
	echo 1 > "$ctl/phase"
	CTL=$ctl ip netns exec "$ns" python3 "$WORK/send.py" "$1" "$2" "$3" 0 "${@:4}" &
	wait_for 10000 offloaded udp "$2" && return 0
	WHY="udp stream to port $2 never showed [OFFLOAD]: $(ct_list -p udp | tr '\n' ' ')"
	stream_stop "$2"
	return 1
}

phase()	# phase <port> <phase> [size]: what datagrams carry from now on
{
	[ $# -lt 3 ] || echo "$3" > "$WORK/ctl-$1/size"
	echo "$2" > "$WORK/ctl-$1/phase"
}

sent()	# sent <port> <phase>
{
	cat "$WORK/ctl-$1/sent-$2" 2>/dev/null || echo 0
}

sent_reaches()	# sent_reaches <port> <phase> <n>
{
	[ "$(sent "$1" "$2")" -ge "$3" ]
}

stream_running()	# <port>
{
	pgrep -f "send.py [^ ]* $1 " > /dev/null
}

stream_stop()	# <port>
{
	touch "$WORK/ctl-$1/stop"
	wait_for 10000 eval "! stream_running $1"
}

# Counters of the server, in table inet count: count_add <name> <match...>
count_add()
{
	ip netns exec $S nft add counter inet count "$1" &&
	ip netns exec $S nft add rule inet count input "${@:2}" counter name "$1"
}

# count_phase <name> <port> <phase> [match...]: datagrams of one phase.
count_phase()
{
	local name=$1 port=$2 ph=$3

	shift 3
	count_add "$name" udp dport "$port" "$@" @th,64,8 "$(printf '0x%x' "'$ph")"
}

count()
{
	ns_counter $S count "$1"
}

count_reaches()	# <name> <value>
{
	[ "$(count "$1")" -ge "$2" ]
}

# flow_up <netns> <addr> <port> <sport>: a few datagrams and their echoes
# get the flow offloaded; WHY says what went wrong.
flow_up()
{
	send_udp "$1" "$2" "$3" "$4" 3
	wait_for 10000 offloaded udp "$3" && return 0
	WHY="udp flow to port $3 never showed [OFFLOAD]: $(ct_list -p udp | tr '\n' ' ')"
	return 1
}

# blackhole_case <name> <addr> <port> <sport> <ip -4|-6> <prefix>: the
# datagrams sent after "ip route add blackhole" returned never arrive;
# once it is deleted, they arrive again.
blackhole_case()
{
	local name=$1 addr=$2 port=$3 sport=$4 fam=$5 prefix=$6
	local del0

	count_phase p$port-2 "$port" 2
	count_phase p$port-3 "$port" 3
	if ! stream_start $C "$addr" "$port" "$sport"; then
		result 1 "$name" "$WHY"
		return
	fi
	del0=$(fp_stat del_route)
	ip -n $R "$fam" route add blackhole "$prefix"
	phase "$port" 2
	wait_for 10000 sent_reaches "$port" 2 20
	phase "$port" 3
	ip -n $R "$fam" route del blackhole "$prefix"
	if ! wait_for 10000 count_reaches p$port-3 5; then
		result 1 "$name" "datagrams do not arrive once the route is gone" \
			"$(fp_dump)"
	elif [ "$(count p$port-2)" -ne 0 ]; then
		result 1 "$name" \
			"$(count p$port-2) of $(sent "$port" 2) datagrams passed the blackhole" \
			"$(fp_dump)"
	elif [ "$(fp_stat del_route)" -le "$del0" ]; then
		result 1 "$name" "no flow left with del_route" "$(fp_dump)"
	else
		echo "# $name: 0 of $(sent "$port" 2) passed"
		result 0 "$name"
	fi
}

echo "TAP version 13"
echo "1..$NTESTS"

if ! setup_topology; then
	echo "Bail out! cannot build the namespaces"
	exit 1
fi
# A second link between router and server (r2-s1), and an address of the
# server's that routing can reach over either link.
ip link add s1 netns $S type veth peer name r2 netns $R
ip -n $R addr add 10.0.3.254/24 dev r2
ip -n $S addr add 10.0.3.1/24 dev s1
ip -n $S addr add 10.0.9.1/32 dev lo
ip -n $R link set r2 up
ip -n $S link set s1 up
ip -n $R route add 10.0.9.1/32 via 10.0.2.1
ip netns exec $S nft -f - <<EOF
table inet count {
	chain input {
		type filter hook input priority -100;
	}
}
EOF
if ! load_ruleset "r0, r1, r2"; then
	echo "Bail out! cannot load the ruleset"
	exit 1
fi
for port in 7001 7002 "7003 10.0.9.1" 7006 7007 7008 7009 7010 7011 7012 7015 7016; do
	# shellcheck disable=SC2086
	if ! echo_server $port; then
		echo "Bail out! $WHY"
		exit 1
	fi
done

# 1-2: a blackhole route for the server stops the flow from the first
# datagram; removing it lets the flow through and offloads it again.
blackhole_case "blackhole route added under an offloaded flow: 0 datagrams pass" \
	10.0.2.1 7001 8001 -4 10.0.2.1/32
name="flow offloaded again once the blackhole route is gone"
hit0=$(fp_stat hit)
if wait_for 10000 offloaded udp 7001 &&
   wait_for 10000 eval '[ "$(fp_stat hit)" -gt "$hit0" ]'; then
	result 0 "$name"
else
	result 1 "$name" "$(ct_list -p udp)" "$(fp_dump)"
fi
stream_stop 7001

# 3: the same over IPv6.
blackhole_case "ipv6 blackhole route added under an offloaded flow: 0 datagrams pass" \
	dead:2::1 7002 8002 -6 dead:2::1/128
stream_stop 7002

# 4: the route is replaced by one via the other link: every datagram sent
# after the change takes the new next hop.  The server's echoes still
# come back over the first link (its default route): the flow offloaded
# again along the new route keeps the client's direction, the echoes stay
# on the classic path, and no echo takes the flow out again.
name="route replaced: datagrams follow the new next hop from the first"
count_phase s0-7003 7003 2 iifname s0
count_phase s1-7003 7003 2 iifname s1
count_phase s1-7003-3 7003 3 iifname s1
if ! stream_start $C 10.0.9.1 7003 8003; then
	result 1 "$name" "$WHY"
else
	ip -n $R route replace 10.0.9.1/32 via 10.0.3.1
	phase 7003 2
	if ! wait_for 10000 count_reaches s1-7003 20; then
		result 1 "$name" "$(count s1-7003) datagrams over the new link" \
			"$(fp_dump)"
	elif [ "$(count s0-7003)" -ne 0 ]; then
		result 1 "$name" "$(count s0-7003) datagrams took the old next hop"
	elif ! wait_for 10000 offloaded udp 7003; then
		result 1 "$name" "not offloaded again along the new route" \
			"$(fp_dump)"
	else
		del0=$(fp_stat del_route)
		hit0=$(fp_stat hit)
		phase 7003 3
		if ! wait_for 10000 count_reaches s1-7003-3 20; then
			result 1 "$name" "$(count s1-7003-3) datagrams over the new link"
		elif [ "$(fp_stat del_route)" -ne "$del0" ] ||
		     ! offloaded udp 7003; then
			result 1 "$name" "asymmetric echoes took the flow out:" \
				"del_route +$(($(fp_stat del_route) - del0))" \
				"$(fp_dump)"
		elif [ "$(fp_stat hit)" -lt $((hit0 + 20)) ]; then
			result 1 "$name" "fast path hits +$(($(fp_stat hit) - hit0))" \
				"for 20 datagrams" "$(fp_dump)"
		else
			result 0 "$name"
		fi
	fi
	stream_stop 7003
fi

# 5: conntrack -D of the offloaded entry: the next datagram is the
# classic path's, not ours (and so is the server's echo, which offloads
# the new entry).  One datagram, sent by socat as soon as the entry is
# gone.
name="conntrack -D: the next datagram takes the classic path"
count_add p7006 udp dport 7006
if ! flow_up $C 10.0.2.1 7006 8006; then
	result 1 "$name" "$WHY"
else
	n0=$(count p7006)
	fwd0=$(nft_packets fwd_udp)
	hit0=$(fp_stat hit)
	ip netns exec $R conntrack -D -p udp --dport 7006 >/dev/null 2>&1
	echo x | ip netns exec $C socat -u - UDP:10.0.2.1:7006,sourceport=8006
	if ! wait_for 10000 count_reaches p7006 $((n0 + 1)); then
		result 1 "$name" "the datagram never reached the server"
	elif [ "$(nft_packets fwd_udp)" -le "$fwd0" ] ||
	     [ "$(fp_stat hit)" -ne "$hit0" ]; then
		result 1 "$name" "forward chain +$(($(nft_packets fwd_udp) - fwd0))," \
			"fast path hits +$(($(fp_stat hit) - hit0))" "$(fp_dump)"
	else
		result 0 "$name"
	fi
fi

# 6: the device's MAC address changes: frames still sent to the old one
# (the client's neighbour entry pinned to it) are not ours any more.
name="router MAC changed: frames to the old one are not forwarded"
count_phase p7007-2 7007 2
count_phase p7007-3 7007 3
oldmac=$(ip -n $R -br link show r0 | awk '{ print $3 }')
ip -n $C neigh replace 10.0.1.254 lladdr "$oldmac" dev c0 nud permanent
if ! stream_start $C 10.0.2.1 7007 8007; then
	result 1 "$name" "$WHY"
else
	ip -n $R link set r0 address 02:00:00:00:07:01
	phase 7007 2
	wait_for 10000 sent_reaches 7007 2 20
	phase 7007 3
	ip -n $C neigh del 10.0.1.254 dev c0
	if ! wait_for 10000 count_reaches p7007-3 5; then
		result 1 "$name" "frames to the new address did not pass"
	elif [ "$(count p7007-2)" -ne 0 ]; then
		result 1 "$name" \
			"$(count p7007-2) of $(sent 7007 2) frames to the old MAC forwarded"
	else
		result 0 "$name"
	fi
	stream_stop 7007
fi
ip -n $C neigh del 10.0.1.254 dev c0 2>/dev/null
ip -n $R link set r0 address "$oldmac"
ip -n $C neigh flush dev c0

# 7: the output device's MTU shrinks: no frame above it goes out.
name="output MTU lowered: no frame above it leaves the router"
count_phase big7008 7008 2 meta length gt 1280
count_phase small7008 7008 3 meta length lt 1280
if ! stream_start $C 10.0.2.1 7008 8008 0 1400; then
	result 1 "$name" "$WHY"
else
	ip -n $R link set r1 mtu 1280
	phase 7008 2
	wait_for 10000 sent_reaches 7008 2 20
	phase 7008 3 100
	if ! wait_for 10000 count_reaches small7008 5; then
		result 1 "$name" "small datagrams did not pass after the change"
	elif [ "$(count big7008)" -ne 0 ]; then
		result 1 "$name" "$(count big7008) of $(sent 7008 2) datagrams above the MTU" \
			"$(fp_dump)"
	else
		result 0 "$name"
	fi
	stream_stop 7008
fi
ip -n $R link set r1 mtu 1500

# 8: forwarded packets get skb->priority from their TOS, as
# ip_forward_update_priority() gives them: TOS 0x10 (low delay) is
# TC_PRIO_INTERACTIVE, band 0 of a prio qdisc (class 1:1).
prio_band()	# <class>
{
	ip netns exec $R tc -s class show dev r1 |
		awk -v c="$1" '$2 == "prio" && $3 == c { getline; print $4 }'
}
name="skb priority follows the TOS on the fast path"
count_add p7009 udp dport 7009
if ! ip netns exec $R tc qdisc add dev r1 root handle 1: prio; then
	result 1 "$name" "cannot add a prio qdisc (CONFIG_NET_SCH_PRIO?)"
elif ! flow_up $C 10.0.2.1 7009 8009; then
	result 1 "$name" "$WHY"
else
	n0=$(count p7009)
	b0=$(prio_band 1:1)
	hit0=$(fp_stat hit)
	send_udp $C 10.0.2.1 7009 8009 20 0x10
	if ! wait_for 10000 count_reaches p7009 $((n0 + 20)); then
		result 1 "$name" "$(($(count p7009) - n0)) of 20 datagrams arrived"
	elif [ $(($(fp_stat hit) - hit0)) -lt 20 ]; then
		result 1 "$name" "only $(($(fp_stat hit) - hit0)) fast path hits"
	elif [ $(($(prio_band 1:1) - b0)) -ne 20 ]; then
		result 1 "$name" "band 0 sent $(($(prio_band 1:1) - b0)) of 20" \
			"$(ip netns exec $R tc -s class show dev r1)"
	else
		result 0 "$name"
	fi
fi
ip netns exec $R tc qdisc del dev r1 root 2>/dev/null

# 9: a commit to a table no forwarded packet traverses (an input-only
# filter, as fail2ban keeps) leaves offloaded flows current.
name="commit to an input-only table: flow stays current, forward chain +0"
count_add p7010 udp dport 7010
ip netns exec $R nft -f - <<EOF
table inet f2b {
	set banned { type ipv4_addr; }
	chain input {
		type filter hook input priority 0;
		ip saddr @banned drop
	}
}
EOF
if ! flow_up $C 10.0.2.1 7010 8010; then
	result 1 "$name" "$WHY"
else
	n0=$(count p7010)
	fwd0=$(nft_packets fwd_udp)
	pol0=$(fp_stat slow_policy)
	ip netns exec $R nft add element inet f2b banned { 192.0.2.1 }
	send_udp $C 10.0.2.1 7010 8010 20
	if ! wait_for 10000 count_reaches p7010 $((n0 + 20)); then
		result 1 "$name" "$(($(count p7010) - n0)) of 20 datagrams arrived"
	elif [ "$(nft_packets fwd_udp)" -ne "$fwd0" ] ||
	     [ "$(fp_stat slow_policy)" -ne "$pol0" ]; then
		result 1 "$name" "forward chain +$(($(nft_packets fwd_udp) - fwd0))," \
			"diverted for revalidation +$(($(fp_stat slow_policy) - pol0))"
	else
		result 0 "$name"
	fi
fi
ip netns exec $R nft delete table inet f2b

# 10: unrelated devices come and go (each moves the netns' route
# generation) while a flow through a bridge and two plain flows (IPv4,
# IPv6) run: not one of their packets takes the classic path.
BR_MAC=02:00:00:00:0b:01
setup_c2()
{
	ip netns add $C2 || return 1
	ip link add c2 netns $C2 type veth peer name r3 netns $R || return 1
	ip -n $C2 link set lo up
	ip -n $C2 link set c2 up
	ip -n $C2 addr add 10.0.4.1/24 dev c2
	ip -n $C2 addr add dead:4::1/64 dev c2 nodad
	ip -n $C2 route add default via 10.0.4.254
	ip -n $C2 route add default via dead:4::fe
	ip -n $R addr add 10.0.4.254/24 dev r3
	ip -n $R addr add dead:4::fe/64 dev r3 nodad
	ip -n $R link set r3 up
	ip -n $S route add 10.0.4.0/24 via 10.0.2.254
	# the client's side becomes a bridge over r0
	ip -n $R addr flush dev r0
	ip -n $R link add br0 address $BR_MAC type bridge
	ip -n $R link set r0 master br0
	ip -n $R link set br0 up
	ip -n $R addr add 10.0.1.254/24 dev br0
	ip -n $R addr add dead:1::fe/64 dev br0 nodad
	ip -n $C neigh flush all
	# and the second client has a leg on the bridge too (port r4)
	ip link add c3 netns $C2 type veth peer name r4 netns $R || return 1
	ip -n $R link set r4 master br0
	ip -n $R link set r4 up
	ip -n $C2 link set c3 up
	ip -n $C2 addr add 10.0.1.2/24 dev c3
}
name="unrelated devices come and go: bridged and plain flows stay on the fast path"
# more_sent <port>: wait until the stream sent two more datagrams
more_sent()
{
	local n

	n=$(sent "$1" 1)
	wait_for 10000 sent_reaches "$1" 1 $((n + 2))
}
if ! setup_c2 || ! load_ruleset "r0, r1, r2, r3, r4"; then
	result 1 "$name" "cannot set up the bridge and the second client"
elif ! stream_start $C 10.0.2.1 7011 8011 ||
     ! stream_start $C2 10.0.2.1 7016 8016 ||
     ! stream_start $C2 10.0.2.1 7012 8012 ||
     ! stream_start $C2 dead:2::1 7015 8015; then
	result 1 "$name" "$WHY"
else
	fwd0=$(nft_packets fwd_udp)
	rr0=$(fp_stat rerouted)
	hit0=$(fp_stat hit)
	for i in $(seq 1 10); do
		ip -n $R link add vx$i type veth peer name vy$i
		ip -n $R addr add 10.9.$i.1/24 dev vx$i
		ip -n $R link set vx$i up
		ip -n $R link set vy$i up
		more_sent 7011 && more_sent 7016 && more_sent 7012 && more_sent 7015
		ip -n $R link del vx$i
		more_sent 7011 && more_sent 7016 && more_sent 7012 && more_sent 7015
	done
	if [ "$(nft_packets fwd_udp)" -ne "$fwd0" ]; then
		result 1 "$name" "forward chain saw $(($(nft_packets fwd_udp) - fwd0)) datagrams" \
			"$(fp_dump)"
	elif [ "$(fp_stat rerouted)" -le "$rr0" ] || [ "$(fp_stat hit)" -le "$hit0" ]; then
		result 1 "$name" "no route was looked up again: the case proves nothing" \
			"$(fp_dump)"
	else
		echo "# $(($(fp_stat hit) - hit0)) fast path hits, routes looked up" \
			"again in place: $(($(fp_stat rerouted) - rr0))"
		result 0 "$name"
	fi
fi

# 11: the bridge port a flow is caught on leaves the bridge: that flow
# goes; the one caught on the bridge's other port and the plain ones stay.
name="port leaving the bridge takes out its flows only"
flows0=$(fp_flows)
dev0=$(fp_stat del_device)
add0=$(fp_stat flow_add)
ip -n $R link set r0 nomaster
more_sent 7016 && more_sent 7012 && more_sent 7015
if [ "$flows0" -eq 4 ] && [ "$(fp_stat del_device)" -eq $((dev0 + 1)) ] &&
   [ "$(fp_stat flow_add)" -eq "$add0" ] && [ "$(fp_flows)" -eq 3 ]; then
	result 0 "$name"
else
	result 1 "$name" "flows $flows0 -> $(fp_flows), del_device" \
		"$dev0 -> $(fp_stat del_device), flows added since $(($(fp_stat flow_add) - add0))"
fi
ip -n $R link set r0 master br0
for port in 7011 7016 7012 7015; do
	stream_stop $port
done

# 12: masquerade: the address the flow was masqueraded to is removed
# from the device; not one datagram leaves with it after that, and the
# connection goes on from the address the device still has.
name="masquerade address removed: no datagram leaves with it"
count_phase old7013 7013 2 ip saddr 10.0.2.254
count_phase new7013 7013 2 ip saddr 10.0.2.200
ip netns exec $R sysctl -qw net.ipv4.conf.r1.promote_secondaries=1
ip -n $R addr add 10.0.2.200/24 dev r1
if ! load_ruleset "r0, r1, r2, r3" 'oifname "r1" masquerade' ||
   ! echo_server 7013; then
	result 1 "$name" "cannot load the masquerade ruleset or start the server"
elif ! stream_start $C 10.0.2.1 7013 8013; then
	result 1 "$name" "$WHY"
else
	ip -n $R addr del 10.0.2.254/24 dev r1
	phase 7013 2
	if ! wait_for 10000 count_reaches new7013 20; then
		result 1 "$name" "$(count new7013) datagrams from the new address" \
			"$(fp_dump)"
	elif [ "$(count old7013)" -ne 0 ]; then
		result 1 "$name" "$(count old7013) datagrams left with the old address"
	else
		echo "# $(sent 7013 2) sent after the change, $(count new7013) arrived" \
			"from the new address; del_nat_addr $(fp_stat del_nat_addr)," \
			"del_ct_dying $(fp_stat del_ct_dying)"
		result 0 "$name"
	fi
	stream_stop 7013
fi
ip -n $R addr add 10.0.2.254/24 dev r1 2>/dev/null
ip -n $R addr del 10.0.2.200/24 dev r1 2>/dev/null
ip -n $S route replace default via 10.0.2.254

# 13-14: IPsec: the SA a flow's packets are encrypted with is replaced
# under the flow; every datagram still arrives, encrypted with the new SA.
setup_ipsec()	# <spi out> <spi in>
{
	local ns
	local enc="enc aes 0x$(printf '%032d' 1) auth sha1 0x$(printf '%040d' 2)"

	for ns in $R $S; do
		ip -n $ns xfrm state add src 10.0.2.254 dst 10.0.2.1 proto esp \
			spi "$1" $enc mode tunnel sel src 10.0.1.0/24 dst 10.0.2.1/32 ||
			return 1
		ip -n $ns xfrm state add src 10.0.2.1 dst 10.0.2.254 proto esp \
			spi "$2" $enc mode tunnel sel src 10.0.2.1/32 dst 10.0.1.0/24 ||
			return 1
	done
}

setup_ipsec_policies()
{
	local cnet=10.0.1.0/24 snet=10.0.2.1/32

	ip -n $R xfrm policy add src $cnet dst $snet dir out \
		tmpl src 10.0.2.254 dst 10.0.2.1 proto esp mode tunnel &&
	ip -n $R xfrm policy add src $snet dst $cnet dir fwd \
		tmpl src 10.0.2.1 dst 10.0.2.254 proto esp mode tunnel &&
	ip -n $S xfrm policy add src $snet dst $cnet dir out \
		tmpl src 10.0.2.1 dst 10.0.2.254 proto esp mode tunnel &&
	ip -n $S xfrm policy add src $cnet dst $snet dir in \
		tmpl src 10.0.2.254 dst 10.0.2.1 proto esp mode tunnel
}

sa_packets()	# <src> <dst> <spi>
{
	ip -n $R -s xfrm state get src "$1" dst "$2" proto esp spi "$3" |
		awk '/lifetime current:/ { getline; sub(/\(packets\)/, "", $2);
			print $2 }'
}

name="ipsec: flow offloaded into the tunnel"
name2="ipsec: SA replaced under the flow: every datagram arrives"
count_phase p7014-2 7014 2
if ! load_ruleset "r0, r1, r2, r3" || ! echo_server 7014 ||
   ! setup_ipsec 0x1001 0x1002 || ! setup_ipsec_policies; then
	result 1 "$name" "cannot set up the IPsec tunnel"
	result 1 "$name2" "no tunnel"
elif ! stream_start $C 10.0.2.1 7014 8014; then
	result 1 "$name" "$WHY"
	result 1 "$name2" "no flow"
else
	out0=$(sa_packets 10.0.2.254 10.0.2.1 0x1001)
	hit0=$(fp_stat hit)
	if wait_for 10000 eval '[ $(($(sa_packets 10.0.2.254 10.0.2.1 0x1001) - out0)) -ge 10 ] &&
				[ $(($(fp_stat hit) - hit0)) -ge 10 ]'; then
		result 0 "$name"
	else
		result 1 "$name" \
			"SA counted $(($(sa_packets 10.0.2.254 10.0.2.1 0x1001) - out0))," \
			"fast path hits $(($(fp_stat hit) - hit0))"
	fi

	enc="enc aes 0x$(printf '%032d' 3) auth sha1 0x$(printf '%040d' 4)"
	for ns in $S $R; do
		ip -n $ns xfrm state add src 10.0.2.254 dst 10.0.2.1 proto esp \
			spi 0x1003 $enc mode tunnel sel src 10.0.1.0/24 dst 10.0.2.1/32
	done
	ip -n $R xfrm state del src 10.0.2.254 dst 10.0.2.1 proto esp spi 0x1001
	phase 7014 2
	wait_for 10000 sent_reaches 7014 2 20
	stream_stop 7014
	if ! wait_for 10000 eval '[ "$(count p7014-2)" -ge "$(sent 7014 2)" ]'; then
		result 1 "$name2" "$(count p7014-2) of $(sent 7014 2) datagrams arrived" \
			"$(fp_dump)"
	elif [ "$(sa_packets 10.0.2.254 10.0.2.1 0x1003)" -lt "$(sent 7014 2)" ]; then
		result 1 "$name2" "the new SA counted $(sa_packets 10.0.2.254 10.0.2.1 0x1003)"
	else
		echo "# $(sent 7014 2) sent after the change, all arrived; del_route" \
			"$(fp_stat del_route)"
		result 0 "$name2"
	fi
fi

[ $failed -eq 0 ]
