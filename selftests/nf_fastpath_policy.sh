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
	counter dropped { }
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
# counts what it sends, per destination port, and the ICMP errors the
# router sends it and the TCP resets it receives.
load_counters()
{
	local p rules="" sent="" out=""

	for p in $PORTS; do
		rules="$rules
	counter p$p { }"
		sent="$sent
	counter s$p { }"
		out="$out
		meta l4proto { tcp, udp } th dport $p counter name s$p"
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
	counter rst { }$sent
	chain input {
		type filter hook input priority 0;
		ip saddr 10.0.1.254 icmp type destination-unreachable counter name unreach
		ip6 saddr dead:1::fe icmpv6 type destination-unreachable counter name unreach
		tcp flags rst counter name rst
	}
	chain output {
		type filter hook output priority 0;$out
	}
}
EOF
}

at_server()	# at_server <port>: packets the server received on it
{
	ns_counter $S count "p$1"
}

from_client()	# from_client <port>: packets the client sent to it
{
	ns_counter $C count "s$1"
}

counter_above()	# counter_above <command...> <value>: the command prints more
{
	local n=$(($# - 1)) args=("$@")

	[ "$("${args[@]:0:n}")" -gt "${args[n]}" ]
}

# A UDP stream, 20 datagrams per second, echoed by the server. The client's
# socket is not connected, so ICMP errors do not stop it. Returns 1, with
# WHY set, if the server does not listen.
udp_stream()	# udp_stream <server address> <port>
{
	local listen=UDP4-LISTEN

	[ "${1#[}" != "$1" ] && listen=UDP6-LISTEN
	ip netns exec $S socat $listen:$2,reuseaddr EXEC:cat >/dev/null 2>&1 &
	wait_listen $S udp $2 || return 1
	ip netns exec $C sh -c "while :; do echo x; sleep 0.05; done |
		socat - UDP-SENDTO:$1:$2,sourceport=$(($2 + 1000))" >/dev/null 2>&1 &
}

# A TCP stream of numbered lines, 20 per second, saved by the server.
# Returns 1, with WHY set, if the server does not listen.
tcp_stream()	# tcp_stream <port>
{
	ip netns exec $S socat -u TCP4-LISTEN:$1,reuseaddr \
		CREATE:"$WORK/tcp-$1" >/dev/null 2>&1 &
	wait_listen $S tcp $1 || return 1
	ip netns exec $C sh -c "for i in \$(seq 1 100000); do
			echo line \$i; sleep 0.05
		done | socat -u - TCP:10.0.2.1:$1" >/dev/null 2>&1 &
}

rst_seen()	# rst_seen <count before>
{
	[ "$(ns_counter $C count rst)" -gt "$1" ]
}

stop_streams()
{
	ns_kill $C $S
	wait 2>/dev/null
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
# traffic running, insert <rule>; of what the client sends after the
# commit returned (10 UDP datagrams, or 3 TCP segments: retransmissions)
# at most one packet may reach the server, and the flow must leave the
# table through the policy check.
cut_case()
{
	local name=$1 proto=$2 port=$3 rule=$4 n0 n1 s0 del0 min=10

	[ "$proto" = tcp ] && min=3
	if ! wait_for 10000 offloaded "$proto" "$port"; then
		result 1 "$name" "flow never offloaded" "$(ct_list)"
		return
	fi
	del0=$(fp_stat del_policy)
	ip netns exec $R nft insert rule inet filter forward $rule
	n0=$(at_server "$port")
	s0=$(from_client "$port")
	if ! wait_for 30000 counter_above from_client "$port" $((s0 + min - 1)); then
		result 1 "$name" "client sent $(($(from_client "$port") - s0)) packets" \
			"after the commit, wanted $min: the stream stopped"
		return
	fi
	n1=$(at_server "$port")
	if [ $((n1 - n0)) -gt 1 ]; then
		result 1 "$name" "$((n1 - n0)) packets reached the server after the commit" \
			"$(fp_dump)"
	elif ! wait_for 10000 not_offloaded "$proto" "$port"; then
		result 1 "$name" "conntrack entry still offloaded" "$(ct_list)"
	elif ! wait_for 10000 counter_above fp_stat del_policy "$del0"; then
		result 1 "$name" "flow not removed by the policy check" "$(fp_dump)"
	else
		echo "# $name: $((n1 - n0)) packets after the commit"
		result 0 "$name"
	fi
}

lines_at_server()	# lines_at_server <port> <count>: the server saved them
{
	[ "$(wc -l < "$WORK/tcp-$1" 2>/dev/null || echo 0)" -ge "$2" ]
}

# keep_case <name> <nft command...>: with a TCP stream offloaded, commit an
# unrelated change; the flow must be revalidated in place (no teardown,
# no new flow) and the data must arrive intact. The client sends 30 lines,
# holds the connection until the commit is done, sends 30 more (which
# the revalidation judges) and holds it again until the checks are done.
keep_case()
{
	local name=$1 reval0 add0 del0 lines=60 want=$WORK/want
	local go=$WORK/keep-go done=$WORK/keep-done offl=0 cpid

	shift
	rm -f "$go" "$done" "$WORK/tcp-7005"
	ip netns exec $S socat -u TCP4-LISTEN:7005,reuseaddr \
		CREATE:"$WORK/tcp-7005" >/dev/null 2>&1 &
	if ! wait_listen $S tcp 7005; then
		result 1 "$name" "$WHY"
		stop_streams
		return
	fi
	ip netns exec $C sh -c "{ for i in \$(seq 1 30); do echo line \$i; sleep 0.05; done
		while [ ! -e $go ]; do sleep 0.1; done
		for i in \$(seq 31 $lines); do echo line \$i; sleep 0.05; done
		while [ ! -e $done ]; do sleep 0.1; done; } |
		socat -u - TCP:10.0.2.1:7005" >/dev/null 2>&1 &
	cpid=$!
	if ! wait_for 10000 offloaded tcp 7005; then
		result 1 "$name" "flow never offloaded" "$(ct_list)"
		stop_streams
		return
	fi
	reval0=$(fp_stat revalidated)
	add0=$(fp_stat flow_add)
	del0=$(fp_stat del_policy)
	ip netns exec $R nft "$@"
	touch "$go"
	wait_for 30000 lines_at_server 7005 $lines
	offloaded tcp 7005 && offl=1
	touch "$done"
	wait $cpid
	seq -f "line %g" 1 $lines > "$want"
	# the server may still be writing what the close flushed
	wait_for 10000 same_size "$WORK/tcp-7005" "$want"

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
if ! udp_stream 10.0.2.1 7001; then
	result 1 "drop rule cuts an offloaded udp flow" "$WHY"
	result 1 "removing the rule lets the udp flow back on the fast path" "$WHY"
else
	cut_case "drop rule cuts an offloaded udp flow" udp 7001 "udp dport 7001 drop"
	del_rule "udp dport 7001 drop"
	n0=$(at_server 7001)
	if ! wait_for 10000 offloaded udp 7001; then
		result 1 "removing the rule lets the udp flow back on the fast path" \
			"flow not offloaded again" "$(ct_list)"
	elif ! wait_for 10000 counter_above at_server 7001 $((n0 + 5)); then
		result 1 "removing the rule lets the udp flow back on the fast path" \
			"server got $(($(at_server 7001) - n0)) datagrams, wanted 6" "$(ct_list)"
	else
		result 0 "removing the rule lets the udp flow back on the fast path"
	fi
fi
stop_streams

# 4: the same over IPv6.
if udp_stream "[dead:2::1]" 7002; then
	cut_case "drop rule cuts an offloaded udp flow over ipv6" udp 7002 "udp dport 7002 drop"
else
	result 1 "drop rule cuts an offloaded udp flow over ipv6" "$WHY"
fi
stop_streams

# 5: an offloaded TCP stream.
if tcp_stream 7003; then
	cut_case "drop rule cuts an offloaded tcp stream" tcp 7003 "tcp dport 7003 drop"
else
	result 1 "drop rule cuts an offloaded tcp stream" "$WHY"
fi
stop_streams

# 6-8: reject rules answer for the flow: an ICMP port unreachable from the
# router (not from the server, whose own would tell nothing), a TCP reset.
if udp_stream 10.0.2.1 7004; then
	u0=$(ns_counter $C count unreach)
	cut_case "reject rule cuts an offloaded udp flow" udp 7004 "udp dport 7004 reject"
	if wait_for 10000 counter_above ns_counter $C count unreach "$u0"; then
		result 0 "client gets icmp port unreachable"
	else
		result 1 "client gets icmp port unreachable" \
			"no ICMP error from the router counted"
	fi
else
	result 1 "reject rule cuts an offloaded udp flow" "$WHY"
	result 1 "client gets icmp port unreachable" "$WHY"
fi
stop_streams

if ! tcp_stream 7006; then
	result 1 "tcp reset rule resets an offloaded connection" "$WHY"
elif wait_for 10000 offloaded tcp 7006; then
	r0=$(ns_counter $C count rst)
	ip netns exec $R nft insert rule inet filter forward tcp dport 7006 reject with tcp reset
	if wait_for 10000 counter_above ns_counter $C count rst "$r0"; then
		result 0 "tcp reset rule resets an offloaded connection"
	else
		result 1 "tcp reset rule resets an offloaded connection" "no RST counted" \
			"$(fp_dump)"
	fi
else
	result 1 "tcp reset rule resets an offloaded connection" "flow never offloaded"
fi
stop_streams

# 9-11: changes that do not concern the flow keep it offloaded.
load_ruleset
keep_case "unrelated rule keeps the flow offloaded" \
	insert rule inet filter forward udp dport 9 drop
keep_case "set element keeps the flow offloaded" \
	add element inet filter blocked { 192.0.2.1 }
keep_case "new nat rule keeps the flow offloaded and intact" \
	add rule ip nat postrouting oifname r1 masquerade
load_ruleset

# 12: set element churn under traffic loses no datagram.
name="set element churn under traffic loses no datagram"
seq -f "datagram %g" 1 100 > "$WORK/uwant"
echo hello > "$WORK/hello"
ip netns exec $S socat UDP-LISTEN:7007,reuseaddr EXEC:cat >/dev/null 2>&1 &
if ! wait_listen $S udp 7007; then
	result 1 "$name" "$WHY"
elif ! udp_echo "$WORK/hello" "$WORK/hello-got" UDP:10.0.2.1:7007,sourceport=8007 ||
     ! wait_for 10000 offloaded udp 7007; then
	result 1 "$name" "flow never offloaded" "$(ct_list)"
else
	reval0=$(fp_stat revalidated)
	(
		for i in $(seq 1 40); do
			ip netns exec $R nft add element inet filter blocked "{ 198.51.100.$i }"
			sleep 0.1
		done
	) &
	churn=$!
	udp_echo "$WORK/uwant" "$WORK/ugot" UDP:10.0.2.1:7007,sourceport=8007 0.03
	wait $churn
	if ! cmp -s "$WORK/uwant" "$WORK/ugot"; then
		result 1 "$name" "got $(wc -l < "$WORK/ugot") of 100" "$(fp_dump)"
	elif ! offloaded udp 7007; then
		result 1 "$name" "flow not offloaded after the churn" "$(ct_list)"
	elif [ "$(fp_stat revalidated)" -le "$reval0" ]; then
		result 1 "$name" "flow not revalidated" "$(fp_dump)"
	else
		echo "# set element churn: $(($(fp_stat revalidated) - reval0)) revalidations"
		result 0 "$name"
	fi
fi
stop_streams

# 13: opting out keeps mainline's behaviour; opting back in cuts. Opted
# out, datagrams keep passing a drop rule committed after the offload;
# opted in again, at most one of the next 10 the client sends may.
name="revalidation opt-out"
ip netns exec $R nf-fastpath set inet filter ft revalidate off
bad=0
ip netns exec $R nf-fastpath set inet filter nosuch revalidate off \
	2>/dev/null && bad=1
ip netns exec $R nf-fastpath set inet filter ft revalidate maybe \
	2>/dev/null && bad=1
if [ $bad -ne 0 ]; then
	result 1 "$name" "bad control input was accepted"
elif ! udp_stream 10.0.2.1 7008; then
	result 1 "$name" "$WHY"
elif ! wait_for 10000 offloaded udp 7008; then
	result 1 "$name" "flow never offloaded" "$(ct_list)"
else
	ip netns exec $R nft insert rule inet filter forward udp dport 7008 drop
	n0=$(at_server 7008)
	if ! wait_for 30000 counter_above at_server 7008 $((n0 + 4)); then
		result 1 "$name" \
			"flow stopped while opted out ($(($(at_server 7008) - n0)) passed)"
	else
		n1=$(at_server 7008)
		ip netns exec $R nf-fastpath set inet filter ft revalidate on
		n2=$(at_server 7008)
		s2=$(from_client 7008)
		if ! ip netns exec $R grep -q 'revalidate on' /proc/net/nf_fastpath; then
			result 1 "$name" "$(fp_dump)"
		elif ! wait_for 30000 counter_above from_client 7008 $((s2 + 9)); then
			result 1 "$name" "client stopped sending after opting in"
		else
			n3=$(at_server 7008)
			if [ $((n3 - n2)) -gt 1 ]; then
				result 1 "$name" \
					"flow not cut after opting in ($((n3 - n2)) of 10 passed)" \
					"$(fp_dump)"
			else
				echo "# opted out: $((n1 - n0)) packets passed the drop rule;" \
					"opted in: $((n3 - n2)) of 10"
				result 0 "$name"
			fi
		fi
	fi
fi
ip netns exec $R nf-fastpath set inet filter ft revalidate on
stop_streams

# 14: the two directions are judged apart.  With a UDP flow offloaded and
# idle, a rule dropping the client's direction only is committed; a
# datagram of the server's direction comes first, passes the ruleset and
# revalidates its own direction.  It must not make the client's direction
# current: none of the client's datagrams may reach the server after it.
# Each of the 10 the client sends must be accounted for: dropped by the
# rule (on the classic path) or received by the server.
name="one direction does not revalidate the other"
accounted()	# accounted <received before> <dropped before> <count>
{
	[ $(($(at_server 7009) - $1 + $(nft_packets dropped) - $2)) -ge "$3" ]
}

if ! udp_stream 10.0.2.1 7009; then
	result 1 "$name" "$WHY"
elif ! wait_for 10000 offloaded udp 7009; then
	result 1 "$name" "flow never offloaded" "$(ct_list)"
else
	stop_streams
	ip netns exec $R nft insert rule inet filter forward \
		udp dport 7009 counter name dropped drop
	reval0=$(fp_stat revalidated)
	del0=$(fp_stat del_policy)
	echo r | ip netns exec $S socat -u - UDP:10.0.1.1:8009,sourceport=7009
	if ! wait_for 10000 counter_above fp_stat revalidated "$reval0"; then
		result 1 "$name" "the server's datagram did not revalidate its direction" \
			"$(fp_dump)"
	else
		n0=$(at_server 7009)
		d0=$(nft_packets dropped)
		s0=$(from_client 7009)
		for i in $(seq 1 10); do
			echo x | ip netns exec $C socat -u - UDP:10.0.2.1:7009,sourceport=8009
			sleep 0.05
		done
		sent=$(($(from_client 7009) - s0))
		wait_for 10000 accounted "$n0" "$d0" 10
		n1=$(at_server 7009)
		d1=$(nft_packets dropped)
		if [ "$sent" -ne 10 ]; then
			result 1 "$name" "the client sent $sent of 10 datagrams"
		elif [ $((n1 - n0)) -ne 0 ]; then
			result 1 "$name" "$((n1 - n0)) of 10 client datagrams" \
				"passed the drop rule" "$(fp_dump)"
		elif [ $((d1 - d0)) -ne 10 ]; then
			result 1 "$name" "the drop rule saw $((d1 - d0)) of 10 client datagrams" \
				"$(fp_dump)"
		elif ! wait_for 10000 counter_above fp_stat del_policy "$del0"; then
			result 1 "$name" "flow not removed by the policy check" "$(fp_dump)"
		else
			echo "# server's direction revalidated," \
				"10 client datagrams dropped by the rule"
			result 0 "$name"
		fi
	fi
fi
stop_streams

# 15: an offloaded connection's conntrack entry does not expire under it.
# After a commit the revalidating packets go through conntrack, which
# gives the entry its classic timeout (3 s here); the flow must keep it
# far ahead, or conntrack's garbage collector drops the entry while the
# flow still carries the stream. The kernel hides the timeout of offloaded
# entries from ctnetlink, so the test watches the entry for 11 s after the
# flow was revalidated instead: the duration is what the case asserts.
name="conntrack entry outlives its classic timeout"
udp_to=$(ip netns exec $R sysctl -n net.netfilter.nf_conntrack_udp_timeout)
udp_st=$(ip netns exec $R sysctl -n net.netfilter.nf_conntrack_udp_timeout_stream)
ip netns exec $R sysctl -qw net.netfilter.nf_conntrack_udp_timeout=3 \
	net.netfilter.nf_conntrack_udp_timeout_stream=3
if ! udp_stream 10.0.2.1 7010; then
	result 1 "$name" "$WHY"
elif ! wait_for 10000 offloaded udp 7010; then
	result 1 "$name" "flow never offloaded" "$(ct_list)"
else
	dying0=$(fp_stat del_ct_dying)
	reval0=$(fp_stat revalidated)
	ip netns exec $R nft add element inet filter blocked "{ 198.51.100.200 }"
	if ! wait_for 10000 counter_above fp_stat revalidated "$reval0"; then
		result 1 "$name" "flow not revalidated after the commit" "$(fp_dump)"
	else
		hit0=$(fp_stat hit)
		end=$(($(now_ms) + 11000))
		gone=0
		while [ "$(now_ms)" -lt "$end" ]; do
			offloaded udp 7010 || { gone=1; break; }
			sleep 0.5
		done
		if [ $gone -ne 0 ] || [ "$(fp_stat del_ct_dying)" -ne "$dying0" ]; then
			result 1 "$name" "entry gone" \
				"$(((11000 + $(now_ms) - end) / 1000)) s after the revalidation" \
				"$(ct_list -p udp)" "$(fp_dump)"
		elif [ "$(fp_stat hit)" -le "$hit0" ]; then
			result 1 "$name" "stream left the fast path" "$(fp_dump)"
		else
			echo "# 11 s after the revalidation, classic timeout 3 s: still [OFFLOAD]"
			result 0 "$name"
		fi
	fi
fi
stop_streams
ip netns exec $R sysctl -qw net.netfilter.nf_conntrack_udp_timeout="$udp_to" \
	net.netfilter.nf_conntrack_udp_timeout_stream="$udp_st"

# 16: switching revalidation off and on again has flows judged anew, it
# does not take them out: a flow revalidated after a commit stays.
name="revalidation switched off and on keeps a current flow"
if ! udp_stream 10.0.2.1 7011; then
	result 1 "$name" "$WHY"
elif ! wait_for 10000 offloaded udp 7011; then
	result 1 "$name" "flow never offloaded" "$(ct_list)"
else
	reval0=$(fp_stat revalidated)
	ip netns exec $R nft add element inet filter blocked "{ 198.51.100.201 }"
	if ! wait_for 10000 counter_above fp_stat revalidated "$reval0"; then
		result 1 "$name" "flow not revalidated after the commit" "$(fp_dump)"
	else
		del0=$(fp_stat del_policy)
		reval0=$(fp_stat revalidated)
		ip netns exec $R nf-fastpath set inet filter ft revalidate off
		ip netns exec $R nf-fastpath set inet filter ft revalidate on
		if ! wait_for 10000 counter_above fp_stat revalidated "$reval0"; then
			result 1 "$name" "flow not judged again" "$(fp_dump)"
		else
			# the stream goes on in the fast path for a while
			hit0=$(fp_stat hit)
			wait_for 10000 counter_above fp_stat hit $((hit0 + 9))
			if [ "$(fp_stat del_policy)" -ne "$del0" ] || ! offloaded udp 7011; then
				result 1 "$name" "flow taken out" "$(fp_dump)"
			elif [ "$(fp_stat hit)" -le $((hit0 + 9)) ]; then
				result 1 "$name" "stream left the fast path" "$(fp_dump)"
			else
				result 0 "$name"
			fi
		fi
	fi
fi
stop_streams

echo "# $failed of $testno failed"
[ $failed -eq 0 ]
