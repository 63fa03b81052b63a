/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Netfilter fast path for forwarded traffic: private declarations.
 *
 * A flow is an established conntrack entry copied into a flowtable as two
 * entries, one per direction.  Packets that hit an entry at netdev ingress
 * are NATed, aged and sent to the cached next hop without walking the
 * forward path.
 */

#ifndef _NF_FASTPATH_H
#define _NF_FASTPATH_H

#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/netfilter.h>
#include <linux/rhashtable.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <linux/u64_stats_sync.h>
#include <net/dst.h>
#include <net/netns/generic.h>
#include <net/xfrm.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_l4proto.h>
#include <net/netfilter/nf_flow_table.h>

struct nft_pktinfo;

/* What the ingress hook matches on.  Zero-filled before use: the whole
 * structure is hashed and compared as bytes.  vlan is the tag the packet
 * carries on iif (0: none, see nf_fp_vlan_key()).
 */
struct nf_fp_key {
	union nf_inet_addr	saddr;
	union nf_inet_addr	daddr;
	__be16			sport;
	__be16			dport;
	int			iif;
	u8			l3proto;
	u8			l4proto;
	u16			vlan;
};

#define NF_FP_VLAN_TAGGED	BIT(15)
#define NF_FP_VLAN_8021AD	BIT(14)

static inline u16 nf_fp_vlan(u16 id, __be16 proto)
{
	return id | NF_FP_VLAN_TAGGED |
	       (proto == htons(ETH_P_8021AD) ? NF_FP_VLAN_8021AD : 0);
}

/* The tag the device took off a received packet, as a key field. */
static inline u16 nf_fp_vlan_key(const struct sk_buff *skb)
{
	if (likely(!skb_vlan_tag_present(skb)))
		return 0;
	return nf_fp_vlan(skb_vlan_tag_get_id(skb), skb->vlan_proto);
}

/* Rewrites that packets of one direction need (NAT). */
enum {
	NF_FP_NAT_SADDR	= BIT(0),
	NF_FP_NAT_DADDR	= BIT(1),
	NF_FP_NAT_SPORT	= BIT(2),
	NF_FP_NAT_DPORT	= BIT(3),
};

/* How packets of a direction leave: to the route's neighbour, or into
 * the IPsec transformation the route carries.
 */
enum {
	NF_FP_XMIT_NEIGH,
	NF_FP_XMIT_XFRM,
};

/* One direction of a flow: the hash entry and where its packets go.
 * l2addr is the address of the device routing saw the packets arrive on;
 * a frame caught below it (on a bridge port or the lower device of a VLAN)
 * must be addressed to it.  fdb_port is the bridge port (ifindex) that
 * frames caught at or below it would have entered the bridge by, 0 if
 * none: the bridge's forwarding database learns their sender from us
 * instead, in VLAN fdb_vid, last at jiffies fdb_seen.  dst (with cookie)
 * is the route, which may be replaced by an equivalent one (route.c):
 * readers load it once, under RCU, and the old one is released after a
 * grace period.  oif is its device, which never changes for the life of
 * the flow; dscp the DSCP it was looked up with.  packets and bytes count
 * what the fast path (or the hardware) forwarded in this direction, for
 * the control plane.
 */
struct nf_fp_dir {
	struct rhash_head	node;
	struct nf_fp_key	key;
	u32			cookie;
	struct dst_entry	*dst;
	int			oif;
	u16			mtu;
	u8			dir;
	u8			nat;
	u8			xmit;
	u8			dscp;
	u8			l2addr[ETH_ALEN];
	u16			fdb_vid;
	u32			fdb_seen;
	int			fdb_port;
	atomic64_t		packets;
	atomic64_t		bytes;
};

/* NF_FP_FLOW_STACKED: a direction is caught below the device routing uses
 * (a bridge port, a VLAN's lower device), so the flow depends on how
 * those devices are stacked.
 */
enum {
	NF_FP_FLOW_DEAD,
	NF_FP_FLOW_STACKED,
};

struct nf_fp_flow_hw;

