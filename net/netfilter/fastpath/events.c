// SPDX-License-Identifier: GPL-2.0-only
/*
 * Device and address events: the flows whose path an event changes leave
 * the table, the others stay.
 *
 * Packets of a flow direction are caught on a device the flowtable hooks
 * and reach routing on that device or on one stacked above it (a bridge
 * over the port, a VLAN device over its lower device).  They leave by
 * routing's output device, where the packets of the other direction reach
 * routing.  An event on a device matters to a direction when the device
 * lies on that way up: the device the packets are caught on is the
 * device or one below it, and the device routing sees them on is the
 * device or one above it.  Flows elsewhere are left alone, so that a
 * Wi-Fi or VPN interface coming and going on a home router costs the LAN
 * bridge's other flows nothing.
 */

#include <linux/inetdevice.h>
#include <linux/netdevice.h>
#include <net/addrconf.h>
#include <net/netfilter/nf_nat.h>

#include "fastpath.h"

#define NF_FP_EVENT_DEVS	16

/* A few devices by ifindex; more than that many stands for all. */
struct nf_fp_devset {
	unsigned int	num;
	bool		all;
	int		ifindex[NF_FP_EVENT_DEVS];
};

struct nf_fp_dev_event {
	struct nf_fp_devset	below;	/* the device and the devices under it */
	struct nf_fp_devset	above;	/* the device and the devices over it */
};

static void nf_fp_devset_add(struct nf_fp_devset *set,
			     const struct net_device *dev)
{
	if (set->num < ARRAY_SIZE(set->ifindex))
		set->ifindex[set->num++] = dev->ifindex;
	else
		set->all = true;
}

static bool nf_fp_devset_has(const struct nf_fp_devset *set, int ifindex)
{
	unsigned int i;

	if (set->all)
		return true;
	for (i = 0; i < set->num; i++) {
		if (set->ifindex[i] == ifindex)
			return true;
	}
	return false;
}

static int nf_fp_devset_walk(struct net_device *dev,
			     struct netdev_nested_priv *priv)
{
	nf_fp_devset_add(priv->data, dev);
	return 0;
}

static void nf_fp_devset_add_uppers(struct nf_fp_devset *set,
				    struct net_device *dev)
{
	struct netdev_nested_priv priv = { .data = set };

	nf_fp_devset_add(set, dev);
	rcu_read_lock();
	netdev_walk_all_upper_dev_rcu(dev, nf_fp_devset_walk, &priv);
	rcu_read_unlock();
}

static void nf_fp_devset_add_lowers(struct nf_fp_devset *set,
				    struct net_device *dev)
{
	struct netdev_nested_priv priv = { .data = set };

	nf_fp_devset_add(set, dev);
	netdev_walk_all_lower_dev(dev, nf_fp_devset_walk, &priv);
}

static void nf_fp_dev_event_flow(struct nf_flowtable *ft,
				 struct nf_fp_flow *flow, const void *arg)
{
	const struct nf_fp_dev_event *ev = arg;
	int i;

	for (i = 0; i < IP_CT_DIR_MAX; i++) {
		if (nf_fp_devset_has(&ev->below, flow->dir[i].key.iif) &&
		    nf_fp_devset_has(&ev->above, flow->dir[!i].oif)) {
			nf_fp_flow_remove(ft, flow, NF_FP_STAT_DEL_DEVICE);
			return;
		}
	}
}

/* Going down or away, a new address (frames to the old one are not ours
 * any more), a new MTU (the cached one is too big or too small), a link
 * to an upper device made or broken.  Called under RTNL.
 */
static int nf_fp_netdev_event(struct notifier_block *nb, unsigned long event,
			      void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct netdev_notifier_changeupper_info *info;
	struct nf_fp_dev_event ev = {};
	struct net_device *top = dev;

	switch (event) {
	case NETDEV_CHANGEUPPER:
		/* A master (a bridge, a bond) taking @dev takes the packets
		 * of the flows through @dev; an upper device that is no
		 * master (VLAN, macvlan, ipvlan) leaves them alone.  Breaking
		 * a link of either kind cuts the paths that went over it:
		 * from @dev up through the upper device.
		 */
		info = ptr;
		if (info->linking && !info->master)
			return NOTIFY_DONE;
		if (!info->linking)
			top = info->upper_dev;
		break;
	case NETDEV_DOWN:
	case NETDEV_UNREGISTER:
	case NETDEV_CHANGEADDR:
	case NETDEV_CHANGEMTU:
		break;
	default:
		return NOTIFY_DONE;
	}

	nf_fp_devset_add_lowers(&ev.below, dev);
	nf_fp_devset_add_uppers(&ev.above, top);
	nf_fp_dev_seq_move(dev_net(dev));
	nf_fp_netns_walk(dev_net(dev), nf_fp_dev_event_flow, &ev);
	return NOTIFY_DONE;
}

/* A flow is built from the device stack as it stands (the bridge's
 * forwarding database, the uppers of a device) while an event may be
 * changing it.  Whoever builds one reads the sequence first
 * (nf_fp_dev_seq()); the event, after the change (the bridge changes its
 * database before the upper link goes, and from a notifier registered
 * before ours), moves it before it looks for the flows it concerns.  A
 * builder that read the moved sequence reads the changed stack; one that
 * read the old one either has its flow found by the event's walk (a
 * single RCU section of rhashtable walk, which sees every flow inserted
 * before it started) or sees the sequence moved after the insert
 * (nf_fp_dev_seq_moved()) and takes the flow out itself.  Any device
 * event of the netns cancels a flow being built across it.
 */
