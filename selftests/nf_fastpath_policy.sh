#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Policy coherence selftest: a ruleset change committed while flows are
# offloaded applies to them. Client - router - server namespaces as in
# nf_fastpath.sh; the server counts, per destination port, the packets it
# receives, so a case can tell how many got through after a commit.
#
# Output is KTAP; the exit status is non-zero if any case failed.

set -u

NTESTS=16

. "$(dirname "$0")/lib.sh"

PORTS="7001 7002 7003 7004 7005 7006 7007 7008 7009 7010 7011"

load_ruleset()
{
	ip netns exec $R nft -f - <<EOF
flush ruleset
table inet filter {
	counter forwarded { }
	set blocked { type ipv4_addr; }

	flowtable ft {
		hook ingress priority 0
		devices = { r0, r1 }
	}

	chain forward {
		type filter hook forward priority 0; policy accept;
		ip saddr @blocked drop
		counter name forwarded
		ct state established flow add @ft
	}
}
table ip nat {
	chain postrouting {
		type nat hook postrouting priority 100;
	}
}
EOF
}

# The server counts what reaches it, per destination port; the client
# counts ICMP errors and TCP resets it receives.
load_counters()
{
	local p rules=""

	for p in $PORTS; do
		rules="$rules
	counter p$p { }"
	done
	rules="$rules
	chain input {
		type filter hook input priority 0;"
	for p in $PORTS; do
		rules="$rules
		meta l4proto { tcp, udp } th dport $p counter name p$p"
	done
	ip netns exec $S nft -f - <<EOF
table inet count {$rules
	}
}
EOF
	ip netns exec $C nft -f - <<EOF
table inet count {
	counter unreach { }
	counter rst { }
	chain input {
		type filter hook input priority 0;
		icmp type destination-unreachable counter name unreach
		icmpv6 type destination-unreachable counter name unreach
		tcp flags rst counter name rst
	}
}
EOF
}

at_server()	# at_server <port>: packets the server received on it
{
	ns_counter $S count "p$1"
}

# A UDP stream, 20 datagrams per second, echoed by the server.
udp_stream()	# udp_stream <server address> <port>
{
	local listen=UDP4-LISTEN

	[ "${1#[}" != "$1" ] && listen=UDP6-LISTEN
	ip netns exec $S socat $listen:$2,reuseaddr EXEC:cat >/dev/null 2>&1 &
	sleep 0.3
	ip netns exec $C sh -c "while :; do echo x; sleep 0.05; done |
		socat - UDP:$1:$2,sourceport=$(($2 + 1000))" >/dev/null 2>&1 &
}

# A TCP stream of numbered lines, 20 per second, saved by the server.
tcp_stream()	# tcp_stream <port> [lines]
{
	ip netns exec $S socat -u TCP4-LISTEN:$1,reuseaddr \
		CREATE:"$WORK/tcp-$1" >/dev/null 2>&1 &
	sleep 0.3
	ip netns exec $C sh -c "for i in \$(seq 1 ${2:-100000}); do
			echo line \$i; sleep 0.05
		done | socat -u - TCP:10.0.2.1:$1" >/dev/null 2>&1 &
	CPID=$!
}

rst_seen()	# rst_seen <count before>
{
	[ "$(ns_counter $C count rst)" -gt "$1" ]
}

stop_streams()
{
	ip netns pids $C | xargs -r kill 2>/dev/null
	ip netns pids $S | xargs -r kill 2>/dev/null
	sleep 0.2
}

rule_handle()	# rule_handle <text of the rule>
{
	ip netns exec $R nft -a list chain inet filter forward |
		awk -v r="$1" 'index($0, r) { print $NF }'
}

del_rule()	# del_rule <text of the rule>
{
	ip netns exec $R nft delete rule inet filter forward \
		handle "$(rule_handle "$1")"
}

# cut_case <name> <l4proto> <port> <rule>: with the flow offloaded and
# traffic running, insert <rule>; at most one packet may reach the server
# after the commit returned, and the flow must leave the table.
cut_case()
{
	local name=$1 proto=$2 port=$3 rule=$4 n0 n1 del0

	if ! wait_for 5 offloaded "$proto" "$port"; then
		result 1 "$name" "flow never offloaded" "$(ct_list)"
		return
	fi
	del0=$(fp_stat del_policy)
	ip netns exec $R nft insert rule inet filter forward $rule
	n0=$(at_server "$port")
	sleep 1.5
	n1=$(at_server "$port")
	if [ $((n1 - n0)) -gt 1 ]; then
		result 1 "$name" "$((n1 - n0)) packets reached the server after the commit" \
			"$(fp_dump)"
	elif ! wait_for 4 not_offloaded "$proto" "$port"; then
		result 1 "$name" "conntrack entry still offloaded" "$(ct_list)"
	elif [ "$(fp_stat del_policy)" -le "$del0" ]; then
		result 1 "$name" "flow not removed by the policy check" "$(fp_dump)"
	else
		echo "# $name: $((n1 - n0)) packets after the commit"
		result 0 "$name"
	fi
}

