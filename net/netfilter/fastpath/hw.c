// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hardware offload: flows of a flowtable with "flags offload" are handed
 * to the drivers of its devices as flow_rules through the flow_block that
 * ndo_setup_tc(TC_SETUP_FT) binds.
 *
 * Every driver command runs from a work item, one per flowtable, never
 * from the packet path: a flow is queued there when it is created and when
 * it leaves the table, and the work item either pushes it to the hardware
 * or takes it out and releases it.  A flow that leaves the table is freed
 * only by that work item, after its hardware entries are gone.
 *
 * The garbage collector queues flows in hardware only when there is
 * something to do: read the hardware's counters of a flow close to its
 * timeout (a busy flow is then kept alive), take a flow whose policy is
 * out of date out of the hardware (it comes back once the ruleset has
 * judged it again), or try again a flow the driver refused for a reason
 * that passes: a full table once entries have left it, a busy or failing
 * device or an unresolved neighbour after a growing delay.  Each run of
 * the work item stops after a few milliseconds and goes on later, so that
 * a large table does not hold a CPU.
 */

#include <linux/netdevice.h>
#include <linux/rculist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/tc_act/tc_csum.h>
#include <net/flow_offload.h>
#include <net/netfilter/nf_conntrack_acct.h>
#include <net/pkt_cls.h>
#include <net/route.h>

#include "fastpath.h"

/* Why the hardware did not take a flow or gave it back, and how often
 * the work item pushed, tried again and read counters.
 */
enum nf_fp_hw_reason {
	NF_FP_HW_FAIL_NOSPC,
	NF_FP_HW_FAIL_UNSUPPORTED,
	NF_FP_HW_FAIL_NEIGH,
	NF_FP_HW_FAIL_ERROR,
	NF_FP_HW_FAIL_STATS,
	NF_FP_HW_OUT_POLICY,
	NF_FP_HW_PUSHED,
	NF_FP_HW_RETRIED,
	NF_FP_HW_STATS_READ,
	NF_FP_HW_REASON_MAX
};

static const char * const nf_fp_hw_reason_names[NF_FP_HW_REASON_MAX] = {
	[NF_FP_HW_FAIL_NOSPC]		= "hw_add_nospc",
	[NF_FP_HW_FAIL_UNSUPPORTED]	= "hw_add_unsupported",
	[NF_FP_HW_FAIL_NEIGH]		= "hw_add_noneigh",
	[NF_FP_HW_FAIL_ERROR]		= "hw_add_error",
	[NF_FP_HW_FAIL_STATS]		= "hw_stats_error",
	[NF_FP_HW_OUT_POLICY]		= "hw_out_policy",
	[NF_FP_HW_PUSHED]		= "hw_pushed",
	[NF_FP_HW_RETRIED]		= "hw_retried",
	[NF_FP_HW_STATS_READ]		= "hw_stats_read",
};

/* Where a flow stands with the hardware.  Only the work item moves it. */
enum {
	NF_FP_HW_NONE,		/* software only, may be pushed */
	NF_FP_HW_ON,		/* both directions in hardware */
	NF_FP_HW_REFUSED,	/* the hardware said no: software for good */
	NF_FP_HW_RETRY,		/* refused for now: again at hw_retry */
	NF_FP_HW_NOSPACE,	/* table full: again once hw->freed moves */
};

/* Transient refusals are tried again after 1, 2, 4 ... 64 s, then no more. */
#define NF_FP_HW_TRIES		7

/* How long one run of the work item may take. */
#define NF_FP_HW_WORK_BUDGET	msecs_to_jiffies(10)

struct nf_fp_hw {
	struct list_head	list;
	struct nf_flowtable	*ft;
	struct delayed_work	work;
	spinlock_t		lock;		/* queue and flows' hw_node */
	struct list_head	queue;
	atomic_t		flows;
	atomic_t		freed;		/* flows taken out of hardware */
	atomic_t		reasons[NF_FP_HW_REASON_MAX];
	char			last_error[80];	/* under lock */
	struct rcu_head		rcu;
};

static LIST_HEAD(nf_fp_hw_all);
static DEFINE_MUTEX(nf_fp_hw_mutex);

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
 * and redirect: 15 at most.  nf_fp_hw_action() refuses to go past it.
 */
#define NF_FP_HW_MAX_ACTIONS	16