void nf_fp_dev_seq_move(struct net *net)
{
	struct nf_fp_net *fn = nf_fp_pernet(net);

	ASSERT_RTNL();
	smp_mb();	/* the change, then the sequence */
	WRITE_ONCE(fn->dev_seq, fn->dev_seq + 1);
	smp_mb();	/* the sequence, then the walk's reads */
}

/* Before reading the device stack for a new flow. */
unsigned int nf_fp_dev_seq(const struct net *net)
{
	/* the sequence, then the stack: pairs with nf_fp_dev_seq_move() */
	return smp_load_acquire(&nf_fp_pernet(net)->dev_seq);
}

/* After inserting a flow built when the sequence was @seq. */
bool nf_fp_dev_seq_moved(const struct net *net, unsigned int seq)
{
	smp_mb();	/* the insert, then the sequence */
	return READ_ONCE(nf_fp_pernet(net)->dev_seq) != seq;
}

static struct notifier_block nf_fp_netdev_notifier = {
	.notifier_call	= nf_fp_netdev_event,
};

#if IS_ENABLED(CONFIG_NF_NAT_MASQUERADE)
/* An address removed from a device that masqueraded connections to it. */
struct nf_fp_addr_event {
	int			ifindex;
	u8			l3proto;
	union nf_inet_addr	addr;
};

/* Masquerade kills the conntrack entries that used the address, from a
 * work item (nf_nat_masq_schedule()).  Until that has run, packets of an
 * offloaded entry would still leave with the address the device no longer
 * has, on our path as on the classic one: kill the entry now, the next
 * packet starts a connection from an address the device has.
 */
static void nf_fp_addr_event_flow(struct nf_flowtable *ft,
				  struct nf_fp_flow *flow, const void *arg)
{
	const struct nf_fp_addr_event *ev = arg;
	struct nf_conn *ct = flow->ct;
	const struct nf_conn_nat *nat;

	if (flow->dir[0].key.l3proto != ev->l3proto)
		return;
	nat = nfct_nat(ct);
	if (!nat || READ_ONCE(nat->masq_index) != ev->ifindex ||
	    !nf_inet_addr_cmp(&ct->tuplehash[IP_CT_DIR_REPLY].tuple.dst.u3,
			      &ev->addr))
		return;
	nf_ct_kill(ct);
	nf_fp_flow_remove(ft, flow, NF_FP_STAT_DEL_NAT_ADDR);
}

static int nf_fp_inetaddr_event(struct notifier_block *nb,
				unsigned long event, void *ptr)
{
	const struct in_ifaddr *ifa = ptr;
	struct net_device *dev = ifa->ifa_dev->dev;
	struct nf_fp_addr_event ev = {
		.ifindex	= dev->ifindex,
		.l3proto	= NFPROTO_IPV4,
		.addr.ip	= ifa->ifa_local,
	};

	if (event == NETDEV_DOWN)
		nf_fp_netns_walk(dev_net(dev), nf_fp_addr_event_flow, &ev);
	return NOTIFY_DONE;
}

/* An atomic notifier chain: nf_fp_netns_walk() does not sleep. */
static int nf_fp_inet6addr_event(struct notifier_block *nb,
				 unsigned long event, void *ptr)
{
	const struct inet6_ifaddr *ifa = ptr;
	struct net_device *dev = ifa->idev->dev;
	struct nf_fp_addr_event ev = {
		.ifindex	= dev->ifindex,
		.l3proto	= NFPROTO_IPV6,
		.addr.in6	= ifa->addr,
	};

	if (event == NETDEV_DOWN)
		nf_fp_netns_walk(dev_net(dev), nf_fp_addr_event_flow, &ev);
	return NOTIFY_DONE;
}

static struct notifier_block nf_fp_inetaddr_notifier = {
	.notifier_call	= nf_fp_inetaddr_event,
};

static struct notifier_block nf_fp_inet6addr_notifier = {
	.notifier_call	= nf_fp_inet6addr_event,
};

static int nf_fp_addr_events_init(void)
{
	int err;

	err = register_inetaddr_notifier(&nf_fp_inetaddr_notifier);
	if (err)
		return err;
	if (IS_ENABLED(CONFIG_IPV6)) {
		err = register_inet6addr_notifier(&nf_fp_inet6addr_notifier);
		if (err)
			unregister_inetaddr_notifier(&nf_fp_inetaddr_notifier);
	}
	return err;
}

static void nf_fp_addr_events_exit(void)
{
	if (IS_ENABLED(CONFIG_IPV6))
		unregister_inet6addr_notifier(&nf_fp_inet6addr_notifier);
	unregister_inetaddr_notifier(&nf_fp_inetaddr_notifier);
}
#else
static int nf_fp_addr_events_init(void)
{
	return 0;
}

static void nf_fp_addr_events_exit(void)
{
}
#endif

int nf_fp_events_init(void)
{
	int err;

	err = register_netdevice_notifier(&nf_fp_netdev_notifier);
	if (err)
		return err;
	err = nf_fp_addr_events_init();
	if (err)
		unregister_netdevice_notifier(&nf_fp_netdev_notifier);
	return err;
}

void nf_fp_events_exit(void)
{
	nf_fp_addr_events_exit();
	unregister_netdevice_notifier(&nf_fp_netdev_notifier);
}
