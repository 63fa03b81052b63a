// SPDX-License-Identifier: GPL-2.0-only
/*
 * Flow table: the hash of flow directions behind one nftables flowtable,
 * its garbage collector, and cleanup on device events.
 */

#include <linux/jhash.h>
#include <linux/netdevice.h>
#include <linux/seq_file.h>
#include <linux/workqueue.h>
#include <net/netfilter/nf_tables.h>

#include "fastpath.h"

#define NF_FP_GC_INTERVAL	HZ

/* An IPv4 key uses one word of each address union, the rest is zero: its
 * hash covers the five words that differ between flows, in two of jhash's
 * final rounds instead of the three mixes and a final of the whole key.
 * Keys still compare in full.
 */
static u32 nf_fp_key_hash(const void *data, u32 len, u32 seed)
{
	const struct nf_fp_key *k = data;
	u32 ports, rest;

	static_assert(sizeof(*k) % sizeof(u32) == 0);
	if (k->l3proto != NFPROTO_IPV4)
		return jhash2(data, len / sizeof(u32), seed);

	ports = (__force u32)k->sport << 16 | (__force u16)k->dport;
	rest = (u32)k->l4proto << 16 | k->vlan;
	return jhash_3words((__force u32)k->saddr.ip, (__force u32)k->daddr.ip,
			    ports, jhash_2words(k->iif, rest, seed));
}

/* Every packet that hits compares all of the key: a word at a time with
 * one test at the end, inline, rather than memcmp()'s loop and tail.
 */
static int nf_fp_key_cmp(struct rhashtable_compare_arg *arg, const void *obj)
{
	const u32 *a = (const u32 *)&((const struct nf_fp_dir *)obj)->key;
	const u32 *b = arg->key;
	u32 diff = 0;
	int i;

	for (i = 0; i < sizeof(struct nf_fp_key) / sizeof(u32); i++)
		diff |= a[i] ^ b[i];
	return diff != 0;
}

static const struct rhashtable_params nf_fp_rht_params = {
	.head_offset		= offsetof(struct nf_fp_dir, node),
	.key_offset		= offsetof(struct nf_fp_dir, key),
	.key_len		= sizeof(struct nf_fp_key),
	.hashfn			= nf_fp_key_hash,
	.obj_cmpfn		= nf_fp_key_cmp,
	.automatic_shrinking	= true,
};

/* All our flowtables, linked through nf_flowtable::list, for device
 * events and /proc.  Changed under the mutex, walked under RCU by events
 * (some of which come from atomic notifier chains) or under the mutex.
 */
static LIST_HEAD(nf_fp_tables);
static DEFINE_MUTEX(nf_fp_tables_mutex);

/* Call @fn for every flow of every flowtable of @net.  Does not sleep. */
void nf_fp_tables_walk(const struct net *net,
		       void (*fn)(struct nf_flowtable *ft,
				  struct nf_fp_flow *flow, const void *arg),
		       const void *arg)
{
	struct nf_flowtable *ft;

	rcu_read_lock();
	list_for_each_entry_rcu(ft, &nf_fp_tables, list) {
		if (net_eq(read_pnet(&ft->net), net))
			nf_fp_table_walk(ft, fn, arg);
	}
	rcu_read_unlock();
}

struct nf_fp_dir *nf_fp_table_lookup(struct nf_flowtable *ft,
				     const struct nf_fp_key *key)
{
	return rhashtable_lookup(&ft->rhashtable, key, nf_fp_rht_params);
}

/* Publish both directions; a key that is there already is refused
 * (-EEXIST).  On failure the first direction may be in the table and
 * seen by packets: the caller takes the flow out with
 * nf_fp_table_remove(), which copes with directions never inserted.
 */
int nf_fp_table_add(struct nf_flowtable *ft, struct nf_fp_flow *flow)
{
	int err;

	err = rhashtable_lookup_insert_fast(&ft->rhashtable,
					    &flow->dir[0].node,
					    nf_fp_rht_params);
	if (err)
		return err;
	return rhashtable_lookup_insert_fast(&ft->rhashtable,
					     &flow->dir[1].node,
					     nf_fp_rht_params);
}

/* Unlink a flow and give its conntrack entry back, unless the entry is
 * dying or being killed.  Safe from the packet path and from process
 * context; the first caller wins.
 */
