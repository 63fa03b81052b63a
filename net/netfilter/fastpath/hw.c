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
 * timeout (a busy flow is then kept alive), take a flow whose ruleset verdict is
 * out of date out of the hardware (it comes back once the ruleset has
 * judged it again), or try again a flow the driver refused for a reason
 * that passes (a busy or failing device, an unresolved neighbour) after a
 * growing delay.  Flows refused for a full table wait in line and get the
 * room other flows leave, one flow for each.  Each run of the work item
 * stops after a few milliseconds and goes on later, so that a large table
 * does not hold a CPU.
 *
 * Packets the hardware forwards do not check the flow's routes: the
 * garbage collector does that for flows in hardware, and a flow is only
 * pushed with current routes and a live conntrack entry.
 */

#include <linux/netdevice.h>
#include <linux/slab.h>
#include <net/flow_offload.h>
#include <net/netfilter/nf_conntrack_acct.h>
#include <net/pkt_cls.h>

#include "fastpath.h"

const char * const nf_fp_hw_reason_names[NF_FP_HW_REASON_MAX] = {
	[NF_FP_HW_FAIL_NOSPC]		= "hw_add_nospc",
	[NF_FP_HW_FAIL_UNSUPPORTED]	= "hw_add_unsupported",
	[NF_FP_HW_FAIL_NEIGH]		= "hw_add_noneigh",
	[NF_FP_HW_FAIL_ERROR]		= "hw_add_error",
	[NF_FP_HW_FAIL_STATS]		= "hw_stats_error",
	[NF_FP_HW_OUT_REVAL]		= "hw_out_policy",
	[NF_FP_HW_PUSHED]		= "hw_pushed",
	[NF_FP_HW_RETRIED]		= "hw_retried",
	[NF_FP_HW_STATS_READ]		= "hw_stats_read",
};

/* Where a flow stands with the hardware.  Only the work item moves it. */
enum {
	NF_FP_HW_NONE,		/* software only, may be pushed */
	NF_FP_HW_ON,		/* both directions in hardware */
	NF_FP_HW_REFUSED,	/* the hardware said no: software for good */
	NF_FP_HW_RETRY,		/* refused for now: again at retry */
	NF_FP_HW_NOSPACE,	/* table full: waits in hw->nospace */
};

/* What the work item is to do with a flow. */
enum {
	NF_FP_HW_TODO_PUSH	= BIT(0),
	NF_FP_HW_TODO_STATS	= BIT(1),
	NF_FP_HW_TODO_PULL	= BIT(2),	/* out: the verdict is stale */
	NF_FP_HW_TODO_RELEASE	= BIT(3),
	NF_FP_HW_TODO_HANDBACK	= BIT(4),
};

/* Transient refusals are tried again after 1, 2, 4 ... 64 s, then no more. */
#define NF_FP_HW_TRIES		7

/* How long one run of the work item may take. */
#define NF_FP_HW_WORK_BUDGET	msecs_to_jiffies(10)

/* The garbage collector offers the first flow waiting for room to the
 * driver this often, in case others than our flows made room.
 */
#define NF_FP_HW_NOSPACE_POLL	(5 * HZ)

/* One flowtable's hardware offload.  The lock covers the queue of flows
 * for the work item, the line of flows waiting for room (oldest first),
 * the flows' links into both and their todo, and the counts of flows put
 * on and taken off the queue.
 */
struct nf_fp_hw {
	struct nf_flowtable	*ft;
	struct delayed_work	work;
	spinlock_t		lock;		/* see above */
	struct list_head	queue;
	struct list_head	nospace;
	unsigned long		queued;
	unsigned long		taken;
	unsigned long		nospace_poll;
	atomic_t		flows;
	atomic_t		reasons[NF_FP_HW_REASON_MAX];
	char			last_error[80];
	unsigned int		bound;		/* devices; nf_tables commit mutex */
	bool			ttl_action;	/* their drivers asked for it */
};

