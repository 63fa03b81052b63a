#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Module lifecycle, on a kernel that builds the fast path as a module (make
# kernel KERNEL=distro). A TCP stream and a UDP echo stream run through the
# router for the whole test, tracked by conntrack from their first packet
# (a table of their own counts what the forward chain sees). Each cycle
# loads a table with a flowtable: nft's autoload brings the module in,
# both connections are offloaded; the module then refuses to unload (the
# flowtable holds it); the table is deleted, the module unloads, both
# connections go on along the classic path. After the last cycle every
# byte and every datagram is checked, and conntrack frees all it had: a
# reference the module left behind would keep an entry allocated.
#
# Output is KTAP; the exit status is non-zero if any case failed.

set -u

. "$(dirname "$0")/lib.sh"

MOD=nf_fastpath
CYCLES=${FP_MODULE_CYCLES:-20}
NTESTS=9
TCP_PORT=7001
UDP_PORT=7000
MODPROBE=${FP_MODPROBE:-modprobe}

for tool in rmmod $MODPROBE; do
	if ! command -v $tool > /dev/null; then
		echo "1..0 # SKIP $tool not found"
		exit $ksft_skip
	fi
done

loaded()
{
	[ "$(cat /sys/module/$MOD/initstate 2>/dev/null)" = live ]
}

modstate()
{
	echo "$(cat /sys/module/$MOD/initstate 2>&1)," \
		"refcnt $(cat /sys/module/$MOD/refcnt 2>&1)"
}

unloaded()
{
	[ ! -e /sys/module/$MOD ]
}

try_rmmod()
{
	rmmod $MOD 2> /dev/null
}

echo "TAP version 13"
# A test before this one may have left the module loaded: once its
# namespaces are gone, nothing may hold it.
if [ -e /sys/module/$MOD/refcnt ] && ! wait_for 10000 try_rmmod; then
	echo "1..1"
	result 1 "module unused before the test" \
		"refcnt $(cat /sys/module/$MOD/refcnt), holders: $(ls /sys/module/$MOD/holders)"
	exit 1
fi
if [ -e /sys/module/$MOD ] || ! $MODPROBE -n -q $MOD; then
	echo "1..0 # SKIP $MOD is not a loadable module here (make kernel KERNEL=distro builds one)"
	exit $ksft_skip
fi

pings()
{
	ip netns exec $C ping -q -c 1 -W 1 10.0.2.1 > /dev/null
}

if ! setup_topology || ! wait_for 10000 pings; then
	echo "1..0 # SKIP cannot build the test topology"
	exit $ksft_skip
fi
echo "1..$NTESTS"

nsx()
{
	ip netns exec $R "$@"
}

load_ruleset()
{
	nsx nft -f - <<EOT
table inet filter {
	flowtable ft {
		hook ingress priority 0
		devices = { r0, r1 }
	}

	chain forward {
		type filter hook forward priority 0; policy accept;
		meta l4proto { tcp, udp } flow add @ft
	}
}
EOT
}

# Conntrack for the whole test, and a count of the packets the forward
# chain sees: the classic path's.
nsx nft -f - <<EOT
table inet track {
	counter classic { }
	chain forward {
		type filter hook forward priority 10; policy accept;
		ct state established counter name classic
	}
}
EOT

# The traffic: 2000 random bytes every 20 ms on the TCP connection, a
# numbered datagram every 20 ms echoed back on the UDP one, until
# $WORK/stop exists. What was sent is kept for the final comparison.
ip netns exec $S socat -u TCP-LISTEN:$TCP_PORT,reuseaddr \
	OPEN:"$WORK/tcp.got",creat,trunc &
tcp_server=$!
ip netns exec $S socat UDP-LISTEN:$UDP_PORT,reuseaddr EXEC:cat > /dev/null &
if ! wait_listen $S tcp $TCP_PORT || ! wait_listen $S udp $UDP_PORT; then
	for i in $(seq 1 $NTESTS); do result 1 "traffic" "$WHY"; done
	exit 1