# keep_case <name> <nft command...>: with a TCP stream offloaded, commit an
# unrelated change; the flow must be revalidated in place (no teardown,
# no new flow) and the data must arrive intact.
keep_case()
{
	local name=$1 reval0 add0 del0 lines=60 want=$WORK/want

	shift
	tcp_stream 7005 $lines
	if ! wait_for 5 offloaded tcp 7005; then
		result 1 "$name" "flow never offloaded" "$(ct_list)"
		stop_streams
		return
	fi
	reval0=$(fp_stat revalidated)
	add0=$(fp_stat flow_add)
	del0=$(fp_stat del_policy)
	ip netns exec $R nft "$@"
	sleep 0.5
	local offl=0
	offloaded tcp 7005 && offl=1
	wait $CPID
	sleep 0.3
	seq -f "line %g" 1 $lines > "$want"

	if ! cmp -s "$want" "$WORK/tcp-7005"; then
		result 1 "$name" "data differs: $(wc -l < "$WORK/tcp-7005") of $lines lines"
	elif [ $offl -ne 1 ]; then
		result 1 "$name" "flow not offloaded after the commit" "$(ct_list)"
	elif [ "$(fp_stat revalidated)" -le "$reval0" ]; then
		result 1 "$name" "flow not revalidated" "$(fp_dump)"
	elif [ "$(fp_stat flow_add)" -ne "$add0" ] ||
	     [ "$(fp_stat del_policy)" -ne "$del0" ]; then
		result 1 "$name" "flow was torn down and re-added" "$(fp_dump)"
	else
		result 0 "$name"
	fi
	stop_streams
	rm -f "$WORK/tcp-7005"
}

echo "TAP version 13"
echo "1..$NTESTS"

if ! setup_topology; then
	echo "Bail out! cannot build the namespaces"
	exit 1
fi
load_counters

# 1
if load_ruleset 2>"$WORK/nft.err" &&
   ip netns exec $R grep -q 'flowtable inet filter ft flows 0 revalidate on' \
	/proc/net/nf_fastpath; then
	result 0 "flowtable revalidates by default"
else
	result 1 "flowtable revalidates by default" "$(cat "$WORK/nft.err")" "$(fp_dump)"
fi

# 2-3: a drop rule cuts an offloaded UDP flow; removing it lets the
# flow continue and be offloaded again.
udp_stream 10.0.2.1 7001
cut_case "drop rule cuts an offloaded udp flow" udp 7001 "udp dport 7001 drop"
del_rule "udp dport 7001 drop"
n0=$(at_server 7001)
wait_for 5 offloaded udp 7001
sleep 1
if offloaded udp 7001 && [ "$(at_server 7001)" -gt $((n0 + 5)) ]; then
	result 0 "removing the rule lets the udp flow back on the fast path"
else
	result 1 "removing the rule lets the udp flow back on the fast path" \
		"server got $(($(at_server 7001) - n0))" "$(ct_list)"
fi
stop_streams

# 4: the same over IPv6.
udp_stream "[dead:2::1]" 7002
cut_case "drop rule cuts an offloaded udp flow over ipv6" udp 7002 "udp dport 7002 drop"
stop_streams

# 5: an offloaded TCP stream.
tcp_stream 7003
cut_case "drop rule cuts an offloaded tcp stream" tcp 7003 "tcp dport 7003 drop"
stop_streams

# 6-7: reject rules answer for the flow.
udp_stream 10.0.2.1 7004
u0=$(ns_counter $C count unreach)
cut_case "reject rule cuts an offloaded udp flow" udp 7004 "udp dport 7004 reject"
if [ "$(ns_counter $C count unreach)" -gt "$u0" ]; then
	result 0 "client gets icmp port unreachable"
else
	result 1 "client gets icmp port unreachable" "no ICMP error counted"
fi
stop_streams

tcp_stream 7006
r0=$(ns_counter $C count rst)
if wait_for 5 offloaded tcp 7006; then
	ip netns exec $R nft insert rule inet filter forward tcp dport 7006 reject with tcp reset
	if wait_for 3 rst_seen "$r0"; then
		result 0 "tcp reset rule resets an offloaded connection"
	else
		result 1 "tcp reset rule resets an offloaded connection" "no RST counted" \
			"$(fp_dump)"
	fi
