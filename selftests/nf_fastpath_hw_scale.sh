#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Hardware offload at scale, on the netdevsim flow table model: 10,000
# UDP flows in hardware, then what the driver is asked for.  A commit to
# a table no forwarded packet traverses must not pull a single flow out
# of hardware (nor push one back); the driver's counters are read for
# flows close to their timeout only, not for every flow on every garbage
# collector pass; a flow the driver refused for a passing reason (an
# injected -EIO, a full table) reaches hardware once the reason is gone.
#
# Output is KTAP; the exit status is non-zero if any case failed.

set -u

. "$(dirname "$0")/lib.sh"

NTESTS=6
NFLOWS=10000
DBG=/sys/kernel/debug/netdevsim
BUS=/sys/bus/netdevsim
ID_R=$((100 + RANDOM % 800))
ID_C=$((ID_R + 1000))
ID_S=$((ID_R + 2000))

if [ ! -w $BUS/new_device ] || [ ! -w $BUS/link_device ]; then
	echo "1..0 # SKIP netdevsim with link_device support not available"
	exit $ksft_skip
fi

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

# A field of our flowtable's line in /proc/net/nf_fastpath.
ft_field()
{
	ip netns exec $R awk -v k="$1" '$1 == "flowtable" {
		for (i = 2; i < NF; i++) if ($i == k) print $(i + 1) }' \
		/proc/net/nf_fastpath
}

ft_field_reaches()	# <field> <value>
{
	[ "$(ft_field "$1")" -ge "$2" ]
}

gc_passes_from()	# <value>: wait for three more garbage collector passes
{
	wait_for 20000 eval "[ \$(fp_stat gc_passes) -ge $(($1 + 3)) ]"
}

new_port()	# <id> <ports> <netns> <names...>
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

link_ports()	# <netns> <dev> <netns> <dev>
{
	local fa fb rc

	exec {fa}<"/run/netns/$1" {fb}<"/run/netns/$3"
	echo "$fa:$(ip netns exec "$1" cat /sys/class/net/"$2"/ifindex)" \
		"$fb:$(ip netns exec "$3" cat /sys/class/net/"$4"/ifindex)" > $BUS/link_device
	rc=$?
	exec {fa}<&- {fb}<&-
	return $rc
}

pings()
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
	wait_for 20000 pings 10.0.2.1
}

# The server echoes every datagram to port 9000; the client sends one
# datagram from each of <count> source ports starting at <first> through
# a raw socket (no socket of its own waits for the echo: the client's
# port unreachable errors are related traffic and stay classic).
cat > "$WORK/echo.py" <<'EOF'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_RCVBUFFORCE", 33), 16 << 20)
s.bind(("0.0.0.0", 9000))
while True:
    data, peer = s.recvfrom(2048)
    s.sendto(data, peer)
EOF
# With "-" instead of <first> <count>, the source ports are read from
# standard input, one per line.
cat > "$WORK/flows.py" <<'EOF'
import socket, struct, sys
if sys.argv[1] == "-":
    sports = [int(l) for l in sys.stdin if l.strip()]
else:
    first, count = int(sys.argv[1]), int(sys.argv[2])
    sports = range(first, first + count)
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
for sport in sports:
    s.sendto(struct.pack("!HHHH", sport, 9000, 12, 0) + b"flow", ("10.0.2.1", 0))
EOF

flows()	# flows <first sport> <count> | flows -
{
	ip netns exec $C python3 "$WORK/flows.py" "$@"
}

# Source ports in [<first>, <first> + <count>) without a flow in hardware.
sports_not_in_hw()	# <first> <count>
{
	ip netns exec $R conntrack -L -p udp --dport 9000 2>/dev/null |
		awk -v lo="$1" -v hi="$(($1 + $2))" '/HW_OFFLOAD/ {
			for (i = 1; i <= NF; i++)
				if ($i ~ /^sport=/) { hw[substr($i, 7)] = 1; break }
		}
		END { for (p = lo; p < hi; p++) if (!(p in hw)) print p }'
}

# hw_flows reached <n>, or the router is done with what it got: every
# flow it has is in hardware, and neither that number nor the fast
# path's miss counter (one per datagram it saw) changed since the last
# look.
hw_reached_or_settled()	# <n>
{
	local flows hw now

	flows=$(ft_field flows)
	hw=$(ft_field hw_flows)
	[ "$hw" -ge "$1" ] && return 0
	now="$hw $(ft_field miss)"
	[ "$hw" -eq "$flows" ] && [ "$now" = "${LAST_HW:-}" ] && return 0
	LAST_HW=$now
	return 1
}

# flows_in_hw <first> <count>: one datagram from each source port, sent
# again from the ports whose flow did not reach hardware.  A burst of
# thousands of datagrams overruns netdevsim's 256-frame receive queue
# (the sending port drops what does not fit, as a NIC drops what its
# ring cannot take), so the first round may lose some; RESENT says how
# many were sent again.
flows_in_hw()
{
	local round missing

	RESENT=0
	flows "$1" "$2"
	for round in 1 2 3 4 5; do
		LAST_HW=
		wait_for 60000 hw_reached_or_settled "$2"
		ft_field_reaches hw_flows "$2" && return 0
		missing=$(sports_not_in_hw "$1" "$2")
		[ -n "$missing" ] || continue
		RESENT=$((RESENT + $(echo "$missing" | wc -l)))
		echo "$missing" | flows -
	done
	return 1
}

echo "TAP version 13"
echo "1..$NTESTS"

if ! setup_nsim_topology; then
	echo "Bail out! cannot build the netdevsim topology"
	exit 1
