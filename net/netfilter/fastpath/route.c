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

#include <linux/inetdevice.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <net/addrconf.h>
#include <net/ip.h>
#include <net/ip6_fib.h>
#include <net/ip6_route.h>
#include <net/route.h>
#include <net/xfrm.h>
#include <net/netfilter/nf_tables.h>

#include "fastpath.h"

/* Route of the direction the current packet does not travel.  Its packets
 * carry, once NATed, the reverse of the current packet's tuple @t and go
 * out of the device the current packet came in on.  It is made with the
 * current packet's mark and DSCP (IPv6: flow label), which replies of the
 * same connection usually share.  The lookup includes IPsec policy: the
 * packets may have to be transformed on their way out.
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
		fl4->flowi4_tos = ip_hdr(pkt->skb)->tos & INET_DSCP_MASK;
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
		fl6->flowlabel = ip6_flowinfo(ipv6_hdr(pkt->skb));
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

static __be16 nf_fp_route_dport(const struct nf_fp_flow *flow,
				const struct nf_fp_dir *d)
{
	if (d->nat & NF_FP_NAT_DPORT)
		return flow->dir[!d->dir].key.sport;
	return d->key.dport;
}

/* As ip_rcv_finish() routes a packet of @d, with what routing saw of it
 * when the flow was built: addresses and ports after DNAT, the mark the
 * ruleset set, the DSCP.  ip_route_input_noref() wants a packet (policy
 * rules and multipath hashes may look at its headers): a small one of
 * our own, which keeps the route as well.
 */
static struct dst_entry *nf_fp_lookup_ipv4(const struct nf_fp_flow *flow,
					   const struct nf_fp_dir *d,
					   struct net_device *in)
{
	struct dst_entry *dst = NULL;
	struct sk_buff *skb;
	struct iphdr *iph;
	__be16 *ports;

	skb = alloc_skb(sizeof(*iph) + 2 * sizeof(*ports), GFP_ATOMIC);
	if (!skb)
		return NULL;
	skb_reset_network_header(skb);
	iph = skb_put_zero(skb, sizeof(*iph));
	iph->version = 4;
	iph->ihl = 5;
	iph->tos = d->dscp;
	iph->ttl = 2;
	iph->protocol = d->key.l4proto;
	iph->saddr = d->key.saddr.ip;
	iph->daddr = nf_fp_route_daddr(flow, d)->ip;
	iph->tot_len = htons(sizeof(*iph) + 2 * sizeof(*ports));
	skb_set_transport_header(skb, sizeof(*iph));
	ports = skb_put(skb, 2 * sizeof(*ports));
	ports[0] = d->key.sport;
	ports[1] = nf_fp_route_dport(flow, d);
	skb->protocol = htons(ETH_P_IP);
	skb->dev = in;
	skb->mark = flow->mark;

	rcu_read_lock();
	if (!ip_route_input_noref(skb, iph->daddr, iph->saddr, iph->tos, in)) {
		dst = skb_dst(skb);
		if (dst_rtable(dst)->rt_type != RTN_UNICAST ||
		    !dst_hold_safe(dst))
			dst = NULL;
	}
	rcu_read_unlock();
	consume_skb(skb);
	return dst;
}

/* As ip6_route_input() routes a packet of @d.  The flow label is the
 * packet's when there is one (@pkt), 0 otherwise.
 */
