#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Helper of nf_fastpath_ctl.sh: a raw generic netlink client (stdlib only)
# that sends malformed requests to the "nf-fastpath" family of the network
# namespace it runs in.
#
#   fuzz [--seed N] [--random N] [--src ADDR]
#	resolve the family through nlctrl, then send the named malformed
#	requests and N (20) random ones built from the seed (1): every one
#	must be answered by an NLMSG_ERROR (or a dump's NLMSG_DONE) carrying
#	a negative error; where the kernel's policy layer or the handler has
#	something to say, the answer must carry an extended ACK
#	(NLMSGERR_ATTR_MSG, or NLMSGERR_ATTR_MISS_TYPE for a missing
#	attribute). Requests that reach a handler never carry a filter that
#	could match a flow of the test: a kernel accepting one by mistake
#	hands nothing back. Then N well-formed requests with random values
#	(read-only: any answer will do, but there must be one) and the
#	positive controls: the socket still works, stats and dumps answer,
#	and a dump filtered on --src ADDR (a client address of the test)
#	succeeds.
#	One line per request ("ok"/"FAIL", name, errno, extended ACK); the
#	last line is the summary. Exit status 0 if every request got what it
#	should, 1 otherwise, 2 if the socket broke or the family is missing.
#   mcgrp
#	print the id of the family's multicast group "flows".

import errno
import ipaddress
import os
import random
import socket
import struct
import sys

NETLINK_GENERIC = 16
SOL_NETLINK = 270
NETLINK_CAP_ACK = 10
NETLINK_EXT_ACK = 11

NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLM_F_DUMP = 0x300
NLM_F_CAPPED = 0x100
NLM_F_ACK_TLVS = 0x200
NLA_F_NESTED = 0x8000

NLMSGERR_ATTR_MSG = 1
NLMSGERR_ATTR_OFFS = 2
NLMSGERR_ATTR_MISS_TYPE = 5

GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
CTRL_ATTR_MCAST_GROUPS = 7
CTRL_ATTR_MCAST_GRP_NAME = 1
CTRL_ATTR_MCAST_GRP_ID = 2

# include/uapi/linux/nf_fastpath.h
FAMILY = b'nf-fastpath'
CMD_FLOW_GET, CMD_FLOW_DEL, CMD_TABLE_GET, CMD_TABLE_SET, CMD_STATS_GET, \
    CMD_FLOW_ADD_NTF, CMD_FLOW_DEL_NTF = range(1, 8)
(A_FLOW_TABLE_FAMILY, A_FLOW_TABLE, A_FLOW_FLOWTABLE, A_FLOW_CT_ID,
 A_FLOW_L3PROTO, A_FLOW_L4PROTO, A_FLOW_ORIG, A_FLOW_REPLY, A_FLOW_WHERE,
 A_FLOW_HW_REFUSAL, A_FLOW_AGE_MS, A_FLOW_IDLE_MS, A_FLOW_TIMEOUT_MS,
 A_FLOW_CURRENT, A_FLOW_REASON, A_FLOW_FILTER_SRC, A_FLOW_FILTER_DST,
 A_FLOW_FILTER_L4PROTO, A_FLOW_FILTER_SPORT, A_FLOW_FILTER_DPORT,
 A_FLOW_FILTER_WHERE, A_FLOW_COUNT) = range(1, 23)
(A_TABLE_TABLE_FAMILY, A_TABLE_TABLE, A_TABLE_FLOWTABLE, A_TABLE_FLOWS,
 A_TABLE_REVALIDATE, A_TABLE_HW_FLOWS, A_TABLE_HW_COUNTER,
 A_TABLE_HW_LAST_ERROR) = range(1, 9)
A_TUPLE_SRC = 1

# The highest attribute type any request policy of the family accepts.
MAX_REQ_ATTR = A_FLOW_FILTER_WHERE

# Accepted errors of a request that the policy layer must refuse: wrong
# lengths and types are -EINVAL, out of range values and strings -ERANGE.
POLICY = {errno.EINVAL, errno.ERANGE}


def align(n):
    return (n + 3) & ~3