/* reval_genp points to nf_tables' fwd_seq of the netns (or to a
 * constant for flowtables that opted out of revalidation); reval_gen[dir]
 * is the generation under which the ruleset last offloaded a packet of
 * that direction (the ruleset may judge the two directions differently),
 * reval_pending[dir] the gc_seq under which a packet of that direction
 * was last sent to the classic path to be judged again (odd: none), and
 * reval_gc_seen the one under which the garbage collector last found it
 * so.  See revalidate.c.  mark is the packet mark routing saw when the flow
 * was built (set by prerouting rules, for instance), which its routes are
 * looked up with again.  hw is the flow's hardware offload state (hw.c),
 * NULL without "flags offload".  start is when the flow was built
 * (jiffies64).
 */
struct nf_fp_flow {
	struct nf_fp_dir	dir[IP_CT_DIR_MAX];
	struct nf_conn		*ct;
	unsigned long		flags;
	const unsigned int	*reval_genp;
	unsigned int		reval_gen[IP_CT_DIR_MAX];
	u32			expires;
	unsigned int		reval_pending[IP_CT_DIR_MAX];
	unsigned int		reval_gc_seen;
	u32			mark;
	struct nf_fp_flow_hw	*hw;
	u64			start;
	struct rcu_head		rcu;
};

static inline struct nf_fp_flow *nf_fp_dir_flow(struct nf_fp_dir *d)
{
	return container_of(d - d->dir, struct nf_fp_flow, dir[0]);
}

/* Counters, per netns and per CPU, shown in /proc/net/nf_fastpath. */
enum nf_fp_stat {
	NF_FP_STAT_HIT,
	NF_FP_STAT_MISS,
	NF_FP_STAT_SLOW_HEADER,
	NF_FP_STAT_SLOW_OPTIONS,
	NF_FP_STAT_SLOW_FRAGMENT,
	NF_FP_STAT_SLOW_TTL,
	NF_FP_STAT_SLOW_MTU,
	NF_FP_STAT_SLOW_TCP_FLAGS,
	NF_FP_STAT_SLOW_OTHER,
	NF_FP_STAT_SLOW_REVAL,
	NF_FP_STAT_DROP_XFRM,
	NF_FP_STAT_FLOW_ADD,
	NF_FP_STAT_FLOW_ADD_FAIL,
	NF_FP_STAT_REVALIDATED,
	NF_FP_STAT_REROUTED,
	NF_FP_STAT_DEL_TIMEOUT,
	NF_FP_STAT_DEL_TEARDOWN,
	NF_FP_STAT_DEL_CT_DYING,
	NF_FP_STAT_DEL_ROUTE,
	NF_FP_STAT_DEL_DEVICE,
	NF_FP_STAT_DEL_FLUSH,
	NF_FP_STAT_DEL_REVAL,
	NF_FP_STAT_DEL_NAT_ADDR,
	NF_FP_STAT_DEL_HANDBACK,
	NF_FP_STAT_GC_PASS,
	NF_FP_STAT_MAX
};

struct nf_fp_stats {
	u64_stats_t		cnt[NF_FP_STAT_MAX];
	struct u64_stats_sync	syncp;
};

/* Per network namespace (registry.c): the counters and the flowtables,
 * changed under lock, walked under RCU or under lock.  dev_seq moves
 * before a device event takes the flows it concerns out (events.c): a
 * flow built across it may rest on what the event changed.
 */
struct nf_fp_net {
	struct nf_fp_stats __percpu	*stats;
	struct nf_fp_stats __percpu	*stats_dead;
	struct list_head		tables;
	struct mutex			lock;	/* changes to tables */
	unsigned int			dev_seq;
};

extern unsigned int nf_fp_net_id;

static inline struct nf_fp_net *nf_fp_pernet(const struct net *net)
{
	return net_generic(net, nf_fp_net_id);
}

/* Per flowtable (registry.c), beside nf_tables' struct nf_flowtable:
 * revalidation on or off (revalidate.c), the hardware offload state
 * (hw.c).  link is a list of one with nf_flowtable::list, through which
 * the flowtable finds it.
 */
struct nf_fp_hw;

struct nf_fp_table {
	struct list_head	link;
	struct list_head	node;
	struct nf_flowtable	*ft;
	bool			revalidate;
	struct nf_fp_hw		*hw;
};

static inline struct nf_fp_table *nf_fp_table(const struct nf_flowtable *ft)
{
	return container_of(ft->list.next, struct nf_fp_table, link);
}

/* stats.c */
extern const char * const nf_fp_stat_names[NF_FP_STAT_MAX];

