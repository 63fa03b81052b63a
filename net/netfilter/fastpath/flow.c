// SPDX-License-Identifier: GPL-2.0-only
/*
 * Building a flow from an established conntrack entry, and handing the
 * entry back to conntrack when the flow leaves the table.
 */

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/slab.h>
#include <net/dsfield.h>
#include <net/flow.h>
#include <net/ip.h>
#include <net/ip6_fib.h>
#include <net/ip6_route.h>
#include <net/route.h>
#include <net/xfrm.h>
#include <net/netfilter/nf_conntrack_acct.h>
#include <net/netfilter/nf_conntrack_helper.h>
#include <net/netfilter/nf_conntrack_seqadj.h>
#include <net/netfilter/nf_tables.h>

#include "fastpath.h"

/* How far ahead an offloaded entry's timeout is kept.  Conntrack sees no
 * packets of it and knows nothing of IPS_OFFLOAD: left alone, the entry
 * would expire under the flow (after a packet that took the classic path
 * gave it the timeout of its state, for instance).
 */
#define NF_FP_CT_HOLD	(24 * 60 * 60 * HZ)

static bool nf_fp_ct_eligible(const struct nf_conn *ct,
			      enum ip_conntrack_info ctinfo)
{
	if (!nf_ct_is_confirmed(ct) || nf_ct_is_dying(ct) ||
	    !test_bit(IPS_SEEN_REPLY_BIT, &ct->status))
		return false;
	/* The loser of a NAT clash shares its original tuple with the
	 * winner and lives for a second: it is no connection of its own.
	 */
	if (test_bit(IPS_NAT_CLASH_BIT, &ct->status))
		return false;
	if (ctinfo != IP_CT_ESTABLISHED && ctinfo != IP_CT_ESTABLISHED_REPLY)
		return false;
	if (nfct_help(ct) || nfct_seqadj(ct))
		return false;

	switch (nf_ct_protonum(ct)) {
	case IPPROTO_TCP:
		return READ_ONCE(ct->proto.tcp.state) ==
		       TCP_CONNTRACK_ESTABLISHED;
	case IPPROTO_UDP:
		return true;
	}
	return false;
}

static void nf_fp_key_from_tuple(struct nf_fp_key *key,
				 const struct nf_conntrack_tuple *t,
				 const struct nf_fp_ingress *ing)
{
	memset(key, 0, sizeof(*key));
	key->saddr = t->src.u3;
	key->daddr = t->dst.u3;
	key->sport = t->src.u.all;
	key->dport = t->dst.u.all;
	key->iif = ing->ifindex;
	key->vlan = ing->vlan;
	key->l3proto = t->src.l3num;
	key->l4proto = t->dst.protonum;
}

/* Could the flowtable catch packets that routing sees on @dev: is @dev
 * one of its devices, or stacked on others (see path.c)?
 */
static bool nf_fp_may_catch(struct nf_flowtable *ft,
			    const struct net_device *dev)
{
	return dev->netdev_ops->ndo_fill_forward_path || nf_fp_has_dev(ft, dev);
}