static struct nf_fp_hw *nf_fp_hw_find(struct nf_flowtable *ft)
{
	struct nf_fp_hw *hw;

	list_for_each_entry_rcu(hw, &nf_fp_hw_all, list,
				lockdep_is_held(&nf_fp_hw_mutex)) {
		if (hw->ft == ft)
			return hw;
	}
	return NULL;
}

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

/* The next free action of @rule, or NULL when all are used: the rule is
 * then refused rather than written past its end.
 */
static struct flow_action_entry *nf_fp_hw_action(struct flow_rule *rule)
{
	if (rule->action.num_entries >= NF_FP_HW_MAX_ACTIONS)
		return NULL;
	return &rule->action.entries[rule->action.num_entries++];
}

static int nf_fp_hw_mangle(struct flow_rule *rule, enum flow_action_id id,
			   enum flow_action_mangle_base htype, u32 offset,
			   u32 mask, u32 val)
{
	struct flow_action_entry *a = nf_fp_hw_action(rule);

	if (!a)
		return -E2BIG;
	a->id = id;
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
	struct flow_action_entry *a;

	a = nf_fp_hw_action(rule);
	if (!a)
		return -E2BIG;
	a->id = FLOW_ACTION_CSUM;
	a->csum_flags = k->l4proto == IPPROTO_TCP ? TCA_CSUM_UPDATE_FLAG_TCP :
						    TCA_CSUM_UPDATE_FLAG_UDP;
	if (k->l3proto == NFPROTO_IPV4)
		a->csum_flags |= TCA_CSUM_UPDATE_FLAG_IPV4HDR;

	a = nf_fp_hw_action(rule);
	if (!a)
		return -E2BIG;
	a->id = FLOW_ACTION_REDIRECT;
	a->dev = out;
	return 0;
}

/* Where packets of @d go: the device of its route, held for as long as
 * the rule refers to it, and the link-layer address of the next hop.
 * The route may be replaced meanwhile (route.c): it is only read under
 * RCU.
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
 * The caller puts the device in *@out once the rule is gone.
 */
static struct flow_rule *nf_fp_hw_rule(struct nf_fp_flow *flow,
				       struct nf_fp_dir *d,
				       struct nf_fp_hw_match *m,
				       struct net_device **out, int *err)
{
	const struct nf_fp_key *k = &d->key, *rev = &flow->dir[!d->dir].key;
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
		return NULL;
	}

	rule = flow_rule_alloc(NF_FP_HW_MAX_ACTIONS);
	if (!rule) {
		*err = -ENOMEM;
		return NULL;
	}
	rule->action.num_entries = 0;

	memset(m, 0, sizeof(*m));
	nf_fp_hw_build_match(m, k);
	rule->match.dissector = &m->dissector;
	rule->match.key = &m->key;
	rule->match.mask = &m->mask;

	*err = nf_fp_hw_eth(rule, ha, (*out)->dev_addr) ?:
	       nf_fp_hw_nat(rule, d, rev) ?:
	       nf_fp_hw_hop(rule, k->l3proto) ?:
	       nf_fp_hw_csum_redirect(rule, k, *out);
	if (*err) {
		kfree(rule);
		return NULL;
	}
	return rule;
}

/* Offer @cls to every callback bound to the flowtable.  Success if one
 * driver took it; otherwise the most telling error of the refusals.
 */
static int nf_fp_hw_call(struct nf_flowtable *ft, struct flow_cls_offload *cls)
{
	struct flow_block_cb *block_cb;
	int err, ret = -EOPNOTSUPP;
	bool taken = false;

	down_read(&ft->flow_block_lock);
	list_for_each_entry(block_cb, &ft->flow_block.cb_list, list) {
		err = block_cb->cb(TC_SETUP_CLSFLOWER, cls, block_cb->cb_priv);
		if (!err)
			taken = true;
		else if (ret == -EOPNOTSUPP)
			ret = err;
	}
	up_read(&ft->flow_block_lock);
	return taken ? 0 : ret;
}

static void nf_fp_hw_cls_init(struct flow_cls_offload *cls,
			      struct nf_flowtable *ft, struct nf_fp_dir *d,
			      enum flow_cls_command cmd,
			      struct netlink_ext_ack *extack)
{
	memset(cls, 0, sizeof(*cls));
	cls->common.protocol = d->key.l3proto == NFPROTO_IPV4 ?
			       htons(ETH_P_IP) : htons(ETH_P_IPV6);
	cls->common.prio = ft->priority;
	cls->common.extack = extack;
	cls->command = cmd;
	cls->cookie = (unsigned long)d;
}

