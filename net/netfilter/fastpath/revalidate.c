// SPDX-License-Identifier: GPL-2.0-only
/*
 * Policy coherence: a committed ruleset change applies to flows that are
 * already in a flowtable.
 *
 * nf_tables keeps a generation per netns, fwd_seq, that a commit moves,
 * before any of its changes becomes visible to packets, when it touches a
 * table with a base chain on a hook forwarded packets traverse (prerouting,
 * forward, postrouting, inet ingress; any netdev or bridge chain).  Other
 * commits - set elements of an input-only table, which fail2ban or docker
 * add all day - leave it alone, and leave offloaded flows current.
 *
 * Each direction of a flow records the generation under which the ruleset
 * last offloaded one of its packets (a rule may match one direction only);
 * the fast path compares it with the current one on every packet.  A packet
 * of a direction that is out of date leaves the fast path and is judged by
 * the ruleset; if that reaches "flow add" with no transaction in between,
 * the direction is up to date again, otherwise the next packet of that
 * direction takes the flow out of the table.
 *
 * "No transaction in between" is told by nf_tables' gc_seq, which is odd
 * from before fwd_seq moves until the commit has finished, and moves on
 * each transaction (and each release of an nfnetlink socket).
 *
 * Ordering (the commit in nf_tables_commit(), the packet here):
 * - gc_seq goes odd, then fwd_seq moves with a store-release: a packet
 *   that reads the new fwd_seq with a load-acquire then finds gc_seq odd
 *   or moved on, and does not record the new generation for a verdict
 *   reached under the old ruleset (nf_fp_reval_gen_now());
 * - the new ruleset is made visible, then gc_seq goes even again with a
 *   store-release: a packet that reads that gc_seq with a load-acquire
 *   before it is judged (nf_fp_reval_divert()) is judged by the new
 *   ruleset.
 * The per-packet comparison needs no barrier: the fast path reads nothing
 * of the ruleset after it, and a packet that raced with the commit is one
 * that arrived before it.
 *
 * A packet judged by the ruleset may have started before a commit and
 * reach "flow add" after it: a verdict only counts for a generation once
 * an RCU grace period has passed since its commit made it visible (see
 * nf_fp_reval_settled()).
 */

#include <net/netfilter/nf_tables.h>

#include "fastpath.h"

/* Where flows of flowtables that opted out read their generation from:
 * nf_tables never uses 0, so they never look out of date.
 */
static const unsigned int nf_fp_reval_frozen;

bool nf_fp_reval_enabled(struct nf_flowtable *ft)
{
	return READ_ONCE(nf_fp_table(ft)->revalidate);
}

/* Odd while a transaction is being committed (or rolled back), even and
 * unchanged as long as none is.
 */
static unsigned int nf_fp_reval_busy_seq(const struct net *net)
{
	/* Pairs with the store-release of the even value at the end of a
	 * commit (nft_gc_seq_end()): what is read after this - the ruleset,
	 * when a packet is judged - is at least that new.
	 */
	return smp_load_acquire(&nft_pernet(net)->gc_seq);
}

/* The generation packets are judged by now, or 0 (no generation) while a
 * transaction is being committed or if one started since @busy was read.
 */
static unsigned int nf_fp_reval_gen_now(const struct net *net,
					unsigned int busy)
{
	unsigned int gen;

	if (busy & 1)
		return 0;
	/* Whatever the packet read of the ruleset before. */
	smp_rmb();
	/* Pairs with the store-release of fwd_seq in nf_tables_commit(),
	 * which makes gc_seq odd first: a new fwd_seq read here comes with
	 * a gc_seq that differs from @busy.
	 */
	gen = smp_load_acquire(&nft_pernet(net)->fwd_seq);
	if (READ_ONCE(nft_pernet(net)->gc_seq) != busy)
		return 0;
	return gen;
}

/* Can a verdict reached by a packet now count for generation @gen?  The
 * packet was judged under RCU, maybe from before the commit that brought
 * @gen in: only once a grace period has passed since that commit made its
 * changes visible is every packet still being judged one that started
 * after them (nft_fwd_seq_settle()).  Until then, record nothing.
 */
static bool nf_fp_reval_settled(const struct net *net, unsigned int gen)
{
	const struct nftables_pernet *nft_net = nft_pernet(net);

	/* Pairs with the store-release in nft_fwd_seq_settle(). */
	if (smp_load_acquire(&nft_net->fwd_seq_gp_seq) != gen)
		return false;
	return poll_state_synchronize_rcu(READ_ONCE(nft_net->fwd_seq_gp));
}

/* A flow created by a packet the ruleset just offloaded.  If a commit is
 * running, or one ended so recently that the packet may have been judged
 * by the ruleset before it, the flow starts out of date and is checked on
 * its next packets.
 */
void nf_fp_reval_flow_init(struct nf_flowtable *ft, struct nf_fp_flow *flow)
{
	struct net *net = read_pnet(&ft->net);
	unsigned int gen;

	flow->reval_pending[IP_CT_DIR_ORIGINAL] = 1;
	flow->reval_pending[IP_CT_DIR_REPLY] = 1;
	flow->reval_gc_seen = 1;
	if (!nf_fp_reval_enabled(ft)) {
		flow->reval_genp = &nf_fp_reval_frozen;
		flow->reval_gen[IP_CT_DIR_ORIGINAL] = 0;
		flow->reval_gen[IP_CT_DIR_REPLY] = 0;
		return;
	}

	flow->reval_genp = &nft_pernet(net)->fwd_seq;
	gen = nf_fp_reval_gen_now(net, nf_fp_reval_busy_seq(net));
	if (gen && !nf_fp_reval_settled(net, gen))
		gen = 0;
	flow->reval_gen[IP_CT_DIR_ORIGINAL] = gen;
	flow->reval_gen[IP_CT_DIR_REPLY] = gen;
}

