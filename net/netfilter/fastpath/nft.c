// SPDX-License-Identifier: GPL-2.0-only
/*
 * nftables glue: the flowtable types for the inet, ip and ip6 families and
 * the flow_offload expression ("flow add @ft" / "flow offload @ft").
 */

#include <linux/module.h>
#include <linux/netfilter/nf_tables.h>
#include <net/netfilter/nf_tables.h>

#include "fastpath.h"

/* The only place that knows our flowtables are nf_tables objects. */
static const struct nft_flowtable *
nf_fp_nft_flowtable(const struct nf_flowtable *ft)
{
	return container_of(ft, struct nft_flowtable, data);
}

/* Is @dev one of the flowtable's devices?  Under RCU or the commit mutex. */
bool nf_fp_nft_has_dev(const struct nf_flowtable *ft,
		       const struct net_device *dev)
{
	struct nft_hook *hook;

	list_for_each_entry_rcu(hook, &nf_fp_nft_flowtable(ft)->hook_list,
				list) {
		if (hook->ops.dev == dev)
			return true;
	}
	return false;
}

static const char *nf_fp_nft_family(u8 family)
{
	switch (family) {
	case NFPROTO_INET:
		return "inet";
	case NFPROTO_IPV4:
		return "ip";
	case NFPROTO_IPV6:
		return "ip6";
	}
	return "unknown";
}

/* The names a user gave the flowtable: family, table and flowtable. */
void nf_fp_nft_names(const struct nf_flowtable *ft, const char **family,
		     const char **table, const char **name)
{
	const struct nft_flowtable *nft_ft = nf_fp_nft_flowtable(ft);

	*family = nf_fp_nft_family(nft_ft->table->family);
	*table = nft_ft->table->name;
	*name = nft_ft->name;
}

static unsigned int nf_fp_inet_hook(void *priv, struct sk_buff *skb,
				    const struct nf_hook_state *state)
{
	switch (skb->protocol) {
	case htons(ETH_P_IP):
		return nf_fp_ipv4_hook(priv, skb, state);
	case htons(ETH_P_IPV6):
		return nf_fp_ipv6_hook(priv, skb, state);
	}
	return NF_ACCEPT;
}

/* Devices join and leave; flows through a leaving device go with it.
 * With "flags offload" a device's driver must take the flowtable's
 * flow_block, and lets go of it once the flows are out of its hardware.
 */
static int nf_fp_setup(struct nf_flowtable *ft, struct net_device *dev,
		       enum flow_block_command cmd)
{
	switch (cmd) {
	case FLOW_BLOCK_BIND:
		return nf_flowtable_hw_offload(ft) ? nf_fp_hw_bind(ft, dev) : 0;
	case FLOW_BLOCK_UNBIND:
		nf_fp_flow_flush(ft, dev);
		if (nf_flowtable_hw_offload(ft)) {
			/* "flow add" may still see @dev among the flowtable's
			 * devices on another CPU and insert after the flush:
			 * its flow must leave the hardware before the driver
			 * lets go of the block.
			 */
			synchronize_rcu();
			nf_fp_flow_flush(ft, dev);
			nf_fp_hw_unbind(ft, dev);
		}
		return 0;
	}
	return -EOPNOTSUPP;
}

#define NF_FP_TYPE(_family, _hook)	{	\
	.family	= _family,			\
	.hook	= _hook,			\
	.init	= nf_fp_flowtable_init,		\
	.setup	= nf_fp_setup,			\
	.free	= nf_fp_flowtable_free,		\
	.owner	= THIS_MODULE,			\
}

static struct nf_flowtable_type nf_fp_types[] __read_mostly = {
	NF_FP_TYPE(NFPROTO_INET, nf_fp_inet_hook),
	NF_FP_TYPE(NFPROTO_IPV4, nf_fp_ipv4_hook),
	NF_FP_TYPE(NFPROTO_IPV6, nf_fp_ipv6_hook),
};

struct nf_fp_expr {
	struct nft_flowtable	*flowtable;
};

static struct nft_flowtable *nf_fp_expr_ft(const struct nft_expr *expr)
{
	const struct nf_fp_expr *priv = nft_expr_priv(expr);

	return priv->flowtable;
}

static void nf_fp_expr_eval(const struct nft_expr *expr,
			    struct nft_regs *regs,
			    const struct nft_pktinfo *pkt)
{
	nf_fp_offload(&nf_fp_expr_ft(expr)->data, pkt);
}

