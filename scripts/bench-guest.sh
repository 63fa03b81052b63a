#!/usr/bin/env bash
# make bench, guest side: one boot of one kernel. Builds client - router -
# sink network namespaces over veth (plus a direct client - sink veth pair
# for the floor), drives 64-byte UDP from in-kernel pktgen in the client and
# counts what reaches the sink, which drops everything at netdev ingress.
# Writes one JSON object per measurement to $BENCH_OUT (a repo path: the
# host reads it); progress goes to stdout. Started by scripts/bench.sh.
#
# Environment: BENCH_OUT (required), BENCH_KERNEL (label), BENCH_BOOT (pair
# index), BENCH_ROUNDS (rounds of all variants, order reversed every other
# round), BENCH_SECS (seconds measured per run, after BENCH_WARMUP),
# BENCH_FLOWS (flow counts, e.g. "1 1000 100000"), BENCH_MEM_FLOWS (flows for
# the memory-per-flow step, 0 = skip), BENCH_REVAL_FLOWS (flows for the
# revalidation-cost step, ours only, 0 = skip), BENCH_NSIM=1 (linked
# netdevsim ports instead of veth pairs, and the variant hw: the flowtable
# with "flags offload", flows forwarded by netdevsim's flow table model;
# ours only), BENCH_VARIANTS (the runs of
# a round instead of all, e.g. "floor fast:1 norev:1"), BENCH_DIRECT=1
# (pktgen in the client itself, see below), BENCH_PROFILE=1 (perf samples
# all CPUs, cpu-clock, during each measured run; the top symbols go to
# profile-KERNEL-VARIANT-FLOWS-bBOOT-rROUND.txt beside BENCH_OUT; perf costs
# time, so figures of a profiled run are not comparable with others).
#
# pktgen keeps a reference on every skb it sends, so a veth peer receives a
# *shared* skb (users == 2). By default pktgen therefore runs in a generator
# netns one classic hop before the client, whose forwarding (ip_rcv's
# skb_share_check, ip_forward's skb_cow) hands the router an ordinary
# unshared skb, as a NIC would; that hop is part of the floor too, so the hop
# cost still isolates the router. BENCH_DIRECT=1 sends from the client itself
# (shared skbs at the router: a fast path that skips shared skbs is then never
# taken).
set -euo pipefail
[ "${FP_GUEST:-}" = 1 ] || { echo "bench-guest.sh runs in the test guest: use 'make bench'" >&2; exit 1; }

OUT=${BENCH_OUT:?BENCH_OUT not set}
KLABEL=${BENCH_KERNEL:-$(uname -r)}
BOOT=${BENCH_BOOT:-0}
ROUNDS=${BENCH_ROUNDS:-2}
SECS=${BENCH_SECS:-3}
WARMUP=${BENCH_WARMUP:-1}
FLOWS=${BENCH_FLOWS:-"1 1000 100000"}
MEM_FLOWS=${BENCH_MEM_FLOWS:-100000}
REVAL_FLOWS=${BENCH_REVAL_FLOWS:-10000}
PKT_SIZE=60            # pktgen size without FCS: 64-byte frames on the wire

CL=bcl; RT=brt; SK=bsk; GN=bgn
DIRECT=${BENCH_DIRECT:-0}
NSIM=${BENCH_NSIM:-0}
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
log() { printf '[%s %s] %s\n' "$KLABEL" "$(date +%T)" "$*"; }
now() { date +%s.%N; }
json() { echo "$1" >> "$OUT"; }

