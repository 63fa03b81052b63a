// SPDX-License-Identifier: GPL-2.0
/* Model of a NIC flow table programmed through TC_SETUP_FT.
 *
 * Each netdevsim device owns one bounded table shared by all its ports, the
 * way an ASIC holds one table for all of its ports. A port binds a flow block
 * callback when it is added to a flowtable with "flags offload", and accepts
 * the rules whose ingress port is itself. Received packets that hit an entry
 * are rewritten and sent out of the entry's output port without ever reaching
 * the stack; anything the table cannot handle is left to the stack.
 *
 * ft/profile makes the table take rules as one real driver does:
 *
 *   generic  what any rule builder may ask of a table: exact match on the
 *            ingress port, addresses, ports, protocols and TCP flags;
 *            Ethernet, IPv4, IPv6, TCP and UDP rewrites (set or add);
 *            checksum updates; redirect to a port of the same device.
 *            The hardware does nothing the rule does not say, so it asks
 *            for the TTL decrement as an action.
 *   mtk      the MediaTek PPE (drivers/net/ethernet/mediatek/
 *            mtk_ppe_offload.c): ingress, control, protocol, address and
 *            port keys are required, other keys ignored; rewrites of the
 *            Ethernet header, IPv4 addresses and TCP/UDP ports only (no
 *            IPv6 NAT), no add; checksum actions accepted and ignored.
 *            The PPE decrements the TTL / hop limit and fixes checksums
 *            itself, and sends TCP segments with SYN, FIN or RST to the
 *            CPU whatever the rule says.
 *   mlx5     mlx5 representors (drivers/net/ethernet/mellanox/mlx5/core/
 *            en/rep/tc.c, en_tc.c): chain 0 only; a whitelist of keys;
 *            rewrites and adds limited to the Ethernet addresses, IPv4 and
 *            IPv6 addresses, TTL / hop limit and ports; a checksum action
 *            only after a rewrite; no redirect back to the ingress port;
 *            unknown cookies are -EINVAL.  Like generic, it forwards
 *            without touching the TTL unless the rule says so, and asks.
 *
 * ft/accounting 0 models PPEs without packet counters (MT7621): STATS
 * reports no packets or bytes, only when the entry was last used.
 */

#include <linux/debugfs.h>
#include <linux/etherdevice.h>
#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/jiffies.h>
#include <linux/rculist.h>
#include <linux/seq_file.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/tc_act/tc_csum.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/unaligned.h>
#include <net/checksum.h>
#include <net/flow_offload.h>
#include <net/ip6_checksum.h>
#include <net/netlink.h>

#include "netdevsim.h"

#define NSIM_FT_CAPACITY_DEFAULT	64
#define NSIM_FT_MAX_MANGLES		16

#define NSIM_FT_KEYS	(BIT_ULL(FLOW_DISSECTOR_KEY_META) |		\
			 BIT_ULL(FLOW_DISSECTOR_KEY_CONTROL) |		\
			 BIT_ULL(FLOW_DISSECTOR_KEY_BASIC) |		\
			 BIT_ULL(FLOW_DISSECTOR_KEY_IPV4_ADDRS) |	\
			 BIT_ULL(FLOW_DISSECTOR_KEY_IPV6_ADDRS) |	\
			 BIT_ULL(FLOW_DISSECTOR_KEY_PORTS) |		\
			 BIT_ULL(FLOW_DISSECTOR_KEY_TCP))

/* What the mlx5 flower parser accepts (en_tc.c __parse_cls_flower()). */
#define NSIM_FT_MLX5_KEYS	(NSIM_FT_KEYS |				\
				 BIT_ULL(FLOW_DISSECTOR_KEY_ETH_ADDRS) |	\
				 BIT_ULL(FLOW_DISSECTOR_KEY_VLAN) |		\
				 BIT_ULL(FLOW_DISSECTOR_KEY_CVLAN) |		\
				 BIT_ULL(FLOW_DISSECTOR_KEY_IP) |		\
				 BIT_ULL(FLOW_DISSECTOR_KEY_CT) |		\
				 BIT_ULL(FLOW_DISSECTOR_KEY_ICMP))

/* The keys the MediaTek PPE insists on for a routed flow. */
#define NSIM_FT_MTK_KEYS	(BIT_ULL(FLOW_DISSECTOR_KEY_META) |		\
				 BIT_ULL(FLOW_DISSECTOR_KEY_CONTROL) |		\
				 BIT_ULL(FLOW_DISSECTOR_KEY_BASIC) |		\
				 BIT_ULL(FLOW_DISSECTOR_KEY_PORTS))

#define NSIM_FT_CSUM_FLAGS	(TCA_CSUM_UPDATE_FLAG_IPV4HDR |	\
				 TCA_CSUM_UPDATE_FLAG_TCP |		\
				 TCA_CSUM_UPDATE_FLAG_UDP)

enum nsim_ft_profile {
	NSIM_FT_GENERIC,
	NSIM_FT_MTK,
	NSIM_FT_MLX5,
	NSIM_FT_PROFILE_MAX,
};

static const char * const nsim_ft_profile_names[NSIM_FT_PROFILE_MAX] = {
	[NSIM_FT_GENERIC]	= "generic",
	[NSIM_FT_MTK]		= "mtk",
	[NSIM_FT_MLX5]		= "mlx5",
};

/* Match fields with a mask; an IPv4 address sits in word 0. */
struct nsim_ft_key {
	__be32 src[4];
	__be32 dst[4];
	__be16 sport;
	__be16 dport;
	__be16 tcp_flags;
};

struct nsim_ft_mangle {
	enum flow_action_mangle_base htype;
	u32 offset;
	u32 mask;
	u32 val;
	bool add;
};

