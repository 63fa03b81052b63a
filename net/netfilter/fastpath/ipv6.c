// SPDX-License-Identifier: GPL-2.0-only
/*
 * IPv6 ingress datapath.  Only TCP or UDP directly after the fixed header
 * is handled: any extension header, fragments included, takes the classic
 * path.
 */

#include <linux/if_vlan.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/gso.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/ndisc.h>
#include <net/neighbour.h>
#include <net/netfilter/nf_conntrack_acct.h>

#include "fastpath.h"

static enum nf_fp_stat nf_fp_ipv6_parse(struct sk_buff *skb, int iif,
					struct nf_fp_key *key)
{
	const struct ipv6hdr *ip6h;
	unsigned int thlen, len;
	const __be16 *ports;

	if (!nf_fp_may_pull(skb, sizeof(*ip6h)))
		return NF_FP_STAT_SLOW_HEADER;

	ip6h = ipv6_hdr(skb);
	if (ip6h->version != 6)
		return NF_FP_STAT_SLOW_HEADER;

	switch (ip6h->nexthdr) {
	case IPPROTO_TCP:
		thlen = sizeof(struct tcphdr);
		break;
	case IPPROTO_UDP:
		thlen = sizeof(struct udphdr);
		break;
	case NEXTHDR_FRAGMENT:
		return NF_FP_STAT_SLOW_FRAGMENT;
	case NEXTHDR_HOP:
	case NEXTHDR_ROUTING:
	case NEXTHDR_DEST:
		return NF_FP_STAT_SLOW_OPTIONS;
	default:
		return NF_FP_STAT_MISS;
	}

	len = ntohs(ip6h->payload_len);
	if (len < thlen || skb->len < sizeof(*ip6h) + len)
		return NF_FP_STAT_SLOW_HEADER;
	if (ip6h->hop_limit <= 1)
		return NF_FP_STAT_SLOW_TTL;
	if (!nf_fp_may_pull(skb, sizeof(*ip6h) + thlen))
		return NF_FP_STAT_SLOW_HEADER;

	ip6h = ipv6_hdr(skb);
	ports = (const __be16 *)(skb_network_header(skb) + sizeof(*ip6h));
	if (ip6h->nexthdr == IPPROTO_TCP &&
	    ((const struct tcphdr *)ports)->doff < 5)
		return NF_FP_STAT_SLOW_HEADER;

	memset(key, 0, sizeof(*key));
	key->saddr.in6 = ip6h->saddr;
	key->daddr.in6 = ip6h->daddr;
	key->sport = ports[0];
	key->dport = ports[1];
	key->iif = iif;
	key->l3proto = NFPROTO_IPV6;
	key->l4proto = ip6h->nexthdr;
	return NF_FP_STAT_MAX;
}

/* As ip6_forward_finish() would, into the route's IPsec transformation. */
static void nf_fp_ipv6_xmit_xfrm(struct sk_buff *skb, struct dst_entry *dst)
{
	memset(IP6CB(skb), 0, sizeof(struct inet6_skb_parm));
	IP6CB(skb)->iif = skb->skb_iif;
	IP6CB(skb)->flags = IP6SKB_FORWARDED;
	IP6CB(skb)->nhoff = offsetof(struct ipv6hdr, nexthdr);
	skb_dst_set(skb, dst_clone(dst));
	dst_output(dev_net(skb->dev), NULL, skb);
}

/* The IPv6 twin of nf_fp_ipv4_neigh_out(), as ip6_finish_output2() sends. */
static void nf_fp_ipv6_neigh_out(struct sk_buff *skb, struct net_device *dev,
				 const struct in6_addr *nexthop)
{
	struct neighbour *neigh;

	neigh = __ipv6_neigh_lookup_noref(dev, nexthop);
	if (likely(neigh))
		neigh_output(neigh, skb, false);
	else
		neigh_xmit(NEIGH_ND_TABLE, dev, nexthop, skb);
}

static unsigned int nf_fp_ipv6_forward(struct nf_flowtable *ft,
				       struct sk_buff *skb,
				       struct nf_fp_dir *d)
{
	struct nf_fp_flow *flow = nf_fp_dir_flow(d);
	struct net *net = read_pnet(&ft->net);
	unsigned int thoff = sizeof(struct ipv6hdr);
	struct dst_entry *dst;
	struct ipv6hdr *ip6h;
	unsigned int len;

	if (!nf_fp_flow_usable(ft, skb, flow, d, thoff))
		return NF_ACCEPT;
	/* ip6_forward() checks the switch on every packet. */
	if (unlikely(!READ_ONCE(net->ipv6.devconf_all->forwarding))) {
		nf_fp_stat_inc(net, NF_FP_STAT_SLOW_OTHER);
		return NF_ACCEPT;
	}
	dst = nf_fp_dir_dst(ft, skb, d);
	if (unlikely(!dst))
		return NF_ACCEPT;

	len = sizeof(*ip6h) + ntohs(ipv6_hdr(skb)->payload_len);
	if (unlikely(len > d->mtu) &&
	    !(skb_is_gso(skb) && skb_gso_validate_network_len(skb, d->mtu))) {
		nf_fp_stat_inc(net, NF_FP_STAT_SLOW_MTU);
		return NF_ACCEPT;
	}

	skb = nf_fp_writable(skb, len,
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
		nf_fp_nat_ipv6(skb, thoff, d, &flow->dir[!d->dir].key);
	ip6h = ipv6_hdr(skb);
	ip6h->hop_limit--;

	if (unlikely(!nf_fp_xfrm_forward_ok(skb, NFPROTO_IPV6,
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
		nf_fp_ipv6_xmit_xfrm(skb, dst);
		return NF_STOLEN;
	}

	skb_dst_set_noref(skb, dst);
	skb->dev = dst->dev;
	nf_fp_ipv6_neigh_out(skb, dst->dev,
			     rt6_nexthop(dst_rt6_info(dst), &ip6h->daddr));
	return NF_STOLEN;
}

unsigned int nf_fp_ipv6_hook(void *priv, struct sk_buff *skb,
			     const struct nf_hook_state *state)
{
	struct nf_flowtable *ft = priv;
	enum nf_fp_stat why;
	struct nf_fp_key key;
	struct nf_fp_dir *d;

	if (skb->protocol != htons(ETH_P_IPV6) ||
	    (skb->pkt_type != PACKET_HOST && skb->pkt_type != PACKET_OTHERHOST))
		return NF_ACCEPT;

	why = nf_fp_ipv6_parse(skb, state->in->ifindex, &key);
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
	return nf_fp_ipv6_forward(ft, skb, d);
}
