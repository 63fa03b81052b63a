// SPDX-License-Identifier: GPL-2.0-only
/*
 * IPv4 ingress datapath.  Anything that is not a plain, well-formed TCP or
 * UDP packet of a known flow is left to the classic path untouched.
 */

#include <linux/if_vlan.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/arp.h>
#include <net/gso.h>
#include <net/ip.h>
#include <net/neighbour.h>
#include <net/route.h>
#include <net/netfilter/nf_conntrack_acct.h>

#include "fastpath.h"

/* Header checks, in the order ip_rcv() makes them.  Returns the counter
 * explaining why the packet goes the classic way, or NF_FP_STAT_MAX.
 */
static enum nf_fp_stat nf_fp_ipv4_parse(struct sk_buff *skb, int iif,
					struct nf_fp_key *key)
{
	unsigned int thlen, len;
	const struct iphdr *iph;
	const __be16 *ports;

	if (!nf_fp_may_pull(skb, sizeof(*iph)))
		return NF_FP_STAT_SLOW_HEADER;

	iph = ip_hdr(skb);
	if (iph->version != 4 || iph->ihl < 5)
		return NF_FP_STAT_SLOW_HEADER;
	if (iph->ihl != 5)
		return NF_FP_STAT_SLOW_OPTIONS;
	if (ip_fast_csum(iph, iph->ihl))
		return NF_FP_STAT_SLOW_HEADER;
	if (ip_is_fragment(iph))
		return NF_FP_STAT_SLOW_FRAGMENT;

	switch (iph->protocol) {
	case IPPROTO_TCP:
		thlen = sizeof(struct tcphdr);
		break;
	case IPPROTO_UDP:
		thlen = sizeof(struct udphdr);
		break;
	default:
		return NF_FP_STAT_MISS;
	}

	len = ntohs(iph->tot_len);
	if (len < sizeof(*iph) + thlen || skb->len < len)
		return NF_FP_STAT_SLOW_HEADER;
	if (iph->ttl <= 1)
		return NF_FP_STAT_SLOW_TTL;
	if (!nf_fp_may_pull(skb, sizeof(*iph) + thlen))
		return NF_FP_STAT_SLOW_HEADER;

	iph = ip_hdr(skb);
	ports = (const __be16 *)(skb_network_header(skb) + sizeof(*iph));
	if (iph->protocol == IPPROTO_TCP &&
	    ((const struct tcphdr *)ports)->doff < 5)
		return NF_FP_STAT_SLOW_HEADER;

	memset(key, 0, sizeof(*key));
	key->saddr.ip = iph->saddr;
	key->daddr.ip = iph->daddr;
	key->sport = ports[0];
	key->dport = ports[1];
	key->iif = iif;
	key->l3proto = NFPROTO_IPV4;
	key->l4proto = iph->protocol;
	return NF_FP_STAT_MAX;
}

/* Into the IPsec transformation the route carries, the way
 * ip_forward_finish() hands a forwarded packet to dst_output().
 */
static void nf_fp_ipv4_xmit_xfrm(struct sk_buff *skb, struct dst_entry *dst)
{
	memset(IPCB(skb), 0, sizeof(struct inet_skb_parm));
	IPCB(skb)->iif = skb->skb_iif;
	IPCB(skb)->flags = IPSKB_FORWARDED;
	skb_dst_set(skb, dst_clone(dst));
	dst_output(dev_net(skb->dev), NULL, skb);
}

/* Out through the next hop's neighbour entry as ip_finish_output2() sends:
 * a resolved neighbour's cached hardware header is copied in front of the
 * packet, anything else goes through neigh_xmit(), which resolves.
 */
static void nf_fp_ipv4_neigh_out(struct sk_buff *skb, struct net_device *dev,
				 __be32 nexthop)
{
	struct neighbour *neigh;

	neigh = __ipv4_neigh_lookup_noref(dev, (__force u32)nexthop);
	if (likely(neigh))
		neigh_output(neigh, skb, false);
	else
		neigh_xmit(NEIGH_ARP_TABLE, dev, &nexthop, skb);
}