fi
echo $((2 * NFLOWS + 16)) > "$(ft_dir)/capacity"
# No flow may idle out while the others are still being set up, however
# slowly the guest runs.
ip netns exec $R sysctl -qw net.netfilter.nf_flowtable_udp_timeout=300
ip netns exec $S python3 "$WORK/echo.py" &
if ! wait_listen $S udp 9000; then
	echo "Bail out! $WHY"
	exit 1
fi
if ! ip netns exec $R nft -f - <<EOF
table inet filter {
	flowtable ft {
		hook ingress priority 0
		devices = { r0, r1 }
		flags offload
	}
	chain forward {
		type filter hook forward priority 0; policy accept;
		meta l4proto udp flow add @ft
	}
}
table inet guard {
	set banned { type ipv4_addr; }
	chain input {
		type filter hook input priority 0;
		ip saddr @banned drop
	}
}
EOF
then
	echo "Bail out! cannot load the ruleset"
	exit 1
fi

# 1: 10,000 flows reach the hardware.
name="$NFLOWS udp flows in hardware"
start=$SECONDS
if flows_in_hw 20000 $NFLOWS; then
	echo "# $NFLOWS flows in hardware after $((SECONDS - start)) s," \
		"$(cat "$(ft_dir)/count") entries in the model," \
		"$RESENT datagrams sent again"
	result 0 "$name"
else
	result 1 "$name" "hw_flows $(ft_field hw_flows), model entries" \
		"$(cat "$(ft_dir)/count")" "$(fp_dump)"
fi

# 2: a commit to the input-only table: not one flow leaves the hardware
# or is pushed again, over three garbage collector passes.
name="commit to an input-only table: 0 hardware re-pushes"
pushed0=$(ft_field hw_pushed)
out0=$(ft_field hw_out_policy)
gc0=$(fp_stat gc_passes)
ip netns exec $R nft add element inet guard banned { 192.0.2.1 }
if ! gc_passes_from "$gc0"; then
	result 1 "$name" "the garbage collector did not run"
elif [ "$(ft_field hw_pushed)" -ne "$pushed0" ] ||
     [ "$(ft_field hw_out_policy)" -ne "$out0" ] ||
     [ "$(ft_field hw_flows)" -lt $NFLOWS ]; then
	result 1 "$name" "pushed +$(($(ft_field hw_pushed) - pushed0))," \
		"pulled for policy +$(($(ft_field hw_out_policy) - out0))," \
		"hw_flows $(ft_field hw_flows)"
else
	result 0 "$name"
fi

# 3: counters are read for flows near their timeout only: the flows were
# pushed within the last minutes with a 300 s timeout, far from it.
name="hardware counters read for expiring flows only"
reads0=$(ft_field hw_stats_read)
gc0=$(fp_stat gc_passes)
if ! gc_passes_from "$gc0"; then
	result 1 "$name" "the garbage collector did not run"
else
	reads=$(($(ft_field hw_stats_read) - reads0))
	passes=$(($(fp_stat gc_passes) - gc0))
	if [ "$reads" -ge $((NFLOWS * passes / 2)) ]; then
		result 1 "$name" "$reads reads over $passes passes of $NFLOWS flows"
	else
		echo "# $reads counter reads over $passes passes of $NFLOWS flows"
		result 0 "$name"
	fi
fi

# 4: the flows leave the hardware once the flowtable is gone; the model is
# empty.
name="flowtable deleted: the model is empty"
ip netns exec $R nft delete table inet filter
if wait_for 60000 eval "[ \$(cat $(ft_dir)/count) -eq 0 ]"; then
	result 0 "$name"
else
	result 1 "$name" "$(cat "$(ft_dir)/count") entries left"
fi

ip netns exec $R nft -f - <<EOF
table inet filter {
	flowtable ft {
		hook ingress priority 0
		devices = { r0, r1 }
		flags offload
	}
	chain forward {
		type filter hook forward priority 0; policy accept;
		meta l4proto udp flow add @ft
	}
}
EOF
ip netns exec $R conntrack -F 2>/dev/null

# 5: the driver refuses a flow with an injected -EIO; once the fault is
# gone, the flow reaches the hardware without any new packet.
name="flow refused with -EIO reaches hardware once the fault is gone"
echo 1 > "$(ft_dir)/fail_add"
flows 40000 1
if ! wait_for 10000 ft_field_reaches hw_add_error 1; then
	result 1 "$name" "the injected failure was not seen" "$(fp_dump)"
else
	echo 0 > "$(ft_dir)/fail_add"
	if wait_for 20000 ft_field_reaches hw_flows 1 &&
	   [ "$(ft_field hw_retried)" -ge 1 ]; then
		result 0 "$name"
	else
		result 1 "$name" "hw_flows $(ft_field hw_flows)," \
			"hw_retried $(ft_field hw_retried)" "$(fp_dump)"
	fi
fi

# 6: the table is full when a flow comes; when another flow leaves the
# hardware, the waiting one takes its place.
name="flow refused for a full table reaches hardware when room is made"
echo 2 > "$(ft_dir)/capacity"
flows 40001 1
if ! wait_for 10000 ft_field_reaches hw_add_nospc 1; then
	result 1 "$name" "the full table was not seen" "$(fp_dump)"
else
	ip netns exec $R conntrack -D -p udp --sport 40000 > /dev/null 2>&1
	if wait_for 20000 eval 'ct_list -p udp --sport 40001 | grep -q HW_OFFLOAD'; then
		result 0 "$name"
	else
		result 1 "$name" "hw_flows $(ft_field hw_flows)" "$(fp_dump)" \
			"$(ct_list -p udp)"
	fi
fi

[ $failed -eq 0 ]
