#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Helper of nf_fastpath_malformed.sh: builds bad and unusual packets for
# flows the router has offloaded, sends them from the client's side of the
# router through a packet socket, and records, class by class, the frames
# that came out at the server and back at the client together with the
# router's fast path and SNMP counters.
#
#   run <client ns> <router ns> <server ns> <router r0 MAC> <out.json>
#   compare <fast.json> <classic.json>
#   count (the number of classes)
#   udp <4|6> <address> <port> <source port> <file>: each line of the file
#   as one datagram
#
# "compare" prints one "PASS <class> ..." or "FAIL <class> ..." line per
# class: a class passes when the run with the flows offloaded produced
# exactly the frames of the run without a fast path (and, for the well-formed
# control packets, when the fast path carried them).
#
# A class's frames are collected until two markers sent after them came
# out: an ICMP echo request forwarded to the server and the router's echo
# reply to the client (the router handles frames in the order they come).
# No time window decides which class a late frame belongs to.

import ctypes
import json
import os
import select
import socket
import struct
import sys
import time

CLONE_NEWNET = 0x40000000
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
libc = ctypes.CDLL(None, use_errno=True)

C4, S4, R4 = '10.0.1.1', '10.0.2.1', '10.0.1.254'
C6, S6 = 'dead:1::1', 'dead:2::1'
U4 = (7001, 7000)       # offloaded UDP flow over IPv4 (client, server port)
U6 = (7003, 7002)       # offloaded UDP flow over IPv6
T4 = (7005, 7004)       # offloaded TCP connection over IPv4
BIG = 1450              # bigger than the router's 1400 bytes output MTU
MARK = 0xfa57           # ICMP echo identifier of the markers
SETTLE = 60             # seconds a class may take to come out, at most


def enter(ns):
    fd = os.open('/run/netns/' + ns, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET):
            err = ctypes.get_errno()
            raise OSError(err, 'setns %s: %s' % (ns, os.strerror(err)))
    finally:
        os.close(fd)


def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def pseudo4(src, dst, proto, length):
    return (socket.inet_aton(src) + socket.inet_aton(dst) +
            struct.pack('!BBH', 0, proto, length))


def pseudo6(src, dst, proto, length):
    return (socket.inet_pton(socket.AF_INET6, src) +
            socket.inet_pton(socket.AF_INET6, dst) +
            struct.pack('!IxxxB', length, proto))


def udp(pseudo, ports, payload, check='ok', length=None):
    ulen = 8 + len(payload) if length is None else length
    hdr = struct.pack('!HHHH', ports[0], ports[1], ulen, 0)
    c = csum(pseudo(8 + len(payload)) + hdr + payload) or 0xffff
    if check == 'bad':
        c ^= 0x5a5a
    elif check == 'zero':
        c = 0
    return hdr[:6] + struct.pack('!H', c) + payload


def udp4(payload, **kw):
    return udp(lambda n: pseudo4(C4, S4, 17, n), U4, payload, **kw)


def udp6(payload, **kw):
    return udp(lambda n: pseudo6(C6, S6, 17, n), U6, payload, **kw)


def tcp4(flags, payload=b'', doff=5):
    opts = b'\1' * (4 * max(doff, 5) - 20)
    hdr = struct.pack('!HHIIBBHHH', T4[0], T4[1], 0x10000000, 0x20000000,
                      doff << 4, flags, 65535, 0, 0) + opts
    c = csum(pseudo4(C4, S4, 6, len(hdr) + len(payload)) + hdr + payload)
    return hdr[:16] + struct.pack('!H', c) + hdr[18:] + payload