static void nf_fp_hw_destroy_dir(struct nf_flowtable *ft, struct nf_fp_dir *d)
{
	struct flow_cls_offload cls;

	nf_fp_hw_cls_init(&cls, ft, d, FLOW_CLS_DESTROY, NULL);
	nf_fp_hw_call(ft, &cls);
}

static enum nf_fp_hw_reason nf_fp_hw_reason(int err)
{
	switch (err) {
	case -ENOSPC:
		return NF_FP_HW_FAIL_NOSPC;
	case -EOPNOTSUPP:
		return NF_FP_HW_FAIL_UNSUPPORTED;
	case -ENOENT:
		return NF_FP_HW_FAIL_NEIGH;
	}
	return NF_FP_HW_FAIL_ERROR;
}

static int nf_fp_hw_replace_dir(struct nf_fp_hw *hw, struct nf_fp_flow *flow,
				struct nf_fp_dir *d)
{
	struct netlink_ext_ack extack = {};
	struct flow_cls_offload cls;
	struct nf_fp_hw_match *m;
	struct net_device *out;
	struct flow_rule *rule;
	int err;

	m = kmalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	rule = nf_fp_hw_rule(flow, d, m, &out, &err);
	if (rule) {
		nf_fp_hw_cls_init(&cls, hw->ft, d, FLOW_CLS_REPLACE, &extack);
		cls.rule = rule;
		err = nf_fp_hw_call(hw->ft, &cls);
		kfree(rule);
	}
	dev_put(out);
	kfree(m);
	if (err) {
		spin_lock_bh(&hw->lock);
		snprintf(hw->last_error, sizeof(hw->last_error), "%d %s",
			 err, extack._msg ?: "");
		spin_unlock_bh(&hw->lock);
	}
	return err;
}

/* Packets in hardware are not judged by the ruleset: only a flow whose
 * two directions are both up to date may go there.
 */
static bool nf_fp_hw_policy_stale(const struct nf_fp_flow *flow)
{
	return nf_fp_policy_stale(flow, IP_CT_DIR_ORIGINAL) ||
	       nf_fp_policy_stale(flow, IP_CT_DIR_REPLY);
}

/* The driver refused @flow with @err: count it, and decide whether and
 * when to try again.
 */
static void nf_fp_hw_refused(struct nf_fp_hw *hw, struct nf_fp_flow *flow,
			     int err)
{
	atomic_inc(&hw->reasons[nf_fp_hw_reason(err)]);
	switch (err) {
	case -ENOSPC:
		WRITE_ONCE(flow->hw_retry, atomic_read(&hw->freed));
		WRITE_ONCE(flow->hw_state, NF_FP_HW_NOSPACE);
		return;
	case -EBUSY:
	case -EIO:
	case -EAGAIN:
	case -ENOMEM:
	case -ENOENT:
		if (flow->hw_tries < NF_FP_HW_TRIES) {
			WRITE_ONCE(flow->hw_retry,
				   (u32)jiffies + (HZ << flow->hw_tries));
			flow->hw_tries++;
			WRITE_ONCE(flow->hw_state, NF_FP_HW_RETRY);
			return;
		}
		break;
	}
	WRITE_ONCE(flow->hw_state, NF_FP_HW_REFUSED);
}

static void nf_fp_hw_push(struct nf_fp_hw *hw, struct nf_fp_flow *flow)
{
	int err;

	switch (flow->hw_state) {
	case NF_FP_HW_RETRY:
	case NF_FP_HW_NOSPACE:
		atomic_inc(&hw->reasons[NF_FP_HW_RETRIED]);
		break;
	case NF_FP_HW_NONE:
		break;
	default:
		return;
	}
	if (nf_fp_hw_policy_stale(flow))
		return;

	err = nf_fp_hw_replace_dir(hw, flow, &flow->dir[0]);
	if (!err) {
		err = nf_fp_hw_replace_dir(hw, flow, &flow->dir[1]);
		if (err)
			nf_fp_hw_destroy_dir(hw->ft, &flow->dir[0]);
	}
	if (err) {
		nf_fp_hw_refused(hw, flow, err);
		return;
	}
	flow->hw_tries = 0;
	WRITE_ONCE(flow->hw_state, NF_FP_HW_ON);
	atomic_inc(&hw->flows);
	atomic_inc(&hw->reasons[NF_FP_HW_PUSHED]);
	set_bit(IPS_HW_OFFLOAD_BIT, &flow->ct->status);
}