else
	result 1 "tcp reset rule resets an offloaded connection" "flow never offloaded"
fi
stop_streams

# 8-10: changes that do not concern the flow keep it offloaded.
load_ruleset
keep_case "unrelated rule keeps the flow offloaded" \
	insert rule inet filter forward udp dport 9 drop
keep_case "set element keeps the flow offloaded" \
	add element inet filter blocked { 192.0.2.1 }
keep_case "new nat rule keeps the flow offloaded and intact" \
	add rule ip nat postrouting oifname r1 masquerade
load_ruleset

# 11: set element churn under traffic loses no datagram.
seq -f "datagram %g" 1 100 > "$WORK/uwant"
ip netns exec $S socat UDP-LISTEN:7007,reuseaddr EXEC:cat >/dev/null 2>&1 &
sleep 0.3
echo hello | ip netns exec $C socat -t 1 - UDP:10.0.2.1:7007,sourceport=8007 >/dev/null
reval0=$(fp_stat revalidated)
(
	for i in $(seq 1 40); do
		ip netns exec $R nft add element inet filter blocked "{ 198.51.100.$i }"
		sleep 0.1
	done
) &
churn=$!
ip netns exec $C sh -c "while read -r l; do echo \"\$l\"; sleep 0.03; done < $WORK/uwant |
	socat -t 2 - UDP:10.0.2.1:7007,sourceport=8007" > "$WORK/ugot"
wait $churn
if cmp -s "$WORK/uwant" "$WORK/ugot" && offloaded udp 7007 &&
   [ "$(fp_stat revalidated)" -gt "$reval0" ]; then
	echo "# set element churn: $(($(fp_stat revalidated) - reval0)) revalidations"
	result 0 "set element churn under traffic loses no datagram"
else
	result 1 "set element churn under traffic loses no datagram" \
		"got $(wc -l < "$WORK/ugot") of 100" "$(fp_dump)"
fi
stop_streams

# 12: opting out keeps mainline's behaviour; opting back in cuts.
echo "inet filter ft revalidate off" | ip netns exec $R tee /proc/net/nf_fastpath >/dev/null
bad=0
echo "inet filter nosuch revalidate off" |
	ip netns exec $R tee /proc/net/nf_fastpath >/dev/null 2>&1 && bad=1
echo "inet filter ft revalidate maybe" |
	ip netns exec $R tee /proc/net/nf_fastpath >/dev/null 2>&1 && bad=1
udp_stream 10.0.2.1 7008
wait_for 5 offloaded udp 7008
ip netns exec $R nft insert rule inet filter forward udp dport 7008 drop
n0=$(at_server 7008)
sleep 1
n1=$(at_server 7008)
echo "inet filter ft revalidate on" | ip netns exec $R tee /proc/net/nf_fastpath >/dev/null
sleep 0.3
n2=$(at_server 7008)
sleep 1
n3=$(at_server 7008)
if [ $bad -ne 0 ]; then
	result 1 "revalidation opt-out" "bad control input was accepted"
elif ! ip netns exec $R grep -q 'revalidate on' /proc/net/nf_fastpath; then
	result 1 "revalidation opt-out" "$(fp_dump)"
elif [ $((n1 - n0)) -lt 5 ]; then
	result 1 "revalidation opt-out" "flow stopped while opted out ($((n1 - n0)))"
elif [ $((n3 - n2)) -gt 1 ]; then
	result 1 "revalidation opt-out" "flow not cut after opting in ($((n3 - n2)))" "$(fp_dump)"
else
	echo "# opted out: $((n1 - n0)) packets passed the drop rule; opted in: $((n3 - n2))"
	result 0 "revalidation opt-out"
fi
stop_streams

# 14: the two directions are judged apart.  With a UDP flow offloaded and
# idle, a rule dropping the client's direction only is committed; a
# datagram of the server's direction comes first, passes the ruleset and
# revalidates its own direction.  It must not make the client's direction
# current: none of the client's datagrams may reach the server after it.
udp_stream 10.0.2.1 7009
if wait_for 5 offloaded udp 7009; then
	stop_streams
	ip netns exec $R nft insert rule inet filter forward udp dport 7009 drop
	reval0=$(fp_stat revalidated)
	del0=$(fp_stat del_policy)
	echo r | ip netns exec $S socat -u - UDP:10.0.1.1:8009,sourceport=7009
	sleep 0.3
	reval1=$(fp_stat revalidated)
	n0=$(at_server 7009)
	for i in $(seq 1 10); do
		echo x | ip netns exec $C socat -u - UDP:10.0.2.1:7009,sourceport=8009
		sleep 0.05
	done
	sleep 0.3
	n1=$(at_server 7009)
	if [ "$reval1" -le "$reval0" ]; then
		result 1 "one direction does not revalidate the other" \
			"the server's datagram did not revalidate its direction" "$(fp_dump)"
	elif [ $((n1 - n0)) -ne 0 ]; then
		result 1 "one direction does not revalidate the other" \
			"$((n1 - n0)) of 10 client datagrams passed the drop rule" "$(fp_dump)"
	elif [ "$(fp_stat del_policy)" -le "$del0" ]; then
		result 1 "one direction does not revalidate the other" \
			"flow not removed by the policy check" "$(fp_dump)"
	else
		echo "# server's direction revalidated, 0 of 10 client datagrams passed"
		result 0 "one direction does not revalidate the other"
	fi
