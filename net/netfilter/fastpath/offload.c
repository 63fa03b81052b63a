// SPDX-License-Identifier: GPL-2.0-only
/*
 * The flow_offload expression's work: which connections are offloaded, and
 * building a flow from an established conntrack entry and the packet that
 * reached "flow add".
 */

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/slab.h>
#include <net/dsfield.h>
#include <net/ip.h>
#include <net/netfilter/nf_conntrack_helper.h>
#include <net/netfilter/nf_conntrack_seqadj.h>
#include <net/netfilter/nf_tables.h>

#include "fastpath.h"

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

	if (nf_fp_ingress_of_packet(ft, pkt, &ing[dir]) ||
	    nf_fp_ingress_of_replies(ft, fwd, &ct->tuplehash[!dir].tuple,
				     &ing[!dir]))
		goto err_back;

	flow = nf_fp_flow_alloc();
	if (!flow)
		goto err_back;

	flow->ct = ct;
	if (ing[0].stacked || ing[1].stacked)
		__set_bit(NF_FP_FLOW_STACKED, &flow->flags);
	for (i = 0; i < IP_CT_DIR_MAX; i++) {
		flow->dir[i].dir = i;
		nf_fp_key_from_tuple(&flow->dir[i].key,
				     &ct->tuplehash[i].tuple, &ing[i]);
		flow->dir[i].fdb_port = ing[i].fdb_port;
		flow->dir[i].fdb_vid = ing[i].fdb_vid;
		flow->dir[i].fdb_seen = jiffies;
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

/* The connection is offloaded already and a packet of direction @dir
 * still took the classic path.  Either a ruleset change sent it here to
 * be judged again, or its sender moved (to another bridge port, say) and
 * the flow no longer catches it, or routing now sends it out of another
 * device: then the flow goes, and the next packet offloads the
 * connection along its new path.  A packet from another neighbour than
 * the one the other direction is sent to is routed asymmetrically: its
 * direction stays on the classic path, the other keeps the flow.
 */
static void nf_fp_offload_again(struct nf_flowtable *ft,
				const struct nft_pktinfo *pkt,
				struct nf_conn *ct, enum ip_conntrack_dir dir)
{
	struct nf_fp_ingress ing;
	struct nf_fp_flow *flow;
	struct nf_fp_key key;
	struct nf_fp_dir *d;
	bool moved = false;

	if (nf_fp_ingress_of_packet(ft, pkt, &ing))
		return;
	nf_fp_key_from_tuple(&key, &ct->tuplehash[dir].tuple, &ing);
	d = nf_fp_hash_lookup(ft, &key);
	if (!d && skb_dst(pkt->skb) &&
	    !nf_fp_ingress_of_replies(ft, skb_dst(pkt->skb),
				 &ct->tuplehash[!dir].tuple, &ing)) {
		nf_fp_key_from_tuple(&key, &ct->tuplehash[!dir].tuple, &ing);
		d = nf_fp_hash_lookup(ft, &key);
		moved = true;
	}
	if (!d)
		return;
	flow = nf_fp_dir_flow(d);
	if (flow->ct != ct || test_bit(NF_FP_FLOW_DEAD, &flow->flags))
		return;
	if (moved) {
		/* @d is the other direction, whose packets are sent to the
		 * neighbour this direction's packets are expected from.  If
		 * that neighbour is now found elsewhere (the bridge learnt
		 * its new port from this very frame), it moved.  If not,
		 * the packet came from another neighbour: routing is
		 * asymmetric, and conntrack just refreshed the entry's
		 * timeout, which the flow's replaces again.
		 */
		if (nf_fp_ingress_of_replies(ft, READ_ONCE(d->dst),
					     &ct->tuplehash[dir].tuple, &ing) ||
		    ing.ifindex != flow->dir[dir].key.iif ||
		    ing.vlan != flow->dir[dir].key.vlan)
			goto remove;
		nf_fp_ct_hold(flow);
		return;
	}
	/* Routed elsewhere now (by a mark the ruleset sets, say). */
	if (skb_dst(pkt->skb) &&
	    skb_dst(pkt->skb)->dev != READ_ONCE(d->dst)->dev)
		goto remove;
	nf_fp_ct_hold(flow);
	nf_fp_reval_offloaded(ft, flow, dir);
	nf_fp_hw_flow_revalidated(flow);
	return;

remove:
	nf_fp_flow_remove(ft, flow, NF_FP_STAT_DEL_ROUTE);
}

/* The flow_offload expression: move this packet's connection into @ft. */
void nf_fp_offload(struct nf_flowtable *ft, const struct nft_pktinfo *pkt)
{
	enum ip_conntrack_info ctinfo;
	struct nf_fp_flow *flow;
	unsigned int dev_seq;
	struct nf_conn *ct;
	struct net *net;

	ct = nf_ct_get(pkt->skb, &ctinfo);
	if (!ct || !nf_fp_ct_eligible(ct, ctinfo))
		return;
	if (nft_pf(pkt) != nf_ct_l3num(ct))
		return;
	if (!nf_fp_dev_catchable(ft, nft_in(pkt)) ||
	    !nf_fp_dev_catchable(ft, nft_out(pkt)))
		return;

	/* One flowtable at a time owns a conntrack entry.  If it is this
	 * one, the ruleset still offloads the connection after a change.
	 */
	if (test_and_set_bit(IPS_OFFLOAD_BIT, &ct->status)) {
		nf_fp_offload_again(ft, pkt, ct, CTINFO2DIR(ctinfo));
		return;
	}

	net = nft_net(pkt);
	dev_seq = nf_fp_dev_seq(net);
	flow = nf_fp_flow_build(ft, pkt, ct, CTINFO2DIR(ctinfo));
	if (!flow)
		goto err;

	if (!refcount_inc_not_zero(&ct->ct_general.use))
		goto err_free;

	flow->start = get_jiffies_64();
	flow->expires = nfct_time_stamp + nf_fp_timeout(net, flow);
	nf_fp_reval_flow_init(ft, flow);
	nf_fp_hw_flow_init(ft, flow);
	nf_fp_ct_take(flow);
	/* Announced before packets can find it and take it out again. */
	nf_fp_nl_flow_added(ft, flow);

	/* Packets may have found it already: out as any other flow, handing
	 * the entry back.  So does a flow built while a device event changed
	 * the devices it was built from.
	 */
	if (nf_fp_hash_insert(ft, flow) || nf_fp_dev_seq_moved(net, dev_seq)) {
		nf_fp_flow_remove(ft, flow, NF_FP_STAT_FLOW_ADD_FAIL);
		return;
	}

	nf_fp_stat_inc(net, NF_FP_STAT_FLOW_ADD);
	nf_fp_hw_flow_added(flow);
	return;

err_free:
	dst_release(flow->dir[0].dst);
	dst_release(flow->dir[1].dst);
	nf_fp_flow_free(flow);
err:
	clear_bit(IPS_OFFLOAD_BIT, &ct->status);
	nf_fp_stat_inc(net, NF_FP_STAT_FLOW_ADD_FAIL);
}