/* From any context. The counters go at netns exit, a grace period after
 * nf_fp_net_pre_exit() cleared the pointer: the work items of a dying
 * netns' flowtables still count until nf_tables frees those, so the read
 * and the update form one RCU read side. Inline: every packet the hook
 * sees counts once (and is under RCU already).
 */
static inline void nf_fp_stat_inc(const struct net *net, enum nf_fp_stat idx)
{
	struct nf_fp_stats __percpu *stats;
	struct nf_fp_stats *s;
	unsigned long flags;

	rcu_read_lock();
	stats = READ_ONCE(nf_fp_pernet(net)->stats);
	if (likely(stats)) {
		s = get_cpu_ptr(stats);
		flags = u64_stats_update_begin_irqsave(&s->syncp);
		u64_stats_inc(&s->cnt[idx]);
		u64_stats_update_end_irqrestore(&s->syncp, flags);
		put_cpu_ptr(stats);
	}
	rcu_read_unlock();
}

struct nf_fp_stats __percpu *nf_fp_stats_alloc(void);
void nf_fp_stats_free(struct nf_fp_stats __percpu *stats);
void nf_fp_stats_read(const struct net *net, u64 *sum);

/* registry.c */
int nf_fp_flowtable_init(struct nf_flowtable *ft);
void nf_fp_flowtable_free(struct nf_flowtable *ft);
void nf_fp_netns_walk(const struct net *net,
		      void (*fn)(struct nf_flowtable *ft,
				 struct nf_fp_flow *flow, const void *arg),
		      const void *arg);
int nf_fp_netns_each(struct net *net,
		     int (*fn)(struct nf_flowtable *ft, void *arg), void *arg);
int nf_fp_registry_init(void);
void nf_fp_registry_exit(void);

/* netlink.c */
int nf_fp_netlink_init(void);
void nf_fp_netlink_exit(void);
void nf_fp_nl_flow_added(struct nf_flowtable *ft, struct nf_fp_flow *flow);
void nf_fp_nl_flow_removed(struct nf_flowtable *ft, struct nf_fp_flow *flow,
			   enum nf_fp_stat reason);

/* proc.c */
int nf_fp_proc_init_net(struct net *net);
void nf_fp_proc_exit_net(struct net *net);

/* hash.c */
int nf_fp_hash_init(struct nf_flowtable *ft);
void nf_fp_hash_destroy(struct nf_flowtable *ft);
struct nf_fp_dir *nf_fp_hash_lookup(struct nf_flowtable *ft,
				    const struct nf_fp_key *key);
int nf_fp_hash_insert(struct nf_flowtable *ft, struct nf_fp_flow *flow);
void nf_fp_hash_unlink(struct nf_flowtable *ft, struct nf_fp_flow *flow);
void nf_fp_hash_walk(struct nf_flowtable *ft,
		     void (*fn)(struct nf_flowtable *ft,
				struct nf_fp_flow *flow, const void *arg),
		     const void *arg);

/* gc.c */
void nf_fp_gc_start(struct nf_flowtable *ft);
void nf_fp_gc_stop(struct nf_flowtable *ft);

/* flow.c */
struct nf_fp_flow *nf_fp_flow_alloc(void);
void nf_fp_flow_free(struct nf_fp_flow *flow);
int nf_fp_flow_cache_init(void);
void nf_fp_flow_cache_exit(void);
bool nf_fp_flow_remove(struct nf_flowtable *ft, struct nf_fp_flow *flow,
		       enum nf_fp_stat reason);
void nf_fp_flow_release(struct nf_fp_flow *flow, bool handback);
void nf_fp_flow_flush(struct nf_flowtable *ft, const struct net_device *dev);

/* conntrack.c */
void nf_fp_ct_take(struct nf_fp_flow *flow);
void nf_fp_ct_hold(struct nf_fp_flow *flow);
void nf_fp_ct_handback(struct nf_conn *ct);

/* offload.c */
void nf_fp_offload(struct nf_flowtable *ft, const struct nft_pktinfo *pkt);

/* nft.c */
bool nf_fp_nft_has_dev(const struct nf_flowtable *ft,
		       const struct net_device *dev);
void nf_fp_nft_names(const struct nf_flowtable *ft, const char **family,
		     const char **table, const char **name);
int nf_fp_nft_init(void);
void nf_fp_nft_exit(void);