void nf_fp_table_remove(struct nf_flowtable *ft, struct nf_fp_flow *flow,
			enum nf_fp_stat reason)
{
	bool handback;

	if (test_and_set_bit(NF_FP_FLOW_DEAD, &flow->flags))
		return;

	rhashtable_remove_fast(&ft->rhashtable, &flow->dir[0].node,
			       nf_fp_rht_params);
	rhashtable_remove_fast(&ft->rhashtable, &flow->dir[1].node,
			       nf_fp_rht_params);
	nf_fp_stat_inc(read_pnet(&ft->net), reason);
	handback = reason != NF_FP_STAT_DEL_CT_DYING &&
		   reason != NF_FP_STAT_DEL_NAT_ADDR;
	if (!nf_fp_hw_flow_release(flow, handback))
		nf_fp_flow_release(flow, handback);
}

/* Why a flow should leave the table now, or NF_FP_STAT_MAX to keep it. */
static enum nf_fp_stat nf_fp_gc_verdict(struct nf_flowtable *ft,
					struct nf_fp_flow *flow)
{
	if (nf_ct_is_dying(flow->ct))
		return NF_FP_STAT_DEL_CT_DYING;
	if ((s32)(READ_ONCE(flow->expires) - nfct_time_stamp) <= 0)
		return NF_FP_STAT_DEL_TIMEOUT;
	if (nf_fp_policy_abandoned(ft, flow))
		return NF_FP_STAT_DEL_POLICY;
	return NF_FP_STAT_MAX;
}