# --- topology ---------------------------------------------------------------
# client c0 10.0.1.2 - r0 10.0.1.1 [router] r1 10.0.2.1 - s0 10.0.2.2 sink
# client f0 10.0.3.1 --------------------------------------- f1 10.0.3.2 sink
# pktgen sources are 10.1.0.x (routed back to the client by the router).
setup_topology() {
	local ns
	for ns in $CL $RT $SK; do ip netns add $ns; ip -n $ns link set lo up; done
	if [ "$NSIM" = 1 ]; then
		nsim_ports 31 $CL c0 f0; nsim_ports 32 $RT r0 r1; nsim_ports 33 $SK s0 f1
		nsim_link $CL c0 $RT r0; nsim_link $RT r1 $SK s0; nsim_link $CL f0 $SK f1
	else
		ip link add c0 netns $CL type veth peer name r0 netns $RT
		ip link add r1 netns $RT type veth peer name s0 netns $SK
		ip link add f0 netns $CL type veth peer name f1 netns $SK
	fi
	ip -n $CL addr add 10.0.1.2/24 dev c0
	ip -n $RT addr add 10.0.1.1/24 dev r0
	ip -n $RT addr add 10.0.2.1/24 dev r1
	ip -n $SK addr add 10.0.2.2/24 dev s0
	ip -n $CL addr add 10.0.3.1/24 dev f0
	ip -n $SK addr add 10.0.3.2/24 dev f1
	for d in c0 f0; do ip -n $CL link set $d up; done
	for d in r0 r1; do ip -n $RT link set $d up; done
	for d in s0 f1; do ip -n $SK link set $d up; done
	nsx $RT sysctl -qw net.ipv4.ip_forward=1
	MAC_F1=$(cat_mac $SK f1); MAC_R0=$(cat_mac $RT r0)
	if [ "$DIRECT" = 1 ]; then
		PG_NS=$CL PG_DEV=c0 PG_FLOOR_DEV=f0 PG_MAC=$MAC_R0 PG_FLOOR_MAC=$MAC_F1
		REPLY_SINK=c0
	else
		ip netns add $GN; ip -n $GN link set lo up
		ip link add g0 netns $GN type veth peer name cg netns $CL
		ip -n $GN addr add 10.0.0.2/24 dev g0
		ip -n $CL addr add 10.0.0.1/24 dev cg
		ip -n $GN link set g0 up; ip -n $CL link set cg up
		nsx $CL sysctl -qw net.ipv4.ip_forward=1
		ip -n $CL route add 10.0.2.0/24 via 10.0.1.1
		ip -n $CL route add 10.1.0.0/16 via 10.0.0.2
		ip -n $CL neigh replace 10.0.1.1 lladdr "$MAC_R0" dev c0 nud permanent
		ip -n $CL neigh replace 10.0.3.2 lladdr "$MAC_F1" dev f0 nud permanent
		ip -n $CL neigh replace 10.0.0.2 lladdr "$(cat_mac $GN g0)" dev cg nud permanent
		PG_NS=$GN PG_DEV=g0 PG_FLOOR_DEV=g0 PG_MAC=$(cat_mac $CL cg) PG_FLOOR_MAC=$PG_MAC
		REPLY_SINK=g0
	fi
	ip -n $RT route add 10.1.0.0/16 via 10.0.1.2
	MAC_C0=$(cat_mac $CL c0); MAC_R1=$(cat_mac $RT r1); MAC_S0=$(cat_mac $SK s0)
	# static neighbours: no ARP traffic, nothing expires during a run
	ip -n $RT neigh replace 10.0.1.2 lladdr "$MAC_C0" dev r0 nud permanent
	ip -n $RT neigh replace 10.0.2.2 lladdr "$MAC_S0" dev r1 nud permanent
	# sink (and the client, for replies): count and drop at netdev ingress
	nsx $SK nft -f - <<-EOF
	table netdev sink {
		counter rx { }
		chain in_s0 { type filter hook ingress device "s0" priority 0; counter name "rx" drop; }
		chain in_f1 { type filter hook ingress device "f1" priority 0; counter name "rx" drop; }
	}
	EOF
	nsx "$PG_NS" nft -f - <<-EOF
	table netdev client {
		chain in_reply { type filter hook ingress device "$REPLY_SINK" priority 0; counter drop; }
	}
	EOF
	# conntrack must hold the largest flow count (global knobs: init netns)
	sysctl -qw net.netfilter.nf_conntrack_buckets=131072
	sysctl -qw net.netfilter.nf_conntrack_max=262144
}
cat_mac() { nsx "$1" cat "/sys/class/net/$2/address"; }