/* events.c */
int nf_fp_events_init(void);
void nf_fp_dev_seq_move(struct net *net);
unsigned int nf_fp_dev_seq(const struct net *net);
bool nf_fp_dev_seq_moved(const struct net *net, unsigned int seq);
void nf_fp_events_exit(void);

/* route.c */
struct dst_entry *nf_fp_route_back(const struct nft_pktinfo *pkt,
				   const struct nf_conntrack_tuple *t);
bool nf_fp_route_plain(const struct dst_entry *dst, u8 l3proto);
void nf_fp_dir_set_route(struct nf_fp_dir *d, struct dst_entry *dst,
			 u8 l3proto);
struct dst_entry *nf_fp_route_refresh(struct nf_flowtable *ft,
				      struct sk_buff *skb, struct nf_fp_dir *d);
int nf_fp_route_check(struct nf_flowtable *ft, struct nf_fp_flow *flow);

/* The route to send a packet of @d by: the cached one while it is
 * current, otherwise whatever nf_fp_route_refresh() makes of it (NULL:
 * the flow is gone, the packet takes the classic path).  The classic
 * path checks its route for every packet as well, in ip_rcv_finish().
 */
static inline struct dst_entry *nf_fp_dir_dst(struct nf_flowtable *ft,
					      struct sk_buff *skb,
					      struct nf_fp_dir *d)
{
	struct dst_entry *dst = READ_ONCE(d->dst);

	if (likely(dst_check(dst, READ_ONCE(d->cookie))))
		return dst;
	return nf_fp_route_refresh(ft, skb, d);
}

/* path.c */
struct nf_fp_ingress {
	int	ifindex;
	int	fdb_port;
	u16	vlan;
	u16	fdb_vid;
	bool	stacked;
};

int nf_fp_neigh_addr(struct dst_entry *dst, const union nf_inet_addr *daddr,
		     u8 *ha);
int nf_fp_path_ingress(struct nf_flowtable *ft, const struct net_device *dev,
		       const u8 *peer, struct nf_fp_ingress *ing);
bool nf_fp_dev_catchable(struct nf_flowtable *ft,
			 const struct net_device *dev);
int nf_fp_ingress_of_packet(struct nf_flowtable *ft,
			    const struct nft_pktinfo *pkt,
			    struct nf_fp_ingress *ing);
int nf_fp_ingress_of_replies(struct nf_flowtable *ft, struct dst_entry *dst,
			     const struct nf_conntrack_tuple *t,
			     struct nf_fp_ingress *ing);

void nf_fp_fdb_learn(struct nf_fp_dir *d, const struct sk_buff *skb);

/* A frame about to be forwarded: if it was caught on a bridge port, the
 * bridge's forwarding database must still learn its sender.
 */
static inline void nf_fp_fdb_refresh(struct nf_fp_dir *d,
				     const struct sk_buff *skb)
{
	if (unlikely(d->fdb_port))
		nf_fp_fdb_learn(d, skb);
}

/* Idle timeout of an offloaded flow: conntrack's per-netns sysctls.  @net
 * is the flowtable's, where the flow's conntrack entry lives as well:
 * reading it from there keeps the entry's cache lines off the packet path.
 */
static inline u32 nf_fp_timeout(struct net *net, const struct nf_fp_flow *flow)
{
	if (flow->dir[0].key.l4proto == IPPROTO_TCP)
		return READ_ONCE(nf_tcp_pernet(net)->offload_timeout);
	return READ_ONCE(nf_udp_pernet(net)->offload_timeout);
}

static inline void nf_fp_flow_refresh(struct net *net, struct nf_fp_flow *flow)
{
	u32 expires = nfct_time_stamp + nf_fp_timeout(net, flow);

	if (READ_ONCE(flow->expires) != expires)
		WRITE_ONCE(flow->expires, expires);
}

/* A packet of @len bytes (from the network header on) was forwarded in
 * direction @d.  The two directions of a flow may be forwarded on two
 * CPUs at once, and so may one direction (after a move between receive
 * queues): atomic, on the cache line the lookup brought in.
 */
static inline void nf_fp_dir_count(struct nf_fp_dir *d, unsigned int len)
{
	atomic64_inc(&d->packets);
	atomic64_add(len, &d->bytes);
}

/* Packets that someone else holds as well (pktgen keeps a reference on
 * what it sends) must not be modified: their headers are read in place or
 * not at all.
 */
