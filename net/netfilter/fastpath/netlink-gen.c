// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/nf_fastpath.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "netlink-gen.h"

#include <uapi/linux/nf_fastpath.h>

/* NF_FASTPATH_CMD_FLOW_GET - do */
static const struct nla_policy nf_fastpath_flow_get_do_nl_policy[NF_FASTPATH_A_FLOW_CT_ID + 1] = {
	[NF_FASTPATH_A_FLOW_CT_ID] = { .type = NLA_U32, },
};

/* NF_FASTPATH_CMD_FLOW_GET - dump */
static const struct nla_policy nf_fastpath_flow_get_dump_nl_policy[NF_FASTPATH_A_FLOW_FILTER_WHERE + 1] = {
	[NF_FASTPATH_A_FLOW_TABLE_FAMILY] = { .type = NLA_NUL_STRING, .len = 16, },
	[NF_FASTPATH_A_FLOW_TABLE] = { .type = NLA_NUL_STRING, .len = 256, },
	[NF_FASTPATH_A_FLOW_FLOWTABLE] = { .type = NLA_NUL_STRING, .len = 256, },
	[NF_FASTPATH_A_FLOW_FILTER_SRC] = { .type = NLA_BINARY, .len = 16, },
	[NF_FASTPATH_A_FLOW_FILTER_DST] = { .type = NLA_BINARY, .len = 16, },
	[NF_FASTPATH_A_FLOW_FILTER_L4PROTO] = { .type = NLA_U8, },
	[NF_FASTPATH_A_FLOW_FILTER_SPORT] = { .type = NLA_U16, },
	[NF_FASTPATH_A_FLOW_FILTER_DPORT] = { .type = NLA_U16, },
	[NF_FASTPATH_A_FLOW_FILTER_WHERE] = NLA_POLICY_MAX(NLA_U8, 1),
};

/* NF_FASTPATH_CMD_FLOW_DEL - do */
static const struct nla_policy nf_fastpath_flow_del_nl_policy[NF_FASTPATH_A_FLOW_FILTER_WHERE + 1] = {
	[NF_FASTPATH_A_FLOW_TABLE_FAMILY] = { .type = NLA_NUL_STRING, .len = 16, },
	[NF_FASTPATH_A_FLOW_TABLE] = { .type = NLA_NUL_STRING, .len = 256, },
	[NF_FASTPATH_A_FLOW_FLOWTABLE] = { .type = NLA_NUL_STRING, .len = 256, },
	[NF_FASTPATH_A_FLOW_FILTER_SRC] = { .type = NLA_BINARY, .len = 16, },
	[NF_FASTPATH_A_FLOW_FILTER_DST] = { .type = NLA_BINARY, .len = 16, },
	[NF_FASTPATH_A_FLOW_FILTER_L4PROTO] = { .type = NLA_U8, },
	[NF_FASTPATH_A_FLOW_FILTER_SPORT] = { .type = NLA_U16, },
	[NF_FASTPATH_A_FLOW_FILTER_DPORT] = { .type = NLA_U16, },
	[NF_FASTPATH_A_FLOW_FILTER_WHERE] = NLA_POLICY_MAX(NLA_U8, 1),
};

/* NF_FASTPATH_CMD_TABLE_GET - do */
static const struct nla_policy nf_fastpath_table_get_nl_policy[NF_FASTPATH_A_TABLE_FLOWTABLE + 1] = {
	[NF_FASTPATH_A_TABLE_TABLE_FAMILY] = { .type = NLA_NUL_STRING, .len = 16, },
	[NF_FASTPATH_A_TABLE_TABLE] = { .type = NLA_NUL_STRING, .len = 256, },
	[NF_FASTPATH_A_TABLE_FLOWTABLE] = { .type = NLA_NUL_STRING, .len = 256, },
};

/* NF_FASTPATH_CMD_TABLE_SET - do */
static const struct nla_policy nf_fastpath_table_set_nl_policy[NF_FASTPATH_A_TABLE_REVALIDATE + 1] = {
	[NF_FASTPATH_A_TABLE_TABLE_FAMILY] = { .type = NLA_NUL_STRING, .len = 16, },
	[NF_FASTPATH_A_TABLE_TABLE] = { .type = NLA_NUL_STRING, .len = 256, },
	[NF_FASTPATH_A_TABLE_FLOWTABLE] = { .type = NLA_NUL_STRING, .len = 256, },
	[NF_FASTPATH_A_TABLE_REVALIDATE] = NLA_POLICY_MAX(NLA_U8, 1),
};

/* Ops table for nf_fastpath */
static const struct genl_split_ops nf_fastpath_nl_ops[] = {
	{
		.cmd		= NF_FASTPATH_CMD_FLOW_GET,
		.doit		= nf_fastpath_nl_flow_get_doit,
		.policy		= nf_fastpath_flow_get_do_nl_policy,
		.maxattr	= NF_FASTPATH_A_FLOW_CT_ID,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= NF_FASTPATH_CMD_FLOW_GET,
		.dumpit		= nf_fastpath_nl_flow_get_dumpit,
		.policy		= nf_fastpath_flow_get_dump_nl_policy,
		.maxattr	= NF_FASTPATH_A_FLOW_FILTER_WHERE,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= NF_FASTPATH_CMD_FLOW_DEL,
		.doit		= nf_fastpath_nl_flow_del_doit,
		.policy		= nf_fastpath_flow_del_nl_policy,
		.maxattr	= NF_FASTPATH_A_FLOW_FILTER_WHERE,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= NF_FASTPATH_CMD_TABLE_GET,
		.doit		= nf_fastpath_nl_table_get_doit,
		.policy		= nf_fastpath_table_get_nl_policy,
		.maxattr	= NF_FASTPATH_A_TABLE_FLOWTABLE,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd	= NF_FASTPATH_CMD_TABLE_GET,
		.dumpit	= nf_fastpath_nl_table_get_dumpit,
		.flags	= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= NF_FASTPATH_CMD_TABLE_SET,
		.doit		= nf_fastpath_nl_table_set_doit,
		.policy		= nf_fastpath_table_set_nl_policy,
		.maxattr	= NF_FASTPATH_A_TABLE_REVALIDATE,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd	= NF_FASTPATH_CMD_STATS_GET,
		.doit	= nf_fastpath_nl_stats_get_doit,
		.flags	= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
};

static const struct genl_multicast_group nf_fastpath_nl_mcgrps[] = {
	[NF_FASTPATH_NLGRP_FLOWS] = { "flows", .flags = GENL_MCAST_CAP_NET_ADMIN, },
};

struct genl_family nf_fastpath_nl_family __ro_after_init = {
	.name		= NF_FASTPATH_FAMILY_NAME,
	.version	= NF_FASTPATH_FAMILY_VERSION,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.split_ops	= nf_fastpath_nl_ops,
	.n_split_ops	= ARRAY_SIZE(nf_fastpath_nl_ops),
	.mcgrps		= nf_fastpath_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(nf_fastpath_nl_mcgrps),
};