static void nf_fp_hw_pull(struct nf_fp_hw *hw, struct nf_fp_flow *flow,
			  u8 new_state)
{
	if (flow->hw_state == NF_FP_HW_ON) {
		nf_fp_hw_destroy_dir(hw->ft, &flow->dir[0]);
		nf_fp_hw_destroy_dir(hw->ft, &flow->dir[1]);
		clear_bit(IPS_HW_OFFLOAD_BIT, &flow->ct->status);
		atomic_dec(&hw->flows);
		atomic_inc(&hw->freed);
		WRITE_ONCE(flow->hw_state, new_state);
	}
}

/* Packets forwarded by the hardware keep the flow alive and, with the
 * counter flag, count in conntrack.
 */
static void nf_fp_hw_stats(struct nf_fp_hw *hw, struct nf_fp_flow *flow)
{
	struct flow_cls_offload cls;
	bool used = false;
	int i;

	atomic_inc(&hw->reasons[NF_FP_HW_STATS_READ]);
	for (i = 0; i < IP_CT_DIR_MAX; i++) {
		nf_fp_hw_cls_init(&cls, hw->ft, &flow->dir[i], FLOW_CLS_STATS,
				  NULL);
		if (nf_fp_hw_call(hw->ft, &cls)) {
			atomic_inc(&hw->reasons[NF_FP_HW_FAIL_STATS]);
			continue;
		}
		if (!cls.stats.pkts)
			continue;
		used = true;
		if (hw->ft->flags & NF_FLOWTABLE_COUNTER)
			nf_ct_acct_add(flow->ct, i, cls.stats.pkts,
				       cls.stats.bytes);
	}
	if (used)
		nf_fp_flow_refresh(read_pnet(&hw->ft->net), flow);
}

static void nf_fp_hw_work(struct work_struct *work)
{
	struct nf_fp_hw *hw = container_of(to_delayed_work(work),
					   struct nf_fp_hw, work);
	unsigned long stop = jiffies + NF_FP_HW_WORK_BUDGET;
	struct nf_fp_flow *flow;
	unsigned long todo;

	for (;;) {
		spin_lock_bh(&hw->lock);
		flow = list_first_entry_or_null(&hw->queue, struct nf_fp_flow,
						hw_node);
		if (flow && time_after(jiffies, stop)) {
			/* The rest in a moment: let others have the CPU. */
			mod_delayed_work(system_unbound_wq, &hw->work, 1);
			flow = NULL;
		} else if (flow) {
			list_del_init(&flow->hw_node);
			todo = flow->hw_todo;
			flow->hw_todo = 0;
		}
		spin_unlock_bh(&hw->lock);
		if (!flow)
			break;

		if (todo & NF_FP_HW_TODO_RELEASE) {
			nf_fp_hw_pull(hw, flow, NF_FP_HW_NONE);
			nf_fp_flow_release(flow, todo & NF_FP_HW_TODO_HANDBACK);
			continue;
		}
		if (todo & NF_FP_HW_TODO_OUT &&
		    flow->hw_state == NF_FP_HW_ON) {
			nf_fp_hw_pull(hw, flow, NF_FP_HW_NONE);
			atomic_inc(&hw->reasons[NF_FP_HW_OUT_POLICY]);
		}
		if (todo & NF_FP_HW_TODO_PUSH)
			nf_fp_hw_push(hw, flow);
		if (todo & NF_FP_HW_TODO_STATS &&
		    flow->hw_state == NF_FP_HW_ON)
			nf_fp_hw_stats(hw, flow);
		cond_resched();
	}
}

/* Queue @flow for the work item with @todo.  Once RELEASE is queued the
 * flow belongs to the work item, which frees it.  The caller holds the
 * RCU read lock or otherwise knows the flow is not yet freed.
 */
