// SPDX-License-Identifier: GPL-2.0-only
/*
 * The life of a flow once built: taken out of the table (by a packet, the
 * garbage collector, an event or a flush), released after a grace period
 * with its routes and its conntrack entry.
 */

#include <linux/slab.h>
#include <net/dst.h>
#include <net/netfilter/nf_conntrack.h>

#include "fastpath.h"

/* Flows have a cache of their own: struct nf_fp_flow is a little over
 * what kmalloc's 256-byte objects hold.  Cache-line aligned, as kmalloc's
 * objects are: a flow's counters are written by every packet.
 */
static struct kmem_cache *nf_fp_flow_cache __read_mostly;

struct nf_fp_flow *nf_fp_flow_alloc(void)
{
	return kmem_cache_zalloc(nf_fp_flow_cache, GFP_ATOMIC);
}

void nf_fp_flow_free(struct nf_fp_flow *flow)
{
	kmem_cache_free(nf_fp_flow_cache, flow);
}

/* Unlink a flow and give its conntrack entry back, unless the entry is
 * dying or being killed.  Safe from the packet path and from process
 * context; the first caller wins, and is told so.
 */
bool nf_fp_flow_remove(struct nf_flowtable *ft, struct nf_fp_flow *flow,
		       enum nf_fp_stat reason)
{
	bool handback;

	if (test_and_set_bit(NF_FP_FLOW_DEAD, &flow->flags))
		return false;

	nf_fp_hash_unlink(ft, flow);
	nf_fp_stat_inc(read_pnet(&ft->net), reason);
	nf_fp_nl_flow_removed(ft, flow, reason);
	handback = reason != NF_FP_STAT_DEL_CT_DYING &&
		   reason != NF_FP_STAT_DEL_NAT_ADDR;
	if (!nf_fp_hw_flow_release(flow, handback))
		nf_fp_flow_release(flow, handback);
	return true;
}

static void nf_fp_flow_free_rcu(struct rcu_head *head)
{
	struct nf_fp_flow *flow = container_of(head, struct nf_fp_flow, rcu);

	dst_release(flow->dir[0].dst);
	dst_release(flow->dir[1].dst);
	nf_ct_put(flow->ct);
	nf_fp_hw_flow_free(flow);
	nf_fp_flow_free(flow);
}

/* The flow is out of the table: packets no longer find it, but readers
 * that found it before may still use it until a grace period ends.
 */
void nf_fp_flow_release(struct nf_fp_flow *flow, bool handback)
{
	if (handback)
		nf_fp_ct_handback(flow->ct);
	clear_bit(IPS_OFFLOAD_BIT, &flow->ct->status);
	call_rcu(&flow->rcu, nf_fp_flow_free_rcu);
}

/* Take every flow out of the table. */
static void nf_fp_flush_one(struct nf_flowtable *ft, struct nf_fp_flow *flow,
			    const void *arg)
{
	nf_fp_flow_remove(ft, flow, *(const enum nf_fp_stat *)arg);
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
			nf_fp_flow_remove(ft, flow, NF_FP_STAT_DEL_DEVICE);
			return;
		}
	}
}

void nf_fp_flow_flush(struct nf_flowtable *ft,
		      const struct net_device *dev)
{
	enum nf_fp_stat reason = NF_FP_STAT_DEL_FLUSH;

	if (dev)
		nf_fp_hash_walk(ft, nf_fp_flush_dev_one, dev);
	else
		nf_fp_hash_walk(ft, nf_fp_flush_one, &reason);
}

int nf_fp_flow_cache_init(void)
{
	nf_fp_flow_cache = KMEM_CACHE(nf_fp_flow, SLAB_HWCACHE_ALIGN);
	return nf_fp_flow_cache ? 0 : -ENOMEM;
}

/* Flows still waiting for their grace period go back to the cache first. */
void nf_fp_flow_cache_exit(void)
{
	rcu_barrier();
	kmem_cache_destroy(nf_fp_flow_cache);
}
