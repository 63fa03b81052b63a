// SPDX-License-Identifier: GPL-2.0-only
/*
 * Routes of a flow: looked up when the flow is built, checked on every
 * packet, and looked up again in place when routing moved on.
 *
 * Each direction caches the route its packets take.  A cached route goes
 * stale whenever routing changes anywhere in the netns (IPv4 moves one
 * generation for the whole netns, IPv6 a serial number per subtree), also
 * when an unrelated device goes away.  The first packet of a direction
 * that finds its route stale asks routing again, as the classic path
 * would for that packet: if the answer is the same device, next hop and
 * MTU, the new route replaces the old one and the packet goes on; if
 * anything differs, the flow leaves the table and the packet takes the
 * classic path, which sends it where routing now says.
 */

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <net/ip.h>
#include <net/ip6_fib.h>
#include <net/ip6_route.h>
#include <net/route.h>
#include <net/xfrm.h>
#include <net/netfilter/nf_tables.h>

#include "fastpath.h"

/* Route of the direction the current packet does not travel.  Its packets
 * carry, once NATed, the reverse of the current packet's tuple @t and go
 * out of the device the current packet came in on.  The lookup includes
 * IPsec policy: the packets may have to be transformed on their way out.
 */
struct dst_entry *nf_fp_route_back(const struct nft_pktinfo *pkt,
				   const struct nf_conntrack_tuple *t)
{
	struct net *net = nft_net(pkt);
	struct dst_entry *dst;
	struct flowi fl = {};

	if (nft_pf(pkt) == NFPROTO_IPV4) {
		struct flowi4 *fl4 = &fl.u.ip4;
		struct rtable *rt;

		fl4->daddr = t->src.u3.ip;
		fl4->saddr = t->dst.u3.ip;
		fl4->fl4_dport = t->src.u.all;
		fl4->fl4_sport = t->dst.u.all;
		fl4->flowi4_proto = t->dst.protonum;
		fl4->flowi4_oif = nft_in(pkt)->ifindex;
		fl4->flowi4_mark = pkt->skb->mark;
		fl4->flowi4_flags = FLOWI_FLAG_ANYSRC;
		rt = ip_route_output_key(net, fl4);
		if (IS_ERR(rt))
			return NULL;
		dst = &rt->dst;
	} else if (IS_ENABLED(CONFIG_IPV6) && nft_pf(pkt) == NFPROTO_IPV6) {
		struct flowi6 *fl6 = &fl.u.ip6;

		fl6->daddr = t->src.u3.in6;
		fl6->saddr = t->dst.u3.in6;
		fl6->fl6_dport = t->src.u.all;
		fl6->fl6_sport = t->dst.u.all;
		fl6->flowi6_proto = t->dst.protonum;
		fl6->flowi6_oif = nft_in(pkt)->ifindex;
		fl6->flowi6_mark = pkt->skb->mark;
		dst = ip6_route_output(net, NULL, fl6);
		if (dst->error) {
			dst_release(dst);
			return NULL;
		}
	} else {
		return NULL;
	}

	dst = xfrm_lookup(net, dst, &fl, NULL, 0);
	return IS_ERR(dst) ? NULL : dst;
}

/* Can packets of @dst leave through its neighbour alone?  Not those of a
 * lightweight tunnel, which encapsulates them, nor those of an IPv4 route
 * through an IPv6 gateway, whose neighbour is in the IPv6 table.  An
 * IPsec bundle goes through dst_output(), which knows both.
 */
bool nf_fp_route_plain(const struct dst_entry *dst, u8 l3proto)
{
	if (dst_xfrm(dst))
		return true;
	if (dst->lwtstate)
		return false;
	return l3proto != NFPROTO_IPV4 ||
	       dst_rtable(dst)->rt_gw_family != AF_INET6;
}

static u16 nf_fp_route_mtu(const struct dst_entry *dst, u8 l3proto)
{
	unsigned int mtu;

	if (l3proto == NFPROTO_IPV4)
		mtu = ip_dst_mtu_maybe_forward(dst, true);
	else
		mtu = ip6_dst_mtu_maybe_forward(dst, true);
	return min(mtu, 0xffffU);
}

/* IPv6 routes are checked against the serial number of their subtree,
 * which the cookie remembers.  An IPsec bundle checks itself
 * (xfrm_dst_check()) and has no cookie; IPv4 routes need none.
 */
static u32 nf_fp_route_cookie(struct dst_entry *dst, u8 l3proto)
{
	if (l3proto != NFPROTO_IPV6 || dst_xfrm(dst))
		return 0;
	return rt6_get_cookie(dst_rt6_info(dst));
}

void nf_fp_dir_set_route(struct nf_fp_dir *d, struct dst_entry *dst,
			 u8 l3proto)
{
	d->dst = dst;
	d->cookie = nf_fp_route_cookie(dst, l3proto);
	d->oif = dst->dev->ifindex;
	d->xmit = dst_xfrm(dst) ? NF_FP_XMIT_XFRM : NF_FP_XMIT_NEIGH;
	d->mtu = nf_fp_route_mtu(dst, l3proto);
}

/* The destination routing saw for packets of @d: after DNAT, which the
 * classic path applies before routing, and before SNAT, which it applies
 * after.
 */
static const union nf_inet_addr *
nf_fp_route_daddr(const struct nf_fp_flow *flow, const struct nf_fp_dir *d)
{
	if (d->nat & NF_FP_NAT_DADDR)
		return &flow->dir[!d->dir].key.saddr;
	return &d->key.daddr;
}

/* As ip_rcv_finish() routes a packet.  The lookup leaves its result on the
 * skb, which must not keep it: the packet may still go the classic way,
 * which routes it again after prerouting.  A shared skb is not ours to
 * write to; a clone of it is.
 */
