#!/usr/bin/env bash
# make demo: runs inside the QEMU guest (see Makefile). Builds client -
# router - server namespaces, installs a flowtable ruleset with stock nft,
# pushes a TCP transfer and a UDP stream through the router and shows what
# the offload did: conntrack's [OFFLOAD] flag, the forward chain counter
# standing still while data flows, and /proc/net/nf_fastpath statistics.
# Whatever the kernel does not provide is reported as missing, not faked.
set -euo pipefail
[ "${FP_GUEST:-}" = 1 ] || { echo "demo.sh runs in the test guest: use 'make demo'" >&2; exit 1; }

CL=demo-client; RT=demo-router; SV=demo-server
MB=${DEMO_MB:-8}
tmp=$(mktemp -d)
missing=()
rt() { ip netns exec "$RT" "$@"; }
say() { printf '\n=== %s\n' "$*"; }

# --- topology: client(eth0) - (veth0)router(veth1) - (eth0)server ---
for ns in $CL $RT $SV; do ip netns add $ns; ip -net $ns link set lo up; done
ip link add veth0 netns $RT type veth peer name eth0 netns $CL
ip link add veth1 netns $RT type veth peer name eth0 netns $SV
ip -net $CL addr add 10.0.1.2/24 dev eth0
ip -net $RT addr add 10.0.1.1/24 dev veth0
ip -net $RT addr add 10.0.2.1/24 dev veth1
ip -net $SV addr add 10.0.2.2/24 dev eth0
for ns in $CL $SV; do ip -net $ns link set eth0 up; done
ip -net $RT link set veth0 up; ip -net $RT link set veth1 up
ip -net $CL route add default via 10.0.1.1
ip -net $SV route add default via 10.0.2.1
rt sysctl -q net.ipv4.ip_forward=1
say "kernel $(uname -r); topology client 10.0.1.2 - router - server 10.0.2.2"
ip netns exec $CL ping -c 1 -W 2 10.0.2.2 | grep ttl=

# --- ruleset ---
ruleset='table inet filter {
	flowtable ft {
		hook ingress priority 0; devices = { veth0, veth1 };
		counter;
	}
	chain forward {
		type filter hook forward priority 0; policy accept;
		ct state established flow add @ft
		counter
	}
}'
say "installing the flowtable ruleset with nft $(nft --version | awk '{print $2}')"
echo "$ruleset"
offload=1
if ! rt nft -f - <<< "$ruleset" 2> "$tmp/nft.err"; then
	offload=0
	cat "$tmp/nft.err"
	missing+=("the kernel rejects the flowtable ruleset (flowtable / flow add @ft)")
	say "falling back to the same forward chain WITHOUT flowtable (classic path only)"
	rt nft -f - <<< 'table inet filter { chain forward { type filter hook forward priority 0; policy accept; counter; } }'
fi
rt nft list chain inet filter forward

fwd_pkts() { rt nft list chain inet filter forward | sed -n 's/.*counter packets \([0-9]*\) .*/\1/p' | tail -n 1; }
dev_pkts() { rt cat /sys/class/net/veth1/statistics/tx_packets; }

# --- TCP transfer; the connection stays open 3 s after the data ---
head -c $((MB * 1024 * 1024)) /dev/urandom > "$tmp/in"
before_fwd=$(fwd_pkts); before_dev=$(dev_pkts)
say "TCP: sending $MB MB client -> server through the router (socat)"
ip netns exec $SV socat -u TCP4-LISTEN:5001,reuseaddr "OPEN:$tmp/out,creat,trunc" &
srv=$!
for _ in $(seq 50); do ip netns exec $SV ss -Hltn 'sport = :5001' | grep -q LISTEN && break; sleep 0.1; done
start=$(date +%s.%N)
ip netns exec $CL socat -u SYSTEM:"cat $tmp/in; sleep 3" TCP4:10.0.2.2:5001 &
cli=$!
sleep 2
say "conntrack -L in the router while the connection is open"
rt conntrack -L 2> /dev/null | tee "$tmp/ct"
if grep -q '\[OFFLOAD\]' "$tmp/ct"; then
	echo "-> the connection is offloaded: [OFFLOAD]"