struct nsim_ft_entry {
	struct list_head list;
	struct hlist_node cnode;	/* in by_cookie */
	struct hlist_node knode;	/* in by_key, if exact */
	struct list_head wnode;		/* in wild, if not */
	bool exact;
	struct rcu_head rcu;
	unsigned long cookie;
	struct netdevsim *in_ns;
	struct netdevsim *out_ns;
	__be16 n_proto;
	u8 ip_proto;
	struct nsim_ft_key key;	/* already masked */
	struct nsim_ft_key mask;
	unsigned int n_mangles;
	struct nsim_ft_mangle mangles[NSIM_FT_MAX_MANGLES];
	u32 csum_flags;
	bool hw_dec_ttl;	/* the hardware takes one off the TTL itself */

	spinlock_t lock; /* protects the counters below */
	u64 packets;
	u64 bytes;
	u64 reported_packets;
	u64 reported_bytes;
	unsigned long lastused;
};

/* What the receive path extracted from a packet. */
struct nsim_ft_pkt {
	struct nsim_ft_key key;
	unsigned int nhlen;	/* network header length */
	unsigned int hdrlen;	/* network + transport header length */
	unsigned int iplen;	/* IP packet length */
	__be16 n_proto;
	u8 ip_proto;
};

static LIST_HEAD(nsim_ft_block_cb_list);

static struct hlist_head *nsim_ft_bucket(struct nsim_dev_ft *ft,
					 unsigned long cookie)
{
	return &ft->by_cookie[hash_long(cookie, NSIM_FT_HASH_BITS)];
}

static struct nsim_ft_entry *
nsim_ft_find(struct nsim_dev_ft *ft, struct netdevsim *ns, unsigned long cookie)
{
	struct nsim_ft_entry *e;

	hlist_for_each_entry(e, nsim_ft_bucket(ft, cookie), cnode)
		if (e->cookie == cookie && e->in_ns == ns)
			return e;
	return NULL;
}

/* Entries that match addresses and ports exactly (ours all do) are found
 * by a hash of them; the others by a walk of the wild list.
 */
static bool nsim_ft_exact(const struct nsim_ft_entry *e)
{
	int i, n = e->n_proto == htons(ETH_P_IP) ? 1 : 4;

	for (i = 0; i < n; i++)
		if (e->mask.src[i] != htonl(~0U) || e->mask.dst[i] != htonl(~0U))
			return false;
	return e->mask.sport == htons(0xffff) && e->mask.dport == htons(0xffff);
}

static struct hlist_head *nsim_ft_key_bucket(struct nsim_dev_ft *ft,
					     const struct netdevsim *ns,
					     __be16 n_proto, u8 ip_proto,
					     const struct nsim_ft_key *k)
{
	u32 h;

	h = jhash(k, offsetof(struct nsim_ft_key, tcp_flags),
		  hash_ptr(ns, 32) ^ (ip_proto << 16 | (__force u16)n_proto));
	return &ft->by_key[hash_32(h, NSIM_FT_HASH_BITS)];
}

static void nsim_ft_link(struct nsim_dev_ft *ft, struct nsim_ft_entry *e)
{
	e->exact = nsim_ft_exact(e);
	if (e->exact)
		hlist_add_head_rcu(&e->knode,
				   nsim_ft_key_bucket(ft, e->in_ns, e->n_proto,
						      e->ip_proto, &e->key));
	else
		list_add_tail_rcu(&e->wnode, &ft->wild);
	hlist_add_head(&e->cnode, nsim_ft_bucket(ft, e->cookie));
}

static void nsim_ft_unlink_lookup(struct nsim_ft_entry *e)
{
	if (e->exact)
		hlist_del_rcu(&e->knode);
	else
		list_del_rcu(&e->wnode);
	hlist_del(&e->cnode);
}

static void nsim_ft_unlink(struct nsim_dev_ft *ft, struct nsim_ft_entry *e)
{
	list_del_rcu(&e->list);
	nsim_ft_unlink_lookup(e);
	ft->count--;
	kfree_rcu(e, rcu);
}

/* Remove the entries of @ns (all of them when @ns is NULL). With @as_out, also
 * the entries sending to @ns. Returns the number of entries removed.
 */
static unsigned int nsim_ft_flush(struct nsim_dev_ft *ft, struct netdevsim *ns,
				  bool as_out)
{
	struct nsim_ft_entry *e, *tmp;
	unsigned int n = 0;

	mutex_lock(&ft->lock);
	list_for_each_entry_safe(e, tmp, &ft->entries, list) {
		if (ns && e->in_ns != ns && !(as_out && e->out_ns == ns))
			continue;
		nsim_ft_unlink(ft, e);
		n++;
	}
	mutex_unlock(&ft->lock);

	return n;
}

/* The rule is offered to every port bound to the flowtable; a port only takes
 * the rules that match on its own ingress.
 */
static bool nsim_ft_rule_is_ours(struct netdevsim *ns, struct flow_rule *rule)
{
	struct flow_match_meta meta;

	if (!flow_rule_match_key(rule, FLOW_DISSECTOR_KEY_META))
		return false;
	flow_rule_match_meta(rule, &meta);

	return (u32)meta.mask->ingress_ifindex == U32_MAX &&
	       meta.key->ingress_ifindex == ns->netdev->ifindex;
}

static void nsim_ft_key_and(struct nsim_ft_key *key,
			    const struct nsim_ft_key *mask)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(key->src); i++) {
		key->src[i] &= mask->src[i];
		key->dst[i] &= mask->dst[i];
	}
	key->sport &= mask->sport;
	key->dport &= mask->dport;
	key->tcp_flags &= mask->tcp_flags;
}

/* The keys a profile takes, before the model looks at their values. */
static int nsim_ft_check_keys(struct flow_rule *rule, u32 profile,
			      struct netlink_ext_ack *extack)
{
	u64 keys = rule->match.dissector->used_keys;
	struct flow_match_control control;
	u32 flags_ok = 0;

