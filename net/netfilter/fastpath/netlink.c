// SPDX-License-Identifier: GPL-2.0-only
/*
 * The nf-fastpath generic netlink family (Documentation/netlink/specs/
 * nf_fastpath.yaml): the flows of the netns' flowtables, their hand-back
 * to the classic path, per-flowtable settings, the counters, and events
 * for flows that come and go.  The policies and the family itself are
 * generated (netlink-gen.c); the handlers are here.
 */

#include <linux/in6.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/netfilter/nf_conntrack.h>

#include "fastpath.h"
#include "netlink-gen.h"

/* Our rewrite flags are the uapi's. */
static_assert((int)NF_FP_NAT_SADDR == (int)NF_FASTPATH_NAT_SADDR &&
	      (int)NF_FP_NAT_DADDR == (int)NF_FASTPATH_NAT_DADDR &&
	      (int)NF_FP_NAT_SPORT == (int)NF_FASTPATH_NAT_SPORT &&
	      (int)NF_FP_NAT_DPORT == (int)NF_FASTPATH_NAT_DPORT);

/* Which flows a request is about.  Absent attributes match everything. */
struct nf_fp_nl_filter {
	const char		*family;
	const char		*table;
	const char		*name;
	union nf_inet_addr	src;
	union nf_inet_addr	dst;
	u8			src_len;
	u8			dst_len;
	u8			l4proto;
	__be16			sport;
	__be16			dport;
	int			where;		/* -1: either */
};

static const enum nf_fastpath_reason nf_fp_nl_reasons[NF_FP_STAT_MAX] = {
	[NF_FP_STAT_DEL_TIMEOUT]	= NF_FASTPATH_REASON_TIMEOUT,
	[NF_FP_STAT_DEL_TEARDOWN]	= NF_FASTPATH_REASON_TEARDOWN,
	[NF_FP_STAT_DEL_CT_DYING]	= NF_FASTPATH_REASON_CT_DYING,
	[NF_FP_STAT_DEL_ROUTE]		= NF_FASTPATH_REASON_ROUTE,
	[NF_FP_STAT_DEL_DEVICE]		= NF_FASTPATH_REASON_DEVICE,
	[NF_FP_STAT_DEL_FLUSH]		= NF_FASTPATH_REASON_FLUSH,
	[NF_FP_STAT_DEL_REVAL]		= NF_FASTPATH_REASON_POLICY,
	[NF_FP_STAT_DEL_NAT_ADDR]	= NF_FASTPATH_REASON_NAT_ADDR,
	[NF_FP_STAT_DEL_HANDBACK]	= NF_FASTPATH_REASON_HANDBACK,
	[NF_FP_STAT_FLOW_ADD_FAIL]	= NF_FASTPATH_REASON_ADD_FAIL,
};

static bool nf_fp_nl_names_match(struct nf_flowtable *ft,
				 const char *family, const char *table,
				 const char *name)
{
	const char *f, *t, *n;

	nf_fp_nft_names(ft, &f, &t, &n);
	return (!family || !strcmp(family, f)) &&
	       (!table || !strcmp(table, t)) &&
	       (!name || !strcmp(name, n));
}

static bool nf_fp_nl_addr_match(const union nf_inet_addr *a, u8 l3proto,
				const union nf_inet_addr *want, u8 len)
{
	if (!len)
		return true;
	if (len != (l3proto == NFPROTO_IPV4 ? sizeof(struct in_addr) :
					       sizeof(struct in6_addr)))
		return false;
	return !memcmp(a, want, len);
}

static bool nf_fp_nl_flow_match(const struct nf_fp_nl_filter *f,
				const struct nf_fp_flow *flow)
{
	const struct nf_fp_key *k = &flow->dir[IP_CT_DIR_ORIGINAL].key;

	if (f->l4proto && k->l4proto != f->l4proto)
		return false;
	if ((f->sport && k->sport != f->sport) ||
	    (f->dport && k->dport != f->dport))
		return false;
	if (!nf_fp_nl_addr_match(&k->saddr, k->l3proto, &f->src, f->src_len) ||
	    !nf_fp_nl_addr_match(&k->daddr, k->l3proto, &f->dst, f->dst_len))
		return false;
	return f->where < 0 || f->where == nf_fp_hw_flow_in_hw(flow);
}

static int nf_fp_nl_get_addr(const struct genl_info *info, unsigned int type,
			     union nf_inet_addr *addr, u8 *len)
{
	struct nlattr *attr = info->attrs[type];