/* One flow's hardware offload, allocated with the flow. */
struct nf_fp_flow_hw {
	struct nf_fp_hw		*hw;
	struct nf_fp_flow	*flow;
	struct list_head	node;
	struct list_head	wait;
	unsigned long		lastused;	/* by the driver's counters */
	u32			retry;
	u8			state;
	u8			todo;
	u8			tries;
	u8			refusal;	/* last nf_fp_hw_reason, + 1 */
};

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
	struct net_device *out;
	struct flow_rule *rule;
	int err;

	rule = nf_fp_hw_rule_build(flow, d, READ_ONCE(hw->ttl_action), &out,
				   &err);
	if (rule) {
		nf_fp_hw_cls_init(&cls, hw->ft, d, FLOW_CLS_REPLACE, &extack);
		cls.rule = rule;
		err = nf_fp_hw_call(hw->ft, &cls);
		nf_fp_hw_rule_free(rule, out);
	}
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
static bool nf_fp_hw_reval_stale(const struct nf_fp_flow *flow)
{
	return nf_fp_reval_stale(flow, IP_CT_DIR_ORIGINAL) ||
	       nf_fp_reval_stale(flow, IP_CT_DIR_REPLY);
}

/* Queue @flow for the work item with @todo.  Once RELEASE is queued the
 * flow belongs to the work item, which frees it.  The caller holds the
 * RCU read lock or otherwise knows the flow is not yet freed.
 */
static void nf_fp_hw_queue(struct nf_fp_hw *hw, struct nf_fp_flow *flow,
			   unsigned long todo)
{
	struct nf_fp_flow_hw *fh = flow->hw;

	spin_lock_bh(&hw->lock);
	/* A flow that left the table only waits for its release. */
	if (!(todo & NF_FP_HW_TODO_RELEASE) &&
	    test_bit(NF_FP_FLOW_DEAD, &flow->flags)) {
		spin_unlock_bh(&hw->lock);
		return;
	}
	fh->todo |= todo;
	if (list_empty(&fh->node)) {
		list_add_tail(&fh->node, &hw->queue);
		hw->queued++;
	}
	spin_unlock_bh(&hw->lock);
	queue_delayed_work(system_unbound_wq, &hw->work, 0);
}

/* Room for one flow was made in the table: offer it to the flow that
 * waited longest.  A flow in line is alive: leaving the table takes it
 * out of the line (nf_fp_hw_flow_release()).
 */
static void nf_fp_hw_room(struct nf_fp_hw *hw)
{
	struct nf_fp_flow_hw *fh;

	spin_lock_bh(&hw->lock);
	fh = list_first_entry_or_null(&hw->nospace, struct nf_fp_flow_hw,
				      wait);
	if (fh)
		list_del_init(&fh->wait);
	spin_unlock_bh(&hw->lock);
	if (fh)
		nf_fp_hw_queue(hw, fh->flow, NF_FP_HW_TODO_PUSH);
}

/* The driver refused @flow with @err: count it, and decide whether and
 * when to try again.
 */
static void nf_fp_hw_refused(struct nf_fp_hw *hw, struct nf_fp_flow *flow,
			     int err)
{
	struct nf_fp_flow_hw *fh = flow->hw;

	atomic_inc(&hw->reasons[nf_fp_hw_reason(err)]);
	WRITE_ONCE(fh->refusal, nf_fp_hw_reason(err) + 1);
	switch (err) {
	case -ENOSPC:
		WRITE_ONCE(fh->state, NF_FP_HW_NOSPACE);
		spin_lock_bh(&hw->lock);
		if (list_empty(&fh->wait))
			list_add_tail(&fh->wait, &hw->nospace);
		spin_unlock_bh(&hw->lock);
		return;
	case -EBUSY:
	case -EIO:
	case -EAGAIN:
	case -ENOMEM:
	case -ENOENT:
		if (fh->tries < NF_FP_HW_TRIES) {
			WRITE_ONCE(fh->retry, (u32)jiffies + (HZ << fh->tries));
			fh->tries++;
			WRITE_ONCE(fh->state, NF_FP_HW_RETRY);
			return;
		}
		break;
	}
	WRITE_ONCE(fh->state, NF_FP_HW_REFUSED);
}

