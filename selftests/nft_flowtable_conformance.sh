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
# re-run, so that a result does not depend on a draw. Its socat transfers
# have a fixed 60 s timeout: a "timeout" earlier in PATH stretches every
# timeout of the script by FP_TIMEOUT_SCALE.

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

for args in "${RUNS[@]}"; do
	echo "# nft_flowtable.sh $args (timeouts x $scale)"
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