/* Where the current packet was caught: its sender is the peer. */
static int nf_fp_ingress_here(struct nf_flowtable *ft,
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
static int nf_fp_ingress_there(struct nf_flowtable *ft, struct dst_entry *dst,
			       const struct nf_conntrack_tuple *t,
			       struct nf_fp_ingress *ing)
{
	u8 ha[ETH_ALEN], *peer = NULL;

	if (!dst_xfrm(dst) && dst->dev->netdev_ops->ndo_fill_forward_path &&
	    !nf_fp_neigh_addr(dst, &t->src.u3, ha))
		peer = ha;
	return nf_fp_path_ingress(ft, dst->dev, peer, ing);
}

/* Which header fields packets of @d rewrite to look like the reverse of
 * the other direction's tuple.
 */
static u8 nf_fp_nat_mask(const struct nf_fp_key *k, const struct nf_fp_key *rev)
{
	u8 nat = 0;

	if (!nf_inet_addr_cmp(&k->saddr, &rev->daddr))
		nat |= NF_FP_NAT_SADDR;
	if (!nf_inet_addr_cmp(&k->daddr, &rev->saddr))
		nat |= NF_FP_NAT_DADDR;
	if (k->sport != rev->dport)
		nat |= NF_FP_NAT_SPORT;
	if (k->dport != rev->sport)
		nat |= NF_FP_NAT_DPORT;
	return nat;
}

static u8 nf_fp_pkt_dscp(const struct nft_pktinfo *pkt)
{
	if (nft_pf(pkt) == NFPROTO_IPV4)
		return ip_hdr(pkt->skb)->tos & INET_DSCP_MASK;
	return ipv6_get_dsfield(ipv6_hdr(pkt->skb)) & INET_DSCP_MASK;
}

static void nf_fp_dir_set_l2addr(struct nf_fp_dir *d,
				 const struct net_device *dev)
{
	if (dev->addr_len == ETH_ALEN)
		ether_addr_copy(d->l2addr, dev->dev_addr);
}

static struct nf_fp_flow *nf_fp_flow_build(struct nf_flowtable *ft,
					   const struct nft_pktinfo *pkt,
					   struct nf_conn *ct,
					   enum ip_conntrack_dir dir)
{
	const struct net_device *in = nft_in(pkt), *out = nft_out(pkt);
	struct nf_fp_ingress ing[IP_CT_DIR_MAX];
	struct dst_entry *fwd, *back;
	struct nf_fp_flow *flow;
	int i;

	fwd = skb_dst(pkt->skb);
	if (!fwd || fwd->dev != out || !dst_hold_safe(fwd))
		return NULL;

	back = nf_fp_route_back(pkt, &ct->tuplehash[dir].tuple);
	if (!back)
		goto err_fwd;
	if (back->dev != in)
		goto err_back;
	if (!nf_fp_route_plain(fwd, nft_pf(pkt)) ||
	    !nf_fp_route_plain(back, nft_pf(pkt)))
		goto err_back;

	if (nf_fp_ingress_here(ft, pkt, &ing[dir]) ||
	    nf_fp_ingress_there(ft, fwd, &ct->tuplehash[!dir].tuple,
				&ing[!dir]))
		goto err_back;

	flow = kzalloc(sizeof(*flow), GFP_ATOMIC);
	if (!flow)
		goto err_back;

	flow->ct = ct;
	if (ing[0].stacked || ing[1].stacked)
		__set_bit(NF_FP_FLOW_STACKED, &flow->flags);
	for (i = 0; i < IP_CT_DIR_MAX; i++) {
		flow->dir[i].dir = i;
		nf_fp_key_from_tuple(&flow->dir[i].key,
				     &ct->tuplehash[i].tuple, &ing[i]);
	}
	for (i = 0; i < IP_CT_DIR_MAX; i++)
		flow->dir[i].nat = nf_fp_nat_mask(&flow->dir[i].key,
						  &flow->dir[!i].key);

	nf_fp_dir_set_route(&flow->dir[dir], fwd, nft_pf(pkt));
	nf_fp_dir_set_route(&flow->dir[!dir], back, nft_pf(pkt));
	/* What routing saw: the reverse route was looked up without DSCP. */
	flow->dir[dir].dscp = nf_fp_pkt_dscp(pkt);
	flow->mark = pkt->skb->mark;
	nf_fp_dir_set_l2addr(&flow->dir[dir], in);
	nf_fp_dir_set_l2addr(&flow->dir[!dir], out);
	return flow;

err_back:
	dst_release(back);
err_fwd:
	dst_release(fwd);
	return NULL;
}

/* Packets of an offloaded connection may reach conntrack at any time (a
 * segment over the MTU, a revalidation after a ruleset change) without
 * conntrack having seen the ones in between: its sequence windows are
 * stale, so make it accept what it cannot check.
 */
static void nf_fp_ct_liberal(struct nf_conn *ct)
{
	if (nf_ct_protonum(ct) != IPPROTO_TCP)
		return;

	spin_lock_bh(&ct->lock);
	ct->proto.tcp.seen[IP_CT_DIR_ORIGINAL].flags |= IP_CT_TCP_FLAG_BE_LIBERAL;
	ct->proto.tcp.seen[IP_CT_DIR_REPLY].flags |= IP_CT_TCP_FLAG_BE_LIBERAL;
	spin_unlock_bh(&ct->lock);
}

/* The connection is offloaded already and a packet of direction @dir
 * still took the classic path.  Either a ruleset change sent it here to
 * be judged again, or its sender moved (to another bridge port, say) and
 * the flow no longer catches it, or routing now sends it out of another
 * device: then the flow goes, and the next packet offloads the
 * connection along its new path.
 */
static void nf_fp_revalidate(struct nf_flowtable *ft,
			     const struct nft_pktinfo *pkt,
			     struct nf_conn *ct, enum ip_conntrack_dir dir)
{
	struct nf_fp_ingress ing;
	struct nf_fp_flow *flow;
	struct nf_fp_key key;
	struct nf_fp_dir *d;
	bool moved = false;

	if (nf_fp_ingress_here(ft, pkt, &ing))
		return;
	nf_fp_key_from_tuple(&key, &ct->tuplehash[dir].tuple, &ing);
	d = nf_fp_table_lookup(ft, &key);
	if (!d && skb_dst(pkt->skb) &&
	    !nf_fp_ingress_there(ft, skb_dst(pkt->skb),
				 &ct->tuplehash[!dir].tuple, &ing)) {
		nf_fp_key_from_tuple(&key, &ct->tuplehash[!dir].tuple, &ing);
		d = nf_fp_table_lookup(ft, &key);
		moved = true;
	}
	if (!d)
		return;
	flow = nf_fp_dir_flow(d);
	if (flow->ct != ct || test_bit(NF_FP_FLOW_DEAD, &flow->flags))
		return;
	/* Moved, or routed elsewhere now (by a mark the ruleset sets, say). */
	if (moved || (skb_dst(pkt->skb) &&
		      skb_dst(pkt->skb)->dev != READ_ONCE(d->dst)->dev)) {
		nf_fp_table_remove(ft, flow, NF_FP_STAT_DEL_ROUTE);
		return;
	}
	nf_fp_flow_hold_ct(flow);
	nf_fp_policy_revalidate(ft, flow, dir);
	nf_fp_hw_flow_revalidated(flow);
}

/* Keep the conntrack entry of a live flow from expiring: from the garbage
 * collector, and after a packet of the flow went through conntrack.  An
 * entry that expired already is left to conntrack.  A flow that left the
 * table has handed its entry back (nf_fp_ct_handback()) or is about to:
 * the cmpxchg() then finds another timeout, or the flag tells.
 */
void nf_fp_flow_hold_ct(struct nf_fp_flow *flow)
{
	struct nf_conn *ct = flow->ct;
	u32 timeout = READ_ONCE(ct->timeout);
	s32 left = timeout - nfct_time_stamp;

	if (left <= 0 || left >= NF_FP_CT_HOLD / 2)
		return;
	smp_rmb();	/* the timeout before the flag, see nf_fp_table_remove() */
	if (test_bit(NF_FP_FLOW_DEAD, &flow->flags))
		return;
	cmpxchg(&ct->timeout, timeout, nfct_time_stamp + NF_FP_CT_HOLD);
}

/* The flow_offload expression: move this packet's connection into @ft. */
void nf_fp_offload(struct nf_flowtable *ft, const struct nft_pktinfo *pkt)
{
	enum ip_conntrack_info ctinfo;
	struct nf_fp_flow *flow;
	struct nf_conn *ct;
	struct net *net;

	ct = nf_ct_get(pkt->skb, &ctinfo);
	if (!ct || !nf_fp_ct_eligible(ct, ctinfo))
		return;
	if (nft_pf(pkt) != nf_ct_l3num(ct))
		return;
	if (!nf_fp_may_catch(ft, nft_in(pkt)) ||
	    !nf_fp_may_catch(ft, nft_out(pkt)))
		return;

	/* One flowtable at a time owns a conntrack entry.  If it is this
	 * one, the ruleset still offloads the connection after a change.
	 */
	if (test_and_set_bit(IPS_OFFLOAD_BIT, &ct->status)) {
		nf_fp_revalidate(ft, pkt, ct, CTINFO2DIR(ctinfo));
		return;
	}

	net = nft_net(pkt);
	flow = nf_fp_flow_build(ft, pkt, ct, CTINFO2DIR(ctinfo));
	if (!flow)
		goto err;

	if (!refcount_inc_not_zero(&ct->ct_general.use))
		goto err_free;

	flow->expires = nfct_time_stamp + nf_fp_timeout(net, flow);
	nf_fp_policy_flow_init(ft, flow);
	nf_fp_hw_flow_init(ft, flow);
	WRITE_ONCE(ct->timeout, nfct_time_stamp + NF_FP_CT_HOLD);
	nf_fp_ct_liberal(ct);

	if (nf_fp_table_add(ft, flow)) {
		/* Packets may have found it already: out as any other flow,
		 * handing the entry back.
		 */
		nf_fp_table_remove(ft, flow, NF_FP_STAT_FLOW_ADD_FAIL);
		return;
	}

	nf_fp_stat_inc(net, NF_FP_STAT_FLOW_ADD);
	nf_fp_hw_flow_added(flow);
	return;

err_free:
	dst_release(flow->dir[0].dst);
	dst_release(flow->dir[1].dst);
	kfree(flow);
err:
	clear_bit(IPS_OFFLOAD_BIT, &ct->status);
	nf_fp_stat_inc(net, NF_FP_STAT_FLOW_ADD_FAIL);
}

/* Let conntrack track the connection again from where it stands: window
 * tracking restarts from the next packets seen, and the entry gets the
 * timeout its state has on the classic path.
 */
static void nf_fp_ct_handback(struct nf_conn *ct)
{
	struct net *net = nf_ct_net(ct);
	u32 timeout;

	if (nf_ct_protonum(ct) == IPPROTO_TCP) {
		spin_lock_bh(&ct->lock);
		ct->proto.tcp.seen[IP_CT_DIR_ORIGINAL].td_maxwin = 0;
		ct->proto.tcp.seen[IP_CT_DIR_REPLY].td_maxwin = 0;
		timeout = nf_tcp_pernet(net)->timeouts[ct->proto.tcp.state];
		spin_unlock_bh(&ct->lock);
	} else {
		timeout = nf_udp_pernet(net)->timeouts[UDP_CT_REPLIED];
	}
	WRITE_ONCE(ct->timeout, nfct_time_stamp + timeout);
}

static void nf_fp_flow_free_rcu(struct rcu_head *head)
{
	struct nf_fp_flow *flow = container_of(head, struct nf_fp_flow, rcu);

	dst_release(flow->dir[0].dst);
	dst_release(flow->dir[1].dst);
	nf_ct_put(flow->ct);
	nf_fp_hw_flow_free(flow);
	kfree(flow);
}

/* The flow is out of the table: packets no longer find it, but readers
 * that found it before may still use it until a grace period ends.
 */
void nf_fp_flow_release(struct nf_fp_flow *flow, bool handback)
{
	if (handback)
		nf_fp_ct_handback(flow->ct);
	clear_bit(IPS_OFFLOAD_BIT, &flow->ct->status);
	call_rcu(&flow->rcu, nf_fp_flow_free_rcu);
}
