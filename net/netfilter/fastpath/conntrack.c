// SPDX-License-Identifier: GPL-2.0-only
/*
 * The conntrack entry of an offloaded flow: made liberal when the flow is
 * built, kept from expiring while the flow lives (conntrack sees none of
 * its packets), and handed back to conntrack's own tracking when the flow
 * leaves the table.
 */

#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_l4proto.h>
#include <net/netfilter/nf_conntrack_timeout.h>

#include "fastpath.h"

#define NF_FP_CT_LEFT_MAX	(INT_MAX / 2 - NF_CT_OFFLOAD_HOLD)

/* An offloaded entry's timeout is kept at the flow's expiry plus
 * NF_CT_OFFLOAD_HOLD.  Conntrack sees no packets of it and knows nothing of
 * IPS_OFFLOAD: left alone, the entry would expire under the flow (after a
 * packet that took the classic path gave it the timeout of its state, for
 * instance).  ctnetlink takes the hold off again to report the time the
 * flow has left.
 */
static u32 nf_fp_ct_timeout(const struct nf_fp_flow *flow)
{
	s32 left = READ_ONCE(flow->expires) - nfct_time_stamp;

	/* An offload timeout of weeks must not wrap the entry's. */
	left = clamp(left, 0, NF_FP_CT_LEFT_MAX);
	return nfct_time_stamp + left + NF_CT_OFFLOAD_HOLD;
}

/* The connection is being offloaded: conntrack will see none of its
 * packets.  Keep the entry's timeout far ahead, and since packets of the
 * connection may reach conntrack at any time (a segment over the MTU, a
 * revalidation after a ruleset change) without conntrack having seen the
 * ones in between, its sequence windows will be stale: make it accept
 * what it cannot check.
 */
void nf_fp_ct_take(struct nf_fp_flow *flow)
{
	struct nf_conn *ct = flow->ct;

	WRITE_ONCE(ct->timeout, nf_fp_ct_timeout(flow));
	if (nf_ct_protonum(ct) != IPPROTO_TCP)
		return;

	spin_lock_bh(&ct->lock);
	ct->proto.tcp.seen[IP_CT_DIR_ORIGINAL].flags |= IP_CT_TCP_FLAG_BE_LIBERAL;
	ct->proto.tcp.seen[IP_CT_DIR_REPLY].flags |= IP_CT_TCP_FLAG_BE_LIBERAL;
	spin_unlock_bh(&ct->lock);
}

/* Keep the conntrack entry of a live flow from expiring, and its timeout
 * telling the flow's: from the garbage collector, and after a packet of
 * the flow went through conntrack.  Within a second is close enough.  An
 * entry that expired already is left to conntrack.  A flow that left the
 * table has handed its entry back (nf_fp_ct_handback()) or is about to:
 * the cmpxchg() then finds another timeout, or the flag tells.
 */
void nf_fp_ct_hold(struct nf_fp_flow *flow)
{
	struct nf_conn *ct = flow->ct;
	u32 timeout = READ_ONCE(ct->timeout);
	u32 want = nf_fp_ct_timeout(flow);

	if ((s32)(timeout - nfct_time_stamp) <= 0 ||
	    abs((s32)(timeout - want)) < HZ)
		return;
	smp_rmb();	/* the timeout before the flag, see nf_fp_flow_remove() */
	if (test_bit(NF_FP_FLOW_DEAD, &flow->flags))
		return;
	cmpxchg(&ct->timeout, timeout, want);
}

/* Let conntrack track the connection again from where it stands: window
 * tracking restarts from the next packets seen, and the entry gets the
 * timeout its state has on the classic path - that of the timeout policy
 * attached to it ("ct timeout" objects), if any, else the netns' one.
 */
void nf_fp_ct_handback(struct nf_conn *ct)
{
	const unsigned int *policy = nf_ct_timeout_lookup(ct);
	struct net *net = nf_ct_net(ct);
	u32 timeout;

	if (nf_ct_protonum(ct) == IPPROTO_TCP) {
		spin_lock_bh(&ct->lock);
		ct->proto.tcp.seen[IP_CT_DIR_ORIGINAL].td_maxwin = 0;
		ct->proto.tcp.seen[IP_CT_DIR_REPLY].td_maxwin = 0;
		if (!policy)
			policy = nf_tcp_pernet(net)->timeouts;
		timeout = READ_ONCE(policy[ct->proto.tcp.state]);
		spin_unlock_bh(&ct->lock);
	} else {
		/* A flow's UDP entry has seen a reply. */
		if (!policy)
			policy = nf_udp_pernet(net)->timeouts;
		timeout = READ_ONCE(policy[UDP_CT_REPLIED]);
	}
	WRITE_ONCE(ct->timeout, nfct_time_stamp + timeout);
}