# BENCH_NSIM=1: the three links are pairs of linked netdevsim ports instead
# of veth pairs. nsim_ports ID NS NAME...: a netdevsim device with one port
# per NAME, moved to NS and renamed; nsim_link NS DEV NS DEV links two ports.
NSIM_BUS=/sys/bus/netdevsim
nsim_ports() {
	local id=$1 ns=$2 i=0 dev names
	shift 2; names=("$@")
	echo "$id ${#names[@]}" > $NSIM_BUS/new_device
	for i in $(seq 50); do
		[ "$(ls $NSIM_BUS/devices/netdevsim$id/net 2> /dev/null | wc -l)" = ${#names[@]} ] && break
		sleep 0.1
	done
	i=0
	for dev in $(ls $NSIM_BUS/devices/netdevsim$id/net | sort); do
		ip link set "$dev" netns "$ns"
		ip -n "$ns" link set "$dev" name "${names[i]}"
		i=$((i + 1))
	done
}
nsim_link() {
	local fa fb
	exec {fa}< "/run/netns/$1" {fb}< "/run/netns/$3"
	echo "$fa:$(nsx "$1" cat /sys/class/net/$2/ifindex) $fb:$(nsx "$3" cat /sys/class/net/$4/ifindex)" > $NSIM_BUS/link_device
	exec {fa}<&- {fb}<&-
}

# --- router rulesets ----------------------------------------------------------
# classic: conntrack + the same forward chain, no flowtable. fast: flowtable
# on r0/r1 and "flow add". masq: fast + masquerade out of r1. Our kernel
# only: norev = fast with revalidation after ruleset changes turned off for
# the flowtable; commits = fast while one set element is added every 100 ms
# to the forwarding table (each commit sends every flow's next packet
# through the classic path); icommits = the same commits to a table with
# only an input chain (as fail2ban keeps), which must leave flows current;
# ichecks = the same nft commands with --check, which the kernel aborts
# instead of committing: icommits / ichecks is the cost of the commits
# themselves, without that of running nft every 100 ms.
# The forward chain counter counts the packets that still take the classic
# path.
router_ruleset() {
	local kind=$1 fwd
	# a netdevsim port binds one flowtable at a time: unbind before rebinding
	nsx $RT nft flush ruleset
	case $kind in
	classic) fwd='counter; ct state established accept' ;;
	*)       fwd='counter; ct state established flow add @ft' ;;
	esac
	{
		echo 'flush ruleset'
		echo 'table inet bench {'
		case $kind in
		classic) ;;
		hw) echo '	flowtable ft { hook ingress priority 0; devices = { r0, r1 }; flags offload; }' ;;
		*) echo '	flowtable ft { hook ingress priority 0; devices = { r0, r1 }; }' ;;
		esac
		echo '	set churn { type ipv4_addr; }'
		echo "	chain forward { type filter hook forward priority 0; policy accept; $fwd; }"
		echo '}'
		echo 'table inet guard {'
		echo '	set banned { type ipv4_addr; }'
		echo '	chain input { type filter hook input priority 0; ip saddr @banned drop; }'
		echo '}'
		if [ "$kind" = masq ]; then
			echo 'table ip nat {'
			echo '	chain post { type nat hook postrouting priority 100; oifname "r1" masquerade; }'
			echo '}'
		fi
	} | nsx $RT nft -f -
	if [ "$kind" = norev ]; then
		nsx $RT nf-fastpath set inet bench ft revalidate off
	fi
}
# commits_start/commits_stop: one committed transaction every 100 ms. The
# loop is a subshell of this script, so killing it ends it; a loop left
# running would commit through every later run of the boot (each commit
# sends every flow's next packet through the classic path and costs CPU).
commits_start() { # [table set [nft option]]
	local table=${1:-bench} set=${2:-churn} opt=${3:-}
	COMMITS_SET="$table $set"
	(
		i=0
		while :; do
			nsx $RT nft $opt add element inet $table $set "{ 10.9.$((i / 250 % 250)).$((i % 250 + 1)) }"
			i=$((i + 1)); sleep 0.1
		done
	) > /dev/null 2>&1 &
	COMMITS_PID=$!
	COMMITS_C0=$(fp_stat revalidated)
}
# (ichecks commits nothing: no element, and grep's status must not end the run)
commits_count() { nsx $RT nft list set inet $COMMITS_SET | { grep -o '10\.9\.' || true; } | wc -l; }
commits_stop() {
	kill "$COMMITS_PID" 2> /dev/null; wait "$COMMITS_PID" 2> /dev/null || true
	REVALIDATED=$(( $(fp_stat revalidated) - COMMITS_C0 ))
	# an nft started just before the kill may still commit: let it finish
	sleep 0.5
	COMMITS=$(commits_count)
	sleep 0.5
	[ "$(commits_count)" = "$COMMITS" ] || { log "commit loop still running after kill"; exit 1; }
}
fwd_count() { nsx $RT nft list chain inet bench forward | sed -n 's/.*counter packets \([0-9]*\).*/\1/p' | head -n 1; }
sink_count() { nsx $SK nft list counter netdev sink rx | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }
# offloaded conntrack entries (both kernels print [OFFLOAD])
ct_offloaded() { nsx $RT conntrack -L 2> /dev/null | grep -c OFFLOAD || true; }
ct_hw_offloaded() { nsx $RT conntrack -L 2> /dev/null | grep -c HW_OFFLOAD || true; }
# flows in our fast path's table (only in our kernel)
fp_flows() {
	if nsx $RT test -r /proc/net/nf_fastpath; then
		nsx $RT cat /proc/net/nf_fastpath | awk '$1 == "flowtable" { for (i = 2; i < NF; i++) if ($i == "flows") n += $(i + 1) } END { print n + 0 }'
	else
		echo null
	fi
}
fp_stat() { nsx $RT cat /proc/net/nf_fastpath 2> /dev/null | awk -v k="$1" '$1 == k { print $2 }'; }