fi
: > "$WORK/tcp.got"
ip netns exec $C sh -c "while [ ! -e $WORK/stop ]; do
		head -c 2000 /dev/urandom; sleep 0.02; done |
	tee $WORK/tcp.sent | socat -u - TCP:10.0.2.1:$TCP_PORT" &
tcp_client=$!
ip netns exec $C sh -c "i=0; while [ ! -e $WORK/stop ]; do
		i=\$((i + 1)); echo \$i; sleep 0.02; done |
	tee $WORK/udp.sent |
	socat -t 2 - UDP:10.0.2.1:$UDP_PORT,sourceport=$((UDP_PORT + 1000))" \
	> "$WORK/udp.got" &
udp_client=$!

# exited <pid>: the (child) process ended.
exited()
{
	[ ! -d /proc/$1 ] || grep -q '^[0-9]* (.*) Z' /proc/$1/stat
}

# grows <command> <value>: the command prints more than <value>.
grows()
{
	[ "$($1)" -gt "$2" ]
}

tcp_bytes()
{
	stat -c %s "$WORK/tcp.got"
}

udp_lines()
{
	wc -l < "$WORK/udp.got"
}

hits()
{
	fp_stat hit 2> /dev/null || echo 0
}

both_offloaded()
{
	offloaded tcp $TCP_PORT && offloaded udp $UDP_PORT
}

neither_offloaded()
{
	local ct

	ct=$(ct_list)
	grep -q "dport=$TCP_PORT" <<< "$ct" && grep -q "dport=$UDP_PORT" <<< "$ct" &&
		! grep -q '\[OFFLOAD\]' <<< "$ct"
}

# Both streams move on: 5 more chunks received, 5 more datagrams echoed.
streams_move()
{
	local b0 l0

	b0=$(tcp_bytes); l0=$(udp_lines)
	wait_for 10000 grows tcp_bytes $((b0 + 10000)) &&
		wait_for 10000 grows udp_lines $((l0 + 5))
}

# Per case, the cycles that passed, and the first failure seen.
declare -a ok why
for i in $(seq 1 6); do ok[i]=0; why[i]=; done

fail_once()	# fail_once <case> <text...>
{
	set -- "$1" "${*:2}"
	echo "# cycle $cycle, case $1: $2"
	[ -n "${why[$1]}" ] || why[$1]="cycle $cycle: $2"
}

for cycle in $(seq 1 "$CYCLES"); do
	t0=$SECONDS
	# 1. nft loads the module on demand.
	if load_ruleset 2> "$WORK/nft.err" && loaded; then
		ok[1]=$((ok[1] + 1))
	else
		fail_once 1 "ruleset: $(head -1 "$WORK/nft.err"), module $(modstate)"
		break
	fi

	# 2. Both connections offloaded, the fast path forwards them.
	h0=$(hits)
	if wait_for 20000 both_offloaded &&
	   wait_for 10000 grows hits $((h0 + 10)); then
		ok[2]=$((ok[2] + 1))
	else
		fail_once 2 "offloaded: $(ct_list | grep -c OFFLOAD), hits $h0 -> $(hits)"
	fi

	# 3. The flowtable holds the module: rmmod fails, flows stay served.
	rmmod $MOD > "$WORK/rmmod.out" 2>&1
	rc=$?
	h0=$(hits)
	if [ $rc -ne 0 ] && grep -q "in use" "$WORK/rmmod.out" && loaded &&
	   [ "$(cat /sys/module/$MOD/refcnt)" -ge 1 ] &&
	   wait_for 10000 grows hits $((h0 + 10)); then
		ok[3]=$((ok[3] + 1))
	else
		fail_once 3 "rmmod status $rc: $(cat "$WORK/rmmod.out"), hits $h0 -> $(hits)"
	fi

	# 4. Without the flowtable's table, the module unloads. nf_tables
	# drops its reference once the flowtable is destroyed, after the
	# commit.
	if nsx nft delete table inet filter && wait_for 10000 try_rmmod &&
	   unloaded; then
		ok[4]=$((ok[4] + 1))
	else
		fail_once 4 "module $(modstate)"
		break
	fi

	# 5. Both connections go on along the classic path.
	c0=$(ns_counter $R track classic)
	if wait_for 10000 neither_offloaded && streams_move &&
	   [ "$(ns_counter $R track classic)" -ge $((c0 + 10)) ]; then
		ok[5]=$((ok[5] + 1))
	else
		fail_once 5 "tcp $(tcp_bytes) bytes, udp $(udp_lines) echoes," \
			"forward chain $c0 -> $(ns_counter $R track classic)," \
			"$(ct_list | tr '\n' ' ')"
	fi
	echo "# cycle $cycle: $((SECONDS - t0)) s"
