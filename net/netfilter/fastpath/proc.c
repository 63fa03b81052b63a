// SPDX-License-Identifier: GPL-2.0-only
/*
 * /proc/net/nf_fastpath: one line per flowtable of the netns, then the
 * counters; writing "<family> <table> <flowtable> revalidate on|off"
 * switches revalidation after ruleset changes for a flowtable.
 */

#include <linux/capability.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/string.h>
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

struct nf_fp_proc_set {
	const char	*family;
	const char	*table;
	const char	*name;
	bool		enable;
	int		err;
};

static int nf_fp_proc_set_one(struct nf_flowtable *ft, void *arg)
{
	const char *family, *table, *name;
	struct nf_fp_proc_set *set = arg;

	nf_fp_nft_names(ft, &family, &table, &name);
	if (strcmp(family, set->family) || strcmp(table, set->table) ||
	    strcmp(name, set->name))
		return 0;
	set->err = nf_fp_reval_set(ft, set->enable);
	return 1;
}

/* "<family> <table> <flowtable> revalidate on|off" */
static int nf_fp_proc_write(struct file *file, char *buf, size_t size)
{
	struct seq_file *seq = file->private_data;
	struct net *net = seq_file_single_net(seq);
	struct nf_fp_proc_set set = { .err = -ENOENT };
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

	set.family = tok[0];
	set.table = tok[1];
	set.name = tok[2];
	set.enable = !strcmp(tok[4], "on");
	nf_fp_netns_each(net, nf_fp_proc_set_one, &set);
	return set.err;
}

int nf_fp_proc_init_net(struct net *net)
{
	if (!proc_create_net_single_write("nf_fastpath", 0644, net->proc_net,
					  nf_fp_proc_show, nf_fp_proc_write,
					  NULL))
		return -ENOMEM;
	return 0;
}

void nf_fp_proc_exit_net(struct net *net)
{
	remove_proc_entry("nf_fastpath", net->proc_net);
}