	if (!attr)
		return 0;
	if (nla_len(attr) != sizeof(struct in_addr) &&
	    nla_len(attr) != sizeof(struct in6_addr)) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "address must be 4 (IPv4) or 16 (IPv6) bytes");
		return -EINVAL;
	}
	*len = nla_len(attr);
	nla_memcpy(addr, attr, sizeof(*addr));
	return 0;
}

/* The filter of a flow-get dump or a flow-del request. */
static int nf_fp_nl_parse_filter(const struct genl_info *info,
				 struct nf_fp_nl_filter *f)
{
	struct nlattr **tb = info->attrs;
	int err;

	memset(f, 0, sizeof(*f));
	f->where = -1;
	if (tb[NF_FASTPATH_A_FLOW_TABLE_FAMILY])
		f->family = nla_data(tb[NF_FASTPATH_A_FLOW_TABLE_FAMILY]);
	if (tb[NF_FASTPATH_A_FLOW_TABLE])
		f->table = nla_data(tb[NF_FASTPATH_A_FLOW_TABLE]);
	if (tb[NF_FASTPATH_A_FLOW_FLOWTABLE])
		f->name = nla_data(tb[NF_FASTPATH_A_FLOW_FLOWTABLE]);

	err = nf_fp_nl_get_addr(info, NF_FASTPATH_A_FLOW_FILTER_SRC,
				&f->src, &f->src_len);
	if (err)
		return err;
	err = nf_fp_nl_get_addr(info, NF_FASTPATH_A_FLOW_FILTER_DST,
				&f->dst, &f->dst_len);
	if (err)
		return err;

	if (tb[NF_FASTPATH_A_FLOW_FILTER_L4PROTO]) {
		f->l4proto = nla_get_u8(tb[NF_FASTPATH_A_FLOW_FILTER_L4PROTO]);
		if (f->l4proto != IPPROTO_TCP && f->l4proto != IPPROTO_UDP) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    tb[NF_FASTPATH_A_FLOW_FILTER_L4PROTO],
					    "only TCP and UDP flows are offloaded");
			return -EINVAL;
		}
	}
	if (tb[NF_FASTPATH_A_FLOW_FILTER_SPORT])
		f->sport = nla_get_be16(tb[NF_FASTPATH_A_FLOW_FILTER_SPORT]);
	if (tb[NF_FASTPATH_A_FLOW_FILTER_DPORT])
		f->dport = nla_get_be16(tb[NF_FASTPATH_A_FLOW_FILTER_DPORT]);
	if (tb[NF_FASTPATH_A_FLOW_FILTER_WHERE])
		f->where = nla_get_u8(tb[NF_FASTPATH_A_FLOW_FILTER_WHERE]);
	return 0;
}

static int nf_fp_nl_put_names(struct sk_buff *skb, struct nf_flowtable *ft,
			      unsigned int family_attr)
{
	const char *family, *table, *name;

	nf_fp_nft_names(ft, &family, &table, &name);
	if (nla_put_string(skb, family_attr, family) ||
	    nla_put_string(skb, family_attr + 1, table) ||
	    nla_put_string(skb, family_attr + 2, name))
		return -EMSGSIZE;
	return 0;
}