	switch (profile) {
	case NSIM_FT_MTK:
		if ((keys & NSIM_FT_MTK_KEYS) != NSIM_FT_MTK_KEYS) {
			NL_SET_ERR_MSG_MOD(extack, "Missing a required match key");
			return -EOPNOTSUPP;
		}
		break;
	case NSIM_FT_MLX5:
		if (keys & ~NSIM_FT_MLX5_KEYS) {
			NL_SET_ERR_MSG_MOD(extack, "Unsupported match key");
			return -EOPNOTSUPP;
		}
		if (keys & ~NSIM_FT_KEYS) {
			NL_SET_ERR_MSG_MOD(extack, "Match key not modelled");
			return -EOPNOTSUPP;
		}
		flags_ok = FLOW_DIS_IS_FRAGMENT;
		break;
	default:
		if (keys & ~NSIM_FT_KEYS) {
			NL_SET_ERR_MSG_MOD(extack, "Unsupported match key");
			return -EOPNOTSUPP;
		}
		return 0;
	}

	if (!flow_rule_match_key(rule, FLOW_DISSECTOR_KEY_CONTROL))
		return 0;
	flow_rule_match_control(rule, &control);
	if (control.mask->flags & ~flags_ok) {
		NL_SET_ERR_MSG_MOD(extack, "Unsupported match on control flags");
		return -EOPNOTSUPP;
	}
	if (profile == NSIM_FT_MTK &&
	    control.key->addr_type != FLOW_DISSECTOR_KEY_IPV4_ADDRS &&
	    control.key->addr_type != FLOW_DISSECTOR_KEY_IPV6_ADDRS) {
		NL_SET_ERR_MSG_MOD(extack, "Only routed IPv4 and IPv6 flows are modelled");
		return -EOPNOTSUPP;
	}
	return 0;
}

static int nsim_ft_parse_match(struct flow_rule *rule, struct nsim_ft_entry *e,
			       u32 profile, struct netlink_ext_ack *extack)
{
	struct flow_match_basic basic;
	int err;

	err = nsim_ft_check_keys(rule, profile, extack);
	if (err)
		return err;
	if (!flow_rule_match_key(rule, FLOW_DISSECTOR_KEY_BASIC)) {
		NL_SET_ERR_MSG_MOD(extack, "Match on the protocols is required");
		return -EOPNOTSUPP;
	}
	flow_rule_match_basic(rule, &basic);
	if (basic.mask->n_proto != htons(0xffff) ||
	    basic.mask->ip_proto != 0xff) {
		NL_SET_ERR_MSG_MOD(extack, "Protocols must be matched exactly");
		return -EOPNOTSUPP;
	}
	e->n_proto = basic.key->n_proto;
	e->ip_proto = basic.key->ip_proto;
	if (e->n_proto != htons(ETH_P_IP) && e->n_proto != htons(ETH_P_IPV6)) {
		NL_SET_ERR_MSG_MOD(extack, "Only IPv4 and IPv6 are supported");
		return -EOPNOTSUPP;
	}
	if (e->ip_proto != IPPROTO_TCP && e->ip_proto != IPPROTO_UDP) {
		NL_SET_ERR_MSG_MOD(extack, "Only TCP and UDP are supported");
		return -EOPNOTSUPP;
	}

	if (flow_rule_match_key(rule, FLOW_DISSECTOR_KEY_IPV4_ADDRS)) {
		struct flow_match_ipv4_addrs addrs;

		if (e->n_proto != htons(ETH_P_IP)) {
			NL_SET_ERR_MSG_MOD(extack, "IPv4 addresses in a non-IPv4 rule");
			return -EOPNOTSUPP;
		}
		flow_rule_match_ipv4_addrs(rule, &addrs);
		e->key.src[0] = addrs.key->src;
		e->key.dst[0] = addrs.key->dst;
		e->mask.src[0] = addrs.mask->src;
		e->mask.dst[0] = addrs.mask->dst;
	}
	if (flow_rule_match_key(rule, FLOW_DISSECTOR_KEY_IPV6_ADDRS)) {
		struct flow_match_ipv6_addrs addrs;

		if (e->n_proto != htons(ETH_P_IPV6)) {
			NL_SET_ERR_MSG_MOD(extack, "IPv6 addresses in a non-IPv6 rule");
			return -EOPNOTSUPP;
		}
		flow_rule_match_ipv6_addrs(rule, &addrs);
		memcpy(e->key.src, &addrs.key->src, sizeof(e->key.src));
		memcpy(e->key.dst, &addrs.key->dst, sizeof(e->key.dst));
		memcpy(e->mask.src, &addrs.mask->src, sizeof(e->mask.src));
		memcpy(e->mask.dst, &addrs.mask->dst, sizeof(e->mask.dst));
	}
	if (flow_rule_match_key(rule, FLOW_DISSECTOR_KEY_PORTS)) {
		struct flow_match_ports ports;

		flow_rule_match_ports(rule, &ports);
		e->key.sport = ports.key->src;
		e->key.dport = ports.key->dst;
		e->mask.sport = ports.mask->src;
		e->mask.dport = ports.mask->dst;
	}
	if (flow_rule_match_key(rule, FLOW_DISSECTOR_KEY_TCP)) {
		struct flow_match_tcp tcp;

		if (e->ip_proto != IPPROTO_TCP) {
			NL_SET_ERR_MSG_MOD(extack, "TCP flags in a non-TCP rule");
			return -EOPNOTSUPP;
		}
		flow_rule_match_tcp(rule, &tcp);
		e->key.tcp_flags = tcp.key->flags;
		e->mask.tcp_flags = tcp.mask->flags;
	}
	/* The PPE ignores a TCP key, and leaves SYN, FIN and RST to the CPU. */
	if (profile == NSIM_FT_MTK && e->ip_proto == IPPROTO_TCP) {
		e->key.tcp_flags = 0;
		e->mask.tcp_flags = htons(0x0007);
	}
	nsim_ft_key_and(&e->key, &e->mask);

	return 0;
}