# --- pktgen --------------------------------------------------------------------
# N flows = IPS source addresses x PORTS source ports, both stepped together:
# IPS a power of two and PORTS odd make every pair appear once per N packets.
split_flows() {
	local n=$1 ips=1
	while [ $((n % 2)) = 0 ]; do n=$((n / 2)); ips=$((ips * 2)); done
	[ "$n" -le 60000 ] && [ "$ips" -le 254 ] || { echo "cannot split $1 flows" >&2; exit 1; }
	IPS=$ips; PORTS=$n
}
# pg_config NS DEV COUNT dst_min dst_max src_min src_max sport_min sport_n dport_min dport_n dst_mac
# (port ranges: pktgen's udp_*_max is exclusive when above the min)
# DEV stays on the pktgen thread from one run to the next. Another device is
# taken off first: the thread carries out rem_device_all (and reset) when it
# next polls, up to 100 ms later, so a removal still pending could take a
# device added right after it; the device must therefore still be there a
# moment after it was added.
pg_config() {
	local ns=$1 dev=$2 count=$3
	nsx "$ns" sh -e -c "cd /proc/net/pktgen
		try=0
		while [ \"\$(sed -n 's/^Stopped: //p' kpktgend_0)\" != '$dev ' ]; do
			[ \$try -lt 5 ] || { echo 'pktgen: cannot add $dev' >&2; exit 1; }
			try=\$((try + 1))
			echo rem_device_all > kpktgend_0
			i=0
			while [ -e $dev ] && [ \$i -lt 200 ]; do sleep 0.05; i=\$((i + 1)); done
			echo 'add_device $dev' > kpktgend_0 || true
			sleep 0.3
		done
		for c in 'count $count' 'clone_skb 0' 'pkt_size $PKT_SIZE' 'delay 0' \
			'dst_min $4' 'dst_max $5' 'src_min $6' 'src_max $7' \
			'udp_src_min $8' 'udp_src_max $(( $8 + $9 - 1 + ($9 > 1) ))' \
			'udp_dst_min ${10}' 'udp_dst_max $(( ${10} + ${11} - 1 + (${11} > 1) ))' \
			'dst_mac ${12}'; do
			echo \"\$c\" > $dev
		done"
}
pg_start_wait() { nsx "$1" sh -c 'echo start > /proc/net/pktgen/pgctrl'; }
pg_sent() { nsx "$1" cat "/proc/net/pktgen/$2" | sed -n 's/.*pkts-sofar: \([0-9]*\).*/\1/p'; }

last_client_ip() { echo "10.1.0.$IPS"; }

# Establish N flows through the router: N packets client -> sink (new
# conntrack entries), then N replies sink -> client (established; with a
# flowtable the reply's "flow add" offloads the flow). Sets SETUP_SECS.
setup_flows() {
	local n=$1 kind=$2 t0 t1 count
	split_flows "$n"
	# at least 5000 packets (several per flow when n is small): a pktgen run
	# shorter than one jiffy divides by zero in pktgen_stop_device (6.12)
	count=$(( n > 5000 ? n : 5000 ))
	pg_config "$PG_NS" "$PG_DEV" "$count" 10.0.2.2 10.0.2.2 10.1.0.1 "$(last_client_ip)" 10000 $PORTS 9 1 "$PG_MAC"
	if [ "$kind" = masq ]; then
		pg_config $SK s0 "$count" 10.0.2.1 10.0.2.1 10.0.2.2 10.0.2.2 9 1 10000 $PORTS "$MAC_R1"
	else
		pg_config $SK s0 "$count" 10.1.0.1 "$(last_client_ip)" 10.0.2.2 10.0.2.2 9 1 10000 $PORTS "$MAC_R1"
	fi
	t0=$(now)
	pg_start_wait "$PG_NS"
	pg_start_wait $SK
	t1=$(now)
	SETUP_SECS=$(echo "$t1 - $t0" | bc -l)
}

# One measurement: pktgen runs (count 0) while the sink counter is sampled
# over SECS seconds after WARMUP. Sets PPS and friends.
measure() { # measure ns dev dst src_n dport_n dst_mac
	local ns=$1 dev=$2 dst=$3 flows=$4 mac=$5 c1 c2 f1 f2 t1 t2 s1 s2 pid
	split_flows "$flows"
	pg_config "$ns" "$dev" 0 "$dst" "$dst" 10.1.0.1 "$(last_client_ip)" 10000 $PORTS 9 1 "$mac"
	pg_start_wait "$ns" &
	pid=$!
	sleep "$WARMUP"
	s1=$(cpu_busy); c1=$(sink_count); f1=$(fwd_count 2> /dev/null || echo 0); t1=$(now)
	if [ "${BENCH_PROFILE:-0}" = 1 ]; then
		perf record -q -N -a -e cpu-clock -F 10000 -o "$PERF_DATA" -- sleep "$SECS" > /dev/null 2>&1 || true
	else
		sleep "$SECS"
	fi
	c2=$(sink_count); t2=$(now); s2=$(cpu_busy); f2=$(fwd_count 2> /dev/null || echo 0)
	SENT=$(pg_sent "$ns" "$dev")
	nsx "$ns" sh -c 'echo stop > /proc/net/pktgen/pgctrl'
	wait $pid || true
	RX=$((c2 - c1)); SLOW=$(( ${f2:-0} - ${f1:-0} ))
	DT=$(echo "$t2 - $t1" | bc -l)
	PPS=$(echo "$RX / $DT" | bc -l)
	# guest CPU time (all CPUs, jiffies at USER_HZ=100) per packet, in us
	CPU_US=$(echo "($s2 - $s1) * 10000 / ($RX + 1)" | bc -l)
}
cpu_busy() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }

