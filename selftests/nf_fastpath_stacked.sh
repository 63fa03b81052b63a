#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The fast path where routing sees another device than the one the
# flowtable hooks: the router's client side is a bridge (br0) over the
# hooked port r0, then a bridge over a VLAN device r0.10 whose tagged
# frames arrive on r0, and finally traffic protected by an IPsec tunnel
# between the router and the server.  Each case asserts data intact, the
# fast path counters growing while the forward chain stands still, and
# for the stacked devices that a change of the stack takes the flows out;
# on the bridge, that the clients whose frames the fast path takes stay
# in the bridge's forwarding database.
#
# Output is KTAP; the exit status is non-zero if any case failed.

set -u

NTESTS=13

. "$(dirname "$0")/lib.sh"

BR_MAC=02:00:00:00:0b:01	# not r0's: frames reach r0 as PACKET_OTHERHOST

load_ruleset()	# [devices]
{
	ip netns exec $R nft -f - <<EOF
flush ruleset
table inet filter {
	counter fwd_tcp { }

	flowtable ft {
		hook ingress priority 0
		devices = { ${1:-r0, r1} }
		counter
	}

	chain forward {
		type filter hook forward priority 0; policy accept;
		tcp flags & (fin | syn | rst) == 0 counter name fwd_tcp
		ct state established flow add @ft
	}
}
EOF
}

# The router's client-side addresses on @dev, and the client's neighbour
# entries for the router forgotten (its link-layer address changed).
router_addresses_on()	# <dev>
{
	ip -n $R addr add 10.0.1.254/24 dev "$1"
	ip -n $R addr add dead:1::fe/64 dev "$1" nodad
	ip -n $C neigh flush all
}

client_addresses_on()	# <dev>
{
	ip -n $C addr add 10.0.1.1/24 dev "$1"
	ip -n $C addr add dead:1::1/64 dev "$1" nodad
	ip -n $C route replace default via 10.0.1.254
	ip -n $C -6 route replace default via dead:1::fe
}

setup_bridge()
{
	ip -n $R addr flush dev r0
	ip -n $R link add br0 address $BR_MAC type bridge
	ip -n $R link set r0 master br0
	ip -n $R link set br0 up
	router_addresses_on br0
}

setup_bridge_vlan()
{
	ip -n $R link set r0 nomaster
	ip -n $R link add link r0 name r0.10 type vlan id 10
	ip -n $R link set r0.10 master br0
	ip -n $R link set r0.10 up
	ip -n $C addr flush dev c0
	ip -n $C -6 route flush dev c0
	ip -n $C link add link c0 name c0.10 type vlan id 10
	ip -n $C link set c0.10 up
	client_addresses_on c0.10
	ip -n $R neigh flush all
}

teardown_stack()
{
	ip -n $R link del br0
	ip -n $R link del r0.10
	ip -n $C link del c0.10
	router_addresses_on r0
	client_addresses_on c0
}

# IPsec tunnel mode between the router (10.0.2.254) and the server
# (10.0.2.1) for the traffic between the client's network and the server.
setup_ipsec()
{
	local spi_rs=0x1001 spi_sr=0x1002 ns
	local enc="enc aes 0x$(printf '%032d' 1) auth sha1 0x$(printf '%040d' 2)"
	local rt=10.0.2.254 sv=10.0.2.1 cnet=10.0.1.0/24 snet=10.0.2.1/32

	# the same two SAs on both ends
	for ns in $R $S; do
		ip -n $ns xfrm state add src $rt dst $sv proto esp spi $spi_rs \
			$enc mode tunnel sel src $cnet dst $snet || return 1
		ip -n $ns xfrm state add src $sv dst $rt proto esp spi $spi_sr \
			$enc mode tunnel sel src $snet dst $cnet || return 1
	done
	ip -n $R xfrm policy add src $cnet dst $snet dir out \
		tmpl src $rt dst $sv proto esp mode tunnel || return 1
	ip -n $R xfrm policy add src $snet dst $cnet dir fwd \
		tmpl src $sv dst $rt proto esp mode tunnel || return 1
	ip -n $S xfrm policy add src $snet dst $cnet dir out \
		tmpl src $sv dst $rt proto esp mode tunnel || return 1
	ip -n $S xfrm policy add src $cnet dst $snet dir in \
		tmpl src $rt dst $sv proto esp mode tunnel
}