else
	result 1 "one direction does not revalidate the other" \
		"flow never offloaded" "$(ct_list)"
fi
stop_streams

# 15: an offloaded connection's conntrack entry does not expire under it.
# After a commit the revalidating packets go through conntrack, which
# gives the entry its classic timeout (3 s here); the flow must keep it
# far ahead, or conntrack's garbage collector drops the entry while the
# flow still carries the stream. The kernel hides the timeout of offloaded
# entries from ctnetlink, so the test waits well past it instead.
udp_to=$(ip netns exec $R sysctl -n net.netfilter.nf_conntrack_udp_timeout)
udp_st=$(ip netns exec $R sysctl -n net.netfilter.nf_conntrack_udp_timeout_stream)
ip netns exec $R sysctl -qw net.netfilter.nf_conntrack_udp_timeout=3 \
	net.netfilter.nf_conntrack_udp_timeout_stream=3
udp_stream 10.0.2.1 7010
if wait_for 5 offloaded udp 7010; then
	dying0=$(fp_stat del_ct_dying)
	reval0=$(fp_stat revalidated)
	ip netns exec $R nft add element inet filter blocked "{ 198.51.100.200 }"
	sleep 1
	hit0=$(fp_stat hit)
	sleep 11
	if [ "$(fp_stat revalidated)" -le "$reval0" ]; then
		result 1 "conntrack entry outlives its classic timeout" \
			"flow not revalidated after the commit" "$(fp_dump)"
	elif [ "$(fp_stat del_ct_dying)" -ne "$dying0" ] ||
	     ! offloaded udp 7010; then
		result 1 "conntrack entry outlives its classic timeout" \
			"entry gone 12 s after the commit" "$(ct_list -p udp)" "$(fp_dump)"
	elif [ "$(fp_stat hit)" -le "$hit0" ]; then
		result 1 "conntrack entry outlives its classic timeout" \
			"stream left the fast path" "$(fp_dump)"
	else
		echo "# 12 s after the commit, classic timeout 3 s: still [OFFLOAD]"
		result 0 "conntrack entry outlives its classic timeout"
	fi
else
	result 1 "conntrack entry outlives its classic timeout" \
		"flow never offloaded" "$(ct_list)"
fi
stop_streams
ip netns exec $R sysctl -qw net.netfilter.nf_conntrack_udp_timeout="$udp_to" \
	net.netfilter.nf_conntrack_udp_timeout_stream="$udp_st"

# 16: switching revalidation off and on again has flows judged anew, it
# does not take them out: a flow revalidated after a commit stays.
udp_stream 10.0.2.1 7011
if wait_for 5 offloaded udp 7011; then
	ip netns exec $R nft add element inet filter blocked "{ 198.51.100.201 }"
	sleep 0.5
	del0=$(fp_stat del_policy)
	reval0=$(fp_stat revalidated)
	echo "inet filter ft revalidate off" | ip netns exec $R tee /proc/net/nf_fastpath >/dev/null
	echo "inet filter ft revalidate on" | ip netns exec $R tee /proc/net/nf_fastpath >/dev/null
	sleep 1
	if [ "$(fp_stat del_policy)" -ne "$del0" ] || ! offloaded udp 7011; then
		result 1 "revalidation switched off and on keeps a current flow" \
			"flow taken out" "$(fp_dump)"
	elif [ "$(fp_stat revalidated)" -le "$reval0" ]; then
		result 1 "revalidation switched off and on keeps a current flow" \
			"flow not judged again" "$(fp_dump)"
	else
		result 0 "revalidation switched off and on keeps a current flow"
	fi
else
	result 1 "revalidation switched off and on keeps a current flow" \
		"flow never offloaded" "$(ct_list)"
fi
stop_streams

echo "# $failed of $testno failed"
[ $failed -eq 0 ]