/* Size of the header a rewrite of this kind may touch, 0 if not allowed. */
static unsigned int nsim_ft_mangle_room(const struct nsim_ft_entry *e,
					enum flow_action_mangle_base htype)
{
	switch (htype) {
	case FLOW_ACT_MANGLE_HDR_TYPE_ETH:
		return ETH_HLEN;
	case FLOW_ACT_MANGLE_HDR_TYPE_IP4:
		return e->n_proto == htons(ETH_P_IP) ? sizeof(struct iphdr) : 0;
	case FLOW_ACT_MANGLE_HDR_TYPE_IP6:
		return e->n_proto == htons(ETH_P_IPV6) ?
		       sizeof(struct ipv6hdr) : 0;
	case FLOW_ACT_MANGLE_HDR_TYPE_TCP:
		return e->ip_proto == IPPROTO_TCP ? sizeof(struct tcphdr) : 0;
	case FLOW_ACT_MANGLE_HDR_TYPE_UDP:
		return e->ip_proto == IPPROTO_UDP ? sizeof(struct udphdr) : 0;
	default:
		return 0;
	}
}

/* Bits of the 32-bit word at @offset of a header of type @htype that mlx5
 * can rewrite (en_tc.c's field table): Ethernet addresses and type, DSCP,
 * TTL / hop limit, IP addresses, ports.  In host order.
 */
static u32 nsim_ft_mlx5_writable(enum flow_action_mangle_base htype,
				 u32 offset)
{
	switch (htype) {
	case FLOW_ACT_MANGLE_HDR_TYPE_ETH:
		return offset < 12 ? 0xffffffff : offset == 12 ? 0xffff0000 : 0;
	case FLOW_ACT_MANGLE_HDR_TYPE_IP4:
		switch (offset) {
		case 0:
			return 0x00fc0000;	/* DSCP */
		case 8:
			return 0xff000000;	/* TTL */
		case 12:
		case 16:
			return 0xffffffff;	/* addresses */
		}
		return 0;
	case FLOW_ACT_MANGLE_HDR_TYPE_IP6:
		if (offset == 0)
			return 0x0fc00000;	/* DSCP */
		if (offset == 4)
			return 0x000000ff;	/* hop limit */
		return offset >= 8 && offset < 40 ? 0xffffffff : 0;
	case FLOW_ACT_MANGLE_HDR_TYPE_TCP:
	case FLOW_ACT_MANGLE_HDR_TYPE_UDP:
		return offset == 0 ? 0xffffffff : 0;	/* ports */
	default:
		return 0;
	}
}

/* Whether the profile's driver takes this rewrite; 0 or its error. */
static int nsim_ft_check_mangle(const struct flow_action_entry *act,
				u32 profile, struct netlink_ext_ack *extack)
{
	u32 offset = act->mangle.offset;
	u32 touched;

	switch (profile) {
	case NSIM_FT_MTK:
		if (act->id == FLOW_ACTION_ADD) {
			NL_SET_ERR_MSG_MOD(extack, "Unsupported action");
			return -EOPNOTSUPP;
		}
		switch (act->mangle.htype) {
		case FLOW_ACT_MANGLE_HDR_TYPE_ETH:
			return 0;
		case FLOW_ACT_MANGLE_HDR_TYPE_IP4:
			if (offset == 12 || offset == 16)
				return 0;
			NL_SET_ERR_MSG_MOD(extack, "Only IPv4 addresses can be rewritten");
			return -EINVAL;
		case FLOW_ACT_MANGLE_HDR_TYPE_TCP:
		case FLOW_ACT_MANGLE_HDR_TYPE_UDP:
			if (offset == 0 || offset == 2)
				return 0;
			NL_SET_ERR_MSG_MOD(extack, "Only ports can be rewritten");
			return -EINVAL;
		default:
			NL_SET_ERR_MSG_MOD(extack, "Unsupported header rewrite");
			return -EOPNOTSUPP;
		}
	case NSIM_FT_MLX5:
		touched = ~be32_to_cpu((__force __be32)act->mangle.mask);
		if (touched & ~nsim_ft_mlx5_writable(act->mangle.htype, offset)) {
			NL_SET_ERR_MSG_MOD(extack, "Rewrite of a field that cannot be rewritten");
			return -EOPNOTSUPP;
		}
		return 0;
	default:
		return 0;
	}
}

static int nsim_ft_parse_actions(struct netdevsim *ns, struct flow_rule *rule,
				 struct nsim_ft_entry *e, u32 profile,
				 struct netlink_ext_ack *extack)
{
	const struct flow_action_entry *act;
	struct nsim_ft_mangle *m;
	unsigned int room;
	int i, err;