else
	echo "-> no [OFFLOAD] flag: the connection is NOT offloaded"
	missing+=("no conntrack entry carries [OFFLOAD]")
fi
if [ -r /proc/net/nf_fastpath ]; then
	say "/proc/net/nf_fastpath (router) during the transfer"
	rt cat /proc/net/nf_fastpath
fi
if command -v nf-fastpath > /dev/null && rt nf-fastpath list > "$tmp/list" 2>&1; then
	say "nf-fastpath list (router) during the transfer: the flow, its NAT and counters"
	cat "$tmp/list"
	[ -s "$tmp/list" ] || missing+=("nf-fastpath list showed no flow")
else
	say "nf-fastpath list: not available with this kernel ($(cat "$tmp/list" 2>/dev/null))"
fi
wait $cli; wait $srv
end=$(date +%s.%N)
if cmp -s "$tmp/in" "$tmp/out"; then
	echo "TCP: $MB MB arrived intact in $(echo "$end - $start - 3" | bc) s (+3 s idle)"
else
	echo "TCP: DATA CORRUPTED"; exit 1
fi
after_fwd=$(fwd_pkts); after_dev=$(dev_pkts)
say "forward chain counter vs. packets the router sent to the server"
echo "router veth1 tx packets: $before_dev -> $after_dev (+$((after_dev - before_dev)))"
echo "forward chain counter:   $before_fwd -> $after_fwd (+$((after_fwd - before_fwd)))"
if [ $((after_fwd - before_fwd)) -lt $(( (after_dev - before_dev) / 10 )) ]; then
	echo "-> the forward chain stood still while data flowed: the fast path forwarded it"
else
	echo "-> the forward chain saw the traffic: it took the classic path"
	missing+=("traffic was not taken off the classic forward path")
fi

# --- UDP stream: the first datagram gets a reply, which makes the flow
# established; the rest (2 MB, paced in 16 KB bursts) can then be offloaded.
say "UDP: 2 MB client -> server in 1200-byte datagrams (socat)"
before_fwd=$(fwd_pkts)
ip netns exec $SV socat -T 4 -b 1200 UDP4-LISTEN:5002,reuseaddr \
	SYSTEM:"echo hello; cat > $tmp/udp.out" &
srv=$!
sleep 0.5
: > "$tmp/udp.out"
ip netns exec $CL socat -b 1200 SYSTEM:"echo start; sleep 1;
	for i in \$(seq 0 127); do dd if=$tmp/in bs=16384 skip=\$i count=1 status=none; sleep 0.02; done;
	sleep 2" UDP4:10.0.2.2:5002 &
cli=$!
sleep 3
rt conntrack -L -p udp 2> /dev/null | tee "$tmp/ct"
if grep -q '\[OFFLOAD\]' "$tmp/ct"; then
	echo "-> UDP flow offloaded: [OFFLOAD]"
else
	echo "-> UDP flow NOT offloaded"
	missing+=("UDP flow not offloaded")
fi
wait $cli || true; wait $srv || true
echo "UDP: server received $(stat -c %s "$tmp/udp.out") of 2097152 bytes (+6 bytes 'start');" \
	"forward chain +$(( $(fwd_pkts) - before_fwd )) packets"

# --- statistics ---
say "/proc/net/nf_fastpath (router)"
if [ -r /proc/net/nf_fastpath ]; then
	rt cat /proc/net/nf_fastpath
else
	echo "missing: /proc/net/nf_fastpath does not exist in this kernel"
	missing+=("/proc/net/nf_fastpath")
fi
[ "$offload" = 1 ] && { say "flowtable"; rt nft list flowtables; }

