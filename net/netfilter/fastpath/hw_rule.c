// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hardware offload rules: one flow_rule per flow direction, as drivers
 * that implement TC_SETUP_FT take them (see hw.c for when they are pushed
 * and taken out).  Match on the ingress device, addresses, ports and
 * protocol (TCP segments with SYN, FIN or RST excluded); actions rewrite
 * the Ethernet header for the next hop, apply NAT, fix checksums and
 * redirect to the output device.
 *
 * The TTL / hop limit: hardware that forwards routed flows takes one off
 * by itself (the MediaTek PPE does, and refuses any action it does not
 * know, an add among them), and mainline's flowtable never asks for it.
 * A driver whose hardware does not says so when it binds
 * (flow_block_offload.ft_needs_ttl_action); only then do the rules carry
 * the decrement, as an add of 255 to that byte.
 */

#include <linux/netdevice.h>
#include <linux/slab.h>
#include <linux/tc_act/tc_csum.h>
#include <net/flow_offload.h>

#include "fastpath.h"

/* Mask and value of one 32-bit word of a header, as tc pedit takes them:
 * the word becomes (word & mask) ^ val, both in packet byte order.
 */
#define NF_FP_HW_MASK(be)	(~(__force u32)(be))
#define NF_FP_HW_VAL(be)	((__force u32)(be))

/* Match keys of one direction, laid out for a flow_dissector. */
struct nf_fp_hw_keys {
	struct flow_dissector_key_meta		meta;
	struct flow_dissector_key_control	control;
	struct flow_dissector_key_basic		basic;
	union {
		struct flow_dissector_key_ipv4_addrs	ipv4;
		struct flow_dissector_key_ipv6_addrs	ipv6;
	};
	struct flow_dissector_key_ports		ports;
	struct flow_dissector_key_tcp		tcp;
};

struct nf_fp_hw_match {
	struct flow_dissector	dissector;
	struct nf_fp_hw_keys	key;
	struct nf_fp_hw_keys	mask;
};

/* Ethernet (3 words), addresses (up to 8), ports (2), hop count, checksum
 * and redirect: 16 with IPv6 and full NAT.  nf_fp_hw_action() refuses to
 * go past it.
 */
#define NF_FP_HW_MAX_ACTIONS	16

static void nf_fp_hw_use_key(struct nf_fp_hw_match *m,
			     enum flow_dissector_key_id id, size_t offset)
{
	m->dissector.used_keys |= BIT_ULL(id);
	m->dissector.offset[id] = offset;
}

static void nf_fp_hw_build_match(struct nf_fp_hw_match *m,
				 const struct nf_fp_key *k)
{
	struct nf_fp_hw_keys *key = &m->key, *mask = &m->mask;

	nf_fp_hw_use_key(m, FLOW_DISSECTOR_KEY_META,
			 offsetof(struct nf_fp_hw_keys, meta));
	key->meta.ingress_ifindex = k->iif;
	mask->meta.ingress_ifindex = 0xffffffff;

	nf_fp_hw_use_key(m, FLOW_DISSECTOR_KEY_CONTROL,
			 offsetof(struct nf_fp_hw_keys, control));
	nf_fp_hw_use_key(m, FLOW_DISSECTOR_KEY_BASIC,
			 offsetof(struct nf_fp_hw_keys, basic));
	key->basic.ip_proto = k->l4proto;
	mask->basic.ip_proto = 0xff;
	mask->basic.n_proto = htons(0xffff);

	if (k->l3proto == NFPROTO_IPV4) {
		nf_fp_hw_use_key(m, FLOW_DISSECTOR_KEY_IPV4_ADDRS,
				 offsetof(struct nf_fp_hw_keys, ipv4));
		key->control.addr_type = FLOW_DISSECTOR_KEY_IPV4_ADDRS;
		key->basic.n_proto = htons(ETH_P_IP);
		key->ipv4.src = k->saddr.ip;
		key->ipv4.dst = k->daddr.ip;
		mask->ipv4.src = htonl(0xffffffff);
		mask->ipv4.dst = htonl(0xffffffff);
	} else {
		nf_fp_hw_use_key(m, FLOW_DISSECTOR_KEY_IPV6_ADDRS,
				 offsetof(struct nf_fp_hw_keys, ipv6));
		key->control.addr_type = FLOW_DISSECTOR_KEY_IPV6_ADDRS;
		key->basic.n_proto = htons(ETH_P_IPV6);
		key->ipv6.src = k->saddr.in6;
		key->ipv6.dst = k->daddr.in6;
		memset(&mask->ipv6, 0xff, sizeof(mask->ipv6));
	}
	mask->control.addr_type = 0xffff;

	nf_fp_hw_use_key(m, FLOW_DISSECTOR_KEY_PORTS,
			 offsetof(struct nf_fp_hw_keys, ports));
	key->ports.src = k->sport;
	key->ports.dst = k->dport;
	mask->ports.src = htons(0xffff);
	mask->ports.dst = htons(0xffff);

	/* Segments that open or close the connection must reach conntrack,
	 * as they do in software: match only those without SYN, FIN, RST.
	 */
	if (k->l4proto == IPPROTO_TCP) {
		nf_fp_hw_use_key(m, FLOW_DISSECTOR_KEY_TCP,
				 offsetof(struct nf_fp_hw_keys, tcp));
		key->tcp.flags = 0;
		mask->tcp.flags = htons(0x0007);
	}
}