# Packets the router's SA encrypted or decrypted so far.
sa_packets()	# <dst> <src> <spi>
{
	ip -n $R -s xfrm state get src "$2" dst "$1" proto esp spi "$3" |
		awk '/lifetime current:/ { getline; sub(/\(packets\)/, "", $2);
			print $2 }'
}

# udp_sender <port> <stop file> <gap>: the client sends a 64-byte datagram
# to the server's <port> from source port <port> + 1000 every <gap>
# seconds until <stop file> exists, whatever happens to its addresses.
udp_sender()
{
	ip netns exec $C python3 -c '
import os, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1]) + 1000))
while not os.path.exists(sys.argv[2]):
    try:
        s.sendto(b"x" * 64, ("10.0.2.1", int(sys.argv[1])))
    except OSError:
        pass
    time.sleep(float(sys.argv[3]))
' "$@"
}

# The client moves to another port of the bridge (same address, same
# link-layer address) in the middle of a UDP stream: its packets miss the
# flow caught on the old port, the flow is replaced (del_route) and the
# stream continues on the fast path through the new port. The sender runs
# until the case is over ($WORK/move-stop).
move_case()	# <name> <port>
{
	local name=$1 port=$2 route0 add0 hit1= mac why=
	local stop=$WORK/move-stop

	ip link add c2 netns $C type veth peer name r2 netns $R
	ip -n $R link set r2 master br0
	ip -n $R link set r2 up
	load_ruleset "r0, r1, r2"
	rm -f "$stop"
	ip netns exec $S socat UDP-LISTEN:$port,reuseaddr EXEC:cat >/dev/null &
	if ! wait_listen $S udp $port; then
		why=$WHY
	else
		# a sender that keeps going while its addresses move
		udp_sender $port "$stop" 0.05 &
		if ! wait_for 20000 offloaded udp $port; then
			why="stream never offloaded"
		fi
	fi
	if [ -z "$why" ]; then
		route0=$(fp_stat del_route)
		add0=$(fp_stat flow_add)
		mac=$(ip -n $C -br link show c0 | awk '{ print $3 }')
		ip -n $C link set c0 down
		ip -n $C addr flush dev c0
		ip -n $C link set c2 address "$mac"
		ip -n $C link set c2 up
		client_addresses_on c2
		if ! wait_for 20000 eval '[ "$(fp_stat del_route)" -gt "$route0" ] &&
				     [ "$(fp_stat flow_add)" -gt "$add0" ]'; then
			why="flow not replaced (del_route, flow_add)"
		elif ! wait_for 10000 offloaded udp $port; then
			why="new flow not offloaded"
		else
			hit1=$(fp_stat hit)
			# the stream goes on in the fast path through c2
			wait_for 10000 eval '[ "$(fp_stat hit)" -gt "$hit1" ]' ||
				why="stream not on the fast path after the move"
		fi
	fi
	if [ -z "$why" ]; then
		route0=$(( $(fp_stat del_route) - route0 ))
		add0=$(( $(fp_stat flow_add) - add0 ))
		echo "# del_route +$route0, flow_add +$add0"
		result 0 "$name"
	else
		result 1 "$name" "$why" "$(fp_dump)" "$(ct_list -p udp)"
	fi
	touch "$stop"
	ns_kill $S $C
	wait 2>/dev/null
	ip -n $C link del c2
	ip -n $C link set c0 up
	client_addresses_on c0
	load_ruleset
}