	flow_action_for_each(i, act, &rule->action) {
		if (e->out_ns) {
			NL_SET_ERR_MSG_MOD(extack, "Actions after redirect are not supported");
			return -EOPNOTSUPP;
		}
		switch (act->id) {
		case FLOW_ACTION_MANGLE:
		case FLOW_ACTION_ADD:
			err = nsim_ft_check_mangle(act, profile, extack);
			if (err)
				return err;
			room = nsim_ft_mangle_room(e, act->mangle.htype);
			if (!room || act->mangle.offset % 4 ||
			    act->mangle.offset + 4 > room) {
				NL_SET_ERR_MSG_MOD(extack, "Unsupported header rewrite");
				return -EOPNOTSUPP;
			}
			if (e->n_mangles == NSIM_FT_MAX_MANGLES) {
				NL_SET_ERR_MSG_MOD(extack, "Too many header rewrites");
				return -EOPNOTSUPP;
			}
			m = &e->mangles[e->n_mangles++];
			m->htype = act->mangle.htype;
			m->offset = act->mangle.offset;
			m->mask = act->mangle.mask;
			m->val = act->mangle.val;
			m->add = act->id == FLOW_ACTION_ADD;
			break;
		case FLOW_ACTION_CSUM:
			if (profile == NSIM_FT_MTK)
				break;	/* the PPE fixes checksums anyway */
			if (act->csum_flags & ~NSIM_FT_CSUM_FLAGS) {
				NL_SET_ERR_MSG_MOD(extack, "Unsupported checksum update");
				return -EOPNOTSUPP;
			}
			if (profile == NSIM_FT_MLX5 && !e->n_mangles) {
				NL_SET_ERR_MSG_MOD(extack, "Checksum update without a rewrite");
				return -EOPNOTSUPP;
			}
			e->csum_flags |= act->csum_flags;
			break;
		case FLOW_ACTION_REDIRECT:
			if (!act->dev || !netdev_is_nsim(act->dev)) {
				NL_SET_ERR_MSG_MOD(extack, "Redirect to a foreign device");
				return -EOPNOTSUPP;
			}
			e->out_ns = netdev_priv(act->dev);
			if (e->out_ns->nsim_dev != ns->nsim_dev) {
				NL_SET_ERR_MSG_MOD(extack, "Redirect to a port of another device");
				return -EOPNOTSUPP;
			}
			if (profile == NSIM_FT_MLX5 && e->out_ns == ns) {
				NL_SET_ERR_MSG_MOD(extack, "Redirect back to the ingress port");
				return -EOPNOTSUPP;
			}
			break;
		default:
			NL_SET_ERR_MSG_MOD(extack, "Unsupported action");
			return -EOPNOTSUPP;
		}
	}
	if (!e->out_ns) {
		NL_SET_ERR_MSG_MOD(extack, "A redirect action is required");
		return -EOPNOTSUPP;
	}
	if (profile == NSIM_FT_MTK) {
		e->hw_dec_ttl = true;
		e->csum_flags = NSIM_FT_CSUM_FLAGS;
	}

	return 0;
}

static int nsim_ft_replace(struct netdevsim *ns, struct flow_cls_offload *cls)
{
	struct flow_rule *rule = flow_cls_offload_flow_rule(cls);
	struct netlink_ext_ack *extack = cls->common.extack;
	struct nsim_dev_ft *ft = &ns->nsim_dev->ft;
	u32 profile = READ_ONCE(ft->profile);
	struct nsim_ft_entry *e, *old;
	int err;

	if (!nsim_ft_rule_is_ours(ns, rule))
		return -EOPNOTSUPP;
	if (profile == NSIM_FT_MLX5 && cls->common.chain_index) {
		NL_SET_ERR_MSG_MOD(extack, "Only chain 0 is supported");
		return -EOPNOTSUPP;
	}

	if (READ_ONCE(ft->fail_add)) {
		NL_SET_ERR_MSG_MOD(extack, "Injected flow table add failure");
		return -EIO;
	}

	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	spin_lock_init(&e->lock);
	e->cookie = cls->cookie;
	e->in_ns = ns;
	e->lastused = jiffies;

	err = nsim_ft_parse_match(rule, e, profile, extack);
	if (err)
		goto err_free;
	err = nsim_ft_parse_actions(ns, rule, e, profile, extack);
	if (err)
		goto err_free;

	mutex_lock(&ft->lock);
	old = nsim_ft_find(ft, ns, e->cookie);
	if (old) {
		/* Keep the counters so that no traffic is lost for STATS. */
		spin_lock_bh(&old->lock);
		e->packets = old->packets;
		e->bytes = old->bytes;
		e->reported_packets = old->reported_packets;
		e->reported_bytes = old->reported_bytes;
		e->lastused = old->lastused;
		spin_unlock_bh(&old->lock);
		list_replace_rcu(&old->list, &e->list);
		nsim_ft_unlink_lookup(old);
		nsim_ft_link(ft, e);
		kfree_rcu(old, rcu);
	} else if (ft->count >= READ_ONCE(ft->capacity)) {
		mutex_unlock(&ft->lock);
		NL_SET_ERR_MSG_MOD(extack, "Flow table is full");
		err = -ENOSPC;
		goto err_free;
	} else {
		list_add_tail_rcu(&e->list, &ft->entries);
		nsim_ft_link(ft, e);
		ft->count++;
	}
	mutex_unlock(&ft->lock);

	return 0;

err_free:
	kfree(e);
	return err;
}

/* DESTROY or STATS for a cookie the table does not hold. */
static int nsim_ft_no_entry(const struct nsim_dev_ft *ft)
{
	return READ_ONCE(ft->profile) == NSIM_FT_MLX5 ? -EINVAL : -ENOENT;
}

static int nsim_ft_destroy(struct netdevsim *ns, struct flow_cls_offload *cls)
{
	struct nsim_dev_ft *ft = &ns->nsim_dev->ft;
	struct nsim_ft_entry *e;
	int err = 0;

	mutex_lock(&ft->lock);
	e = nsim_ft_find(ft, ns, cls->cookie);
	if (e)
		nsim_ft_unlink(ft, e);
	else
		err = nsim_ft_no_entry(ft);
	mutex_unlock(&ft->lock);

	return err;
}

static int nsim_ft_stats(struct netdevsim *ns, struct flow_cls_offload *cls)
{
	struct nsim_dev_ft *ft = &ns->nsim_dev->ft;
	unsigned long lastused;
	struct nsim_ft_entry *e;
	u64 packets, bytes;

	if (READ_ONCE(ft->fail_stats)) {
		NL_SET_ERR_MSG_MOD(cls->common.extack,
				   "Injected flow table stats failure");
		return -EIO;
	}

	mutex_lock(&ft->lock);
	e = nsim_ft_find(ft, ns, cls->cookie);
	if (!e) {
		mutex_unlock(&ft->lock);
		return nsim_ft_no_entry(ft);
	}
	spin_lock_bh(&e->lock);
	packets = e->packets - e->reported_packets;
	bytes = e->bytes - e->reported_bytes;
	if (!READ_ONCE(ft->accounting)) {
		packets = 0;
		bytes = 0;
	}
	e->reported_packets = e->packets;
	e->reported_bytes = e->bytes;
	lastused = e->lastused;
	spin_unlock_bh(&e->lock);
	mutex_unlock(&ft->lock);

	flow_stats_update(&cls->stats, bytes, packets, 0, lastused,
			  FLOW_ACTION_HW_STATS_DELAYED);

	return 0;
}