static struct dst_entry *nf_fp_reroute_ipv4(struct sk_buff *skb,
					    const struct nf_fp_flow *flow,
					    const struct nf_fp_dir *d,
					    struct net_device *in)
{
	struct sk_buff *rskb = skb;
	struct dst_entry *dst = NULL;

	if (skb_shared(skb)) {
		rskb = skb_clone(skb, GFP_ATOMIC);
		if (!rskb)
			return NULL;
	}
	if (!ip_route_input_noref(rskb, nf_fp_route_daddr(flow, d)->ip,
				  d->key.saddr.ip, ip_hdr(skb)->tos, in)) {
		dst = skb_dst(rskb);
		if (dst_rtable(dst)->rt_type != RTN_UNICAST ||
		    !dst_hold_safe(dst))
			dst = NULL;
	}
	if (rskb != skb)
		consume_skb(rskb);
	else
		skb_dst_drop(skb);
	return dst;
}

/* As ip6_route_input() routes a packet. */
static struct dst_entry *nf_fp_reroute_ipv6(struct sk_buff *skb,
					    const struct nf_fp_flow *flow,
					    const struct nf_fp_dir *d,
					    struct net_device *in)
{
#if IS_ENABLED(CONFIG_IPV6)
	struct flowi6 fl6 = {
		.flowi6_iif	= in->ifindex,
		.daddr		= nf_fp_route_daddr(flow, d)->in6,
		.saddr		= d->key.saddr.in6,
		.flowlabel	= ip6_flowinfo(ipv6_hdr(skb)),
		.flowi6_mark	= skb->mark,
		.flowi6_proto	= d->key.l4proto,
	};
	struct dst_entry *dst;

	dst = ip6_route_input_lookup(dev_net(in), in, &fl6, skb,
				     RT6_LOOKUP_F_HAS_SADDR);
	if (!dst->error)
		return dst;
	dst_release(dst);
#endif
	return NULL;
}

/* Would packets of @d leave the same way by @new as by @old: same device,
 * same next hop for the address they are sent to, same MTU?
 */
static bool nf_fp_route_same(const struct nf_fp_flow *flow,
			     const struct nf_fp_dir *d,
			     struct dst_entry *old, struct dst_entry *new)
{
	const union nf_inet_addr *to = &flow->dir[!d->dir].key.saddr;

	if (new->dev != old->dev || dst_xfrm(new) ||
	    !nf_fp_route_plain(new, d->key.l3proto) ||
	    nf_fp_route_mtu(new, d->key.l3proto) != d->mtu)
		return false;
	if (d->key.l3proto == NFPROTO_IPV4)
		return rt_nexthop(dst_rtable(new), to->ip) ==
		       rt_nexthop(dst_rtable(old), to->ip);
	return ipv6_addr_equal(rt6_nexthop(dst_rt6_info(new), &to->in6),
			       rt6_nexthop(dst_rt6_info(old), &to->in6));
}

/* Might a route now carry packets into an IPsec transformation that the
 * cached one did not?  ip_forward() asks xfrm for every packet; a route
 * looked up again here does not, so with output policies around the flow
 * is rebuilt instead.
 */
static bool nf_fp_route_xfrm_possible(const struct net *net)
{
#if IS_ENABLED(CONFIG_XFRM)
	return READ_ONCE(net->xfrm.policy_count[XFRM_POLICY_OUT]) ||
	       READ_ONCE(net->xfrm.policy_default[XFRM_POLICY_OUT]) !=
	       XFRM_USERPOLICY_ACCEPT;
#else
	return false;
#endif
}

/* The cached route of @d failed its check.  Returns the route to send the
 * packet by, or NULL after taking the flow out of the table.  Runs in the
 * packet path, under RCU; several CPUs may get here for the same
 * direction, and the first to install a new route wins.
 */
struct dst_entry *nf_fp_route_refresh(struct nf_flowtable *ft,
				      struct sk_buff *skb, struct nf_fp_dir *d)
{
	struct nf_fp_flow *flow = nf_fp_dir_flow(d);
	struct net *net = read_pnet(&ft->net);
	struct dst_entry *old, *new = NULL, *cur;
	struct net_device *in;

	old = READ_ONCE(d->dst);
	if (d->xmit != NF_FP_XMIT_NEIGH || skb_dst(skb) ||
	    nf_fp_route_xfrm_possible(net))
		goto out;

	/* Packets of @d reach routing on the device the other direction's
	 * packets leave by.
	 */
	in = dev_get_by_index_rcu(net, flow->dir[!d->dir].oif);
	if (!in)
		goto out;
	if (d->key.l3proto == NFPROTO_IPV4)
		new = nf_fp_reroute_ipv4(skb, flow, d, in);
	else
		new = nf_fp_reroute_ipv6(skb, flow, d, in);
	if (!new)
		goto out;
	if (!nf_fp_route_same(flow, d, old, new)) {
		dst_release(new);
		goto out;
	}

	/* A reader pairing the new route with the old cookie, or the other
	 * way round, fails the check and comes here again: harmless.
	 */
	WRITE_ONCE(d->cookie, nf_fp_route_cookie(new, d->key.l3proto));
	cur = cmpxchg(&d->dst, old, new);
	if (cur != old) {
		dst_release(new);
		return cur;
	}
	/* Freed after a grace period: readers that loaded it are done. */
	dst_release(old);
	nf_fp_stat_inc(net, NF_FP_STAT_REROUTED);
	return new;

out:
	nf_fp_table_remove(ft, flow, NF_FP_STAT_DEL_ROUTE);
	return NULL;
}