static int nf_fp_nl_put_tuple(struct sk_buff *skb, unsigned int type,
			      const struct nf_fp_dir *d)
{
	unsigned int alen = d->key.l3proto == NFPROTO_IPV4 ?
			    sizeof(struct in_addr) : sizeof(struct in6_addr);
	struct nlattr *nest;

	nest = nla_nest_start(skb, type);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put(skb, NF_FASTPATH_A_TUPLE_SRC, alen, &d->key.saddr) ||
	    nla_put(skb, NF_FASTPATH_A_TUPLE_DST, alen, &d->key.daddr) ||
	    nla_put_be16(skb, NF_FASTPATH_A_TUPLE_SPORT, d->key.sport) ||
	    nla_put_be16(skb, NF_FASTPATH_A_TUPLE_DPORT, d->key.dport) ||
	    nla_put_u32(skb, NF_FASTPATH_A_TUPLE_IIF, d->key.iif) ||
	    nla_put_u32(skb, NF_FASTPATH_A_TUPLE_OIF, d->oif) ||
	    (d->key.vlan &&
	     (nla_put_u16(skb, NF_FASTPATH_A_TUPLE_VLAN_ID,
			  d->key.vlan & VLAN_VID_MASK) ||
	      nla_put_be16(skb, NF_FASTPATH_A_TUPLE_VLAN_PROTO,
			   d->key.vlan & NF_FP_VLAN_8021AD ?
			   htons(ETH_P_8021AD) : htons(ETH_P_8021Q)))) ||
	    nla_put_u32(skb, NF_FASTPATH_A_TUPLE_NAT, d->nat) ||
	    nla_put_u64_64bit(skb, NF_FASTPATH_A_TUPLE_PACKETS,
			      atomic64_read(&d->packets), 0) ||
	    nla_put_u64_64bit(skb, NF_FASTPATH_A_TUPLE_BYTES,
			      atomic64_read(&d->bytes), 0)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* The id conntrack -L -o id shows: ctnetlink sends the hash as is, in a
 * big-endian attribute.
 */
static u32 nf_fp_nl_ct_id(const struct nf_fp_flow *flow)
{
	return ntohl((__force __be32)nf_ct_get_id(flow->ct));
}

static u64 nf_fp_nl_ms(s32 ticks)
{
	return ticks > 0 ? jiffies_to_msecs(ticks) : 0;
}

/* What the flow-get reply and both notifications have in common. */
static int nf_fp_nl_put_flow_id(struct sk_buff *skb, struct nf_flowtable *ft,
				const struct nf_fp_flow *flow)
{
	const struct nf_fp_key *k = &flow->dir[IP_CT_DIR_ORIGINAL].key;
	u64 age = get_jiffies_64() - flow->start;

	if (nf_fp_nl_put_names(skb, ft, NF_FASTPATH_A_FLOW_TABLE_FAMILY) ||
	    nla_put_u32(skb, NF_FASTPATH_A_FLOW_CT_ID, nf_fp_nl_ct_id(flow)) ||
	    nla_put_u8(skb, NF_FASTPATH_A_FLOW_L3PROTO, k->l3proto) ||
	    nla_put_u8(skb, NF_FASTPATH_A_FLOW_L4PROTO, k->l4proto) ||
	    nf_fp_nl_put_tuple(skb, NF_FASTPATH_A_FLOW_ORIG,
			       &flow->dir[IP_CT_DIR_ORIGINAL]) ||
	    nf_fp_nl_put_tuple(skb, NF_FASTPATH_A_FLOW_REPLY,
			       &flow->dir[IP_CT_DIR_REPLY]) ||
	    nla_put_u8(skb, NF_FASTPATH_A_FLOW_WHERE,
		       nf_fp_hw_flow_in_hw(flow) ? NF_FASTPATH_WHERE_HW :
						   NF_FASTPATH_WHERE_SW) ||
	    nla_put_u64_64bit(skb, NF_FASTPATH_A_FLOW_AGE_MS,
			      jiffies64_to_msecs(age), 0))
		return -EMSGSIZE;
	return 0;
}

/* The timeout is the one in force now; the flow's expiry was set from
 * it (or from an older value) by the last packet.
 */
static int nf_fp_nl_put_flow_state(struct sk_buff *skb,
				   struct nf_flowtable *ft,
				   const struct nf_fp_flow *flow)
{
	s32 left = READ_ONCE(flow->expires) - nfct_time_stamp;
	s32 idle = nf_fp_timeout(read_pnet(&ft->net), flow) - left;
	const char *refusal = nf_fp_hw_flow_refusal(flow);
	bool fresh = !nf_fp_reval_stale(flow, IP_CT_DIR_ORIGINAL) &&
		       !nf_fp_reval_stale(flow, IP_CT_DIR_REPLY);

	if ((refusal &&
	     nla_put_string(skb, NF_FASTPATH_A_FLOW_HW_REFUSAL, refusal)) ||
	    nla_put_u64_64bit(skb, NF_FASTPATH_A_FLOW_IDLE_MS,
			      nf_fp_nl_ms(idle), 0) ||
	    nla_put_u64_64bit(skb, NF_FASTPATH_A_FLOW_TIMEOUT_MS,
			      nf_fp_nl_ms(left), 0) ||
	    nla_put_u8(skb, NF_FASTPATH_A_FLOW_CURRENT, fresh))
		return -EMSGSIZE;
	return 0;
}

/* The header of a reply: NLM_F_MULTI with @multi, in the parts of a dump. */
static void *nf_fp_nl_put_hdr(struct sk_buff *skb,
			      const struct genl_info *info, bool multi)
{
	return genlmsg_put(skb, info->snd_portid, info->snd_seq,
			   &nf_fastpath_nl_family, multi ? NLM_F_MULTI : 0,
			   info->genlhdr->cmd);
}

static int nf_fp_nl_fill_flow(struct sk_buff *skb, struct nf_flowtable *ft,
			      const struct nf_fp_flow *flow,
			      const struct genl_info *info, bool multi)
{
	void *hdr;

	hdr = nf_fp_nl_put_hdr(skb, info, multi);
	if (!hdr)
		return -EMSGSIZE;
	if (nf_fp_nl_put_flow_id(skb, ft, flow) ||
	    nf_fp_nl_put_flow_state(skb, ft, flow)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* Walking the flows of a netns: the flowtables in list order, each one's
 * flows in hash order.  A dump resumes by skipping the flows it has
 * reported already, which costs a walk up to there per part of the dump;
 * flows that come or go between two parts of it, or a resize of the
 * table, may make it miss a flow or report one twice, as with any netlink
 * dump.
 */
struct nf_fp_nl_walk {
	const struct nf_fp_nl_filter	*filter;
	int	(*fn)(struct nf_flowtable *ft, struct nf_fp_flow *flow,
		      struct nf_fp_nl_walk *w);
	unsigned long	seen;
	unsigned long	skip;
	unsigned long	next;
	unsigned int	count;
	int		err;
	struct sk_buff	*skb;
	const struct genl_info *info;
	u32		ct_id;
};

static int nf_fp_nl_walk_one(struct nf_flowtable *ft, struct nf_fp_flow *flow,
			     struct nf_fp_nl_walk *w)
{
	if (test_bit(NF_FP_FLOW_DEAD, &flow->flags))
		return 0;
	if (w->filter && !nf_fp_nl_flow_match(w->filter, flow))
		return 0;
	if (w->seen++ < w->skip)
		return 0;
	return w->fn(ft, flow, w);
}

/* One flowtable's flows, until w->fn() returns non-zero: an error (a full
 * message), or 1 to stop.
 */
static int nf_fp_nl_walk_table(struct nf_flowtable *ft,
			       struct nf_fp_nl_walk *w)
{
	unsigned long seen = w->seen;
	struct rhashtable_iter iter;
	struct nf_fp_dir *d;
	int err = 0;

	rhashtable_walk_enter(&ft->rhashtable, &iter);
	rhashtable_walk_start(&iter);
	for (;;) {
		d = rhashtable_walk_next(&iter);
		/* Resized: the walk starts over in the new table.  A dump
		 * goes on past what this part has reported already.
		 */
		if (d == ERR_PTR(-EAGAIN)) {
			if (w->skb)
				w->skip = max(w->skip, w->seen);
			w->seen = seen;
		} else if (IS_ERR_OR_NULL(d)) {
			break;
		} else if (d->dir == IP_CT_DIR_ORIGINAL) {
			err = nf_fp_nl_walk_one(ft, nf_fp_dir_flow(d), w);
		}
		if (err)
			break;
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
	return err;
}

static void nf_fp_nl_walk(struct net *net, struct nf_fp_nl_walk *w)
{
	const struct nf_fp_nl_filter *f = w->filter;
	struct nf_fp_net *fpn = nf_fp_pernet(net);
	struct nf_fp_table *t;

	rcu_read_lock();
	list_for_each_entry_rcu(t, &fpn->tables, node) {
		if (f && !nf_fp_nl_names_match(t->ft, f->family, f->table,
					       f->name))
			continue;
		w->err = nf_fp_nl_walk_table(t->ft, w);
		if (w->err)
			break;
	}
	rcu_read_unlock();
}

static int nf_fp_nl_dump_one(struct nf_flowtable *ft, struct nf_fp_flow *flow,
			     struct nf_fp_nl_walk *w)
{
	int err = nf_fp_nl_fill_flow(w->skb, ft, flow, w->info, true);

	if (!err) {
		w->count++;
		w->next = w->seen;
	}
	return err;
}

int nf_fastpath_nl_flow_get_dumpit(struct sk_buff *skb,
				   struct netlink_callback *cb)
{
	const struct genl_info *info = genl_info_dump(cb);
	unsigned long *done = &cb->args[0];
	struct nf_fp_nl_filter filter;
	struct nf_fp_nl_walk w = {
		.filter	= &filter,
		.fn	= nf_fp_nl_dump_one,
		.skip	= *done,
		.skb	= skb,
		.info	= info,
	};
	int err;

	err = nf_fp_nl_parse_filter(info, &filter);
	if (err)
		return err;
	nf_fp_nl_walk(sock_net(skb->sk), &w);
	if (w.count)
		*done = w.next;
	/* A flow too big for an empty message would stop the dump for good. */
	if (w.err && !w.count)
		return w.err;
	return w.err ? skb->len : 0;
}

static int nf_fp_nl_get_one(struct nf_flowtable *ft, struct nf_fp_flow *flow,
			    struct nf_fp_nl_walk *w)
{
	int err;

	if (nf_fp_nl_ct_id(flow) != w->ct_id)
		return 0;
	err = nf_fp_nl_fill_flow(w->skb, ft, flow, w->info, false);
	if (err)
		return err;
	w->count++;
	return 1;	/* found: stop */
}

int nf_fastpath_nl_flow_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nf_fp_nl_walk w = { .fn = nf_fp_nl_get_one, .info = info };
	int err;

	if (GENL_REQ_ATTR_CHECK(info, NF_FASTPATH_A_FLOW_CT_ID))
		return -EINVAL;
	w.ct_id = nla_get_u32(info->attrs[NF_FASTPATH_A_FLOW_CT_ID]);

	w.skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!w.skb)
		return -ENOMEM;
	/* The conntrack entry is offloaded once: one flow at most. */
	nf_fp_nl_walk(genl_info_net(info), &w);
	err = min(w.err, 0);
	if (!err && !w.count) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[NF_FASTPATH_A_FLOW_CT_ID],
				    "no offloaded flow has this conntrack id");
		err = -ENOENT;
	}
	if (err) {
		nlmsg_free(w.skb);
		return err;
	}
	return genlmsg_reply(w.skb, info);
}