static int nsim_ft_block_cb(enum tc_setup_type type, void *type_data,
			    void *cb_priv)
{
	struct flow_cls_offload *cls = type_data;
	struct netdevsim *ns = cb_priv;

	if (type != TC_SETUP_CLSFLOWER)
		return -EOPNOTSUPP;

	switch (cls->command) {
	case FLOW_CLS_REPLACE:
		return nsim_ft_replace(ns, cls);
	case FLOW_CLS_DESTROY:
		return nsim_ft_destroy(ns, cls);
	case FLOW_CLS_STATS:
		return nsim_ft_stats(ns, cls);
	default:
		return -EOPNOTSUPP;
	}
}

int nsim_ft_setup_tc(struct netdevsim *ns, struct flow_block_offload *f)
{
	struct nsim_dev_ft *ft = &ns->nsim_dev->ft;
	int err;

	/* The profile stays as it is while a port is bound. */
	mutex_lock(&ft->lock);
	err = flow_block_cb_setup_simple(f, &nsim_ft_block_cb_list,
					 nsim_ft_block_cb, ns, ns, true);
	if (!err && f->command == FLOW_BLOCK_BIND) {
		ft->bound++;
		/* Only the PPE takes one off the TTL on its own. */
		f->ft_needs_ttl_action = ft->profile != NSIM_FT_MTK;
	} else if (!err && f->command == FLOW_BLOCK_UNBIND) {
		ft->bound--;
	}
	mutex_unlock(&ft->lock);
	/* Once unbound, DESTROY for this port's rules can no longer arrive. */
	if (!err && f->command == FLOW_BLOCK_UNBIND)
		nsim_ft_flush(ft, ns, false);

	return err;
}

/* Extract the match fields of a plain IPv4/IPv6 TCP/UDP packet; skb->data is
 * at the network header. Returns false for what the table does not handle.
 */
static bool nsim_ft_parse_pkt(struct sk_buff *skb, struct nsim_ft_pkt *p)
{
	const struct ipv6hdr *ip6h;
	const struct iphdr *iph;
	const struct tcphdr *th;
	const struct udphdr *uh;

	memset(p, 0, sizeof(*p));
	p->n_proto = skb->protocol;

	switch (skb->protocol) {
	case htons(ETH_P_IP):
		if (!pskb_may_pull(skb, sizeof(*iph)))
			return false;
		iph = (const struct iphdr *)skb->data;
		if (iph->version != 4 || iph->ihl != 5 || iph->ttl <= 1 ||
		    ip_is_fragment(iph))
			return false;
		p->nhlen = sizeof(*iph);
		p->iplen = ntohs(iph->tot_len);
		p->ip_proto = iph->protocol;
		break;
	case htons(ETH_P_IPV6):
		if (!pskb_may_pull(skb, sizeof(*ip6h)))
			return false;
		ip6h = (const struct ipv6hdr *)skb->data;
		if (ip6h->version != 6 || ip6h->hop_limit <= 1 ||
		    !ip6h->payload_len)
			return false;
		p->nhlen = sizeof(*ip6h);
		p->iplen = ntohs(ip6h->payload_len) + sizeof(*ip6h);
		p->ip_proto = ip6h->nexthdr;
		break;
	default:
		return false;
	}
	if (p->iplen != skb->len)
		return false;

	switch (p->ip_proto) {
	case IPPROTO_TCP:
		if (!pskb_may_pull(skb, p->nhlen + sizeof(*th)))
			return false;
		th = (const struct tcphdr *)(skb->data + p->nhlen);
		if (th->doff < 5)
			return false;
		p->hdrlen = p->nhlen + th->doff * 4;
		p->key.sport = th->source;
		p->key.dport = th->dest;
		p->key.tcp_flags = *(__be16 *)&tcp_flag_word(th) &
				   htons(0x0FFF);
		break;
	case IPPROTO_UDP:
		if (!pskb_may_pull(skb, p->nhlen + sizeof(*uh)))
			return false;
		uh = (const struct udphdr *)(skb->data + p->nhlen);
		p->hdrlen = p->nhlen + sizeof(*uh);
		p->key.sport = uh->source;
		p->key.dport = uh->dest;
		break;
	default:
		return false;
	}
	if (p->hdrlen > p->iplen)
		return false;

	/* The pulls may have moved the headers. */
	if (p->n_proto == htons(ETH_P_IP)) {
		iph = (const struct iphdr *)skb->data;
		p->key.src[0] = iph->saddr;
		p->key.dst[0] = iph->daddr;
	} else {
		ip6h = (const struct ipv6hdr *)skb->data;
		memcpy(p->key.src, &ip6h->saddr, sizeof(p->key.src));
		memcpy(p->key.dst, &ip6h->daddr, sizeof(p->key.dst));
	}

	return true;
}

static bool nsim_ft_key_match(const struct nsim_ft_entry *e,
			      const struct nsim_ft_key *pkt)
{
	const struct nsim_ft_key *mask = &e->mask;
	const struct nsim_ft_key *key = &e->key;
	int i;

	for (i = 0; i < ARRAY_SIZE(key->src); i++)
		if ((pkt->src[i] & mask->src[i]) != key->src[i] ||
		    (pkt->dst[i] & mask->dst[i]) != key->dst[i])
			return false;

	return (pkt->sport & mask->sport) == key->sport &&
	       (pkt->dport & mask->dport) == key->dport &&
	       (pkt->tcp_flags & mask->tcp_flags) == key->tcp_flags;
}