static int nf_fp_expr_init(const struct nft_ctx *ctx,
			   const struct nft_expr *expr,
			   const struct nlattr * const tb[])
{
	struct nf_fp_expr *priv = nft_expr_priv(expr);
	struct nft_flowtable *flowtable;
	int err;

	if (!tb[NFTA_FLOW_TABLE_NAME])
		return -EINVAL;

	flowtable = nft_flowtable_lookup(ctx->table, tb[NFTA_FLOW_TABLE_NAME],
					 nft_genmask_next(ctx->net));
	if (IS_ERR(flowtable))
		return PTR_ERR(flowtable);

	err = nf_ct_netns_get(ctx->net, ctx->family);
	if (err < 0)
		return err;

	if (!nft_use_inc(&flowtable->use)) {
		nf_ct_netns_put(ctx->net, ctx->family);
		return -EMFILE;
	}
	priv->flowtable = flowtable;
	return 0;
}

static void nf_fp_expr_destroy(const struct nft_ctx *ctx,
			       const struct nft_expr *expr)
{
	nf_ct_netns_put(ctx->net, ctx->family);
}

/* The rule holds a use count on the flowtable, so that the flowtable
 * cannot be deleted under it.
 */
static void nf_fp_expr_activate(const struct nft_ctx *ctx,
				const struct nft_expr *expr)
{
	nft_use_inc_restore(&nf_fp_expr_ft(expr)->use);
}

static void nf_fp_expr_deactivate(const struct nft_ctx *ctx,
				  const struct nft_expr *expr,
				  enum nft_trans_phase phase)
{
	nf_tables_deactivate_flowtable(ctx, nf_fp_expr_ft(expr), phase);
}

/* Flows are only created from the forward hook: that is where both the
 * input and output device of a routed packet are known.
 */
static int nf_fp_expr_validate(const struct nft_ctx *ctx,
			       const struct nft_expr *expr)
{
	return nft_chain_validate_hooks(ctx->chain, BIT(NF_INET_FORWARD));
}

static int nf_fp_expr_dump(struct sk_buff *skb, const struct nft_expr *expr,
			   bool reset)
{
	return nla_put_string(skb, NFTA_FLOW_TABLE_NAME,
			      nf_fp_expr_ft(expr)->name);
}

static const struct nft_expr_ops nf_fp_expr_ops;

static const struct nla_policy nf_fp_expr_policy[NFTA_FLOW_MAX + 1] = {
	[NFTA_FLOW_TABLE_NAME]	= { .type = NLA_STRING,
				    .len = NFT_NAME_MAXLEN - 1 },
};

static struct nft_expr_type nf_fp_expr_type __read_mostly = {
	.name		= "flow_offload",
	.owner		= THIS_MODULE,
	.ops		= &nf_fp_expr_ops,
	.policy		= nf_fp_expr_policy,
	.maxattr	= NFTA_FLOW_MAX,
};

static const struct nft_expr_ops nf_fp_expr_ops = {
	.type		= &nf_fp_expr_type,
	.eval		= nf_fp_expr_eval,
	.init		= nf_fp_expr_init,
	.destroy	= nf_fp_expr_destroy,
	.size		= NFT_EXPR_SIZE(sizeof(struct nf_fp_expr)),
	.activate	= nf_fp_expr_activate,
	.deactivate	= nf_fp_expr_deactivate,
	.validate	= nf_fp_expr_validate,
	.dump		= nf_fp_expr_dump,
};

int nf_fp_nft_init(void)
{
	int i, err;

	/* The one registration that can fail goes first: nothing to undo. */
	err = nft_register_expr(&nf_fp_expr_type);
	if (err)
		return err;
	for (i = 0; i < ARRAY_SIZE(nf_fp_types); i++)
		nft_register_flowtable_type(&nf_fp_types[i]);
	return 0;
}

void nf_fp_nft_exit(void)
{
	int i;

	nft_unregister_expr(&nf_fp_expr_type);
	for (i = 0; i < ARRAY_SIZE(nf_fp_types); i++)
		nft_unregister_flowtable_type(&nf_fp_types[i]);
}

/* nf_tables asks for "nf-flowtable-<family number>" */
MODULE_ALIAS_NF_FLOWTABLE(1);	/* NFPROTO_INET */
MODULE_ALIAS_NF_FLOWTABLE(2);	/* NFPROTO_IPV4 */
MODULE_ALIAS_NF_FLOWTABLE(10);	/* NFPROTO_IPV6 */
MODULE_ALIAS_NFT_EXPR("flow_offload");