record() { # record variant flows [extra json fields]
	local variant=$1 flows=$2 extra=${3:-}
	json "$(printf '{"kernel":"%s","boot":%s,"round":%s,"variant":"%s","flows":%s,"pps":%.1f,"rx":%s,"secs":%.3f,"slowpath_pkts":%s,"cpu_us_per_pkt":%.3f%s}' \
		"$KLABEL" "$BOOT" "$ROUND" "$variant" "$flows" "$PPS" "$RX" "$DT" "$SLOW" "$CPU_US" "$extra")"
	log "$(printf '%-8s %6s flows: %8.0f pps  (slow path %s pkts%s)' "$variant" "$flows" "$PPS" "$SLOW" "${extra:+, ${extra#,}}")"
}

run_floor() {
	nsx $RT nft flush ruleset
	SLOW=0
	measure "$PG_NS" "$PG_FLOOR_DEV" 10.0.3.2 1 "$PG_FLOOR_MAC"
	SLOW=0
	record floor 1
	profile_report floor 1
}

run_router() { # run_router classic|fast|masq flows
	local kind=$1 n=$2 extra=""
	router_ruleset "$kind"
	nsx $RT conntrack -F 2> /dev/null || true
	setup_flows "$n" "$kind"
	local setup_rate offl="" fpf
	setup_rate=$(echo "$n / $SETUP_SECS" | bc -l)
	extra=$(printf ',"setup_secs":%.3f,"setup_flows_per_s":%.1f' "$SETUP_SECS" "$setup_rate")
	if [ "$kind" != classic ]; then
		fpf=$(fp_flows)
		# conntrack -L takes seconds at 100k entries: big tables are checked in
		# round 1 only, and only with BENCH_CT_CHECK=1 (every run also counts
		# the packets that still reach the forward chain: slowpath_pkts)
		if [ "$n" -le 10000 ] || { [ "$ROUND" = 1 ] && [ "${BENCH_CT_CHECK:-1}" = 1 ]; }; then
			offl=$(ct_offloaded)
		fi
		extra+=$(printf ',"ct_offload":%s,"fp_flows":%s' "${offl:-null}" "$fpf")
		if [ -n "$offl" ] && [ "$offl" -lt "$n" ]; then
			log "WARNING: $kind $n flows: only $offl conntrack entries are [OFFLOAD]"
		fi
	fi
	if [ "$kind" = hw ]; then
		# the flow reaches the model from a work item
		for i in $(seq 50); do
			[ "$(ct_hw_offloaded)" -ge "$n" ] && break
			sleep 0.1
		done
		extra+=$(printf ',"ct_hw_offload":%s' "$(ct_hw_offloaded)")
	fi
	case $kind in
	commits) commits_start ;;
	icommits) commits_start guard banned ;;
	ichecks) commits_start guard banned --check ;;
	esac
	measure "$PG_NS" "$PG_DEV" 10.0.2.2 "$n" "$PG_MAC"
	case $kind in
	commits|icommits|ichecks)
		commits_stop
		extra+=$(printf ',"commits":%s,"revalidated":%s' "$COMMITS" "$REVALIDATED")
		;;
	esac
	record "$kind" "$n" "$extra"
	profile_report "$kind" "$n"
}