static struct nsim_ft_entry *nsim_ft_lookup(struct nsim_dev_ft *ft,
					    struct netdevsim *ns,
					    const struct nsim_ft_pkt *p)
{
	struct hlist_head *head;
	struct nsim_ft_entry *e;

	head = nsim_ft_key_bucket(ft, ns, p->n_proto, p->ip_proto, &p->key);
	hlist_for_each_entry_rcu(e, head, knode) {
		if (e->in_ns == ns && e->n_proto == p->n_proto &&
		    e->ip_proto == p->ip_proto && nsim_ft_key_match(e, &p->key))
			return e;
	}
	list_for_each_entry_rcu(e, &ft->wild, wnode) {
		if (e->in_ns == ns && e->n_proto == p->n_proto &&
		    e->ip_proto == p->ip_proto && nsim_ft_key_match(e, &p->key))
			return e;
	}

	return NULL;
}

/* Offset of the header a rewrite applies to; skb->data is at the MAC header. */
static unsigned int nsim_ft_hdr_off(enum flow_action_mangle_base htype,
				    const struct nsim_ft_pkt *p)
{
	switch (htype) {
	case FLOW_ACT_MANGLE_HDR_TYPE_ETH:
		return 0;
	case FLOW_ACT_MANGLE_HDR_TYPE_IP4:
	case FLOW_ACT_MANGLE_HDR_TYPE_IP6:
		return ETH_HLEN;
	default:
		return ETH_HLEN + p->nhlen;
	}
}

static void nsim_ft_apply_mangle(struct sk_buff *skb,
				 const struct nsim_ft_mangle *m,
				 const struct nsim_ft_pkt *p)
{
	u8 *ptr = skb->data + nsim_ft_hdr_off(m->htype, p) + m->offset;
	u32 word = get_unaligned((u32 *)ptr);

	if (m->add)
		word = (word & m->mask) ^ ((word + m->val) & ~m->mask);
	else
		word = (word & m->mask) ^ m->val;
	put_unaligned(word, (u32 *)ptr);
}

static void nsim_ft_update_csum(struct sk_buff *skb, u32 flags,
				const struct nsim_ft_pkt *p)
{
	unsigned int thoff = ETH_HLEN + p->nhlen;
	unsigned int l4len = p->iplen - p->nhlen;
	bool v4 = p->n_proto == htons(ETH_P_IP);
	struct iphdr *iph = NULL;
	struct ipv6hdr *ip6h;
	__sum16 *check;
	__wsum csum;

	if (v4) {
		iph = (struct iphdr *)(skb->data + ETH_HLEN);
		if (flags & TCA_CSUM_UPDATE_FLAG_IPV4HDR)
			ip_send_check(iph);
	}

	if (p->ip_proto == IPPROTO_TCP && (flags & TCA_CSUM_UPDATE_FLAG_TCP))
		check = &((struct tcphdr *)(skb->data + thoff))->check;
	else if (p->ip_proto == IPPROTO_UDP &&
		 (flags & TCA_CSUM_UPDATE_FLAG_UDP))
		check = &((struct udphdr *)(skb->data + thoff))->check;
	else
		return;

	ip6h = (struct ipv6hdr *)(skb->data + ETH_HLEN);

	/* The sender left the checksum to the "hardware": only the pseudo
	 * header sum lives in the packet, refresh it.
	 */
	if (skb->ip_summed == CHECKSUM_PARTIAL) {
		if (v4)
			*check = ~csum_tcpudp_magic(iph->saddr, iph->daddr,
						    l4len, p->ip_proto, 0);
		else
			*check = ~csum_ipv6_magic(&ip6h->saddr, &ip6h->daddr,
						  l4len, p->ip_proto, 0);
		return;
	}

	/* A zero IPv4 UDP checksum means "none" and stays so. */
	if (v4 && p->ip_proto == IPPROTO_UDP && !*check)
		return;

	*check = 0;
	csum = skb_checksum(skb, thoff, l4len, 0);
	if (v4)
		*check = csum_tcpudp_magic(iph->saddr, iph->daddr, l4len,
					   p->ip_proto, csum);
	else
		*check = csum_ipv6_magic(&ip6h->saddr, &ip6h->daddr, l4len,
					 p->ip_proto, csum);
	if (p->ip_proto == IPPROTO_UDP && !*check)
		*check = CSUM_MANGLED_0;
}

static bool nsim_ft_forward(struct nsim_ft_entry *e, struct sk_buff *skb,
			    const struct nsim_ft_pkt *p)
{
	struct net_device *out = e->out_ns->netdev;
	unsigned int segs = 1;
	bool l34_mangled = false;
	unsigned int i;

	if (!netif_running(out))
		return false;
	if (skb_is_gso(skb)) {
		if (!skb_gso_validate_network_len(skb, READ_ONCE(out->mtu)))
			return false;
		segs = max_t(unsigned int, skb_shinfo(skb)->gso_segs, 1);
	} else if (p->iplen > READ_ONCE(out->mtu)) {
		return false;
	}

	skb_push(skb, ETH_HLEN);
	if (skb_ensure_writable(skb, ETH_HLEN + p->hdrlen)) {
		skb_pull(skb, ETH_HLEN);
		return false;
	}

	for (i = 0; i < e->n_mangles; i++) {
		nsim_ft_apply_mangle(skb, &e->mangles[i], p);
		if (e->mangles[i].htype != FLOW_ACT_MANGLE_HDR_TYPE_ETH)
			l34_mangled = true;
	}
	if (e->hw_dec_ttl) {
		/* the checksum update below covers the IPv4 header */
		if (p->n_proto == htons(ETH_P_IP))
			((struct iphdr *)(skb->data + ETH_HLEN))->ttl--;
		else
			((struct ipv6hdr *)(skb->data + ETH_HLEN))->hop_limit--;
		l34_mangled = true;
	}
	if (e->csum_flags)
		nsim_ft_update_csum(skb, e->csum_flags, p);
	/* Let the receiver check what was rewritten. */
	if (l34_mangled && skb->ip_summed != CHECKSUM_PARTIAL)
		skb->ip_summed = CHECKSUM_NONE;

	spin_lock(&e->lock);
	e->packets += segs;
	e->bytes += p->iplen + (u64)(segs - 1) * p->hdrlen;
	e->lastused = jiffies;
	spin_unlock(&e->lock);

	skb_reset_mac_header(skb);
	skb->dev = out;
	nsim_xmit_to_peer(e->out_ns, skb);

	return true;
}