static void nf_fp_hw_push(struct nf_fp_hw *hw, struct nf_fp_flow *flow)
{
	struct nf_fp_flow_hw *fh = flow->hw;
	bool was_waiting = false;
	int err;

	switch (fh->state) {
	case NF_FP_HW_NOSPACE:
		was_waiting = true;
		fallthrough;
	case NF_FP_HW_RETRY:
		atomic_inc(&hw->reasons[NF_FP_HW_RETRIED]);
		break;
	case NF_FP_HW_NONE:
		break;
	default:
		return;
	}
	/* The hardware will check neither the ruleset, the conntrack entry
	 * nor the routes: all must be current now.
	 */
	if (nf_fp_hw_reval_stale(flow) || nf_ct_is_dying(flow->ct) ||
	    nf_fp_route_check(hw->ft, flow))
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
	fh->tries = 0;
	fh->lastused = jiffies;
	WRITE_ONCE(fh->refusal, 0);
	WRITE_ONCE(fh->state, NF_FP_HW_ON);
	atomic_inc(&hw->flows);
	atomic_inc(&hw->reasons[NF_FP_HW_PUSHED]);
	set_bit(IPS_HW_OFFLOAD_BIT, &flow->ct->status);
	/* There was room after all: maybe for the next one in line too. */
	if (was_waiting)
		nf_fp_hw_room(hw);
}

/* Packets forwarded by the hardware keep the flow alive and, with the
 * counter flag, count in conntrack.  Hardware without packet counters
 * (the PPE of MT7621 and MT7623) still says when an entry last forwarded
 * one.
 */
static void nf_fp_hw_stats(struct nf_fp_hw *hw, struct nf_fp_flow *flow)
{
	struct nf_fp_flow_hw *fh = flow->hw;
	struct flow_cls_offload cls;
	unsigned long last;
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
		last = cls.stats.lastused;
		if (time_after(last, fh->lastused)) {
			fh->lastused = last;
			used = true;
		}
		if (!cls.stats.pkts)
			continue;
		used = true;
		atomic64_add(cls.stats.pkts, &flow->dir[i].packets);
		atomic64_add(cls.stats.bytes, &flow->dir[i].bytes);
		if (hw->ft->flags & NF_FLOWTABLE_COUNTER)
			nf_ct_acct_add(flow->ct, i, cls.stats.pkts,
				       cls.stats.bytes);
	}
	if (used)
		nf_fp_flow_refresh(read_pnet(&hw->ft->net), flow);
}

/* Out of the hardware, with what its counters still hold. */
static void nf_fp_hw_pull(struct nf_fp_hw *hw, struct nf_fp_flow *flow)
{
	struct nf_fp_flow_hw *fh = flow->hw;

	if (fh->state != NF_FP_HW_ON)
		return;
	if (hw->ft->flags & NF_FLOWTABLE_COUNTER)
		nf_fp_hw_stats(hw, flow);
	nf_fp_hw_destroy_dir(hw->ft, &flow->dir[0]);
	nf_fp_hw_destroy_dir(hw->ft, &flow->dir[1]);
	clear_bit(IPS_HW_OFFLOAD_BIT, &flow->ct->status);
	atomic_dec(&hw->flows);
	WRITE_ONCE(fh->state, NF_FP_HW_NONE);
	nf_fp_hw_room(hw);
}

static void nf_fp_hw_work(struct work_struct *work)
{
	struct nf_fp_hw *hw = container_of(to_delayed_work(work),
					   struct nf_fp_hw, work);
	unsigned long stop = jiffies + NF_FP_HW_WORK_BUDGET;
	struct nf_fp_flow_hw *fh;
	struct nf_fp_flow *flow;
	unsigned long todo;

	for (;;) {
		spin_lock_bh(&hw->lock);
		fh = list_first_entry_or_null(&hw->queue, struct nf_fp_flow_hw,
					      node);
		if (fh && time_after(jiffies, stop)) {
			/* The rest in a moment: let others have the CPU. */
			mod_delayed_work(system_unbound_wq, &hw->work, 1);
			fh = NULL;
		} else if (fh) {
			list_del_init(&fh->node);
			hw->taken++;
			todo = fh->todo;
			fh->todo = 0;
		}
		spin_unlock_bh(&hw->lock);
		if (!fh)
			break;
		flow = fh->flow;

		if (todo & NF_FP_HW_TODO_RELEASE) {
			nf_fp_hw_pull(hw, flow);
			nf_fp_flow_release(flow, todo & NF_FP_HW_TODO_HANDBACK);
			continue;
		}
		if (todo & NF_FP_HW_TODO_PULL && fh->state == NF_FP_HW_ON) {
			nf_fp_hw_pull(hw, flow);
			atomic_inc(&hw->reasons[NF_FP_HW_OUT_REVAL]);
		}
		if (todo & NF_FP_HW_TODO_PUSH)
			nf_fp_hw_push(hw, flow);
		if (todo & NF_FP_HW_TODO_STATS && fh->state == NF_FP_HW_ON)
			nf_fp_hw_stats(hw, flow);
		cond_resched();
	}
}