# BENCH_PROFILE=1: the symbols that took at least 0.2% of the samples of
# the last measured run, all CPUs (pktgen, both hops, the sink).
PERF_DATA=/tmp/bench-perf.data
profile_report() {
	[ "${BENCH_PROFILE:-0}" = 1 ] && [ -s "$PERF_DATA" ] || return 0
	perf report -i "$PERF_DATA" --stdio --sort sym --percent-limit 0.2 2> /dev/null |
		grep -v '^$' > "$(dirname "$OUT")/profile-$KLABEL-$1-$2-b$BOOT-r$ROUND.txt" || true
	rm -f "$PERF_DATA"
}

# Cost of revalidating N flows after one commit: passes of one packet per
# flow (pktgen, full speed) over N offloaded flows, with the flows up to date
# and right after a commit (each packet then takes the classic path once to
# revalidate its flow), alternated 3 times. The cost is the extra CPU time
# of a pass after a commit (all CPUs, /proc/stat), divided by the flows
# revalidated; pktgen's own share is the same in both kinds of pass.
run_reval() {
	local n=$1 i c0 c1 r0 r1 count fresh=() stale=() reval=0
	router_ruleset fast
	nsx $RT conntrack -F 2> /dev/null || true
	setup_flows "$n" fast
	split_flows "$n"
	count=$(( n > 5000 ? n : 5000 ))
	pg_config "$PG_NS" "$PG_DEV" "$count" 10.0.2.2 10.0.2.2 10.1.0.1 "$(last_client_ip)" 10000 $PORTS 9 1 "$PG_MAC"
	for i in 1 2 3; do
		sleep 0.5; c0=$(cpu_busy); pg_start_wait "$PG_NS"; sleep 0.5; c1=$(cpu_busy)
		fresh+=($((c1 - c0)))
		nsx $RT nft add element inet bench churn "{ 10.9.255.$i }"
		r0=$(fp_stat revalidated)
		sleep 0.5; c0=$(cpu_busy); pg_start_wait "$PG_NS"; sleep 0.5; c1=$(cpu_busy)
		r1=$(fp_stat revalidated)
		stale+=($((c1 - c0))); reval=$((reval + r1 - r0))
	done
	# medians of 3, in jiffies of USER_HZ
	local f s hz
	f=$(printf '%s\n' "${fresh[@]}" | sort -n | sed -n 2p)
	s=$(printf '%s\n' "${stale[@]}" | sort -n | sed -n 2p)
	hz=$(getconf CLK_TCK)
	json "$(printf '{"kernel":"%s","boot":%s,"round":0,"variant":"reval","flows":%s,"packets":%s,"fresh_cpu_s":%.3f,"stale_cpu_s":%.3f,"revalidated":%s,"us_per_revalidation":%.3f}' \
		"$KLABEL" "$BOOT" "$n" "$count" "$(echo "$f / $hz" | bc -l)" "$(echo "$s / $hz" | bc -l)" "$((reval / 3))" \
		"$(echo "($s - $f) * 1000000 / $hz / ($reval / 3 + ($reval == 0))" | bc -l)")"
	log "revalidation: $n flows, one packet each: CPU $f jiffies up to date, $s after a commit (medians of 3; CLK_TCK $hz), $((reval / 3)) revalidated per pass"
}