/* Walk every flow once (through its original direction) and call @fn. */
void nf_fp_table_walk(struct nf_flowtable *ft,
		      void (*fn)(struct nf_flowtable *ft,
				 struct nf_fp_flow *flow, const void *arg),
		      const void *arg)
{
	struct rhashtable_iter iter;
	struct nf_fp_dir *d;

	rhashtable_walk_enter(&ft->rhashtable, &iter);
	rhashtable_walk_start(&iter);
	while ((d = rhashtable_walk_next(&iter))) {
		if (IS_ERR(d)) {
			if (PTR_ERR(d) == -EAGAIN)
				continue;
			break;
		}
		if (d->dir == IP_CT_DIR_ORIGINAL)
			fn(ft, nf_fp_dir_flow(d), arg);
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
}

/* Packets of a software flow check its routes themselves; those the
 * hardware forwards do not, so the routes of a hardware flow are checked
 * here (nf_fp_route_check() takes the flow out if they changed).  A
 * software flow with a stale route and no packets keeps the route, and
 * its reference, until it expires.
 */
static void nf_fp_gc_one(struct nf_flowtable *ft, struct nf_fp_flow *flow,
			 const void *arg)
{
	enum nf_fp_stat reason = nf_fp_gc_verdict(ft, flow);

	if (reason != NF_FP_STAT_MAX) {
		nf_fp_table_remove(ft, flow, reason);
		return;
	}
	if (nf_fp_hw_flow_in_hw(flow) && nf_fp_route_check(ft, flow))
		return;
	nf_fp_flow_hold_ct(flow);
	nf_fp_hw_flow_gc(ft, flow);
}

static void nf_fp_gc_work(struct work_struct *work)
{
	struct nf_flowtable *ft;

	ft = container_of(work, struct nf_flowtable, gc_work.work);
	nf_fp_table_walk(ft, nf_fp_gc_one, NULL);
	nf_fp_stat_inc(read_pnet(&ft->net), NF_FP_STAT_GC_PASS);
	queue_delayed_work(system_power_efficient_wq, &ft->gc_work,
			   NF_FP_GC_INTERVAL);
}

/* Take every flow out of the table. */
static void nf_fp_flush_one(struct nf_flowtable *ft, struct nf_fp_flow *flow,
			    const void *arg)
{
	nf_fp_table_remove(ft, flow, *(const enum nf_fp_stat *)arg);
}

/* Remove the flows entering or leaving through @dev, or all with NULL. */
static void nf_fp_flush_dev_one(struct nf_flowtable *ft,
				struct nf_fp_flow *flow, const void *arg)
{
	const struct net_device *dev = arg;
	int i;

	for (i = 0; i < IP_CT_DIR_MAX; i++) {
		if (flow->dir[i].key.iif == dev->ifindex ||
		    flow->dir[i].oif == dev->ifindex) {
			nf_fp_table_remove(ft, flow, NF_FP_STAT_DEL_DEVICE);
			return;
		}
	}
}

void nf_fp_table_flush_dev(struct nf_flowtable *ft,
			   const struct net_device *dev)
{
	enum nf_fp_stat reason = NF_FP_STAT_DEL_FLUSH;

	if (dev)
		nf_fp_table_walk(ft, nf_fp_flush_dev_one, dev);
	else
		nf_fp_table_walk(ft, nf_fp_flush_one, &reason);
}

int nf_fp_table_init(struct nf_flowtable *ft)
{
	int err;

	err = rhashtable_init(&ft->rhashtable, &nf_fp_rht_params);
	if (err)
		return err;
	err = nf_fp_hw_init(ft);
	if (err) {
		rhashtable_destroy(&ft->rhashtable);
		return err;
	}

	flow_block_init(&ft->flow_block);
	init_rwsem(&ft->flow_block_lock);
	INIT_DELAYED_WORK(&ft->gc_work, nf_fp_gc_work);
	queue_delayed_work(system_power_efficient_wq, &ft->gc_work,
			   NF_FP_GC_INTERVAL);

	mutex_lock(&nf_fp_tables_mutex);
	list_add_rcu(&ft->list, &nf_fp_tables);
	mutex_unlock(&nf_fp_tables_mutex);
	return 0;
}

/* Called by nf_tables once the flowtable's hooks are gone. */
void nf_fp_table_free(struct nf_flowtable *ft)
{
	mutex_lock(&nf_fp_tables_mutex);
	list_del_rcu(&ft->list);
	mutex_unlock(&nf_fp_tables_mutex);
	/* nf_fp_tables_walk() may still be in the table. */
	synchronize_rcu();

	cancel_delayed_work_sync(&ft->gc_work);
	nf_fp_table_flush_dev(ft, NULL);
	nf_fp_hw_free(ft);
	nf_fp_policy_forget(ft);
	rhashtable_destroy(&ft->rhashtable);
}

static const char *nf_fp_family_name(u8 family)
{
	switch (family) {
	case NFPROTO_INET:
		return "inet";
	case NFPROTO_IPV4:
		return "ip";
	case NFPROTO_IPV6:
		return "ip6";
	}
	return "unknown";
}

void nf_fp_tables_show(struct seq_file *seq, struct net *net)
{
	struct nft_flowtable *nft_ft;
	struct nf_flowtable *ft;

	mutex_lock(&nf_fp_tables_mutex);
	list_for_each_entry(ft, &nf_fp_tables, list) {
		if (!net_eq(read_pnet(&ft->net), net))
			continue;
		nft_ft = container_of(ft, struct nft_flowtable, data);
		seq_printf(seq, "flowtable %s %s %s flows %u revalidate %s",
			   nf_fp_family_name(nft_ft->table->family),
			   nft_ft->table->name, nft_ft->name,
			   atomic_read(&ft->rhashtable.nelems) / 2,
			   nf_fp_policy_enabled(ft) ? "on" : "off");
		nf_fp_hw_show(seq, ft);
		seq_putc(seq, '\n');
	}
	mutex_unlock(&nf_fp_tables_mutex);
}

/* Find a flowtable of @net by family, table and name and turn policy
 * revalidation on or off for it.
 */
int nf_fp_tables_set_policy(struct net *net, const char *family,
			    const char *table, const char *name, bool enable)
{
	struct nft_flowtable *nft_ft;
	struct nf_flowtable *ft;
	int err = -ENOENT;

	mutex_lock(&nf_fp_tables_mutex);
	list_for_each_entry(ft, &nf_fp_tables, list) {
		if (!net_eq(read_pnet(&ft->net), net))
			continue;
		nft_ft = container_of(ft, struct nft_flowtable, data);
		if (strcmp(nf_fp_family_name(nft_ft->table->family), family) ||
		    strcmp(nft_ft->table->name, table) ||
		    strcmp(nft_ft->name, name))
			continue;
		err = nf_fp_policy_set(ft, enable);
		break;
	}
	mutex_unlock(&nf_fp_tables_mutex);
	return err;
}