def nla(atype, data=b''):
    """A well-formed attribute, padded."""
    raw = struct.pack('=HH', 4 + len(data), atype) + data
    return raw + b'\0' * (align(len(raw)) - len(raw))


def nla_raw(length, atype, data):
    """An attribute whose header says whatever it is told, unpadded."""
    return struct.pack('=HH', length, atype) + data


def u8(v):
    return struct.pack('=B', v)


def u16(v):
    return struct.pack('=H', v)


def be16(v):
    return struct.pack('>H', v)


def u32(v):
    return struct.pack('=I', v)


def u64(v):
    return struct.pack('=Q', v)


def sz(s):
    return s.encode() + b'\0'


def attrs_parse(buf):
    out = {}
    off = 0
    while off + 4 <= len(buf):
        length, atype = struct.unpack_from('=HH', buf, off)
        if length < 4 or off + length > len(buf):
            break
        out.setdefault(atype & 0x3fff, []).append(buf[off + 4:off + length])
        off += align(length)
    return out


class Broken(Exception):
    pass


class Genl:
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                                  NETLINK_GENERIC)
        self.sock.bind((0, 0))
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        self.sock.settimeout(10)
        self.seq = 1000

    def send(self, mtype, flags, payload, length=None):
        self.seq += 1
        if length is None:
            length = 16 + len(payload)
        msg = struct.pack('=IHHII', length, mtype, flags, self.seq, 0)
        try:
            self.sock.send(msg + payload)
        except OSError as e:
            raise Broken('send: %s' % os.strerror(e.errno))
        return self.seq

    def answer(self, seq):
        """Read until the NLMSG_ERROR or NLMSG_DONE that ends request
        @seq: (error, extack attributes, payloads of the replies before).
        """
        replies = []
        while True:
            try:
                buf = self.sock.recv(1 << 20)
            except socket.timeout:
                raise Broken('no answer within 10 s')
            except OSError as e:
                raise Broken('recv: %s' % os.strerror(e.errno))
            off = 0
            while off + 16 <= len(buf):
                length, mtype, flags, mseq, _ = struct.unpack_from(
                    '=IHHII', buf, off)
                if length < 16:
                    raise Broken('bad message length %d' % length)
                body = buf[off + 16:off + length]
                off += align(length)
                if mseq != seq:
                    continue
                if mtype == NLMSG_ERROR:
                    err = struct.unpack_from('=i', body)[0]
                    inner = struct.unpack_from('=I', body, 4)[0]
                    tlv = 4 + (16 if flags & NLM_F_CAPPED else align(inner))
                    ext = {}
                    if flags & NLM_F_ACK_TLVS:
                        ext = attrs_parse(body[tlv:])
                    return err, ext, replies
                if mtype == NLMSG_DONE:
                    err = struct.unpack_from('=i', body)[0] \
                        if len(body) >= 4 else 0
                    ext = attrs_parse(body[4:]) \
                        if flags & NLM_F_ACK_TLVS else {}
                    return err, ext, replies
                replies.append(body)

    def request(self, mtype, cmd, attrs=b'', flags=0, hdr=None,
                length=None):
        if hdr is None:
            hdr = struct.pack('=BBH', cmd, 1, 0)
        seq = self.send(mtype, NLM_F_REQUEST | NLM_F_ACK | flags,
                        hdr + attrs, length)
        return self.answer(seq)


def resolve(nl):
    err, _, replies = nl.request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                                 nla(CTRL_ATTR_FAMILY_NAME, FAMILY + b'\0'))
    if err or not replies:
        return None, {}
    attrs = attrs_parse(replies[0][4:])
    fid = struct.unpack('=H', attrs[CTRL_ATTR_FAMILY_ID][0][:2])[0]
    groups = {}
    for nest in attrs.get(CTRL_ATTR_MCAST_GROUPS, []):
        for grp in attrs_parse(nest).values():
            g = attrs_parse(grp[0])
            name = g[CTRL_ATTR_MCAST_GRP_NAME][0].rstrip(b'\0').decode()
            groups[name] = struct.unpack('=I', g[CTRL_ATTR_MCAST_GRP_ID][0])[0]
    return fid, groups