/* The next free action of @rule, as an action @id, or NULL when all are
 * used: the rule is then refused rather than written past its end.
 */
static struct flow_action_entry *nf_fp_hw_action(struct flow_rule *rule,
						 enum flow_action_id id)
{
	struct flow_action_entry *a;

	if (rule->action.num_entries >= NF_FP_HW_MAX_ACTIONS)
		return NULL;
	a = &rule->action.entries[rule->action.num_entries++];
	a->id = id;
	return a;
}

static int nf_fp_hw_mangle(struct flow_rule *rule, enum flow_action_id id,
			   enum flow_action_mangle_base htype, u32 offset,
			   u32 mask, u32 val)
{
	struct flow_action_entry *a = nf_fp_hw_action(rule, id);

	if (!a)
		return -E2BIG;
	a->mangle.htype = htype;
	a->mangle.offset = offset;
	a->mangle.mask = mask;
	a->mangle.val = val;
	return 0;
}

/* Rewrite the Ethernet header: @dst, then @src, over three words. */
static int nf_fp_hw_eth(struct flow_rule *rule, const u8 *dst, const u8 *src)
{
	enum flow_action_mangle_base eth = FLOW_ACT_MANGLE_HDR_TYPE_ETH;
	u8 w[12];
	u32 v;
	int i, err = 0;

	memcpy(w, dst, ETH_ALEN);
	memcpy(w + ETH_ALEN, src, ETH_ALEN);
	for (i = 0; i < 3 && !err; i++) {
		memcpy(&v, w + 4 * i, 4);
		err = nf_fp_hw_mangle(rule, FLOW_ACTION_MANGLE, eth, 4 * i, 0, v);
	}
	return err;
}

static int nf_fp_hw_addr(struct flow_rule *rule, u8 l3proto, bool src,
			 const union nf_inet_addr *addr)
{
	int i, err = 0;

	if (l3proto == NFPROTO_IPV4)
		return nf_fp_hw_mangle(rule, FLOW_ACTION_MANGLE,
				       FLOW_ACT_MANGLE_HDR_TYPE_IP4,
				       src ? offsetof(struct iphdr, saddr) :
					     offsetof(struct iphdr, daddr),
				       0, (__force u32)addr->ip);
	for (i = 0; i < 4 && !err; i++)
		err = nf_fp_hw_mangle(rule, FLOW_ACTION_MANGLE,
				      FLOW_ACT_MANGLE_HDR_TYPE_IP6,
				      (src ? offsetof(struct ipv6hdr, saddr) :
					     offsetof(struct ipv6hdr, daddr)) +
				      4 * i, 0, (__force u32)addr->ip6[i]);
	return err;
}

/* Source port in the first half of the transport header's first word,
 * destination port in the second.
 */
static int nf_fp_hw_port(struct flow_rule *rule, u8 l4proto, bool src,
			 __be16 port)
{
	enum flow_action_mangle_base htype = l4proto == IPPROTO_TCP ?
					     FLOW_ACT_MANGLE_HDR_TYPE_TCP :
					     FLOW_ACT_MANGLE_HDR_TYPE_UDP;
	u32 p = ntohs(port);

	if (src)
		return nf_fp_hw_mangle(rule, FLOW_ACTION_MANGLE, htype, 0,
				       NF_FP_HW_MASK(htonl(0xffff0000)),
				       NF_FP_HW_VAL(htonl(p << 16)));
	return nf_fp_hw_mangle(rule, FLOW_ACTION_MANGLE, htype, 0,
			       NF_FP_HW_MASK(htonl(0x0000ffff)),
			       NF_FP_HW_VAL(htonl(p)));
}

/* Take one off the TTL (IPv4, first byte of the third word) or the hop
 * limit (IPv6, last byte of the second word) by adding 255 to that byte.
 */
static int nf_fp_hw_hop(struct flow_rule *rule, u8 l3proto)
{
	if (l3proto == NFPROTO_IPV4)
		return nf_fp_hw_mangle(rule, FLOW_ACTION_ADD,
				       FLOW_ACT_MANGLE_HDR_TYPE_IP4, 8,
				       NF_FP_HW_MASK(htonl(0xff000000)),
				       NF_FP_HW_VAL(htonl(0xff000000)));
	return nf_fp_hw_mangle(rule, FLOW_ACTION_ADD,
			       FLOW_ACT_MANGLE_HDR_TYPE_IP6, 4,
			       NF_FP_HW_MASK(htonl(0x000000ff)),
			       NF_FP_HW_VAL(htonl(0x000000ff)));
}

