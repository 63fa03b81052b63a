#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Conformance: mainline's own flowtable selftest, unmodified, from the
# base tree (tools/testing/selftests/net/netfilter/nft_flowtable.sh). It
# exercises the nftables flowtable uapi that our implementation serves:
# forwarding with offload, PMTU, DSCP mangling in ingress/forward/egress,
# NAT, bridges, VLANs and IPsec. Each of its PASS/FAIL lines becomes a
# KTAP result, each SKIP line a skipped result; its exit status must be
# 0 as well.
#
# Run without options, the script runs itself a second time with random
# MTUs and a random 2-64 MB file. Here it runs twice with fixed values
# instead (logged): its defaults, and a set in the range of its random
# re-run, so that a result does not depend on a draw.
#
# Its fixed time limits are stretched from outside, by commands earlier
# in PATH: "timeout" multiplies the 60 s of its socat transfers by
# FP_TIMEOUT_SCALE; "date" runs the clock that net/lib.sh's busywait and
# slowwait read ("date -u +%s:%N") 10 x FP_TIMEOUT_SCALE times slower, so
# that the 1 s it gives a socat server to listen is a 10 s cap (it
# carries on when the wait runs out, and the client then finds no
# server); other uses of date are passed through. "socat" gets -t 10 (x
# FP_TIMEOUT_SCALE): once one direction of a transfer ended, socat waits
# that long for the other before it closes (0.5 s by default, after which
# a loaded guest saw the server reset a transfer still under way). Each
# is a cap: a transfer that ends both ways ends socat at once.

here=$(cd "$(dirname "$0")" && pwd)
ksrc=${KSRC:-$here/../build/linux}
dir=$ksrc/tools/testing/selftests/net/netfilter
scale=${FP_TIMEOUT_SCALE:-1}
log=$(mktemp /tmp/nft_flowtable.XXXXXX)
bin=$(mktemp -d /tmp/nft_flowtable_bin.XXXXXX)
n=0
bad=0

# -o originator MTU, -l link MTU, -r responder MTU, -s file size (bytes)
RUNS=(
	"-o 9000 -l 1500 -r 2000 -s 2097152"
	"-o 24000 -l 4000 -r 16000 -s 8000000"
)

trap 'rm -rf "$log" "$bin"' EXIT

echo "TAP version 13"
if [ ! -f "$dir/nft_flowtable.sh" ]; then
	echo "1..0 # SKIP $dir/nft_flowtable.sh not found (run make tree)"
	exit 4
fi

real_timeout=$(command -v timeout)
cat > "$bin/timeout" <<EOF
#!/bin/bash
# timeout DURATION ARGS...: DURATION (whole seconds) x $scale
d=\$1
shift
case "\$d" in
*[!0-9]*) exec $real_timeout "\$d" "\$@" ;;
esac
exec $real_timeout \$((d * $scale)) "\$@"
EOF
chmod +x "$bin/timeout"

real_socat=$(command -v socat)
cat > "$bin/socat" <<EOF
#!/bin/bash
exec $real_socat -t $((10 * scale)) "\$@"
EOF
chmod +x "$bin/socat"

real_date=$(command -v date)
t0=$(date +%s)
cat > "$bin/date" <<EOF
#!/bin/bash
# date -u +%s:%N: a clock running $((10 * scale)) times slower since $t0
if [ "\$*" != "-u +%s:%N" ]; then
	exec $real_date "\$@"
fi
now=\$($real_date -u +%s%N)
ns=\$(( ($t0 * 1000000000 + (now - $t0 * 1000000000) / $((10 * scale))) ))
printf '%d:%09d\n' \$((ns / 1000000000)) \$((ns % 1000000000))
EOF
chmod +x "$bin/date"

for args in "${RUNS[@]}"; do
	echo "# nft_flowtable.sh $args (timeouts x $scale; waits x $((10 * scale));" \
		"socat -t $((10 * scale)))"
	# The script wants to be run from its own directory (it sources
	# lib.sh).
	# shellcheck disable=SC2086
	(cd "$dir" && PATH="$bin:$PATH" bash ./nft_flowtable.sh $args) > "$log" 2>&1
	status=$?

	while IFS= read -r line; do
		case "$line" in
		PASS:*)
			n=$((n + 1))
			echo "ok $n ${line#PASS: }"
			;;
		FAIL:*)
			n=$((n + 1))
			bad=$((bad + 1))
			echo "not ok $n ${line#FAIL: }"
			;;
		SKIP:*)
			n=$((n + 1))
			echo "ok $n ${line#SKIP: } # SKIP"
			;;
		*)
			echo "# $line"
			;;
		esac
	done < "$log"

	n=$((n + 1))
	if [ $status -eq 0 ]; then
		echo "ok $n nft_flowtable.sh $args: exit status 0"
	else
		bad=$((bad + 1))
		echo "not ok $n nft_flowtable.sh $args: exit status $status"
	fi
done
echo "1..$n"
[ $bad -eq 0 ]