def ext_text(ext):
    parts = []
    if NLMSGERR_ATTR_MSG in ext:
        parts.append("msg='%s'" %
                     ext[NLMSGERR_ATTR_MSG][0].rstrip(b'\0').decode(
                         errors='replace'))
    if NLMSGERR_ATTR_OFFS in ext:
        parts.append('offs=%d' % struct.unpack('=I',
                                              ext[NLMSGERR_ATTR_OFFS][0])[0])
    if NLMSGERR_ATTR_MISS_TYPE in ext:
        parts.append('miss_type=%d' %
                     struct.unpack('=I', ext[NLMSGERR_ATTR_MISS_TYPE][0])[0])
    return ' '.join(parts) or 'no extack'


def errname(err):
    if err >= 0:
        return str(err)
    if -err == errno.EOPNOTSUPP:	# errorcode says ENOTSUP, same value
        return 'EOPNOTSUPP'
    return errno.errorcode.get(-err, str(err))


# A request that must fail.
#   cmd, attrs: the genetlink command and attribute bytes
#   expect: the set of acceptable errno values (None: any error)
#   ext: None, 'msg' (NLMSGERR_ATTR_MSG) or 'any' (MSG or MISS_TYPE)
#   dump: NLM_F_DUMP
#   hdr, length: override the genetlink header / nlmsg_len
#   fam: override the nlmsg_type (family id)
class Bad:
    def __init__(self, name, cmd, attrs=b'', expect=None, ext=None,
                 dump=False, hdr=None, length=None, fam=None):
        self.name, self.cmd, self.attrs = name, cmd, attrs
        self.expect, self.ext, self.dump = expect, ext, dump
        self.hdr, self.length, self.fam = hdr, length, fam