static unsigned int nf_fp_ipv4_forward(struct nf_flowtable *ft,
				       struct sk_buff *skb,
				       struct nf_fp_dir *d)
{
	struct nf_fp_flow *flow = nf_fp_dir_flow(d);
	struct net *net = read_pnet(&ft->net);
	unsigned int thoff = sizeof(struct iphdr);
	struct dst_entry *dst;
	struct iphdr *iph;
	__be32 nexthop;

	if (!nf_fp_flow_usable(ft, skb, flow, d, thoff))
		return NF_ACCEPT;
	dst = nf_fp_dir_dst(ft, skb, d);
	if (unlikely(!dst))
		return NF_ACCEPT;

	iph = ip_hdr(skb);
	if (unlikely(ntohs(iph->tot_len) > d->mtu) &&
	    !(skb_is_gso(skb) && skb_gso_validate_network_len(skb, d->mtu))) {
		nf_fp_stat_inc(net, NF_FP_STAT_SLOW_MTU);
		return NF_ACCEPT;
	}

	skb = nf_fp_writable(skb, ntohs(iph->tot_len),
			     thoff + (d->key.l4proto == IPPROTO_TCP ?
				      sizeof(struct tcphdr) :
				      sizeof(struct udphdr)),
			     LL_RESERVED_SPACE(dst->dev) + dst->header_len);
	if (!skb) {
		nf_fp_stat_inc(net, NF_FP_STAT_SLOW_OTHER);
		return NF_ACCEPT;
	}

	skb_forward_csum(skb);
	if (d->nat)
		nf_fp_nat_ipv4(skb, thoff, d, &flow->dir[!d->dir].key);
	iph = ip_hdr(skb);
	ip_decrease_ttl(iph);
	/* As ip_forward_update_priority() */
	if (READ_ONCE(net->ipv4.sysctl_ip_fwd_update_priority))
		skb->priority = rt_tos2priority(iph->tos);

	if (unlikely(!nf_fp_xfrm_forward_ok(skb, NFPROTO_IPV4,
					    flow->dir[!d->dir].oif))) {
		nf_fp_stat_inc(net, NF_FP_STAT_DROP_XFRM);
		kfree_skb_reason(skb, SKB_DROP_REASON_XFRM_POLICY);
		return NF_STOLEN;
	}

	nf_fp_flow_refresh(net, flow);
	nf_fp_dir_count(d, skb->len);
	nf_fp_fdb_refresh(d, skb);
	if (ft->flags & NF_FLOWTABLE_COUNTER)
		nf_ct_acct_update(flow->ct, d->dir, skb->len);
	nf_fp_stat_inc(net, NF_FP_STAT_HIT);

	__vlan_hwaccel_clear_tag(skb);
	skb_clear_tstamp(skb);
	skb_dst_drop(skb);
	if (unlikely(d->xmit == NF_FP_XMIT_XFRM)) {
		nf_fp_ipv4_xmit_xfrm(skb, dst);
		return NF_STOLEN;
	}

	nexthop = rt_nexthop(dst_rtable(dst), iph->daddr);
	skb_dst_set_noref(skb, dst);
	skb->dev = dst->dev;
	nf_fp_ipv4_neigh_out(skb, dst->dev, nexthop);
	return NF_STOLEN;
}

unsigned int nf_fp_ipv4_hook(void *priv, struct sk_buff *skb,
			     const struct nf_hook_state *state)
{
	struct nf_flowtable *ft = priv;
	enum nf_fp_stat why;
	struct nf_fp_key key;
	struct nf_fp_dir *d;

	if (skb->protocol != htons(ETH_P_IP) ||
	    (skb->pkt_type != PACKET_HOST && skb->pkt_type != PACKET_OTHERHOST))
		return NF_ACCEPT;

	why = nf_fp_ipv4_parse(skb, state->in->ifindex, &key);
	if (why != NF_FP_STAT_MAX) {
		nf_fp_stat_inc(state->net, why);
		return NF_ACCEPT;
	}
	key.vlan = nf_fp_vlan_key(skb);

	d = nf_fp_hash_lookup(ft, &key);
	if (!d || !nf_fp_l2_dest_ok(skb, d)) {
		nf_fp_stat_inc(state->net, NF_FP_STAT_MISS);
		return NF_ACCEPT;
	}
	return nf_fp_ipv4_forward(ft, skb, d);
}