/* A new flow of @ft: its hardware state, if the flowtable offloads.  A
 * flow that cannot have one stays in software.
 */
void nf_fp_hw_flow_init(struct nf_flowtable *ft, struct nf_fp_flow *flow)
{
	struct nf_fp_hw *hw = nf_fp_table(ft)->hw;
	struct nf_fp_flow_hw *fh;

	flow->hw = NULL;
	if (!hw)
		return;
	fh = kzalloc(sizeof(*fh), GFP_ATOMIC);
	if (!fh) {
		atomic_inc(&hw->reasons[NF_FP_HW_FAIL_ERROR]);
		return;
	}
	fh->hw = hw;
	fh->flow = flow;
	INIT_LIST_HEAD(&fh->node);
	INIT_LIST_HEAD(&fh->wait);
	flow->hw = fh;
}

/* With the flow, after a grace period. */
void nf_fp_hw_flow_free(struct nf_fp_flow *flow)
{
	kfree(flow->hw);
}

void nf_fp_hw_flow_added(struct nf_fp_flow *flow)
{
	if (flow->hw)
		nf_fp_hw_queue(flow->hw->hw, flow, NF_FP_HW_TODO_PUSH);
}

/* The flow was revalidated: if revalidation took it out of the hardware, it
 * may go back.
 */
void nf_fp_hw_flow_revalidated(struct nf_fp_flow *flow)
{
	if (flow->hw && READ_ONCE(flow->hw->state) == NF_FP_HW_NONE)
		nf_fp_hw_queue(flow->hw->hw, flow, NF_FP_HW_TODO_PUSH);
}

/* The flow left the table.  Returns false if it has no hardware state
 * and the caller releases it now.
 */
bool nf_fp_hw_flow_release(struct nf_fp_flow *flow, bool handback)
{
	struct nf_fp_flow_hw *fh = flow->hw;
	struct nf_fp_hw *hw;

	if (!fh)
		return false;
	hw = fh->hw;
	spin_lock_bh(&hw->lock);
	list_del_init(&fh->wait);
	spin_unlock_bh(&hw->lock);
	nf_fp_hw_queue(hw, flow, NF_FP_HW_TODO_RELEASE |
		       (handback ? NF_FP_HW_TODO_HANDBACK : 0));
	return true;
}

/* Do the flow's packets bypass the software path? */
bool nf_fp_hw_flow_in_hw(const struct nf_fp_flow *flow)
{
	return flow->hw && READ_ONCE(flow->hw->state) == NF_FP_HW_ON;
}

/* Why the hardware does not forward @flow, for the control plane: the
 * name of its last refusal, or NULL if it took the flow, was never asked
 * or never answered.
 */