# --- hardware offload on netdevsim: the same router over two ports of one
# netdevsim device, linked to a client and a server netdevsim port; the
# model's flow table forwards what the flowtable pushed to it ---
hw_demo() {
	local bus=/sys/bus/netdevsim id dir fa fb i dev
	local hc=demo-hwc hr=demo-hwr hs=demo-hws

	[ -w $bus/new_device ] && [ -w $bus/link_device ] || return 1
	id=$((500 + RANDOM % 400))
	for ns in $hc $hr $hs; do ip netns add $ns; ip -net $ns link set lo up; done
	echo "$id 2" > $bus/new_device; echo "$((id + 1)) 1" > $bus/new_device
	echo "$((id + 2)) 1" > $bus/new_device
	sleep 1
	i=0
	for dev in $(ls $bus/devices/netdevsim$id/net | sort); do
		ip link set "$dev" netns $hr; ip -net $hr link set "$dev" name "p$i"
		i=$((i + 1))
	done
	dev=$(ls $bus/devices/netdevsim$((id + 1))/net); ip link set "$dev" netns $hc
	ip -net $hc link set "$dev" name eth0
	dev=$(ls $bus/devices/netdevsim$((id + 2))/net); ip link set "$dev" netns $hs
	ip -net $hs link set "$dev" name eth0
	exec {fa}</run/netns/$hc {fb}</run/netns/$hr
	echo "$fa:$(ip netns exec $hc cat /sys/class/net/eth0/ifindex) $fb:$(ip netns exec $hr cat /sys/class/net/p0/ifindex)" > $bus/link_device
	exec {fa}<&-; exec {fa}</run/netns/$hs
	echo "$fb:$(ip netns exec $hr cat /sys/class/net/p1/ifindex) $fa:$(ip netns exec $hs cat /sys/class/net/eth0/ifindex)" > $bus/link_device
	exec {fa}<&- {fb}<&-
	ip -net $hc addr add 10.0.1.2/24 dev eth0; ip -net $hc link set eth0 up
	ip -net $hs addr add 10.0.2.2/24 dev eth0; ip -net $hs link set eth0 up
	ip -net $hr addr add 10.0.1.1/24 dev p0; ip -net $hr link set p0 up
	ip -net $hr addr add 10.0.2.1/24 dev p1; ip -net $hr link set p1 up
	ip -net $hc route add default via 10.0.1.1
	ip -net $hs route add default via 10.0.2.1
	ip netns exec $hr sysctl -q net.ipv4.ip_forward=1
	ip netns exec $hr nft -f - <<-EOF || return 1
	table inet filter {
		flowtable ft { hook ingress priority 0; devices = { p0, p1 }; flags offload; counter; }
		chain forward {
			type filter hook forward priority 0; policy accept;
			ct state established flow add @ft
			counter
		}
	}
	EOF
	dir=/sys/kernel/debug/netdevsim/netdevsim$id/ft
	say "hardware offload: netdevsim ports p0, p1 in a flowtable with 'flags offload'"
	ip netns exec $hs socat -u TCP-LISTEN:5001,reuseaddr OPEN:"$tmp/hw.out",creat,trunc &
	sleep 1
	head -c 4000000 /dev/urandom > "$tmp/hw.in"
	ip netns exec $hc python3 -c '
import socket, sys, time
s = socket.create_connection(("10.0.2.2", 5001))
d = open(sys.argv[1], "rb").read()
for i in range(0, len(d), 2000):
    s.sendall(d[i:i + 2000]); time.sleep(0.004)
s.close()' "$tmp/hw.in" &
	sleep 3
	ip netns exec $hr conntrack -L -p tcp 2> /dev/null
	echo "netdevsim flow table ($dir/entries), twice 1 s apart:"
	cat $dir/entries; sleep 1; cat $dir/entries
	echo "router: $(ip netns exec $hr awk '$1 == "flowtable" || $1 == "hit"' /proc/net/nf_fastpath | tr '\n' ' ')"
	wait || true
	cmp -s "$tmp/hw.in" "$tmp/hw.out" && echo "TCP: 4 MB arrived intact" ||
		echo "TCP: data differs"
	for ns in $hc $hr $hs; do ip netns del $ns; done
	for i in 0 1 2; do echo $((id + i)) > $bus/del_device; done
}
(hw_demo || true) 2>&1 | tee "$tmp/hw.log"
grep -q '\[HW_OFFLOAD\]' "$tmp/hw.log" ||
	missing+=("hardware offload on netdevsim ([HW_OFFLOAD] not seen)")

say "summary"
if [ ${#missing[@]} -eq 0 ]; then
	echo "flow offload works end to end on this kernel"
else
	echo "NOT working / missing on this kernel ($(uname -r)):"
	printf '  - %s\n' "${missing[@]}"
fi
[ ${#missing[@]} -eq 0 ] || exit 2