def ip4(l4, proto=17, ttl=64, ident=1, df=False, mf=False, offset=0,
        opts=b'', ihl=None, tot_len=None, bad_csum=False, trailer=b''):
    ihl = 5 + len(opts) // 4 if ihl is None else ihl
    length = 20 + len(opts) + len(l4) if tot_len is None else tot_len
    frag = (0x4000 if df else 0) | (0x2000 if mf else 0) | (offset // 8)
    hdr = struct.pack('!BBHHHBBH4s4s', 0x40 | ihl, 0, length, ident, frag,
                      ttl, proto, 0, socket.inet_aton(C4),
                      socket.inet_aton(S4)) + opts
    c = csum(hdr) ^ (0x1111 if bad_csum else 0)
    return hdr[:10] + struct.pack('!H', c) + hdr[12:] + l4 + trailer


def ip6(payload, nh=17, hlim=64, plen=None, trailer=b''):
    length = len(payload) if plen is None else plen
    return (struct.pack('!IHBB', 0x60000000, length, nh, hlim) +
            socket.inet_pton(socket.AF_INET6, C6) +
            socket.inet_pton(socket.AF_INET6, S6) + payload + trailer)


def ext6(nh, body=b'\1\4\0\0\0\0'):
    """Hop-by-hop or destination options header: PadN filling 8 bytes."""
    return struct.pack('!BB', nh, 0) + body


def frag6(nh, offset, more, ident):
    return struct.pack('!BBHI', nh, 0, offset | (1 if more else 0), ident)


def data(tag, size=32):
    return (tag.encode() + b'-' * size)[:size]


def classes():
    """(name, [(ethertype, L3 packet, VLAN tag or None)...]) in send order."""
    v4 = []
    v6 = []
    tcp = []

    def c4(name, *pkts):
        v4.append((name, [(0x0800, p, None) for p in pkts]))

    def c6(name, *pkts):
        v6.append((name, [(0x86dd, p, None) for p in pkts]))

    u = udp4(data('good4'))
    c4('ipv4 udp well-formed (control)', ip4(u, ident=0x101))
    c4('ipv4 truncated header', ip4(u, ident=0x102)[:12])
    c4('ipv4 ihl below 5', ip4(u, ident=0x103, ihl=4))
    c4('ipv4 ihl beyond the packet', ip4(u[:8], ident=0x104, ihl=15,
                                         tot_len=28))
    c4('ipv4 total length beyond the packet', ip4(u, ident=0x105,
                                                  tot_len=200))
    c4('ipv4 total length shorter than the frame',
       ip4(u, ident=0x106, trailer=b'trailing garbage'))
    c4('ipv4 total length shorter than ip+udp', ip4(u, ident=0x107,
                                                    tot_len=24))
    c4('ipv4 bad header checksum', ip4(u, ident=0x108, bad_csum=True))
    c4('ipv4 udp header truncated', ip4(u[:4], ident=0x109))
    c4('ipv4 options (nop)', ip4(u, ident=0x10a, opts=b'\1\1\1\0'))
    c4('ipv4 options (record route)',
       ip4(u, ident=0x10b, opts=b'\7\x0b\4' + b'\0' * 9))
    c4('ipv4 ttl 0', ip4(u, ident=0x10c, ttl=0))
    c4('ipv4 ttl 1', ip4(u, ident=0x10d, ttl=1))
    c4('ipv4 udp bad checksum', ip4(udp4(data('bad4'), check='bad'),
                                    ident=0x10e))
    c4('ipv4 udp zero checksum', ip4(udp4(data('zero4'), check='zero'),
                                     ident=0x10f))
    c4('ipv4 udp length beyond the packet',
       ip4(udp4(data('ulen4'), length=400), ident=0x110))
    whole = udp4(data('frag4', 64))
    c4('ipv4 first fragment alone', ip4(whole[:32], ident=0x111, mf=True))
    c4('ipv4 later fragment alone', ip4(whole[32:], ident=0x112, offset=32))
    c4('ipv4 fragments of a whole datagram',
       ip4(whole[:32], ident=0x113, mf=True),
       ip4(whole[32:], ident=0x113, offset=32))
    big = udp4(data('big4', BIG - 28))
    c4('ipv4 over the output mtu with df', ip4(big, ident=0x114, df=True))
    c4('ipv4 over the output mtu without df', ip4(big, ident=0x115))
    c4('ipv4 not tcp or udp (gre)', ip4(b'\0\0\x08\0' + b'x' * 20,
                                        proto=47, ident=0x116))
    v4.append(('vlan tagged (vid 5) on an untagged device',
               [(0x0800, ip4(u, ident=0x117), 5)]))
    v4.append(('vlan priority tagged (vid 0)',
               [(0x0800, ip4(u, ident=0x118), 0)]))

    u = udp6(data('good6'))
    c6('ipv6 udp well-formed (control)', ip6(u))
    c6('ipv6 truncated header', ip6(u)[:30])
    c6('ipv6 payload length beyond the packet', ip6(u, plen=200))
    c6('ipv6 payload length shorter than the frame',
       ip6(u, trailer=b'trailing garbage'))
    c6('ipv6 udp header truncated', ip6(u[:4]))
    c6('ipv6 hop limit 0', ip6(u, hlim=0))
    c6('ipv6 hop limit 1', ip6(u, hlim=1))
    c6('ipv6 hop-by-hop options', ip6(ext6(17) + u, nh=0))
    c6('ipv6 destination options', ip6(ext6(17) + u, nh=60))
    c6('ipv6 hop-by-hop then destination options',
       ip6(ext6(60) + ext6(17) + u, nh=0))
    c6('ipv6 routing header, no segments left',
       ip6(struct.pack('!BBBB4x', 17, 0, 4, 0) + u, nh=43))
    c6('ipv6 unknown next header', ip6(b'x' * 16, nh=253))
    c6('ipv6 udp bad checksum', ip6(udp6(data('bad6'), check='bad')))
    c6('ipv6 udp zero checksum', ip6(udp6(data('zero6'), check='zero')))
    whole = udp6(data('frag6', 64))
    c6('ipv6 first fragment alone',
       ip6(frag6(17, 0, True, 0x601) + whole[:32], nh=44))
    c6('ipv6 later fragment alone',
       ip6(frag6(17, 32, False, 0x602) + whole[32:], nh=44))
    c6('ipv6 fragments of a whole datagram',
       ip6(frag6(17, 0, True, 0x603) + whole[:32], nh=44),
       ip6(frag6(17, 32, False, 0x603) + whole[32:], nh=44))
    c6('ipv6 atomic fragment', ip6(frag6(17, 0, False, 0x604) + u, nh=44))
    c6('ipv6 over the output mtu', ip6(udp6(data('big6', BIG - 48))))

    for name, flags, doff, payload in (
            ('tcp ack with data (control)', 0x18, 5, b'data'),
            ('tcp ack with options', 0x10, 8, b''),
            ('tcp data offset below 5', 0x10, 4, b''),
            ('tcp no flags', 0x00, 5, b''),
            ('tcp urg psh fin (xmas)', 0x29, 5, b''),
            ('tcp syn', 0x02, 5, b''),
            ('tcp syn fin', 0x03, 5, b''),
            ('tcp fin', 0x11, 5, b''),
            ('tcp rst', 0x04, 5, b'')):
        tcp.append((name, [(0x0800, ip4(tcp4(flags, payload, doff),
                                        proto=6, ident=0x200 + len(tcp)),
                            None)]))
    return v4 + v6 + tcp


def frame(dst, src, ethertype, l3, vid):
    if vid is None:
        return dst + src + struct.pack('!H', ethertype) + l3
    return dst + src + struct.pack('!HHH', 0x8100, vid, ethertype) + l3


def ours(pkt):
    """Frames of the test's addresses, but neighbour discovery and MLD."""
    etype = struct.unpack('!H', pkt[12:14])[0]
    if etype == 0x0800 and len(pkt) >= 34:
        return pkt[26:30] in ADDRS4 or pkt[30:34] in ADDRS4
    if etype == 0x86dd and len(pkt) >= 54:
        if pkt[20] == 58 and len(pkt) > 54 and pkt[54] in (133, 134, 135,
                                                           136, 137, 143):
            return False
        return pkt[22:38] in ADDRS6 or pkt[38:54] in ADDRS6
    return False


ADDRS4 = {socket.inet_aton(a) for a in ('10.0.1.1', '10.0.2.1', '10.0.1.254',
                                        '10.0.2.254')}
ADDRS6 = {socket.inet_pton(socket.AF_INET6, a)
          for a in ('dead:1::1', 'dead:2::1', 'dead:1::fe', 'dead:2::fe')}


def normal(pkt):
    """Hex of a frame, without what the router picks at random: the IP ID
    (and so the header checksum) of the ICMP errors it sends, and the
    identification of the IPv6 fragments it makes of a reassembled packet."""
    pkt = bytearray(pkt)
    if pkt[12:14] == b'\x08\x00' and pkt[23] == 1:
        pkt[18:20] = b'\0\0'
        pkt[24:26] = b'\0\0'
    if pkt[12:14] == b'\x86\xdd' and pkt[20] == 44 and len(pkt) >= 62:
        pkt[58:62] = b'\0\0\0\0'
    return pkt.hex()


def counters():
    vals = {}
    with open('/proc/self/net/nf_fastpath') as f:
        for line in f:
            k = line.split()
            if len(k) == 2:
                vals['fp.' + k[0]] = int(k[1])
    for name in ('snmp', 'netstat'):
        with open('/proc/self/net/' + name) as f:
            lines = f.read().splitlines()
        for keys, values in zip(lines[0::2], lines[1::2]):
            prefix = keys.split(':')[0]
            for k, v in zip(keys.split()[1:], values.split()[1:]):
                vals[prefix + '.' + k] = int(v)
    with open('/proc/self/net/snmp6') as f:
        for line in f:
            k, v = line.split()
            vals[k] = int(v)
    return vals


def delta(before, after):
    return {k: after[k] - before.get(k, 0) for k in sorted(after)
            if after[k] != before.get(k, 0)}


def marker(dst, seq):
    """An ICMP echo request from the client to @dst, identifier MARK."""
    icmp = struct.pack('!BBHHH', 8, 0, 0, MARK, seq) + b'marker'
    icmp = icmp[:2] + struct.pack('!H', csum(icmp)) + icmp[4:]
    hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(icmp), seq, 0, 64,
                      1, 0, socket.inet_aton(C4), socket.inet_aton(dst))
    return hdr[:10] + struct.pack('!H', csum(hdr)) + hdr[12:] + icmp