static inline bool nf_fp_may_pull(struct sk_buff *skb, unsigned int len)
{
	if (unlikely(skb_shared(skb)))
		return len <= skb_headlen(skb);
	return pskb_may_pull(skb, len);
}

/* The fast path is about to rewrite @skb (@len bytes of network packet,
 * the first @hlen of them written to) and to put a link-layer header of
 * up to @headroom bytes in front of it, for which ip_forward() makes room
 * as well.  A shared packet is replaced by a clone of our own once that
 * is ready.  Returns the packet to forward, or NULL to leave @skb to the
 * classic path: a shared @skb is then untouched, an unshared one may have
 * been trimmed to @len or had its head copied, which the classic path
 * would do as well.
 */
static inline struct sk_buff *nf_fp_writable(struct sk_buff *skb,
					     unsigned int len,
					     unsigned int hlen,
					     unsigned int headroom)
{
	struct sk_buff *nskb = skb;

	if (unlikely(skb_shared(skb))) {
		nskb = skb_clone(skb, GFP_ATOMIC);
		if (!nskb)
			return NULL;
	}
	if (pskb_trim_rcsum(nskb, len) || skb_ensure_writable(nskb, hlen) ||
	    skb_cow_head(nskb, headroom)) {
		if (nskb != skb)
			consume_skb(nskb);
		return NULL;
	}
	if (nskb != skb)
		consume_skb(skb);
	return nskb;
}

/* Is the frame for us?  One caught on a bridge port or below a VLAN
 * device was addressed to the upper device, which the port's own
 * address check does not know.
 */
static inline bool nf_fp_l2_dest_ok(const struct sk_buff *skb,
				    const struct nf_fp_dir *d)
{
	if (likely(skb->pkt_type == PACKET_HOST))
		return true;
	return skb->pkt_type == PACKET_OTHERHOST &&
	       skb_mac_header_was_set(skb) &&
	       ether_addr_equal_unaligned(eth_hdr(skb)->h_dest, d->l2addr);
}

/* ip_forward() and ip6_forward() enforce IPsec forward policy; so do we,
 * on the packet as it leaves (the classic check sees NATed addresses too,
 * through conntrack's session decoding), unless disable_policy is set on
 * @iif, the device routing sees the packet arrive on.  Cheap when no
 * policy exists.
 */
bool nf_fp_xfrm_forward_check(struct sk_buff *skb, u8 l3proto, int iif);

static inline bool nf_fp_xfrm_forward_ok(struct sk_buff *skb, u8 l3proto,
					 int iif)
{
#if IS_ENABLED(CONFIG_XFRM)
	if (likely(__xfrm_check_nopolicy(dev_net(skb->dev), skb,
					 XFRM_POLICY_FWD)))
		return true;
	return nf_fp_xfrm_forward_check(skb, l3proto, iif);
#else
	return true;
#endif
}

/* TCP segments that open or close a connection belong to conntrack. */
static inline bool nf_fp_tcp_closing(const struct sk_buff *skb,
				     unsigned int thoff)
{
	const struct tcphdr *th = (const struct tcphdr *)(skb->data + thoff);

	return th->fin || th->rst || th->syn;
}

/* revalidate.c */
bool nf_fp_reval_enabled(struct nf_flowtable *ft);
void nf_fp_reval_flow_init(struct nf_flowtable *ft, struct nf_fp_flow *flow);
void nf_fp_reval_divert(struct nf_flowtable *ft, struct nf_fp_flow *flow,
			enum ip_conntrack_dir dir);
void nf_fp_reval_offloaded(struct nf_flowtable *ft, struct nf_fp_flow *flow,
			   enum ip_conntrack_dir dir);
bool nf_fp_reval_abandoned(struct nf_flowtable *ft, struct nf_fp_flow *flow);
int nf_fp_reval_set(struct nf_flowtable *ft, bool enable);

/* Has a ruleset change been committed since the ruleset last offloaded
 * a packet of direction @dir?  One load of the nftables generation and a
 * compare per packet.
 */
static inline bool nf_fp_reval_stale(const struct nf_fp_flow *flow,
				     enum ip_conntrack_dir dir)
{
	return READ_ONCE(*READ_ONCE(flow->reval_genp)) !=
	       READ_ONCE(flow->reval_gen[dir]);
}

/* hw_rule.c */
struct flow_rule *nf_fp_hw_rule_build(struct nf_fp_flow *flow,
				      struct nf_fp_dir *d, bool ttl_action,
				      struct net_device **out, int *err);
