// SPDX-License-Identifier: GPL-2.0-only
/*
 * NAT on the fast path: a packet of one direction is rewritten to carry the
 * reverse of the other direction's tuple, with checksums fixed up
 * incrementally.
 */

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/checksum.h>

#include "fastpath.h"

/* The L4 checksum to fix, or NULL when there is none (IPv4 UDP may go
 * without one).
 */
static __sum16 *nf_fp_l4_check(struct sk_buff *skb, unsigned int thoff,
			       u8 l4proto, bool *udp)
{
	struct udphdr *uh;

	*udp = false;
	if (l4proto == IPPROTO_TCP)
		return &((struct tcphdr *)(skb->data + thoff))->check;

	uh = (struct udphdr *)(skb->data + thoff);
	if (!uh->check && skb->ip_summed != CHECKSUM_PARTIAL)
		return NULL;
	*udp = skb->ip_summed != CHECKSUM_PARTIAL;
	return &uh->check;
}

static void nf_fp_nat_ports(struct sk_buff *skb, unsigned int thoff,
			    const struct nf_fp_dir *d,
			    const struct nf_fp_key *rev, __sum16 *check)
{
	__be16 *ports = (__be16 *)(skb->data + thoff);

	if (d->nat & NF_FP_NAT_SPORT) {
		if (check)
			inet_proto_csum_replace2(check, skb, ports[0],
						 rev->dport, false);
		ports[0] = rev->dport;
	}
	if (d->nat & NF_FP_NAT_DPORT) {
		if (check)
			inet_proto_csum_replace2(check, skb, ports[1],
						 rev->sport, false);
		ports[1] = rev->sport;
	}
}

static void nf_fp_udp_fold(__sum16 *check, bool udp)
{
	if (udp && !*check)
		*check = CSUM_MANGLED_0;
}

void nf_fp_nat_ipv4(struct sk_buff *skb, unsigned int thoff,
		    const struct nf_fp_dir *d, const struct nf_fp_key *rev)
{
	struct iphdr *iph = ip_hdr(skb);
	__sum16 *check;
	bool udp;

	check = nf_fp_l4_check(skb, thoff, d->key.l4proto, &udp);
	if (d->nat & NF_FP_NAT_SADDR) {
		if (check)
			inet_proto_csum_replace4(check, skb, iph->saddr,
						 rev->daddr.ip, true);
		csum_replace4(&iph->check, iph->saddr, rev->daddr.ip);
		iph->saddr = rev->daddr.ip;
	}
	if (d->nat & NF_FP_NAT_DADDR) {
		if (check)
			inet_proto_csum_replace4(check, skb, iph->daddr,
						 rev->saddr.ip, true);
		csum_replace4(&iph->check, iph->daddr, rev->saddr.ip);
		iph->daddr = rev->saddr.ip;
	}
	nf_fp_nat_ports(skb, thoff, d, rev, check);
	if (check)
		nf_fp_udp_fold(check, udp);
}

void nf_fp_nat_ipv6(struct sk_buff *skb, unsigned int thoff,
		    const struct nf_fp_dir *d, const struct nf_fp_key *rev)
{
	struct ipv6hdr *ip6h = ipv6_hdr(skb);
	__sum16 *check;
	bool udp;

	check = nf_fp_l4_check(skb, thoff, d->key.l4proto, &udp);
	if (d->nat & NF_FP_NAT_SADDR) {
		if (check)
			inet_proto_csum_replace16(check, skb,
						  ip6h->saddr.s6_addr32,
						  rev->daddr.ip6, true);
		ip6h->saddr = rev->daddr.in6;
	}
	if (d->nat & NF_FP_NAT_DADDR) {
		if (check)
			inet_proto_csum_replace16(check, skb,
						  ip6h->daddr.s6_addr32,
						  rev->saddr.ip6, true);
		ip6h->daddr = rev->saddr.in6;
	}
	nf_fp_nat_ports(skb, thoff, d, rev, check);
	if (check)
		nf_fp_udp_fold(check, udp);
}