static void nf_fp_hw_queue(struct nf_fp_hw *hw, struct nf_fp_flow *flow,
			   unsigned long todo)
{
	spin_lock_bh(&hw->lock);
	/* A flow that left the table only waits for its release. */
	if (!(todo & NF_FP_HW_TODO_RELEASE) &&
	    test_bit(NF_FP_FLOW_DEAD, &flow->flags)) {
		spin_unlock_bh(&hw->lock);
		return;
	}
	flow->hw_todo |= todo;
	if (list_empty(&flow->hw_node))
		list_add_tail(&flow->hw_node, &hw->queue);
	spin_unlock_bh(&hw->lock);
	queue_delayed_work(system_unbound_wq, &hw->work, 0);
}

/* A new flow of @ft: attach the flowtable's hardware state, if any. */
void nf_fp_hw_flow_init(struct nf_flowtable *ft, struct nf_fp_flow *flow)
{
	INIT_LIST_HEAD(&flow->hw_node);
	if (!nf_flowtable_hw_offload(ft))
		return;
	rcu_read_lock();
	flow->hw = nf_fp_hw_find(ft);
	rcu_read_unlock();
}

void nf_fp_hw_flow_added(struct nf_fp_flow *flow)
{
	if (flow->hw)
		nf_fp_hw_queue(flow->hw, flow, NF_FP_HW_TODO_PUSH);
}

/* The flow was revalidated: if policy took it out of the hardware, it
 * may go back.
 */
void nf_fp_hw_flow_revalidated(struct nf_fp_flow *flow)
{
	if (flow->hw && READ_ONCE(flow->hw_state) == NF_FP_HW_NONE)
		nf_fp_hw_queue(flow->hw, flow, NF_FP_HW_TODO_PUSH);
}

/* The flow left the table.  Returns false if it has no hardware state
 * and the caller releases it now.
 */
bool nf_fp_hw_flow_release(struct nf_fp_flow *flow, bool handback)
{
	if (!flow->hw)
		return false;
	nf_fp_hw_queue(flow->hw, flow, NF_FP_HW_TODO_RELEASE |
		       (handback ? NF_FP_HW_TODO_HANDBACK : 0));
	return true;
}

/* Do the flow's packets bypass the software path? */
bool nf_fp_hw_flow_in_hw(const struct nf_fp_flow *flow)
{
	return flow->hw && READ_ONCE(flow->hw_state) == NF_FP_HW_ON;
}

/* Is the flow close enough to its timeout that only the hardware's
 * counters can tell whether it is still busy?  A quarter of the timeout,
 * and never less than a few garbage collector runs.
 */
static bool nf_fp_hw_flow_expiring(struct net *net,
				   const struct nf_fp_flow *flow)
{
	s32 left = READ_ONCE(flow->expires) - nfct_time_stamp;

	return left < max_t(s32, nf_fp_timeout(net, flow) / 4, 4 * HZ);
}

/* From the garbage collector, under RCU: queue the flow if the work item
 * has something to do with it (see the top of this file).
 */
void nf_fp_hw_flow_gc(struct net *net, struct nf_fp_flow *flow)
{
	struct nf_fp_hw *hw = flow->hw;

	if (!hw)
		return;
	switch (READ_ONCE(flow->hw_state)) {
	case NF_FP_HW_ON:
		if (nf_fp_hw_policy_stale(flow))
			nf_fp_hw_queue(hw, flow, NF_FP_HW_TODO_OUT);
		else if (nf_fp_hw_flow_expiring(net, flow))
			nf_fp_hw_queue(hw, flow, NF_FP_HW_TODO_STATS);
		break;
	case NF_FP_HW_RETRY:
		if ((s32)((u32)jiffies - READ_ONCE(flow->hw_retry)) >= 0)
			nf_fp_hw_queue(hw, flow, NF_FP_HW_TODO_PUSH);
		break;
	case NF_FP_HW_NOSPACE:
		if (READ_ONCE(flow->hw_retry) != atomic_read(&hw->freed))
			nf_fp_hw_queue(hw, flow, NF_FP_HW_TODO_PUSH);
		break;
	}
}

/* Run the queue dry, including what runs of the work item that stopped
 * on their time budget left for later.
 */
static void nf_fp_hw_drain(struct nf_fp_hw *hw)
{
	bool empty;

	do {
		flush_delayed_work(&hw->work);
		spin_lock_bh(&hw->lock);
		empty = list_empty(&hw->queue);
		spin_unlock_bh(&hw->lock);
	} while (!empty);
}