static struct dst_entry *nf_fp_lookup_ipv6(const struct nf_fp_flow *flow,
					   const struct nf_fp_dir *d,
					   struct net_device *in,
					   const struct sk_buff *pkt)
{
#if IS_ENABLED(CONFIG_IPV6)
	struct flowi6 fl6 = {
		.flowi6_iif	= in->ifindex,
		.daddr		= nf_fp_route_daddr(flow, d)->in6,
		.saddr		= d->key.saddr.in6,
		.flowlabel	= ip6_make_flowinfo(d->dscp, 0),
		.flowi6_mark	= flow->mark,
		.flowi6_proto	= d->key.l4proto,
		.fl6_sport	= d->key.sport,
		.fl6_dport	= nf_fp_route_dport(flow, d),
	};
	struct dst_entry *dst;

	if (pkt)
		fl6.flowlabel |= ip6_flowlabel(ipv6_hdr(pkt));
	dst = ip6_route_input_lookup(dev_net(in), in, &fl6, NULL,
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

/* Ask routing again for packets of @d, whose cached route failed its
 * check.  The route to send them by, or NULL if the flow must go: routing
 * sends them elsewhere now, or another way than the cached route knew.
 * Several callers may get here for the same direction at once; the first
 * to install a new route wins.  Under RCU.
 */
static struct dst_entry *nf_fp_route_again(struct net *net,
					   struct nf_fp_flow *flow,
					   struct nf_fp_dir *d,
					   const struct sk_buff *pkt)
{
	struct dst_entry *old, *new, *cur;
	struct net_device *in;

	old = READ_ONCE(d->dst);
	if (d->xmit != NF_FP_XMIT_NEIGH || nf_fp_route_xfrm_possible(net))
		return NULL;

	/* Packets of @d reach routing on the device the other direction's
	 * packets leave by.
	 */
	in = dev_get_by_index_rcu(net, flow->dir[!d->dir].oif);
	if (!in)
		return NULL;
	if (d->key.l3proto == NFPROTO_IPV4)
		new = nf_fp_lookup_ipv4(flow, d, in);
	else
		new = nf_fp_lookup_ipv6(flow, d, in, pkt);
	if (!new)
		return NULL;
	if (!nf_fp_route_same(flow, d, old, new)) {
		dst_release(new);
		return NULL;
	}

	cur = cmpxchg(&d->dst, old, new);
	if (cur != old) {
		dst_release(new);
		return cur;
	}
	/* A reader pairing the new route with the old cookie fails the
	 * check and comes here again: harmless.
	 */
	WRITE_ONCE(d->cookie, nf_fp_route_cookie(new, d->key.l3proto));
	/* Freed after a grace period: readers that loaded it are done. */
	dst_release(old);
	nf_fp_stat_inc(net, NF_FP_STAT_REROUTED);
	return new;
}

/* From the packet path: the cached route of @d failed its check.  The
 * route to send the packet by, or NULL after taking the flow out of the
 * table (the packet then takes the classic path).
 */
struct dst_entry *nf_fp_route_refresh(struct nf_flowtable *ft,
				      struct sk_buff *skb, struct nf_fp_dir *d)
{
	struct nf_fp_flow *flow = nf_fp_dir_flow(d);
	struct dst_entry *dst;

	dst = nf_fp_route_again(read_pnet(&ft->net), flow, d, skb);
	if (!dst)
		nf_fp_flow_remove(ft, flow, NF_FP_STAT_DEL_ROUTE);
	return dst;
}

/* For whoever acts on a flow without a packet (the garbage collector for
 * flows the hardware forwards, the hardware work item before a push):
 * bring both routes up to date, or take the flow out of the table and
 * return -ESTALE.  Under RCU or in process context.
 */
int nf_fp_route_check(struct nf_flowtable *ft, struct nf_fp_flow *flow)
{
	struct net *net = read_pnet(&ft->net);
	struct nf_fp_dir *d;
	int i, err = 0;

	rcu_read_lock();
	for (i = 0; i < IP_CT_DIR_MAX && !err; i++) {
		d = &flow->dir[i];
		if (!dst_check(READ_ONCE(d->dst), READ_ONCE(d->cookie)) &&
		    !nf_fp_route_again(net, flow, d, NULL))
			err = -ESTALE;
	}
	rcu_read_unlock();
	if (err)
		nf_fp_flow_remove(ft, flow, NF_FP_STAT_DEL_ROUTE);
	return err;
}

#if IS_ENABLED(CONFIG_XFRM)
/* The IPsec forward policy check of a fast path packet, once some policy
 * exists (nf_fp_xfrm_forward_ok()): with the disable_policy settings of
 * @iif, the device routing saw the packet arrive on, as ip_route_input()
 * and ip6_forward() apply them.
 */
bool nf_fp_xfrm_forward_check(struct sk_buff *skb, u8 l3proto, int iif)
{
	struct net *net = dev_net(skb->dev);
	struct net_device *in = dev_get_by_index_rcu(net, iif);

	if (l3proto == NFPROTO_IPV4) {
		struct in_device *in_dev = in ? __in_dev_get_rcu(in) : NULL;

		memset(IPCB(skb), 0, sizeof(struct inet_skb_parm));
		if (in_dev && IN_DEV_ORCONF(in_dev, NOPOLICY))
			IPCB(skb)->flags |= IPSKB_NOPOLICY;
		return xfrm4_policy_check(NULL, XFRM_POLICY_FWD, skb);
	}
#if IS_ENABLED(CONFIG_IPV6)
	if (READ_ONCE(net->ipv6.devconf_all->disable_policy))
		return true;
	if (in) {
		struct inet6_dev *idev = __in6_dev_get(in);

		if (idev && READ_ONCE(idev->cnf.disable_policy))
			return true;
	}
#endif
	memset(IP6CB(skb), 0, sizeof(struct inet6_skb_parm));
	return xfrm6_policy_check(NULL, XFRM_POLICY_FWD, skb);
}
#endif