# The bridge's forwarding database while only the fast path sees the
# client's frames: with the ageing time at 3 s and neither the client nor
# the router sending anything else (their neighbour entries pinned), a
# UDP stream both ways on the fast path runs for four ageing times, and
# the bridge's own input sees not one frame of the client.  The client's
# entry must stay on its bridge port, and not one echo may be flooded to
# the bridge's other port.
fdb_case()	# <name> <port> <client device> <bridge port>
{
	local name=$1 port=$2 cdev=$3 bport=$4 stop=$WORK/fdb-stop why=
	local cmac got0 hit0 seen0 got flooded

	cmac=$(ip -n $C -br link show "$cdev" | awk '{ print $3 }')
	ip link add c3 netns $C type veth peer name r3 netns $R
	ip -n $R link set r3 master br0
	ip -n $R link set r3 up
	ip -n $C link set c3 up
	ip netns exec $C nft -f - <<EOT
table netdev fdb {
	counter flooded { }
	chain in {
		type filter hook ingress device c3 priority 0;
		udp sport $port counter name flooded
	}
}
EOT
	ip netns exec $S nft -f - <<EOT
table inet fdb {
	counter got { }
	chain in {
		type filter hook input priority 0;
		udp dport $port counter name got
	}
}
EOT
	ip netns exec $R nft -f - <<EOT
table bridge fdb {
	counter seen { }
	chain pre {
		type filter hook prerouting priority 0;
		ether saddr $cmac udp dport $port counter name seen
	}
}
EOT
	ip -n $R link set br0 type bridge ageing_time 300
	ip -n $C neigh replace 10.0.1.254 lladdr $BR_MAC dev "$cdev" nud permanent
	ip -n $R neigh replace 10.0.1.1 lladdr "$cmac" dev br0 nud permanent
	rm -f "$stop"
	ip netns exec $S socat UDP-LISTEN:$port,reuseaddr EXEC:cat >/dev/null &
	if ! wait_listen $S udp $port; then
		why=$WHY
	else
		udp_sender $port "$stop" 0.02 &
		wait_for 20000 offloaded udp $port || why="stream never offloaded"
	fi
	if [ -z "$why" ]; then
		got0=$(ns_counter $S fdb got)
		hit0=$(fp_stat hit)
		seen0=$(bridge_seen)
		# 600 datagrams 20 ms apart: 12 s, four ageing times, the
		# client's entry looked up all along
		FDB_MISSING=0
		if ! wait_for 60000 fdb_watch "$cmac" "$bport" $((got0 + 600)); then
			why="the stream stalled: $(($(ns_counter $S fdb got) - got0)) datagrams"
		fi
	fi
	if [ -z "$why" ]; then
		got=$(($(ns_counter $S fdb got) - got0))
		flooded=$(ip netns exec $C nft list counter netdev fdb flooded |
			  awk '/packets/ { print $2 }')
		if [ "$(($(fp_stat hit) - hit0))" -lt "$got" ] ||
		   [ "$(bridge_seen)" -ne "$seen0" ]; then
			why="fast path hits +$(($(fp_stat hit) - hit0)) for $got datagrams,"
			why+=" bridge input +$(($(bridge_seen) - seen0)) of them"
		elif [ "$FDB_MISSING" -ne 0 ]; then
			why="the client's entry was missing $FDB_MISSING times:"
			why+=" $(bridge -n $R fdb show br br0 | tr '\n' ' ')"
		elif [ "$flooded" -ne 0 ]; then
			why="$flooded echoes flooded to the other port"
		fi
	fi
	if [ -z "$why" ]; then
		echo "# $got datagrams over $((got / 50)) s with a 3 s ageing time, 0 flooded"
		result 0 "$name"
	else
		result 1 "$name" "$why" "$(fp_dump)"
	fi
	touch "$stop"
	ns_kill $S $C
	ip netns exec $C nft delete table netdev fdb
	ip netns exec $S nft delete table inet fdb
	ip netns exec $R nft delete table bridge fdb
	ip -n $C link del c3
	ip -n $R link set br0 type bridge ageing_time 30000
	ip -n $C neigh del 10.0.1.254 dev "$cdev"
	ip -n $R neigh del 10.0.1.1 dev br0
}