def marker_seq(pkt):
    """The sequence number of a marker (request or reply), else None."""
    if pkt[12:14] != b'\x08\x00' or len(pkt) < 42 or pkt[23] != 1:
        return None
    icmp = pkt[14 + (pkt[14] & 15) * 4:]
    if len(icmp) < 8 or icmp[0] not in (0, 8):
        return None
    ident, seq = struct.unpack('!HH', icmp[4:8])
    return seq if ident == MARK else None


def settle(socks, send, seq):
    """Send the markers of round @seq, collect the frames that come out
    before them. Returns the frames and whether both markers came."""
    send(marker(S4, seq))
    send(marker(R4, seq))
    got = {name: [] for name in socks}
    seen = set()
    deadline = time.monotonic() + SETTLE
    while len(seen) < len(socks):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        ready, _, _ = select.select(list(socks.values()), [], [], left)
        for name, s in socks.items():
            if s not in ready:
                continue
            pkt, addr = s.recvfrom(65535)
            if addr[2] == PACKET_OUTGOING:
                continue
            m = marker_seq(pkt)
            if m is not None:
                if m == seq:
                    seen.add(name)
            elif ours(pkt):
                got[name].append(normal(pkt))
    return got, len(seen) == len(socks)


def run(cns, rns, sns, rmac, out):
    rmac = bytes.fromhex(rmac.replace(':', ''))
    enter(cns)
    tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    tx.bind(('c0', 0))
    cmac = tx.getsockname()[4]
    crx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                        socket.htons(ETH_P_ALL))
    crx.bind(('c0', 0))
    enter(sns)
    srx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                        socket.htons(ETH_P_ALL))
    srx.bind(('s0', 0))
    enter(rns)
    socks = {'server': srx, 'client': crx}

    def send(l3, etype=0x0800, vid=None):
        tx.send(frame(rmac, cmac, etype, l3, vid))

    results = []
    settle(socks, send, 0)
    for seq, (name, pkts) in enumerate(classes(), 1):
        before = counters()
        for etype, l3, vid in pkts:
            send(l3, etype, vid)
            time.sleep(0.02)
        got, settled = settle(socks, send, seq)
        results.append({'class': name, 'sent': len(pkts),
                        'server': got['server'], 'client': got['client'],
                        'settled': settled,
                        'counters': delta(before, counters())})
    with open(out, 'w') as f:
        json.dump(results, f, indent=1)


