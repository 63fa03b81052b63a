// SPDX-License-Identifier: GPL-2.0-only
/*
 * Our flowtables: the part of each that nf_tables' struct nf_flowtable
 * has no room for (struct nf_fp_table), the flowtable type's init and
 * free, and the flowtables of each network namespace, which device
 * events and /proc walk.
 */

#include <linux/slab.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "fastpath.h"

unsigned int nf_fp_net_id __read_mostly;

int nf_fp_flowtable_init(struct nf_flowtable *ft)
{
	struct nf_fp_net *fpn = nf_fp_pernet(read_pnet(&ft->net));
	struct nf_fp_table *t;
	int err;

	t = kzalloc(sizeof(*t), GFP_KERNEL_ACCOUNT);
	if (!t)
		return -ENOMEM;
	t->ft = ft;
	t->revalidate = true;
	/* nf_tables leaves nf_flowtable::list to the flowtable type: it
	 * links the flowtable to its private part, a list of one.
	 */
	INIT_LIST_HEAD(&t->link);
	list_add(&ft->list, &t->link);

	err = nf_fp_hash_init(ft);
	if (err)
		goto err_free;
	err = nf_fp_hw_init(ft);
	if (err)
		goto err_hash;

	flow_block_init(&ft->flow_block);
	init_rwsem(&ft->flow_block_lock);
	nf_fp_gc_start(ft);

	mutex_lock(&fpn->lock);
	list_add_rcu(&t->node, &fpn->tables);
	mutex_unlock(&fpn->lock);
	return 0;

err_hash:
	nf_fp_hash_destroy(ft);
err_free:
	list_del(&ft->list);
	kfree(t);
	return err;
}

/* Called by nf_tables once the flowtable's hooks are gone. */
void nf_fp_flowtable_free(struct nf_flowtable *ft)
{
	struct nf_fp_net *fpn = nf_fp_pernet(read_pnet(&ft->net));
	struct nf_fp_table *t = nf_fp_table(ft);

	mutex_lock(&fpn->lock);
	list_del_rcu(&t->node);
	mutex_unlock(&fpn->lock);
	/* nf_fp_netns_walk() may still be in the table. */
	synchronize_rcu();

	nf_fp_gc_stop(ft);
	nf_fp_flow_flush(ft, NULL);
	nf_fp_hw_free(ft);
	nf_fp_hash_destroy(ft);
	list_del(&ft->list);
	kfree(t);
}

/* Call @fn for every flow of every flowtable of @net.  Does not sleep:
 * some events come from atomic notifier chains.
 */
void nf_fp_netns_walk(const struct net *net,
		      void (*fn)(struct nf_flowtable *ft,
				 struct nf_fp_flow *flow, const void *arg),
		      const void *arg)
{
	struct nf_fp_net *fpn = nf_fp_pernet(net);
	struct nf_fp_table *t;

	rcu_read_lock();
	list_for_each_entry_rcu(t, &fpn->tables, node)
		nf_fp_hash_walk(t->ft, fn, arg);
	rcu_read_unlock();
}

/* Call @fn for each flowtable of @net, in process context, until it
 * returns non-zero; that is returned.
 */
int nf_fp_netns_each(struct net *net,
		     int (*fn)(struct nf_flowtable *ft, void *arg), void *arg)
{
	struct nf_fp_net *fpn = nf_fp_pernet(net);
	struct nf_fp_table *t;
	int ret = 0;

	mutex_lock(&fpn->lock);
	list_for_each_entry(t, &fpn->tables, node) {
		ret = fn(t->ft, arg);
		if (ret)
			break;
	}
	mutex_unlock(&fpn->lock);
	return ret;
}

static int __net_init nf_fp_net_init(struct net *net)
{
	struct nf_fp_net *fpn = nf_fp_pernet(net);
	int err;

	INIT_LIST_HEAD(&fpn->tables);
	mutex_init(&fpn->lock);
	fpn->stats = nf_fp_stats_alloc();
	if (!fpn->stats)
		return -ENOMEM;
	err = nf_fp_proc_init_net(net);
	if (err)
		nf_fp_stats_free(fpn->stats);
	return err;
}

/* Counting stops here: nf_fp_stat_inc() reads the pointer under RCU, and
 * netns cleanup waits for a grace period before ->exit frees the
 * counters.  Flowtables of the netns may still be freed after ->exit, by
 * nf_tables' own exit, and their work items count until then.
 */
static void __net_exit nf_fp_net_pre_exit(struct net *net)
{
	struct nf_fp_net *fpn = nf_fp_pernet(net);

	nf_fp_proc_exit_net(net);
	fpn->stats_dead = fpn->stats;
	WRITE_ONCE(fpn->stats, NULL);
}

static void __net_exit nf_fp_net_exit(struct net *net)
{
	nf_fp_stats_free(nf_fp_pernet(net)->stats_dead);
}

static struct pernet_operations nf_fp_net_ops = {
	.init		= nf_fp_net_init,
	.pre_exit	= nf_fp_net_pre_exit,
	.exit		= nf_fp_net_exit,
	.id		= &nf_fp_net_id,
	.size		= sizeof(struct nf_fp_net),
};

int nf_fp_registry_init(void)
{
	return register_pernet_subsys(&nf_fp_net_ops);
}

void nf_fp_registry_exit(void)
{
	unregister_pernet_subsys(&nf_fp_net_ops);
}
