// SPDX-License-Identifier: GPL-2.0-only
/*
 * The garbage collector of a flowtable: once a second it takes out the
 * flows that idled out, whose conntrack entry died or whose ruleset
 * verdict was not renewed, keeps the conntrack entries of the others
 * alive, and tells the hardware offload what to do with its flows.
 */

#include <linux/workqueue.h>

#include "fastpath.h"

#define NF_FP_GC_INTERVAL	HZ

/* Why a flow should leave the table now, or NF_FP_STAT_MAX to keep it. */
static enum nf_fp_stat nf_fp_gc_verdict(struct nf_flowtable *ft,
					struct nf_fp_flow *flow)
{
	if (nf_ct_is_dying(flow->ct))
		return NF_FP_STAT_DEL_CT_DYING;
	if ((s32)(READ_ONCE(flow->expires) - nfct_time_stamp) <= 0)
		return NF_FP_STAT_DEL_TIMEOUT;
	if (nf_fp_reval_abandoned(ft, flow))
		return NF_FP_STAT_DEL_REVAL;
	return NF_FP_STAT_MAX;
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
		nf_fp_flow_remove(ft, flow, reason);
		return;
	}
	if (nf_fp_hw_flow_in_hw(flow) && nf_fp_route_check(ft, flow))
		return;
	nf_fp_ct_hold(flow);
	nf_fp_hw_flow_gc(ft, flow);
}

static void nf_fp_gc_work(struct work_struct *work)
{
	struct nf_flowtable *ft;

	ft = container_of(work, struct nf_flowtable, gc_work.work);
	nf_fp_hash_walk(ft, nf_fp_gc_one, NULL);
	nf_fp_stat_inc(read_pnet(&ft->net), NF_FP_STAT_GC_PASS);
	queue_delayed_work(system_power_efficient_wq, &ft->gc_work,
			   NF_FP_GC_INTERVAL);
}

void nf_fp_gc_start(struct nf_flowtable *ft)
{
	INIT_DELAYED_WORK(&ft->gc_work, nf_fp_gc_work);
	queue_delayed_work(system_power_efficient_wq, &ft->gc_work,
			   NF_FP_GC_INTERVAL);
}

void nf_fp_gc_stop(struct nf_flowtable *ft)
{
	cancel_delayed_work_sync(&ft->gc_work);
}