done

names=("" "nft loads the module on demand (autoload)"
	"both connections [OFFLOAD] and forwarded by the fast path"
	"rmmod refused while a flowtable uses the module (in use), flows still served"
	"module unloads once the flowtable's table is deleted"
	"connections go on along the classic path while the module is out")
for i in 1 2 3 4 5; do
	if [ "${ok[i]}" -eq "$CYCLES" ]; then
		result 0 "${names[i]}: $CYCLES/$CYCLES cycles"
	else
		result 1 "${names[i]}: ${ok[i]}/$CYCLES cycles" "${why[i]}"
	fi
done

# The control plane loads the module as well: generic netlink asks for
# the family's module alias. Nothing holds the module afterwards.
if ! command -v nf-fastpath > /dev/null; then
	testno=$((testno + 1))
	echo "ok $testno the nf-fastpath netlink family loads the module" \
		"# SKIP nf-fastpath not built (make userspace)"
elif unloaded && nsx nf-fastpath stats > "$WORK/stats" 2>&1 && loaded &&
     wait_for 10000 try_rmmod; then
	result 0 "the nf-fastpath netlink family loads the module, which then unloads"
else
	result 1 "the nf-fastpath netlink family loads the module, which then unloads" \
		"$(head -3 "$WORK/stats")" "module $(modstate)"
fi

# The end of the traffic: the TCP client closes, the server writes out
# all it got and exits; the UDP client waits 2 s for the last echoes.
touch "$WORK/stop"
wait $tcp_client $udp_client
if ! wait_for 20000 exited $tcp_server; then
	result 1 "TCP stream intact across $CYCLES unloads" "server still running"
elif cmp -s "$WORK/tcp.sent" "$WORK/tcp.got"; then
	result 0 "TCP stream intact across $CYCLES unloads: $(tcp_bytes) bytes"
else
	result 1 "TCP stream intact across $CYCLES unloads" \
		"sent $(stat -c %s "$WORK/tcp.sent"), got $(tcp_bytes) bytes"
fi

if cmp -s "$WORK/udp.sent" "$WORK/udp.got"; then
	result 0 "UDP: every datagram echoed, in order: $(udp_lines)"
else
	result 1 "UDP: every datagram echoed, in order" \
		"sent $(wc -l < "$WORK/udp.sent"), got $(udp_lines)" \
		"first difference: $(diff "$WORK/udp.sent" "$WORK/udp.got" | head -4 | tr '\n' ' ')"
fi

# Conntrack frees every entry once flushed: no reference left behind.
ct_count()
{
	nsx sysctl -n net.netfilter.nf_conntrack_count
}

ct_empty()
{
	[ "$(ct_count)" -eq 0 ]
}

ns_kill $C $S
nsx conntrack -F > /dev/null 2>&1
if wait_for 10000 ct_empty; then
	result 0 "conntrack back to 0 entries after the flush"
else
	result 1 "conntrack back to 0 entries after the flush" \
		"$(ct_count) left" "$(ct_list)"
fi

[ $failed -eq 0 ]
