// SPDX-License-Identifier: GPL-2.0-only
/*
 * Netfilter fast path for forwarded traffic.
 *
 * Established conntrack entries are moved by the nftables "flow add"
 * statement into a flowtable; from then on their packets are forwarded
 * straight from the ingress hook of the flowtable's devices.
 */

#include <linux/module.h>
#include <linux/rcupdate.h>

#include "fastpath.h"

static int __init nf_fp_init(void)
{
	int err;

	err = nf_fp_stats_init();
	if (err)
		return err;

	err = nf_fp_tables_init();
	if (err)
		goto err_stats;

	err = nf_fp_nft_init();
	if (err)
		goto err_tables;

	return 0;

err_tables:
	nf_fp_tables_exit();
err_stats:
	nf_fp_stats_exit();
	return err;
}

static void __exit nf_fp_exit(void)
{
	nf_fp_nft_exit();
	nf_fp_tables_exit();
	nf_fp_stats_exit();
	/* Flows freed after a grace period run our callbacks. */
	rcu_barrier();
}

module_init(nf_fp_init);
module_exit(nf_fp_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Netfilter fast path for forwarded traffic");