# fdb_watch <mac> <port> <n>: the server got <n> datagrams of the case;
# FDB_MISSING counts the looks that did not find <mac> on bridge port
# <port>.
fdb_watch()
{
	bridge -n $R fdb show br br0 | grep -qi "^$1 dev $2 " ||
		FDB_MISSING=$((FDB_MISSING + 1))
	[ "$(ns_counter $S fdb got)" -ge "$3" ]
}

# The case's datagrams from the client that the bridge's own input took.
bridge_seen()
{
	ip netns exec $R nft list counter bridge fdb seen |
		awk '/packets/ { print $2 }'
}

# A UDP flow left offloaded, then a change of the device stack: the flow
# leaves the table (del_device) and conntrack keeps the connection.
restack_case()	# <name> <port> <command...>
{
	local name=$1 port=$2 del0

	shift 2
	if ! udp_flow_up "$port"; then
		result 1 "$name" "$WHY" "$(ct_list -p udp)"
		ns_kill $S
		return
	fi
	del0=$(fp_stat del_device)
	"$@"
	if wait_for 10000 no_flows && [ "$(fp_stat del_device)" -gt "$del0" ] &&
	   ct_list -p udp --dport "$port" | grep -q "$port"; then
		result 0 "$name"
	else
		result 1 "$name" "flows $(fp_flows)" "$(fp_dump)" \
			"$(ct_list -p udp)"
	fi
	ns_kill $S
}

# Plaintext that claims to be the server's half of an offloaded TCP
# connection, sent in the clear on the server's link: the IPsec forward
# policy must drop it on the fast path as ip_forward() would.
spoof_case()	# <name> <port>
{
	local name=$1 port=$2 cport drop0 seen
	local hold=$WORK/hold-$port

	ip netns exec $S socat -u TCP4-LISTEN:$port,reuseaddr - >/dev/null &
	if ! wait_listen $S tcp $port; then
		result 1 "$name" "$WHY"
		ns_kill $S
		return
	fi
	ip netns exec $C sh -c "{ echo hello;
		while [ ! -e $hold ]; do sleep 0.1; done; } |
		socat -u - TCP4:10.0.2.1:$port" &
	ip netns exec $C nft -f - <<EOF
table inet spoof {
	counter marked { }
	chain in {
		type filter hook prerouting priority -300;
		ip id 0xbeef counter name marked
	}
}
EOF
	if ! wait_for 20000 offloaded tcp $port; then
		touch "$hold"
		result 1 "$name" "connection never offloaded" "$(ct_list -p tcp)"
		ip netns exec $C nft delete table inet spoof
		ns_kill $S $C
		return
	fi
	cport=$(ct_list -p tcp --dport $port |
		sed -n 's/.*sport=\([0-9]*\) dport='$port'.*/\1/p' | head -n 1)
	drop0=$(fp_stat drop_xfrm_policy)
	ip netns exec $S python3 -c '
import socket, struct, sys
sys.path.insert(0, sys.argv[4])
from nf_fastpath_pkt import csum, pseudo4

sport, dport, dmac = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
src, dst = "10.0.2.1", "10.0.1.1"
tcp = struct.pack("!HHIIBBHHH", sport, dport, 1, 1, 5 << 4, 0x18, 65535, 0, 0)
tcp += b"spoofed"
c = csum(pseudo4(src, dst, 6, len(tcp)) + tcp)
tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0xbeef, 0, 64, 6,
                 0, socket.inet_aton(src), socket.inet_aton(dst))
ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("s0", 0))
smac = s.getsockname()[4]
frame = bytes.fromhex(dmac.replace(":", "")) + smac + b"\x08\x00" + ip + tcp
for _ in range(3):
    s.send(frame)