void nf_fp_hw_rule_free(struct flow_rule *rule, struct net_device *out);

/* hw.c */
int nf_fp_hw_init(struct nf_flowtable *ft);
void nf_fp_hw_free(struct nf_flowtable *ft);
int nf_fp_hw_bind(struct nf_flowtable *ft, struct net_device *dev);
void nf_fp_hw_unbind(struct nf_flowtable *ft, struct net_device *dev);
void nf_fp_hw_flow_init(struct nf_flowtable *ft, struct nf_fp_flow *flow);
void nf_fp_hw_flow_free(struct nf_fp_flow *flow);
void nf_fp_hw_flow_added(struct nf_fp_flow *flow);
void nf_fp_hw_flow_revalidated(struct nf_fp_flow *flow);
bool nf_fp_hw_flow_release(struct nf_fp_flow *flow, bool handback);
void nf_fp_hw_flow_gc(struct nf_flowtable *ft, struct nf_fp_flow *flow);
bool nf_fp_hw_flow_in_hw(const struct nf_fp_flow *flow);
const char *nf_fp_hw_flow_refusal(const struct nf_fp_flow *flow);

/* Why the hardware did not take a flow or gave it back, and how often the
 * work item pushed, tried again and read counters.
 */
enum nf_fp_hw_reason {
	NF_FP_HW_FAIL_NOSPC,
	NF_FP_HW_FAIL_UNSUPPORTED,
	NF_FP_HW_FAIL_NEIGH,
	NF_FP_HW_FAIL_ERROR,
	NF_FP_HW_FAIL_STATS,
	NF_FP_HW_OUT_REVAL,
	NF_FP_HW_PUSHED,
	NF_FP_HW_RETRIED,
	NF_FP_HW_STATS_READ,
	NF_FP_HW_REASON_MAX
};

extern const char * const nf_fp_hw_reason_names[NF_FP_HW_REASON_MAX];

struct nf_fp_hw_report {
	int	flows;
	int	count[NF_FP_HW_REASON_MAX];
	char	last_error[80];
};

bool nf_fp_hw_report(struct nf_flowtable *ft, struct nf_fp_hw_report *r);

/* What the classic path would check of a packet of @flow before routing
 * it, the route aside (see nf_fp_dir_dst()): the flow still in the table,
 * its conntrack entry alive, the ruleset's verdict current, and a TCP
 * segment that neither opens nor closes the connection.  False: the packet
 * takes the classic path, and the flow may have left the table.
 */
static inline bool nf_fp_flow_usable(struct nf_flowtable *ft,
				     const struct sk_buff *skb,
				     struct nf_fp_flow *flow,
				     const struct nf_fp_dir *d,
				     unsigned int thoff)
{
	if (unlikely(test_bit(NF_FP_FLOW_DEAD, &flow->flags)))
		return false;
	if (unlikely(nf_ct_is_dying(flow->ct))) {
		nf_fp_flow_remove(ft, flow, NF_FP_STAT_DEL_CT_DYING);
		return false;
	}
	if (unlikely(nf_fp_reval_stale(flow, d->dir))) {
		nf_fp_reval_divert(ft, flow, d->dir);
		return false;
	}
	if (d->key.l4proto == IPPROTO_TCP && nf_fp_tcp_closing(skb, thoff)) {
		nf_fp_flow_remove(ft, flow, NF_FP_STAT_DEL_TEARDOWN);
		nf_fp_stat_inc(read_pnet(&ft->net), NF_FP_STAT_SLOW_TCP_FLAGS);
		return false;
	}
	return true;
}

/* nat.c */
void nf_fp_nat_ipv4(struct sk_buff *skb, unsigned int thoff,
		    const struct nf_fp_dir *d, const struct nf_fp_key *rev);
void nf_fp_nat_ipv6(struct sk_buff *skb, unsigned int thoff,
		    const struct nf_fp_dir *d, const struct nf_fp_key *rev);

/* ip.c, ipv6.c */
unsigned int nf_fp_ipv4_hook(void *priv, struct sk_buff *skb,
			     const struct nf_hook_state *state);
unsigned int nf_fp_ipv6_hook(void *priv, struct sk_buff *skb,
			     const struct nf_hook_state *state);

#endif /* _NF_FASTPATH_H */
