// SPDX-License-Identifier: GPL-2.0-only
/*
 * /proc/net/nf_fastpath, read-only: one line per flowtable of the netns,
 * then the counters.  Settings are changed over netlink (netlink.c).
 */

#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/net_namespace.h>

#include "fastpath.h"

static int nf_fp_proc_table(struct nf_flowtable *ft, void *arg)
{
	const char *family, *table, *name;
	struct nf_fp_hw_report hw;
	struct seq_file *seq = arg;
	int i;

	nf_fp_nft_names(ft, &family, &table, &name);
	seq_printf(seq, "flowtable %s %s %s flows %u revalidate %s",
		   family, table, name,
		   atomic_read(&ft->rhashtable.nelems) / 2,
		   nf_fp_reval_enabled(ft) ? "on" : "off");
	if (nf_fp_hw_report(ft, &hw)) {
		seq_printf(seq, " hw_flows %d", hw.flows);
		for (i = 0; i < NF_FP_HW_REASON_MAX; i++)
			seq_printf(seq, " %s %d", nf_fp_hw_reason_names[i],
				   hw.count[i]);
		if (hw.last_error[0])
			seq_printf(seq, " hw_last_error \"%s\"", hw.last_error);
	}
	seq_putc(seq, '\n');
	return 0;
}

static int nf_fp_proc_show(struct seq_file *seq, void *v)
{
	struct net *net = seq_file_single_net(seq);
	u64 sum[NF_FP_STAT_MAX];
	int i;

	nf_fp_netns_each(net, nf_fp_proc_table, seq);
	nf_fp_stats_read(net, sum);
	for (i = 0; i < NF_FP_STAT_MAX; i++)
		seq_printf(seq, "%s %llu\n", nf_fp_stat_names[i], sum[i]);
	return 0;
}

int nf_fp_proc_init_net(struct net *net)
{
	if (!proc_create_net_single("nf_fastpath", 0444, net->proc_net,
				    nf_fp_proc_show, NULL))
		return -ENOMEM;
	return 0;
}

void nf_fp_proc_exit_net(struct net *net)
{
	remove_proc_entry("nf_fastpath", net->proc_net);
}
