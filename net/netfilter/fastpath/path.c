// SPDX-License-Identifier: GPL-2.0-only
/*
 * Where packets of a flow are caught.  Routing names the device a packet
 * came in on or leaves by, which may be a bridge or a VLAN device; the
 * flowtable's ingress hooks may sit on a device below it (a bridge port,
 * the VLAN's lower device), where the packet still carries its tag.  Walk
 * the stack of devices from the routing device towards the peer and pick
 * the lowest one the flowtable hooks.
 */

#include <linux/if_bridge.h>
#include <linux/if_vlan.h>
#include <linux/netdevice.h>
#include <net/neighbour.h>
#include <net/netfilter/nf_tables.h>

#include "fastpath.h"

/* Link-layer address of the neighbour that @dst sends packets for @daddr
 * to, if it is known.
 */
int nf_fp_neigh_addr(struct dst_entry *dst, const union nf_inet_addr *daddr,
		     u8 *ha)
{
	struct neighbour *n;
	int err = -ENOENT;

	n = dst_neigh_lookup(dst, daddr);
	if (!n)
		return err;
	read_lock_bh(&n->lock);
	if (n->nud_state & NUD_VALID) {
		memcpy(ha, n->ha, ETH_ALEN);
		err = 0;
	}
	read_unlock_bh(&n->lock);
	neigh_release(n);
	return err;
}

/* VLAN tags a frame carries below each step of the path: a VLAN device
 * adds its tag, a bridge port may add or strip one.
 */
struct nf_fp_tags {
	int	num;
	u16	vlan[NET_DEVICE_PATH_VLAN_MAX];
};

static int nf_fp_tags_push(struct nf_fp_tags *t, u16 id, __be16 proto)
{
	if (t->num >= ARRAY_SIZE(t->vlan))
		return -E2BIG;
	t->vlan[t->num++] = nf_fp_vlan(id, proto);
	return 0;
}

static int nf_fp_tags_step(struct nf_fp_tags *t,
			   const struct net_device_path *p)
{
	switch (p->type) {
	case DEV_PATH_ETHERNET:
		return 0;
	case DEV_PATH_VLAN:
		return nf_fp_tags_push(t, p->encap.id, p->encap.proto);
	case DEV_PATH_BRIDGE:
		switch (p->bridge.vlan_mode) {
		case DEV_PATH_BR_VLAN_KEEP:
			return 0;
		case DEV_PATH_BR_VLAN_TAG:
			return nf_fp_tags_push(t, p->bridge.vlan_id,
					       p->bridge.vlan_proto);
		case DEV_PATH_BR_VLAN_UNTAG:
		case DEV_PATH_BR_VLAN_UNTAG_HW:
			if (!t->num)
				return -EINVAL;
			t->num--;
			return 0;
		}
		break;
	default:
		break;
	}
	/* PPPoE, DSA tags, wireless DMA: nothing the datapath strips. */
	return -EOPNOTSUPP;
}

static int nf_fp_ingress_self(struct nf_flowtable *ft,
			      const struct net_device *dev,
			      struct nf_fp_ingress *ing)
{
	if (!nf_fp_nft_has_dev(ft, dev))
		return -ENODEV;
	ing->ifindex = dev->ifindex;
	ing->vlan = 0;
	ing->fdb_port = 0;
	ing->fdb_vid = 0;
	ing->stacked = false;
	return 0;
}

/* Packets from the peer with link-layer address @peer reach routing on
 * @dev.  Find the lowest device of @ft they cross on the way up and the
 * tag they carry there.  Without @peer, or if @dev stacks on nothing,
 * @dev itself must be one of the flowtable's devices.  Caught at or
 * below a bridge port, they skip the bridge's input: the port and the
 * VLAN the bridge files the peer under are kept for nf_fp_fdb_learn().
 */
int nf_fp_path_ingress(struct nf_flowtable *ft, const struct net_device *dev,
		       const u8 *peer, struct nf_fp_ingress *ing)
{
	struct net_device_path_stack stack;
	struct nf_fp_tags tags = {};
	int i, err = -ENODEV, fdb_port = 0;
	bool bridged = false;
	u16 fdb_vid = 0;

	if (!peer || !dev->netdev_ops->ndo_fill_forward_path ||
	    dev_fill_forward_path(dev, peer, &stack) < 0)
		return nf_fp_ingress_self(ft, dev, ing);

	for (i = 0; i < stack.num_paths; i++) {
		const struct net_device_path *p = &stack.path[i];

		/* The step after a bridge's is its port's. */
		if (bridged)
			fdb_port = p->dev->ifindex;
		if (tags.num <= 1 && nf_fp_nft_has_dev(ft, p->dev)) {
			ing->ifindex = p->dev->ifindex;
			ing->vlan = tags.num ? tags.vlan[0] : 0;
			ing->fdb_port = fdb_port;
			ing->fdb_vid = fdb_vid;
			ing->stacked = i > 0;
			err = 0;
		}
		if (nf_fp_tags_step(&tags, p))
			break;
		bridged = p->type == DEV_PATH_BRIDGE;
		if (bridged)
			fdb_vid = p->bridge.vlan_id & VLAN_VID_MASK;
	}
	return err;
}

/* Could the flowtable catch packets that routing sees on @dev: is @dev
 * one of its devices, or stacked on others?
 */
bool nf_fp_dev_catchable(struct nf_flowtable *ft,
			 const struct net_device *dev)
{
	return dev->netdev_ops->ndo_fill_forward_path || nf_fp_nft_has_dev(ft, dev);
}

/* Where the current packet was caught: its sender is the peer. */
int nf_fp_ingress_of_packet(struct nf_flowtable *ft,
			    const struct nft_pktinfo *pkt,
			    struct nf_fp_ingress *ing)
{
	const struct sk_buff *skb = pkt->skb;
	const u8 *peer = NULL;

	if (skb_mac_header_was_set(skb) && skb_mac_header_len(skb) >= ETH_HLEN)
		peer = eth_hdr(skb)->h_source;
	return nf_fp_path_ingress(ft, nft_in(pkt), peer, ing);
}

/* Where the answers to the current packet will be caught: they come from
 * the neighbour @dst sends to, the tuple @t's source once NATed.
 */
int nf_fp_ingress_of_replies(struct nf_flowtable *ft, struct dst_entry *dst,
			     const struct nf_conntrack_tuple *t,
			     struct nf_fp_ingress *ing)
{
	u8 ha[ETH_ALEN], *peer = NULL;

	if (!dst_xfrm(dst) && dst->dev->netdev_ops->ndo_fill_forward_path &&
	    !nf_fp_neigh_addr(dst, &t->src.u3, ha))
		peer = ha;
	return nf_fp_path_ingress(ft, dst->dev, peer, ing);
}

/* Once a second per direction: what the bridge's input would have done
 * with every frame caught at or below its port (br_fdb_learn()).  Under
 * RCU, from the ingress hook.
 */
void nf_fp_fdb_learn(struct nf_fp_dir *d, const struct sk_buff *skb)
{
	struct net_device *port;
	u32 now = jiffies;

	if (now - READ_ONCE(d->fdb_seen) < HZ || !skb_mac_header_was_set(skb))
		return;
	WRITE_ONCE(d->fdb_seen, now);
	port = dev_get_by_index_rcu(dev_net(skb->dev), d->fdb_port);
	if (port)
		br_fdb_learn(port, eth_hdr(skb)->h_source, d->fdb_vid);
}