def compare(fast_file, classic_file):
    with open(fast_file) as f:
        fast = json.load(f)
    with open(classic_file) as f:
        classic = json.load(f)
    for a, b in zip(fast, classic):
        fp = ' '.join('%s+%d' % (k[3:], v) for k, v in a['counters'].items()
                      if k.startswith('fp.'))
        what = 'server %d client %d frames; fast path %s' % (
            len(a['server']), len(a['client']), fp or 'untouched')
        same = all(sorted(a[k]) == sorted(b[k]) for k in ('server', 'client'))
        # The controls prove the flows were offloaded during the run.
        hit = a['counters'].get('fp.hit', 0) == a['sent']
        settled = a['settled'] and b['settled']
        ok = settled and same and (hit or '(control)' not in a['class'])
        print('%s %s: %s' % ('PASS' if ok else 'FAIL', a['class'], what))
        if not settled:
            print('  the markers sent after the class did not come out '
                  'within %d s' % SETTLE)
        if same and settled and not ok:
            print('  the control packets did not take the fast path')
        if not same:
            for k in ('server', 'client'):
                for pkt in sorted(set(a[k]) ^ set(b[k])):
                    side = 'offloaded' if pkt in a[k] else 'classic'
                    print('  only with %s, at the %s: %s' % (side, k, pkt))


def send_lines(family, addr, port, sport, path):
    fam = socket.AF_INET if family == '4' else socket.AF_INET6
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind(('', int(sport)))
    with open(path, 'rb') as f:
        for line in f:
            s.sendto(line, (addr, int(port)))
            time.sleep(0.005)


if __name__ == '__main__':
    if len(sys.argv) == 7 and sys.argv[1] == 'run':
        run(*sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == 'compare':
        compare(*sys.argv[2:])
    elif len(sys.argv) == 7 and sys.argv[1] == 'udp':
        send_lines(*sys.argv[2:])
    elif len(sys.argv) == 2 and sys.argv[1] == 'count':
        print(len(classes()))
    else:
        sys.exit('usage: %s run <client ns> <router ns> <server ns> '
                 '<r0 MAC> <out.json> | compare <fast.json> <classic.json> | count '
                 '| udp <4|6> <address> <port> <source port> <file>'
                 % sys.argv[0])