/* The NAT of direction @d: its packets leave looking like the reverse of
 * the other direction.
 */
static int nf_fp_hw_nat(struct flow_rule *rule, const struct nf_fp_dir *d,
			const struct nf_fp_key *rev)
{
	const struct nf_fp_key *k = &d->key;
	int err = 0;

	if (d->nat & NF_FP_NAT_SADDR)
		err = nf_fp_hw_addr(rule, k->l3proto, true, &rev->daddr);
	if (!err && d->nat & NF_FP_NAT_DADDR)
		err = nf_fp_hw_addr(rule, k->l3proto, false, &rev->saddr);
	if (!err && d->nat & NF_FP_NAT_SPORT)
		err = nf_fp_hw_port(rule, k->l4proto, true, rev->dport);
	if (!err && d->nat & NF_FP_NAT_DPORT)
		err = nf_fp_hw_port(rule, k->l4proto, false, rev->sport);
	return err;
}

static int nf_fp_hw_csum_redirect(struct flow_rule *rule,
				  const struct nf_fp_key *k,
				  struct net_device *out)
{
	struct flow_action_entry *csum, *redirect;

	csum = nf_fp_hw_action(rule, FLOW_ACTION_CSUM);
	redirect = nf_fp_hw_action(rule, FLOW_ACTION_REDIRECT);
	if (!csum || !redirect)
		return -E2BIG;

	csum->csum_flags = k->l4proto == IPPROTO_TCP ?
			   TCA_CSUM_UPDATE_FLAG_TCP : TCA_CSUM_UPDATE_FLAG_UDP;
	if (k->l3proto == NFPROTO_IPV4)
		csum->csum_flags |= TCA_CSUM_UPDATE_FLAG_IPV4HDR;
	redirect->dev = out;
	return 0;
}

/* Where packets of @d go: the device of its route, held while the rule
 * is built and handed to the driver, and the link-layer address of the
 * next hop.  The route may be replaced meanwhile (route.c): it is only
 * read under RCU.
 */
static struct net_device *nf_fp_hw_out(struct nf_fp_flow *flow,
				       struct nf_fp_dir *d, u8 *ha, int *err)
{
	struct net_device *out = NULL;
	struct dst_entry *dst;

	rcu_read_lock();
	dst = READ_ONCE(d->dst);
	*err = nf_fp_neigh_addr(dst, &flow->dir[!d->dir].key.saddr, ha);
	if (!*err) {
		out = dst->dev;
		dev_hold(out);
	}
	rcu_read_unlock();
	return out;
}

/* The rule that forwards packets of direction @d of @flow: they match
 * @d's key and leave looking like the reverse of the other direction.
 * Free it with nf_fp_hw_rule_free(); *@out, the device it redirects to,
 * is held until then.  NULL with *@err set if the rule cannot be made.
 */
struct flow_rule *nf_fp_hw_rule_build(struct nf_fp_flow *flow,
				      struct nf_fp_dir *d, bool ttl_action,
				      struct net_device **out, int *err)
{
	const struct nf_fp_key *k = &d->key, *rev = &flow->dir[!d->dir].key;
	struct nf_fp_hw_match *m;
	struct flow_rule *rule;
	u8 ha[ETH_ALEN];

	*out = NULL;
	/* The driver contract has no VLAN, bridge or IPsec actions here. */
	if (test_bit(NF_FP_FLOW_STACKED, &flow->flags) ||
	    d->xmit != NF_FP_XMIT_NEIGH) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	*out = nf_fp_hw_out(flow, d, ha, err);
	if (!*out)
		return NULL;
	if ((*out)->netdev_ops->ndo_fill_forward_path) {
		*err = -EOPNOTSUPP;
		goto err_out;
	}

	*err = -ENOMEM;
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		goto err_out;
	rule = flow_rule_alloc(NF_FP_HW_MAX_ACTIONS);
	if (!rule)
		goto err_match;
	rule->action.num_entries = 0;

	nf_fp_hw_build_match(m, k);
	rule->match.dissector = &m->dissector;
	rule->match.key = &m->key;
	rule->match.mask = &m->mask;

	*err = nf_fp_hw_eth(rule, ha, (*out)->dev_addr) ?:
	       nf_fp_hw_nat(rule, d, rev) ?:
	       (ttl_action ? nf_fp_hw_hop(rule, k->l3proto) : 0) ?:
	       nf_fp_hw_csum_redirect(rule, k, *out);
	if (*err)
		goto err_rule;
	return rule;

err_rule:
	kfree(rule);
err_match:
	kfree(m);
err_out:
	dev_put(*out);
	*out = NULL;
	return NULL;
}

void nf_fp_hw_rule_free(struct flow_rule *rule, struct net_device *out)
{
	kfree(container_of(rule->match.dissector, struct nf_fp_hw_match,
			   dissector));
	kfree(rule);
	dev_put(out);
}
