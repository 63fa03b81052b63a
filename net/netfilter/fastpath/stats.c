// SPDX-License-Identifier: GPL-2.0-only
/*
 * Counters of the fast path, per network namespace: per CPU, 64 bits wide
 * on every architecture (u64_stats), summed when read.
 */

#include <linux/percpu.h>
#include <linux/u64_stats_sync.h>

#include "fastpath.h"

const char * const nf_fp_stat_names[NF_FP_STAT_MAX] = {
	[NF_FP_STAT_HIT]		= "hit",
	[NF_FP_STAT_MISS]		= "miss",
	[NF_FP_STAT_SLOW_HEADER]	= "slow_header",
	[NF_FP_STAT_SLOW_OPTIONS]	= "slow_options",
	[NF_FP_STAT_SLOW_FRAGMENT]	= "slow_fragment",
	[NF_FP_STAT_SLOW_TTL]		= "slow_ttl",
	[NF_FP_STAT_SLOW_MTU]		= "slow_mtu",
	[NF_FP_STAT_SLOW_TCP_FLAGS]	= "slow_tcp_flags",
	[NF_FP_STAT_SLOW_OTHER]		= "slow_other",
	[NF_FP_STAT_SLOW_REVAL]	= "slow_policy",
	[NF_FP_STAT_DROP_XFRM]		= "drop_xfrm_policy",
	[NF_FP_STAT_FLOW_ADD]		= "flow_add",
	[NF_FP_STAT_FLOW_ADD_FAIL]	= "flow_add_fail",
	[NF_FP_STAT_REVALIDATED]	= "revalidated",
	[NF_FP_STAT_REROUTED]		= "rerouted",
	[NF_FP_STAT_DEL_TIMEOUT]	= "del_timeout",
	[NF_FP_STAT_DEL_TEARDOWN]	= "del_teardown",
	[NF_FP_STAT_DEL_CT_DYING]	= "del_ct_dying",
	[NF_FP_STAT_DEL_ROUTE]		= "del_route",
	[NF_FP_STAT_DEL_DEVICE]		= "del_device",
	[NF_FP_STAT_DEL_FLUSH]		= "del_flush",
	[NF_FP_STAT_DEL_REVAL]		= "del_policy",
	[NF_FP_STAT_DEL_NAT_ADDR]	= "del_nat_addr",
	[NF_FP_STAT_DEL_HANDBACK]	= "del_handback",
	[NF_FP_STAT_GC_PASS]		= "gc_passes",
};

struct nf_fp_stats __percpu *nf_fp_stats_alloc(void)
{
	struct nf_fp_stats __percpu *stats;
	int cpu;

	stats = alloc_percpu(struct nf_fp_stats);
	if (!stats)
		return NULL;
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(stats, cpu)->syncp);
	return stats;
}

void nf_fp_stats_free(struct nf_fp_stats __percpu *stats)
{
	free_percpu(stats);
}

/* The counters of @net, summed over the CPUs, into @sum[NF_FP_STAT_MAX];
 * all zero once the netns is going away.
 */
void nf_fp_stats_read(const struct net *net, u64 *sum)
{
	struct nf_fp_stats __percpu *stats;
	u64 val[NF_FP_STAT_MAX];
	unsigned int start;
	int cpu, i;

	memset(sum, 0, NF_FP_STAT_MAX * sizeof(*sum));
	rcu_read_lock();
	stats = READ_ONCE(nf_fp_pernet(net)->stats);
	for_each_possible_cpu(cpu) {
		const struct nf_fp_stats *s;

		if (!stats)
			break;
		s = per_cpu_ptr(stats, cpu);
		do {
			start = u64_stats_fetch_begin(&s->syncp);
			for (i = 0; i < NF_FP_STAT_MAX; i++)
				val[i] = u64_stats_read(&s->cnt[i]);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		for (i = 0; i < NF_FP_STAT_MAX; i++)
			sum[i] += val[i];
	}
	rcu_read_unlock();
}