/* Bind or unbind @dev's driver to the flowtable's flow_block.  The lock
 * is held across the call: the driver adds its callback to, or takes it
 * off, the block's list.
 */
static int nf_fp_hw_block(struct nf_flowtable *ft, struct net_device *dev,
			  enum flow_block_command cmd)
{
	struct flow_block_offload bo = {
		.command	= cmd,
		.binder_type	= FLOW_BLOCK_BINDER_TYPE_CLSACT_INGRESS,
		.net		= dev_net(dev),
		.block		= &ft->flow_block,
		.cb_list_head	= &ft->flow_block.cb_list,
	};
	struct flow_block_cb *block_cb, *next;
	int err;

	if (!dev->netdev_ops->ndo_setup_tc)
		return -EOPNOTSUPP;

	INIT_LIST_HEAD(&bo.cb_list);
	down_write(&ft->flow_block_lock);
	err = dev->netdev_ops->ndo_setup_tc(dev, TC_SETUP_FT, &bo);
	if (!err && cmd == FLOW_BLOCK_BIND)
		list_splice(&bo.cb_list, &ft->flow_block.cb_list);
	up_write(&ft->flow_block_lock);

	if (!err && cmd == FLOW_BLOCK_UNBIND) {
		list_for_each_entry_safe(block_cb, next, &bo.cb_list, list) {
			list_del(&block_cb->list);
			flow_block_cb_free(block_cb);
		}
	}
	return err;
}

int nf_fp_hw_bind(struct nf_flowtable *ft, struct net_device *dev)
{
	return nf_fp_hw_block(ft, dev, FLOW_BLOCK_BIND);
}

/* The flows through @dev have been taken out of the table: let the work
 * item remove them from the hardware while the driver is still bound.
 */
void nf_fp_hw_unbind(struct nf_flowtable *ft, struct net_device *dev)
{
	struct nf_fp_hw *hw;

	mutex_lock(&nf_fp_hw_mutex);
	hw = nf_fp_hw_find(ft);
	mutex_unlock(&nf_fp_hw_mutex);
	if (hw)
		nf_fp_hw_drain(hw);
	nf_fp_hw_block(ft, dev, FLOW_BLOCK_UNBIND);
}

int nf_fp_hw_init(struct nf_flowtable *ft)
{
	struct nf_fp_hw *hw;

	if (!nf_flowtable_hw_offload(ft))
		return 0;

	hw = kzalloc(sizeof(*hw), GFP_KERNEL_ACCOUNT);
	if (!hw)
		return -ENOMEM;
	hw->ft = ft;
	spin_lock_init(&hw->lock);
	INIT_LIST_HEAD(&hw->queue);
	INIT_DELAYED_WORK(&hw->work, nf_fp_hw_work);

	mutex_lock(&nf_fp_hw_mutex);
	list_add_rcu(&hw->list, &nf_fp_hw_all);
	mutex_unlock(&nf_fp_hw_mutex);
	return 0;
}

/* All flows have left the table: run the queue dry, then forget @ft. */
void nf_fp_hw_free(struct nf_flowtable *ft)
{
	struct nf_fp_hw *hw;

	mutex_lock(&nf_fp_hw_mutex);
	hw = nf_fp_hw_find(ft);
	if (hw)
		list_del_rcu(&hw->list);
	mutex_unlock(&nf_fp_hw_mutex);
	if (!hw)
		return;

	nf_fp_hw_drain(hw);
	kfree_rcu(hw, rcu);
}

void nf_fp_hw_show(struct seq_file *seq, struct nf_flowtable *ft)
{
	struct nf_fp_hw *hw;
	int i;

	mutex_lock(&nf_fp_hw_mutex);
	hw = nf_fp_hw_find(ft);
	if (hw) {
		seq_printf(seq, " hw_flows %d", atomic_read(&hw->flows));
		for (i = 0; i < NF_FP_HW_REASON_MAX; i++)
			seq_printf(seq, " %s %d", nf_fp_hw_reason_names[i],
				   atomic_read(&hw->reasons[i]));
		spin_lock_bh(&hw->lock);
		if (hw->last_error[0])
			seq_printf(seq, " hw_last_error \"%s\"",
				   hw->last_error);
		spin_unlock_bh(&hw->lock);
	}
	mutex_unlock(&nf_fp_hw_mutex);
}