static int nf_fp_nl_handback_one(struct nf_flowtable *ft,
				 struct nf_fp_flow *flow,
				 struct nf_fp_nl_walk *w)
{
	if (nf_fp_flow_remove(ft, flow, NF_FP_STAT_DEL_HANDBACK))
		w->count++;
	return 0;
}

int nf_fastpath_nl_flow_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nf_fp_nl_filter filter;
	struct nf_fp_nl_walk w = {
		.filter	= &filter,
		.fn	= nf_fp_nl_handback_one,
	};
	struct sk_buff *msg;
	void *hdr;
	int err;

	err = nf_fp_nl_parse_filter(info, &filter);
	if (err)
		return err;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_iput(msg, info);
	if (!hdr)
		goto err_free;

	nf_fp_nl_walk(genl_info_net(info), &w);
	if (nla_put_u32(msg, NF_FASTPATH_A_FLOW_COUNT, w.count))
		goto err_free;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int nf_fp_nl_put_counter(struct sk_buff *skb, unsigned int type,
				const char *name, u64 value)
{
	struct nlattr *nest = nla_nest_start(skb, type);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_string(skb, NF_FASTPATH_A_COUNTER_NAME, name) ||
	    nla_put_u64_64bit(skb, NF_FASTPATH_A_COUNTER_VALUE, value, 0)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int nf_fp_nl_put_hw(struct sk_buff *skb, struct nf_flowtable *ft)
{
	struct nf_fp_hw_report *hw;
	int i, err = -EMSGSIZE;

	hw = kmalloc(sizeof(*hw), GFP_KERNEL);
	if (!hw)
		return -ENOMEM;
	if (!nf_fp_hw_report(ft, hw)) {
		err = 0;
		goto out;
	}
	if (nla_put_u32(skb, NF_FASTPATH_A_TABLE_HW_FLOWS, hw->flows))
		goto out;
	for (i = 0; i < NF_FP_HW_REASON_MAX; i++)
		if (nf_fp_nl_put_counter(skb, NF_FASTPATH_A_TABLE_HW_COUNTER,
					 nf_fp_hw_reason_names[i],
					 hw->count[i]))
			goto out;
	if (hw->last_error[0] &&
	    nla_put_string(skb, NF_FASTPATH_A_TABLE_HW_LAST_ERROR,
			   hw->last_error))
		goto out;
	err = 0;
out:
	kfree(hw);
	return err;
}

static int nf_fp_nl_fill_table(struct sk_buff *skb, struct nf_flowtable *ft,
			       const struct genl_info *info, bool multi)
{
	void *hdr;
	int err;

	hdr = nf_fp_nl_put_hdr(skb, info, multi);
	if (!hdr)
		return -EMSGSIZE;
	err = -EMSGSIZE;
	if (nf_fp_nl_put_names(skb, ft, NF_FASTPATH_A_TABLE_TABLE_FAMILY) ||
	    nla_put_u32(skb, NF_FASTPATH_A_TABLE_FLOWS,
			atomic_read(&ft->rhashtable.nelems) / 2) ||
	    nla_put_u8(skb, NF_FASTPATH_A_TABLE_REVALIDATE,
		       nf_fp_reval_enabled(ft)))
		goto err_cancel;
	err = nf_fp_nl_put_hw(skb, ft);
	if (err)
		goto err_cancel;
	genlmsg_end(skb, hdr);
	return 0;

err_cancel:
	genlmsg_cancel(skb, hdr);
	return err;
}

/* A table-get or table-set request names one flowtable, whole. */
struct nf_fp_nl_table_req {
	const char		*family;
	const char		*table;
	const char		*name;
	struct genl_info	*info;
	struct sk_buff		*msg;
	int			err;
};

static int nf_fp_nl_parse_table(struct genl_info *info,
				struct nf_fp_nl_table_req *req)
{
	if (GENL_REQ_ATTR_CHECK(info, NF_FASTPATH_A_TABLE_TABLE_FAMILY) ||
	    GENL_REQ_ATTR_CHECK(info, NF_FASTPATH_A_TABLE_TABLE) ||
	    GENL_REQ_ATTR_CHECK(info, NF_FASTPATH_A_TABLE_FLOWTABLE))
		return -EINVAL;
	req->family = nla_data(info->attrs[NF_FASTPATH_A_TABLE_TABLE_FAMILY]);
	req->table = nla_data(info->attrs[NF_FASTPATH_A_TABLE_TABLE]);
	req->name = nla_data(info->attrs[NF_FASTPATH_A_TABLE_FLOWTABLE]);
	req->info = info;
	req->err = -ENOENT;
	return 0;
}

static void nf_fp_nl_table_missing(struct nf_fp_nl_table_req *req)
{
	NL_SET_ERR_MSG_ATTR_FMT(req->info->extack,
				req->info->attrs[NF_FASTPATH_A_TABLE_FLOWTABLE],
				"no flowtable %.24s in table %.6s %.24s",
				req->name, req->family, req->table);
}

static int nf_fp_nl_table_get_one(struct nf_flowtable *ft, void *arg)
{
	struct nf_fp_nl_table_req *req = arg;

	if (!nf_fp_nl_names_match(ft, req->family, req->table, req->name))
		return 0;
	req->err = nf_fp_nl_fill_table(req->msg, ft, req->info, false);
	return 1;
}

int nf_fastpath_nl_table_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nf_fp_nl_table_req req;
	int err;

	err = nf_fp_nl_parse_table(info, &req);
	if (err)
		return err;
	req.msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!req.msg)
		return -ENOMEM;
	nf_fp_netns_each(genl_info_net(info), nf_fp_nl_table_get_one, &req);
	if (req.err) {
		if (req.err == -ENOENT)
			nf_fp_nl_table_missing(&req);
		nlmsg_free(req.msg);
		return req.err;
	}
	return genlmsg_reply(req.msg, info);
}

