#!/usr/bin/env bash
# Offline checks of nf-fastpath's command line (no kernel needed): usage
# errors exit 2 with a message and a usage line, --help and --version
# work. Usage: test-cli.sh PATH-TO-nf-fastpath
set -u
bin=${1:?usage: test-cli.sh PATH-TO-nf-fastpath}
failed=0

# expect <status> <stderr pattern> -- args...
expect()
{
	local want=$1 pat=$2 err status
	shift 3
	err=$("$bin" "$@" 2>&1 >/dev/null)
	status=$?
	if [ "$status" -ne "$want" ] || ! grep -qE -- "$pat" <<< "$err"; then
		echo "not ok - nf-fastpath $*: status $status (want $want): $err"
		failed=$((failed + 1))
	else
		echo "ok - nf-fastpath $* -> $status"
	fi
}

usage='^usage: nf-fastpath '
expect 2 "no command given" --
expect 2 "unknown command 'lst'" -- lst
expect 2 "unknown option '-x'" -- -x
expect 2 "unknown filter word 'bogus'" -- list bogus
expect 2 "$usage"'list \[-j\] \[FILTER...\]' -- list bogus
expect 2 "'sport' needs a value" -- list sport
expect 2 "sport: '0' is not a port" -- list sport 0
expect 2 "dport: '65536' is not a port" -- list dport 65536
expect 2 "dport: '8x' is not a port" -- list dport 8x
expect 2 "dport: '-1' is not a port" -- list dport -1
expect 2 "src: '10.0.0.256' is not an IPv4 or IPv6 address" -- list src 10.0.0.256
expect 2 "proto: 'icmp' is not tcp or udp" -- list proto icmp
expect 2 "'table' given twice" -- list table a table b
expect 2 "'hw' and 'sw' given more than once" -- list hw sw
expect 2 "not of the same address family" -- list src 10.0.0.1 dst ::1
expect 2 "family: '.*' is longer than 16" -- list family 01234567890123456
expect 2 "unknown filter word '-j'" -- flush -j
expect 2 "CT_ID missing" -- get -j
expect 2 "'x1' is not a conntrack id" -- get x1
expect 2 "'4294967296' is not a conntrack id" -- get 4294967296
expect 2 "unexpected argument '2'" -- get 1 2
expect 2 "unexpected argument 'sw'" -- monitor sw
expect 2 "unexpected argument '-jj'" -- stats -jj
expect 2 "set needs FAMILY TABLE FLOWTABLE" -- set inet filter ft
expect 2 "unknown setting 'timeout'" -- set inet filter ft timeout on
expect 2 "revalidate: 'yes' is not on or off" -- set inet filter ft revalidate yes
expect 2 "unexpected argument 'x'" -- set inet filter ft revalidate on x

out=$("$bin" --help) && grep -q '^  list \[-j\] \[FILTER...\]' <<< "$out" &&
	grep -q 'sport N, dport N' <<< "$out" ||
	{ echo "not ok - --help"; failed=$((failed + 1)); }
out=$("$bin" -V) && grep -q '^nf-fastpath [0-9]' <<< "$out" ||
	{ echo "not ok - -V"; failed=$((failed + 1)); }

[ "$failed" -eq 0 ] && echo "all command line checks passed"
[ "$failed" -eq 0 ]