' "$port" "$cport" "$(ip -n $R -br link show r1 | awk '{ print $3 }')" \
		"$(cd "$(dirname "$0")" && pwd)"
	# each of the 3 frames is either dropped by the fast path or
	# reaches the client
	wait_for 10000 eval '[ $(($(fp_stat drop_xfrm_policy) - drop0 +
				  $(ns_counter $C spoof marked))) -ge 3 ]'
	seen=$(ns_counter $C spoof marked)
	touch "$hold"
	ip netns exec $C nft delete table inet spoof
	if [ "$seen" -eq 0 ] &&
	   [ "$(fp_stat drop_xfrm_policy)" -eq $((drop0 + 3)) ]; then
		result 0 "$name"
	else
		result 1 "$name" "client saw $seen spoofed segments," \
			"drop_xfrm_policy +$(( $(fp_stat drop_xfrm_policy) - drop0 ))"
	fi
	ns_kill $S $C
}

echo "TAP version 13"
echo "1..$NTESTS"

if ! setup_topology || ! load_ruleset; then
	echo "Bail out! cannot build the namespaces"
	exit 1
fi
head -c 2000000 /dev/urandom > "$WORK/big"

# 1-2: the router's client side is a bridge; the flowtable hooks its port.
setup_bridge
tcp_transfer_case "bridge port: tcp ipv4 on the fast path" TCP4-LISTEN 10.0.2.1 5101
tcp_transfer_case "bridge port: tcp ipv6 on the fast path" TCP6-LISTEN "[dead:2::1]" 5102

# 3: the client moves to another bridge port.
move_case "client moving to another bridge port gets a new flow" 6100

# 4: the bridge keeps learning the client from the fast path.
fdb_case "bridge port: the client's fdb entry outlives the ageing time, nothing flooded" 6103 \
	c0 r0

# 5: the port leaves the bridge with a live flow.
restack_case "port leaving the bridge takes the flows out" 6101 \
	ip -n $R link set r0 nomaster

# 6-7: bridge over a VLAN device: tagged frames are caught on r0.
setup_bridge_vlan
tcp_transfer_case "vlan under a bridge: tcp ipv4 on the fast path" TCP4-LISTEN 10.0.2.1 5103
tcp_transfer_case "vlan under a bridge: tcp ipv6 on the fast path" TCP6-LISTEN "[dead:2::1]" 5104

# 8: the bridge learns the client on its port r0.10 from frames caught on r0.
fdb_case "vlan under a bridge: the client's fdb entry outlives the ageing time" 6104 \
	c0.10 r0.10

# 9: the VLAN device goes away with a live flow.
restack_case "vlan device removal takes the flows out" 6102 \
	ip -n $R link del r0.10

# 10: back to plain devices, the fast path works as before.
teardown_stack 2>/dev/null
tcp_transfer_case "plain devices again: tcp ipv4 on the fast path" TCP4-LISTEN 10.0.2.1 5105

# 11-13: IPsec tunnel between router and server.
if ! setup_ipsec; then
	echo "Bail out! cannot set up the IPsec tunnel"
	exit 1
fi
out0=$(sa_packets 10.0.2.1 10.0.2.254 0x1001)
in0=$(sa_packets 10.0.2.254 10.0.2.1 0x1002)
tcp_transfer_case "ipsec tunnel: tcp ipv4 on the fast path" TCP4-LISTEN 10.0.2.1 5106
out1=$(sa_packets 10.0.2.1 10.0.2.254 0x1001)
in1=$(sa_packets 10.0.2.254 10.0.2.1 0x1002)
echo "# SA packets: router -> server +$((out1 - out0)), server -> router +$((in1 - in0))"
if [ $((out1 - out0)) -ge 100 ] && [ $((in1 - in0)) -ge 20 ]; then
	result 0 "ipsec tunnel: the fast path's packets were encrypted and decrypted"
else
	result 1 "ipsec tunnel: the fast path's packets were encrypted and decrypted" \
		"$(ip -n $R -s xfrm state)" "$(ip netns exec $R cat /proc/net/xfrm_stat)"
fi
spoof_case "ipsec tunnel: plaintext for an offloaded flow is dropped" 5107

exit $((failed > 0))