const char *nf_fp_hw_flow_refusal(const struct nf_fp_flow *flow)
{
	u8 refusal;

	if (!flow->hw || nf_fp_hw_flow_in_hw(flow))
		return NULL;
	refusal = READ_ONCE(flow->hw->refusal);
	return refusal ? nf_fp_hw_reason_names[refusal - 1] : NULL;
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

/* From the garbage collector, under RCU, for a flow that stays in the
 * table: queue it if the work item has something to do with it (see the
 * top of this file).
 */
void nf_fp_hw_flow_gc(struct nf_flowtable *ft, struct nf_fp_flow *flow)
{
	struct nf_fp_flow_hw *fh = flow->hw;
	struct nf_fp_hw *hw;
	bool poll;

	if (!fh)
		return;
	hw = fh->hw;
	switch (READ_ONCE(fh->state)) {
	case NF_FP_HW_ON:
		if (nf_fp_hw_reval_stale(flow))
			nf_fp_hw_queue(hw, flow, NF_FP_HW_TODO_PULL);
		else if (nf_fp_hw_flow_expiring(read_pnet(&ft->net), flow))
			nf_fp_hw_queue(hw, flow, NF_FP_HW_TODO_STATS);
		break;
	case NF_FP_HW_RETRY:
		if ((s32)((u32)jiffies - READ_ONCE(fh->retry)) >= 0)
			nf_fp_hw_queue(hw, flow, NF_FP_HW_TODO_PUSH);
		break;
	case NF_FP_HW_NOSPACE:
		spin_lock_bh(&hw->lock);
		poll = time_after_eq(jiffies, hw->nospace_poll) &&
		       list_first_entry_or_null(&hw->nospace,
						struct nf_fp_flow_hw,
						wait) == fh;
		if (poll) {
			hw->nospace_poll = jiffies + NF_FP_HW_NOSPACE_POLL;
			list_del_init(&fh->wait);
		}
		spin_unlock_bh(&hw->lock);
		if (poll)
			nf_fp_hw_queue(hw, flow, NF_FP_HW_TODO_PUSH);
		break;
	}
}

/* Wait until the work item has dealt with every flow queued so far (with
 * @all: until the queue is empty, which only holds once no flow is left
 * to queue more).
 */
static void nf_fp_hw_drain(struct nf_fp_hw *hw, bool all)
{
	unsigned long target;
	bool done;

	spin_lock_bh(&hw->lock);
	target = hw->queued;
	spin_unlock_bh(&hw->lock);
	do {
		flush_delayed_work(&hw->work);
		spin_lock_bh(&hw->lock);
		done = all ? list_empty(&hw->queue) :
			     (long)(hw->taken - target) >= 0;
		spin_unlock_bh(&hw->lock);
	} while (!done);
}

/* Bind or unbind @dev's driver to the flowtable's flow_block.  The lock
 * is held across the call: the driver adds its callback to, or takes it
 * off, the block's list.  *@ttl_action: whether a bound driver wants the
 * TTL decrement in its rules.
 */
static int nf_fp_hw_block(struct nf_flowtable *ft, struct net_device *dev,
			  enum flow_block_command cmd, bool *ttl_action)
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
	if (ttl_action)
		*ttl_action = bo.ft_needs_ttl_action;
	return err;
}

/* Every driver bound to the flowtable gets the same rules: they must agree
 * on who takes one off the TTL, the hardware or an action of the rule.
 */
int nf_fp_hw_bind(struct nf_flowtable *ft, struct net_device *dev)
{
	struct nf_fp_hw *hw = nf_fp_table(ft)->hw;
	bool ttl_action;
	int err;

	err = nf_fp_hw_block(ft, dev, FLOW_BLOCK_BIND, &ttl_action);
	if (err)
		return err;
	if (hw->bound && ttl_action != hw->ttl_action) {
		nf_fp_hw_block(ft, dev, FLOW_BLOCK_UNBIND, NULL);
		return -EOPNOTSUPP;
	}
	WRITE_ONCE(hw->ttl_action, ttl_action);
	hw->bound++;
	return 0;
}

/* The flows through @dev have been taken out of the table: let the work
 * item remove them from the hardware while the driver is still bound.
 */
void nf_fp_hw_unbind(struct nf_flowtable *ft, struct net_device *dev)
{
	struct nf_fp_hw *hw = nf_fp_table(ft)->hw;

	if (hw)
		nf_fp_hw_drain(hw, false);
	if (!nf_fp_hw_block(ft, dev, FLOW_BLOCK_UNBIND, NULL) && hw)
		hw->bound--;
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
	INIT_LIST_HEAD(&hw->nospace);
	INIT_DELAYED_WORK(&hw->work, nf_fp_hw_work);
	nf_fp_table(ft)->hw = hw;
	return 0;
}

/* All flows have left the table: run the queue dry. */
void nf_fp_hw_free(struct nf_flowtable *ft)
{
	struct nf_fp_table *t = nf_fp_table(ft);
	struct nf_fp_hw *hw = t->hw;

	if (!hw)
		return;
	nf_fp_hw_drain(hw, true);
	t->hw = NULL;
	kfree(hw);
}

/* What the hardware offload of @ft did, for /proc; false without it. */
bool nf_fp_hw_report(struct nf_flowtable *ft, struct nf_fp_hw_report *r)
{
	struct nf_fp_hw *hw = nf_fp_table(ft)->hw;
	int i;

	if (!hw)
		return false;
	r->flows = atomic_read(&hw->flows);
	for (i = 0; i < NF_FP_HW_REASON_MAX; i++)
		r->count[i] = atomic_read(&hw->reasons[i]);
	spin_lock_bh(&hw->lock);
	strscpy(r->last_error, hw->last_error, sizeof(r->last_error));
	spin_unlock_bh(&hw->lock);
	return true;
}