# Addresses and ports that no flow of the test uses: a filter of them, if
# a kernel took it by mistake, matches nothing.
NOWHERE4 = bytes([192, 0, 2, 99])
NOWHERE6 = bytes([0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [0x99])
NOPORT = 9


def named_cases():
    F = A_FLOW_FLOWTABLE
    names = nla(A_TABLE_TABLE_FAMILY, sz('inet')) + \
        nla(A_TABLE_TABLE, sz('filter'))
    c = [
        # flow-get do
        Bad('flow-get without ct-id', CMD_FLOW_GET, b'',
            {errno.EINVAL}, 'any'),
        Bad('flow-get ct-id as u8', CMD_FLOW_GET,
            nla(A_FLOW_CT_ID, u8(1)), POLICY, 'msg'),
        Bad('flow-get ct-id as u16', CMD_FLOW_GET,
            nla(A_FLOW_CT_ID, u16(1)), POLICY, 'msg'),
        Bad('flow-get ct-id as u64', CMD_FLOW_GET,
            nla(A_FLOW_CT_ID, u64(1)), POLICY, 'msg'),
        Bad('flow-get ct-id empty', CMD_FLOW_GET,
            nla(A_FLOW_CT_ID), POLICY, 'msg'),
        Bad('flow-get unknown ct-id', CMD_FLOW_GET,
            nla(A_FLOW_CT_ID, u32(0xdeadbeef)), {errno.ENOENT}),
        Bad('flow-get truncated attribute', CMD_FLOW_GET,
            nla_raw(8, A_FLOW_CT_ID, b'\1\0'), POLICY, 'msg'),
        Bad('flow-get attribute length 2', CMD_FLOW_GET,
            nla_raw(2, A_FLOW_CT_ID, b'\0\0\1\0\0\0\0\0'), POLICY, 'msg'),
        Bad('flow-get attribute type 0', CMD_FLOW_GET,
            nla(0, u32(1)), POLICY, 'msg'),
        Bad('flow-get attribute outside its policy', CMD_FLOW_GET,
            nla(A_FLOW_CT_ID, u32(1)) + nla(A_FLOW_L3PROTO, u8(2)),
            POLICY, 'msg'),
        Bad('flow-get attribute type 0x3fff', CMD_FLOW_GET,
            nla(0x3fff, u32(1)), POLICY, 'msg'),
        Bad('flow-get ct-id with NLA_F_NESTED', CMD_FLOW_GET,
            nla(A_FLOW_CT_ID | NLA_F_NESTED, u32(1)), POLICY, 'msg'),
        # flow-get dump
        Bad('flow dump filter-src of 5 bytes', CMD_FLOW_GET,
            nla(A_FLOW_FILTER_SRC, NOWHERE4 + b'\0'), POLICY, dump=True),
        Bad('flow dump filter-src of 3 bytes', CMD_FLOW_GET,
            nla(A_FLOW_FILTER_SRC, NOWHERE4[:3]), POLICY, 'msg', dump=True),
        Bad('flow dump filter-dst of 17 bytes', CMD_FLOW_GET,
            nla(A_FLOW_FILTER_DST, NOWHERE6 + b'\0'), POLICY, dump=True),
        Bad('flow dump filter-dst empty', CMD_FLOW_GET,
            nla(A_FLOW_FILTER_DST), POLICY, 'msg', dump=True),
        Bad('flow dump filter-where 2', CMD_FLOW_GET,
            nla(A_FLOW_FILTER_WHERE, u8(2)), {errno.ERANGE}, 'msg',
            dump=True),
        Bad('flow dump filter-where 255', CMD_FLOW_GET,
            nla(A_FLOW_FILTER_WHERE, u8(255)), {errno.ERANGE}, 'msg',
            dump=True),
        Bad('flow dump filter-where as u32', CMD_FLOW_GET,
            nla(A_FLOW_FILTER_WHERE, u32(0)), POLICY, 'msg', dump=True),
        Bad('flow dump filter-l4proto 47', CMD_FLOW_GET,
            nla(A_FLOW_FILTER_L4PROTO, u8(47)), None, dump=True),
        Bad('flow dump filter-l4proto as u16', CMD_FLOW_GET,
            nla(A_FLOW_FILTER_L4PROTO, u16(6)), POLICY, 'msg', dump=True),
        Bad('flow dump filter-sport as u8', CMD_FLOW_GET,
            nla(A_FLOW_FILTER_SPORT, u8(9)), POLICY, 'msg', dump=True),
        Bad('flow dump filter-dport as u32', CMD_FLOW_GET,
            nla(A_FLOW_FILTER_DPORT, u32(9)), POLICY, 'msg', dump=True),
        Bad('flow dump family without NUL', CMD_FLOW_GET,
            nla(A_FLOW_TABLE_FAMILY, b'inet'), POLICY, 'msg', dump=True),
        Bad('flow dump family of 40 characters', CMD_FLOW_GET,
            nla(A_FLOW_TABLE_FAMILY, sz('i' * 40)), POLICY, 'msg',
            dump=True),
        Bad('flow dump family with bytes after its NUL', CMD_FLOW_GET,
            nla(A_FLOW_TABLE_FAMILY, b'inet\0' + b'x' * 20), POLICY, 'msg',
            dump=True),
        Bad('flow dump table of 300 characters', CMD_FLOW_GET,
            nla(A_FLOW_TABLE, sz('t' * 300)), POLICY, 'msg', dump=True),
        Bad('flow dump flowtable empty', CMD_FLOW_GET,
            nla(F), POLICY, 'msg', dump=True),
        Bad('flow dump flowtable of 0xff bytes', CMD_FLOW_GET,
            nla(F, b'\xff' * 10), POLICY, 'msg', dump=True),
        Bad('flow dump nested orig with garbage', CMD_FLOW_GET,
            nla(A_FLOW_ORIG | NLA_F_NESTED,
                nla_raw(200, A_TUPLE_SRC, b'\xde\xad')), POLICY, 'msg',
            dump=True),
        Bad('flow dump count attribute', CMD_FLOW_GET,
            nla(A_FLOW_COUNT, u32(1)), POLICY, 'msg', dump=True),
        Bad('flow dump trailing bytes', CMD_FLOW_GET,
            nla(A_FLOW_FILTER_WHERE, u8(0)) + b'\1\2\3', POLICY, 'msg',
            dump=True),
        # flow-del: refused before anything is handed back
        Bad('flow-del filter-where 2', CMD_FLOW_DEL,
            nla(A_FLOW_FILTER_WHERE, u8(2)), {errno.ERANGE}, 'msg'),
        Bad('flow-del filter-src of 5 bytes', CMD_FLOW_DEL,
            nla(A_FLOW_FILTER_SRC, NOWHERE4 + b'\0'), POLICY),
        Bad('flow-del filter-l4proto 47', CMD_FLOW_DEL,
            nla(A_FLOW_FILTER_L4PROTO, u8(47))),
        Bad('flow-del filter-sport as u8', CMD_FLOW_DEL,
            nla(A_FLOW_FILTER_SPORT, u8(9)), POLICY, 'msg'),
        Bad('flow-del table without NUL', CMD_FLOW_DEL,
            nla(A_FLOW_TABLE, b'filter'), POLICY, 'msg'),
        Bad('flow-del nested reply with garbage', CMD_FLOW_DEL,
            nla(A_FLOW_REPLY | NLA_F_NESTED, b'\xff' * 7), POLICY, 'msg'),
        Bad('flow-del attribute type 30', CMD_FLOW_DEL,
            nla(30, u32(0)), POLICY, 'msg'),
        Bad('flow-del as a dump', CMD_FLOW_DEL,
            nla(A_FLOW_FILTER_DPORT, be16(NOPORT)), {errno.EOPNOTSUPP},
            dump=True),
        # table-get, table-set
        Bad('table-get without names', CMD_TABLE_GET, b'',
            {errno.EINVAL}, 'any'),
        Bad('table-get unknown flowtable', CMD_TABLE_GET,
            names + nla(A_TABLE_FLOWTABLE, sz('nosuchft')),
            {errno.ENOENT}),
        Bad('table-get family of 17 characters', CMD_TABLE_GET,
            nla(A_TABLE_TABLE_FAMILY, sz('f' * 17)), POLICY, 'msg'),
        Bad('table-get table as u32 without NUL', CMD_TABLE_GET,
            nla(A_TABLE_TABLE, u32(0x41414141)), POLICY, 'msg'),
        Bad('table-set without names', CMD_TABLE_SET,
            nla(A_TABLE_REVALIDATE, u8(0)), {errno.EINVAL}, 'any'),
        Bad('table-set unknown flowtable', CMD_TABLE_SET,
            names + nla(A_TABLE_FLOWTABLE, sz('nosuchft')) +
            nla(A_TABLE_REVALIDATE, u8(0)), {errno.ENOENT}, 'msg'),
        Bad('table-set unknown table', CMD_TABLE_SET,
            nla(A_TABLE_TABLE_FAMILY, sz('inet')) +
            nla(A_TABLE_TABLE, sz('nosuchtable')) +
            nla(A_TABLE_FLOWTABLE, sz('ft')) +
            nla(A_TABLE_REVALIDATE, u8(0)), {errno.ENOENT}, 'msg'),
        Bad('table-set unknown family', CMD_TABLE_SET,
            nla(A_TABLE_TABLE_FAMILY, sz('bogus')) +
            nla(A_TABLE_TABLE, sz('filter')) +
            nla(A_TABLE_FLOWTABLE, sz('ft')) +
            nla(A_TABLE_REVALIDATE, u8(0))),
        Bad('table-set revalidate 2', CMD_TABLE_SET,
            names + nla(A_TABLE_FLOWTABLE, sz('ft')) +
            nla(A_TABLE_REVALIDATE, u8(2)), {errno.ERANGE}, 'msg'),
        Bad('table-set revalidate as u32', CMD_TABLE_SET,
            names + nla(A_TABLE_FLOWTABLE, sz('ft')) +
            nla(A_TABLE_REVALIDATE, u32(0)), POLICY, 'msg'),
        Bad('table-set flows attribute', CMD_TABLE_SET,
            names + nla(A_TABLE_FLOWTABLE, sz('ft')) +
            nla(A_TABLE_FLOWS, u32(0)), POLICY, 'msg'),
        Bad('table-set as a dump', CMD_TABLE_SET, b'',
            {errno.EOPNOTSUPP}, dump=True),
        Bad('stats-get as a dump', CMD_STATS_GET, b'',
            {errno.EOPNOTSUPP}, dump=True),
        # commands and headers
        Bad('command 0', 0, b'', {errno.EOPNOTSUPP}),
        Bad('command flow-add-ntf', CMD_FLOW_ADD_NTF, b'',
            {errno.EOPNOTSUPP}),
        Bad('command flow-del-ntf', CMD_FLOW_DEL_NTF, b'',
            {errno.EOPNOTSUPP}),
        Bad('command 8', 8, b'', {errno.EOPNOTSUPP}),
        Bad('command 255 as a dump', 255, b'', {errno.EOPNOTSUPP},
            dump=True),
        Bad('genetlink header of 2 bytes', CMD_FLOW_GET, b'',
            {errno.EINVAL}, hdr=b'\1\1'),
        Bad('no genetlink header', CMD_FLOW_GET, b'', {errno.EINVAL},
            hdr=b''),
        Bad('unknown family id', CMD_FLOW_GET, b'', {errno.ENOENT},
            fam=0x7ff0),
    ]
    return c


def random_cases(rng, n):
    """Random attributes, valid or not, then one that no policy of the
    family accepts: the strict parser must refuse every one before any
    handler runs.
    """
    cmds = [(CMD_FLOW_GET, False), (CMD_FLOW_GET, True), (CMD_FLOW_DEL, False),
            (CMD_TABLE_GET, False), (CMD_TABLE_SET, False)]
    out = []
    for i in range(n):
        cmd, dump = rng.choice(cmds)
        attrs = b''
        for _ in range(rng.randrange(4)):
            atype = rng.randrange(1, MAX_REQ_ATTR + 3)
            if rng.random() < 0.2:
                atype |= NLA_F_NESTED
            attrs += nla(atype, rng.randbytes(rng.randrange(0, 24)))
        if rng.random() < 0.5:
            # a type no request policy has, then anything
            last = rng.randrange(MAX_REQ_ATTR + 2, 0x4000)
            attrs += nla(last, rng.randbytes(rng.randrange(0, 40)))
            attrs += rng.randbytes(rng.randrange(0, 16))
        else:
            # truncated: the header claims more than the message holds
            data = rng.randbytes(rng.randrange(0, 8))
            attrs += nla_raw(4 + len(data) + rng.randrange(1, 64),
                             rng.randrange(0, 0x10000), data)
        out.append(Bad('random %d (cmd %d%s, %d bytes)' %
                       (i, cmd, ' dump' if dump else '', len(attrs)),
                       cmd, attrs, None, None, dump=dump))
    return out


def random_valid(rng, i):
    """A well-formed read-only request with random values."""
    fams = ['inet', 'ip', 'ip6', 'bridge', 'netdev', 'bogus', '']
    kind = rng.randrange(3)
    if kind == 0:
        return ('flow-get ct-id %d' % i, CMD_FLOW_GET,
                nla(A_FLOW_CT_ID, u32(rng.getrandbits(32))), False)
    if kind == 1:
        return ('table-get random names %d' % i, CMD_TABLE_GET,
                nla(A_TABLE_TABLE_FAMILY, sz(rng.choice(fams))) +
                nla(A_TABLE_TABLE, sz('t%d' % rng.randrange(100))) +
                nla(A_TABLE_FLOWTABLE, sz(rng.choice(['ft', '', 'x' * 255]))),
                False)
    attrs = b''
    if rng.random() < 0.5:
        attrs += nla(A_FLOW_TABLE_FAMILY, sz(rng.choice(fams)))
    if rng.random() < 0.3:
        attrs += nla(A_FLOW_TABLE, sz(rng.choice(['filter', 'x', ''])))
    if rng.random() < 0.5:
        attrs += nla(A_FLOW_FILTER_SRC,
                     rng.choice([NOWHERE4, NOWHERE6]))
    if rng.random() < 0.3:
        attrs += nla(A_FLOW_FILTER_DST, rng.randbytes(rng.choice([4, 16])))
    if rng.random() < 0.5:
        attrs += nla(A_FLOW_FILTER_L4PROTO, u8(rng.choice([6, 17, 0, 255])))
    if rng.random() < 0.5:
        attrs += nla(A_FLOW_FILTER_SPORT, be16(rng.randrange(0x10000)))
    if rng.random() < 0.5:
        attrs += nla(A_FLOW_FILTER_DPORT, be16(rng.randrange(0x10000)))
    if rng.random() < 0.5:
        attrs += nla(A_FLOW_FILTER_WHERE, u8(rng.randrange(2)))
    return ('flow dump random filter %d' % i, CMD_FLOW_GET, attrs, True)


def fuzz(args):
    seed, nrandom, src = 1, 20, None
    while args:
        opt = args.pop(0)
        if opt == '--seed':
            seed = int(args.pop(0))
        elif opt == '--random':
            nrandom = int(args.pop(0))
        elif opt == '--src':
            src = ipaddress.ip_address(args.pop(0)).packed
        else:
            print('unknown option %s' % opt, file=sys.stderr)
            return 2
    rng = random.Random(seed)
    nl = Genl()
    fid, _ = resolve(nl)
    if fid is None:
        print('FAIL family %s not found' % FAMILY.decode())
        return 2

    total = failed = 0
    errs = {}
    try:
        for c in named_cases() + random_cases(rng, nrandom):
            total += 1
            err, ext, _ = nl.request(c.fam or fid, c.cmd, c.attrs,
                                     NLM_F_DUMP if c.dump else 0, c.hdr,
                                     c.length)
            why = None
            if err >= 0:
                why = 'no error'
            elif c.expect and -err not in c.expect:
                why = 'expected %s' % '|'.join(
                    sorted(errno.errorcode[e] for e in c.expect))
            elif c.ext == 'msg' and NLMSGERR_ATTR_MSG not in ext:
                why = 'no extack message'
            elif c.ext == 'any' and NLMSGERR_ATTR_MSG not in ext and \
                    NLMSGERR_ATTR_MISS_TYPE not in ext:
                why = 'no extack message or missing-attribute type'
            errs[errname(err)] = errs.get(errname(err), 0) + 1
            if why:
                failed += 1
            print('%s %s: %s, %s%s' % ('FAIL' if why else 'ok', c.name,
                                      errname(err), ext_text(ext),
                                      ' (%s)' % why if why else ''))

        # Well-formed read-only requests with random values: any answer.
        answered = 0
        for i in range(nrandom):
            name, cmd, attrs, dump = random_valid(rng, i)
            total += 1
            err, ext, rep = nl.request(fid, cmd, attrs,
                                       NLM_F_DUMP if dump else 0)
            answered += 1
            print('ok %s: %s, %d replies, %s' % (name, errname(err),
                                                len(rep), ext_text(ext)))

        # Positive controls: the same socket still works.
        controls = [('stats-get', CMD_STATS_GET, b'', False),
                    ('flow dump', CMD_FLOW_GET, b'', True),
                    ('table dump', CMD_TABLE_GET, b'', True)]
        if src:
            controls.append(('flow dump filter-src %s' %
                             ipaddress.ip_address(src), CMD_FLOW_GET,
                             nla(A_FLOW_FILTER_SRC, src), True))
        for name, cmd, attrs, dump in controls:
            total += 1
            err, ext, rep = nl.request(fid, cmd, attrs,
                                       NLM_F_DUMP if dump else 0)
            ok = err == 0 and len(rep) > 0
            if not ok:
                failed += 1
            print('%s control %s: %s, %d replies, %s' % (
                'ok' if ok else 'FAIL', name, errname(err), len(rep),
                ext_text(ext)))
    except Broken as e:
        print('FAIL socket broke after %d requests: %s' % (total, e))
        return 2

    print('summary: %d requests (%d named and random malformed, %d '
          'random well-formed, %d controls), %d failed; errors: %s; seed %d'
          % (total, len(named_cases()) + nrandom, nrandom, len(controls),
             failed, ' '.join('%s=%d' % kv for kv in sorted(errs.items())),
             seed))
    return 1 if failed else 0


def mcgrp():
    fid, groups = resolve(Genl())
    if fid is None or 'flows' not in groups:
        return 2
    print(groups['flows'])
    return 0


def main():
    if len(sys.argv) < 2:
        print(__doc__ or 'usage: fuzz [...] | mcgrp', file=sys.stderr)
        return 2
    if sys.argv[1] == 'fuzz':
        return fuzz(sys.argv[2:])
    if sys.argv[1] == 'mcgrp':
        return mcgrp()
    print('unknown command %s' % sys.argv[1], file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main())