struct nf_fp_nl_table_dump {
	struct sk_buff		*skb;
	const struct genl_info	*info;
	unsigned long		*done;
	unsigned long		seen;
	int			err;
};

static int nf_fp_nl_table_dump_one(struct nf_flowtable *ft, void *arg)
{
	struct nf_fp_nl_table_dump *d = arg;

	if (d->seen++ < *d->done)
		return 0;
	d->err = nf_fp_nl_fill_table(d->skb, ft, d->info, true);
	if (d->err)
		return 1;
	(*d->done)++;
	return 0;
}

int nf_fastpath_nl_table_get_dumpit(struct sk_buff *skb,
				    struct netlink_callback *cb)
{
	unsigned long before = cb->args[0];
	struct nf_fp_nl_table_dump d = {
		.skb	= skb,
		.info	= genl_info_dump(cb),
		.done	= &cb->args[0],
	};

	nf_fp_netns_each(sock_net(skb->sk), nf_fp_nl_table_dump_one, &d);
	if (d.err && cb->args[0] == before)
		return d.err;
	return d.err ? skb->len : 0;
}

static int nf_fp_nl_table_set_one(struct nf_flowtable *ft, void *arg)
{
	struct nf_fp_nl_table_req *req = arg;
	struct nlattr *reval;

	if (!nf_fp_nl_names_match(ft, req->family, req->table, req->name))
		return 0;
	req->err = 0;
	reval = req->info->attrs[NF_FASTPATH_A_TABLE_REVALIDATE];
	if (reval)
		req->err = nf_fp_reval_set(ft, nla_get_u8(reval));
	return 1;
}