# Memory per offloaded flow: N established (not offloaded) flows first, then
# the flowtable ruleset and one more packet per flow offloads them all. Slab
# and used memory (MemTotal - MemFree) before/after, divided by N. The slab
# caches themselves are not visible in this kernel config (SLUB_TINY).
run_memory() {
	local n=$1 s1 u1 s2 u2 offl div
	router_ruleset classic
	nsx $RT conntrack -F 2> /dev/null || true
	setup_flows "$n" classic
	sleep 1
	read -r s1 u1 <<< "$(meminfo)"
	nsx $RT nft -f - <<-EOF
	flush ruleset
	table inet bench {
		flowtable ft { hook ingress priority 0; devices = { r0, r1 }; }
		chain forward { type filter hook forward priority 0; policy accept; counter; ct state established flow add @ft; }
	}
	EOF
	split_flows "$n"
	pg_config "$PG_NS" "$PG_DEV" "$(( n > 5000 ? n : 5000 ))" 10.0.2.2 10.0.2.2 10.1.0.1 "$(last_client_ip)" 10000 $PORTS 9 1 "$PG_MAC"
	pg_start_wait "$PG_NS"
	sleep 1
	read -r s2 u2 <<< "$(meminfo)"
	offl=$(ct_offloaded); div=$offl; [ "$div" -gt 0 ] || div=$n
	json "$(printf '{"kernel":"%s","boot":%s,"round":0,"variant":"memory","flows":%s,"ct_offload":%s,"fp_flows":%s,"slab_bytes_per_flow":%.1f,"used_bytes_per_flow":%.1f}' \
		"$KLABEL" "$BOOT" "$n" "$offl" "$(fp_flows)" "$(echo "($s2 - $s1) * 1024 / $div" | bc -l)" "$(echo "($u2 - $u1) * 1024 / $div" | bc -l)")"
	log "memory: $offl of $n flows offloaded; slab +$((s2 - s1)) kB, used +$((u2 - u1)) kB"
}
meminfo() { awk '/^Slab:/ { s = $2 } /^MemTotal:/ { t = $2 } /^MemFree:/ { f = $2 } END { print s, t - f }' /proc/meminfo; }

# --- main ----------------------------------------------------------------------
mkdir -p "$(dirname "$OUT")"
log "kernel $(uname -r), $(nproc) cpus; rounds $ROUNDS, ${SECS}s per run, flows: $FLOWS, direct=$DIRECT"
setup_topology

if [ -n "${BENCH_VARIANTS:-}" ]; then
	read -ra variants <<< "$BENCH_VARIANTS"
else
	variants=(floor)
	for n in $FLOWS; do variants+=("classic:$n" "fast:$n"); done
	variants+=("masq:1")
	if [ -r /proc/net/nf_fastpath ]; then variants+=("norev:1" "commits:1" "icommits:1" "ichecks:1"); fi
	if [ "$NSIM" = 1 ] && [ -r /proc/net/nf_fastpath ]; then variants+=("hw:1"); fi
fi

for ROUND in $(seq 1 "$ROUNDS"); do
	order=("${variants[@]}")
	if [ $((ROUND % 2)) = 0 ]; then
		order=(); for ((i = ${#variants[@]} - 1; i >= 0; i--)); do order+=("${variants[i]}"); done
	fi
	for v in "${order[@]}"; do
		case $v in
		floor) run_floor ;;
		*) run_router "${v%%:*}" "${v##*:}" ;;
		esac
	done
done
ROUND=0
if [ "$MEM_FLOWS" -gt 0 ]; then run_memory "$MEM_FLOWS"; fi
if [ -r /proc/net/nf_fastpath ] && [ "$REVAL_FLOWS" -gt 0 ]; then run_reval "$REVAL_FLOWS"; fi
if [ -r /proc/net/nf_fastpath ]; then
	log "/proc/net/nf_fastpath (router) at the end:"
	nsx $RT cat /proc/net/nf_fastpath | grep -vE ' 0$' | sed 's/^/    /'
fi
nsx $RT nft flush ruleset
nsx $RT conntrack -F 2> /dev/null || true
log "done"