/* Called for each received frame, after eth_type_trans(). Returns true when
 * the table forwarded the frame.
 */
bool nsim_ft_rx(struct netdevsim *ns, struct sk_buff *skb)
{
	struct nsim_dev_ft *ft = &ns->nsim_dev->ft;
	struct nsim_ft_entry *e;
	struct nsim_ft_pkt p;
	bool ret = false;

	if (list_empty(&ft->entries) || skb->pkt_type != PACKET_HOST)
		return false;

	rcu_read_lock();
	if (!nsim_ft_parse_pkt(skb, &p))
		goto out;
	e = nsim_ft_lookup(ft, ns, &p);
	if (e)
		ret = nsim_ft_forward(e, skb, &p);
out:
	rcu_read_unlock();
	return ret;
}

/* The port is gone (unregistered, not yet freed): drop every entry using it. */
void nsim_ft_port_del(struct netdevsim *ns)
{
	if (nsim_ft_flush(&ns->nsim_dev->ft, ns, true))
		synchronize_net();
}

static int nsim_ft_entries_show(struct seq_file *s, void *unused)
{
	struct nsim_dev_ft *ft = s->private;
	struct nsim_ft_entry *e;
	u64 packets, bytes;
	bool v4;

	mutex_lock(&ft->lock);
	list_for_each_entry(e, &ft->entries, list) {
		spin_lock_bh(&e->lock);
		packets = e->packets;
		bytes = e->bytes;
		spin_unlock_bh(&e->lock);

		v4 = e->n_proto == htons(ETH_P_IP);
		seq_printf(s, "%#lx %s %s %s ", e->cookie,
			   netdev_name(e->in_ns->netdev),
			   v4 ? "ipv4" : "ipv6",
			   e->ip_proto == IPPROTO_TCP ? "tcp" : "udp");
		if (v4)
			seq_printf(s, "%pI4:%u %pI4:%u ",
				   &e->key.src[0], ntohs(e->key.sport),
				   &e->key.dst[0], ntohs(e->key.dport));
		else
			seq_printf(s, "[%pI6c]:%u [%pI6c]:%u ",
				   e->key.src, ntohs(e->key.sport),
				   e->key.dst, ntohs(e->key.dport));
		seq_printf(s, "%s %llu %llu\n", netdev_name(e->out_ns->netdev),
			   packets, bytes);
	}
	mutex_unlock(&ft->lock);

	return 0;
}
DEFINE_SHOW_ATTRIBUTE(nsim_ft_entries);

static ssize_t nsim_ft_profile_read(struct file *file, char __user *buf,
				    size_t count, loff_t *ppos)
{
	struct nsim_dev_ft *ft = file->private_data;
	char name[16];
	int len;

	len = scnprintf(name, sizeof(name), "%s\n",
			nsim_ft_profile_names[READ_ONCE(ft->profile)]);
	return simple_read_from_buffer(buf, count, ppos, name, len);
}

/* One of the profile names; refused while a port is bound to a flowtable,
 * whose rules were made for the driver it bound to.
 */
static ssize_t nsim_ft_profile_write(struct file *file,
				     const char __user *buf, size_t count,
				     loff_t *ppos)
{
	struct nsim_dev_ft *ft = file->private_data;
	char name[16];
	ssize_t ret;
	int i;

	if (*ppos || count >= sizeof(name))
		return -EINVAL;
	if (copy_from_user(name, buf, count))
		return -EFAULT;
	name[count] = '\0';

	i = sysfs_match_string(nsim_ft_profile_names, name);
	if (i < 0)
		return i;
	mutex_lock(&ft->lock);
	if (ft->bound) {
		ret = -EBUSY;
	} else {
		WRITE_ONCE(ft->profile, i);
		ret = count;
	}
	mutex_unlock(&ft->lock);
	return ret;
}

static const struct file_operations nsim_ft_profile_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= nsim_ft_profile_read,
	.write	= nsim_ft_profile_write,
	.llseek	= default_llseek,
};

void nsim_dev_ft_init(struct nsim_dev *nsim_dev)
{
	struct nsim_dev_ft *ft = &nsim_dev->ft;
	unsigned int i;

	mutex_init(&ft->lock);
	INIT_LIST_HEAD(&ft->entries);
	INIT_LIST_HEAD(&ft->wild);
	for (i = 0; i < ARRAY_SIZE(ft->by_cookie); i++) {
		INIT_HLIST_HEAD(&ft->by_cookie[i]);
		INIT_HLIST_HEAD(&ft->by_key[i]);
	}
	ft->capacity = NSIM_FT_CAPACITY_DEFAULT;
	ft->accounting = 1;

	ft->ddir = debugfs_create_dir("ft", nsim_dev->ddir);
	debugfs_create_u32("capacity", 0600, ft->ddir, &ft->capacity);
	debugfs_create_u32("fail_add", 0600, ft->ddir, &ft->fail_add);
	debugfs_create_u32("fail_stats", 0600, ft->ddir, &ft->fail_stats);
	debugfs_create_u32("count", 0400, ft->ddir, &ft->count);
	debugfs_create_u32("accounting", 0600, ft->ddir, &ft->accounting);
	debugfs_create_file("entries", 0400, ft->ddir, ft,
			    &nsim_ft_entries_fops);
	debugfs_create_file("profile", 0600, ft->ddir, ft,
			    &nsim_ft_profile_fops);
}

void nsim_dev_ft_exit(struct nsim_dev *nsim_dev)
{
	struct nsim_dev_ft *ft = &nsim_dev->ft;

	debugfs_remove_recursive(ft->ddir);
	nsim_ft_flush(ft, NULL, false);
	mutex_destroy(&ft->lock);
}