int nf_fastpath_nl_table_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nf_fp_nl_table_req req;
	int err;

	err = nf_fp_nl_parse_table(info, &req);
	if (err)
		return err;
	nf_fp_netns_each(genl_info_net(info), nf_fp_nl_table_set_one, &req);
	if (req.err == -ENOENT)
		nf_fp_nl_table_missing(&req);
	return req.err;
}

int nf_fastpath_nl_stats_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	u64 *sum;
	int i, err = -ENOMEM;
	void *hdr;

	sum = kcalloc(NF_FP_STAT_MAX, sizeof(*sum), GFP_KERNEL);
	if (!sum)
		return -ENOMEM;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		goto err_sum;
	err = -EMSGSIZE;
	hdr = genlmsg_iput(msg, info);
	if (!hdr)
		goto err_msg;
	nf_fp_stats_read(genl_info_net(info), sum);
	for (i = 0; i < NF_FP_STAT_MAX; i++)
		if (nf_fp_nl_put_counter(msg, NF_FASTPATH_A_STATS_COUNTER,
					 nf_fp_stat_names[i], sum[i]))
			goto err_msg;
	genlmsg_end(msg, hdr);
	kfree(sum);
	return genlmsg_reply(msg, info);

err_msg:
	nlmsg_free(msg);
