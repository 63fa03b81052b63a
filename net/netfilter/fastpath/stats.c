// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-netns fast path counters and /proc/net/nf_fastpath.
 */

#include <linux/capability.h>
#include <linux/percpu.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "fastpath.h"

unsigned int nf_fp_net_id __read_mostly;

static const char * const nf_fp_stat_names[NF_FP_STAT_MAX] = {
	[NF_FP_STAT_HIT]		= "hit",
	[NF_FP_STAT_MISS]		= "miss",
	[NF_FP_STAT_SLOW_HEADER]	= "slow_header",
	[NF_FP_STAT_SLOW_OPTIONS]	= "slow_options",
	[NF_FP_STAT_SLOW_FRAGMENT]	= "slow_fragment",
	[NF_FP_STAT_SLOW_TTL]		= "slow_ttl",
	[NF_FP_STAT_SLOW_MTU]		= "slow_mtu",
	[NF_FP_STAT_SLOW_TCP_FLAGS]	= "slow_tcp_flags",
	[NF_FP_STAT_SLOW_OTHER]		= "slow_other",
	[NF_FP_STAT_SLOW_POLICY]	= "slow_policy",
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
	[NF_FP_STAT_DEL_POLICY]		= "del_policy",
	[NF_FP_STAT_DEL_NAT_ADDR]	= "del_nat_addr",
	[NF_FP_STAT_GC_PASS]		= "gc_passes",
};

static int nf_fp_stats_seq_show(struct seq_file *seq, void *v)
{
	struct net *net = seq_file_single_net(seq);
	struct nf_fp_net *fpn = net_generic(net, nf_fp_net_id);
	struct nf_fp_stats __percpu *stats;
	unsigned long sum;
	int i, cpu;

	nf_fp_tables_show(seq, net);

	rcu_read_lock();
	stats = READ_ONCE(fpn->stats);
	for (i = 0; stats && i < NF_FP_STAT_MAX; i++) {
		sum = 0;
		for_each_possible_cpu(cpu)
			sum += per_cpu_ptr(stats, cpu)->cnt[i];
		seq_printf(seq, "%s %lu\n", nf_fp_stat_names[i], sum);
	}
	rcu_read_unlock();
	return 0;
}

/* "<family> <table> <flowtable> revalidate on|off" */
static int nf_fp_stats_write(struct file *file, char *buf, size_t size)
{
	struct seq_file *seq = file->private_data;
	struct net *net = seq_file_single_net(seq);
	char *tok[5], *p = strim(buf);
	int i;

	if (!file_ns_capable(file, net->user_ns, CAP_NET_ADMIN))
		return -EPERM;

	for (i = 0; i < ARRAY_SIZE(tok); i++) {
		p = skip_spaces(p);
		tok[i] = strsep(&p, " \t");
		if (!tok[i] || !*tok[i])
			return -EINVAL;
	}
	if (p || strcmp(tok[3], "revalidate"))
		return -EINVAL;
	if (strcmp(tok[4], "on") && strcmp(tok[4], "off"))
		return -EINVAL;

	return nf_fp_tables_set_policy(net, tok[0], tok[1], tok[2],
				       !strcmp(tok[4], "on"));
}

static int __net_init nf_fp_net_init(struct net *net)
{
	struct nf_fp_net *fpn = net_generic(net, nf_fp_net_id);

	fpn->stats = alloc_percpu(struct nf_fp_stats);
	if (!fpn->stats)
		return -ENOMEM;

	if (!proc_create_net_single_write("nf_fastpath", 0644, net->proc_net,
					  nf_fp_stats_seq_show,
					  nf_fp_stats_write, NULL)) {
		free_percpu(fpn->stats);
		return -ENOMEM;
	}
	return 0;
}

static void __net_exit nf_fp_net_pre_exit(struct net *net)
{
	struct nf_fp_net *fpn = net_generic(net, nf_fp_net_id);

	remove_proc_entry("nf_fastpath", net->proc_net);
	fpn->stats_dead = fpn->stats;
	WRITE_ONCE(fpn->stats, NULL);
}

static void __net_exit nf_fp_net_exit(struct net *net)
{
	struct nf_fp_net *fpn = net_generic(net, nf_fp_net_id);

	free_percpu(fpn->stats_dead);
}

static struct pernet_operations nf_fp_net_ops = {
	.init		= nf_fp_net_init,
	.pre_exit	= nf_fp_net_pre_exit,
	.exit		= nf_fp_net_exit,
	.id		= &nf_fp_net_id,
	.size		= sizeof(struct nf_fp_net),
};

int nf_fp_stats_init(void)
{
	return register_pernet_subsys(&nf_fp_net_ops);
}

void nf_fp_stats_exit(void)
{
	unregister_pernet_subsys(&nf_fp_net_ops);
}