/* A packet of direction @dir, which is out of date: it takes the classic
 * path, to be judged by the current ruleset.  If the previous packet of
 * that direction was sent there under the same settled ruleset and did
 * not bring the direction up to date, the ruleset no longer offloads it:
 * take the flow out of the table.
 */
void nf_fp_reval_divert(struct nf_flowtable *ft, struct nf_fp_flow *flow,
			enum ip_conntrack_dir dir)
{
	const struct net *net = read_pnet(&ft->net);
	unsigned int busy = nf_fp_reval_busy_seq(net);

	nf_fp_stat_inc(net, NF_FP_STAT_SLOW_REVAL);
	if (busy & 1)
		return;
	if (READ_ONCE(flow->reval_pending[dir]) == busy) {
		nf_fp_flow_remove(ft, flow, NF_FP_STAT_DEL_REVAL);
		return;
	}
	WRITE_ONCE(flow->reval_pending[dir], busy);
}

/* "flow add" reached by a packet of direction @dir of an offloaded flow.
 * If nf_fp_reval_divert() sent it here and no transaction started since,
 * it was judged by the ruleset of the current generation from start to
 * end: that direction is up to date again.  The other one is not: the
 * ruleset may treat its packets differently.
 */
void nf_fp_reval_offloaded(struct nf_flowtable *ft, struct nf_fp_flow *flow,
			   enum ip_conntrack_dir dir)
{
	struct net *net = read_pnet(&ft->net);
	unsigned int busy = nf_fp_reval_busy_seq(net);
	unsigned int gen;

	if (READ_ONCE(flow->reval_pending[dir]) != busy)
		return;
	gen = nf_fp_reval_gen_now(net, busy);
	if (!gen || READ_ONCE(flow->reval_gen[dir]) == gen ||
	    READ_ONCE(flow->reval_genp) == &nf_fp_reval_frozen)
		return;
	if (!nf_fp_reval_settled(net, gen)) {
		/* Not judged for sure by @gen's ruleset: neither current
		 * nor dropped.  The next packet is sent to be judged again.
		 */
		WRITE_ONCE(flow->reval_pending[dir], 1);
		return;
	}
	WRITE_ONCE(flow->reval_gen[dir], gen);
	nf_fp_stat_inc(net, NF_FP_STAT_REVALIDATED);
}

/* Was a packet of out of date direction @dir sent to the classic path
 * under gc_seq @busy, and is the direction still out of date?
 */
static bool nf_fp_reval_unjudged(const struct nf_fp_flow *flow,
				 enum ip_conntrack_dir dir, unsigned int busy)
{
	return READ_ONCE(flow->reval_pending[dir]) == busy &&
	       nf_fp_reval_stale(flow, dir);
}

/* For the garbage collector: a packet of an out of date direction went
 * to the classic path, no transaction ran since, and the direction is
 * still out of date - the ruleset dropped the packet or did not offload
 * it again.  The previous run must have seen the same, so that a packet
 * still on its way through the ruleset is not mistaken for one that was
 * judged.
 */
bool nf_fp_reval_abandoned(struct nf_flowtable *ft, struct nf_fp_flow *flow)
{
	unsigned int busy = nf_fp_reval_busy_seq(read_pnet(&ft->net));

	if (busy & 1 ||
	    (!nf_fp_reval_unjudged(flow, IP_CT_DIR_ORIGINAL, busy) &&
	     !nf_fp_reval_unjudged(flow, IP_CT_DIR_REPLY, busy)))
		return false;
	if (flow->reval_gc_seen == busy)
		return true;
	flow->reval_gc_seen = busy;
	return false;
}

static void nf_fp_reval_flow_apply(struct nf_flowtable *ft,
				   struct nf_fp_flow *flow, const void *arg)
{
	const bool *enable = arg;

	/* Packets sent to be judged before the switch say nothing now. */
	WRITE_ONCE(flow->reval_pending[IP_CT_DIR_ORIGINAL], 1);
	WRITE_ONCE(flow->reval_pending[IP_CT_DIR_REPLY], 1);
	WRITE_ONCE(flow->reval_gc_seen, 1);
	if (*enable) {
		/* 0 is no generation: out of date until judged again. */
		WRITE_ONCE(flow->reval_gen[IP_CT_DIR_ORIGINAL], 0);
		WRITE_ONCE(flow->reval_gen[IP_CT_DIR_REPLY], 0);
		WRITE_ONCE(flow->reval_genp,
			   &nft_pernet(read_pnet(&ft->net))->fwd_seq);
	} else {
		WRITE_ONCE(flow->reval_genp, &nf_fp_reval_frozen);
		WRITE_ONCE(flow->reval_gen[IP_CT_DIR_ORIGINAL], 0);
		WRITE_ONCE(flow->reval_gen[IP_CT_DIR_REPLY], 0);
	}
}

/* Turn revalidation on or off for a flowtable and the flows it holds.
 * Callers serialize (the netns' flowtable lock).
 */
int nf_fp_reval_set(struct nf_flowtable *ft, bool enable)
{
	struct nf_fp_table *t = nf_fp_table(ft);

	if (t->revalidate == enable)
		return 0;
	WRITE_ONCE(t->revalidate, enable);
	nf_fp_hash_walk(ft, nf_fp_reval_flow_apply, &enable);
	return 0;
}
