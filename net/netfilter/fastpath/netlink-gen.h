/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/nf_fastpath.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_NF_FASTPATH_GEN_H
#define _LINUX_NF_FASTPATH_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/nf_fastpath.h>

int nf_fastpath_nl_flow_get_doit(struct sk_buff *skb, struct genl_info *info);
int nf_fastpath_nl_flow_get_dumpit(struct sk_buff *skb,
				   struct netlink_callback *cb);
int nf_fastpath_nl_flow_del_doit(struct sk_buff *skb, struct genl_info *info);
int nf_fastpath_nl_table_get_doit(struct sk_buff *skb, struct genl_info *info);
int nf_fastpath_nl_table_get_dumpit(struct sk_buff *skb,
				    struct netlink_callback *cb);
int nf_fastpath_nl_table_set_doit(struct sk_buff *skb, struct genl_info *info);
int nf_fastpath_nl_stats_get_doit(struct sk_buff *skb, struct genl_info *info);

enum {
	NF_FASTPATH_NLGRP_FLOWS,
};

extern struct genl_family nf_fastpath_nl_family;

#endif /* _LINUX_NF_FASTPATH_GEN_H */