err_sum:
	kfree(sum);
	return err;
}

/* Events go out from wherever flows come and go: the packet path, the
 * garbage collector, notifier chains.  Nothing is built unless someone
 * listens in the flowtable's netns.
 */
static void nf_fp_nl_notify(struct nf_flowtable *ft, struct nf_fp_flow *flow,
			    u8 cmd, enum nf_fp_stat reason)
{
	struct net *net = read_pnet(&ft->net);
	struct sk_buff *skb;
	void *hdr;

	if (!genl_has_listeners(&nf_fastpath_nl_family, net,
				NF_FASTPATH_NLGRP_FLOWS))
		return;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_ATOMIC);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &nf_fastpath_nl_family, 0, cmd);
	if (!hdr)
		goto err_free;
	if (nf_fp_nl_put_flow_id(skb, ft, flow))
		goto err_free;
	if (cmd == NF_FASTPATH_CMD_FLOW_ADD_NTF &&
	    nf_fp_nl_put_flow_state(skb, ft, flow))
		goto err_free;
	if (cmd == NF_FASTPATH_CMD_FLOW_DEL_NTF &&
	    nla_put_u32(skb, NF_FASTPATH_A_FLOW_REASON,
			nf_fp_nl_reasons[reason]))
		goto err_free;
	genlmsg_end(skb, hdr);
	genlmsg_multicast_netns(&nf_fastpath_nl_family, net, skb, 0,
				NF_FASTPATH_NLGRP_FLOWS, GFP_ATOMIC);
	return;

err_free:
	nlmsg_free(skb);
}

void nf_fp_nl_flow_added(struct nf_flowtable *ft, struct nf_fp_flow *flow)
{
	nf_fp_nl_notify(ft, flow, NF_FASTPATH_CMD_FLOW_ADD_NTF, NF_FP_STAT_MAX);
}

void nf_fp_nl_flow_removed(struct nf_flowtable *ft, struct nf_fp_flow *flow,
			   enum nf_fp_stat reason)
{
	nf_fp_nl_notify(ft, flow, NF_FASTPATH_CMD_FLOW_DEL_NTF, reason);
}

int nf_fp_netlink_init(void)
{
	return genl_register_family(&nf_fastpath_nl_family);
}

void nf_fp_netlink_exit(void)
{
	genl_unregister_family(&nf_fastpath_nl_family);
}

MODULE_ALIAS_GENL_FAMILY(NF_FASTPATH_FAMILY_NAME);
