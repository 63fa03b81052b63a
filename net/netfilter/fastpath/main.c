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

/* Brought up in this order, torn down in reverse. */
static const struct {
	int	(*init)(void);
	void	(*exit)(void);
} nf_fp_parts[] = {
	{ nf_fp_flow_cache_init, nf_fp_flow_cache_exit },
	{ nf_fp_registry_init,	nf_fp_registry_exit },
	{ nf_fp_events_init,	nf_fp_events_exit },
	{ nf_fp_netlink_init,	nf_fp_netlink_exit },
	{ nf_fp_nft_init,	nf_fp_nft_exit },
};

static void nf_fp_teardown(unsigned int n)
{
	while (n--)
		nf_fp_parts[n].exit();
}

static int __init nf_fp_init(void)
{
	unsigned int i;
	int err;

	for (i = 0; i < ARRAY_SIZE(nf_fp_parts); i++) {
		err = nf_fp_parts[i].init();
		if (err) {
			nf_fp_teardown(i);
			return err;
		}
	}
	return 0;
}

static void __exit nf_fp_exit(void)
{
	/* The flow cache goes last, once flows waiting for a grace period
	 * are freed.
	 */
	nf_fp_teardown(ARRAY_SIZE(nf_fp_parts));
}

module_init(nf_fp_init);
module_exit(nf_fp_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Netfilter fast path for forwarded traffic");
