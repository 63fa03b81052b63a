// SPDX-License-Identifier: GPL-2.0-only
/*
 * The hash of flow directions behind one flowtable: two entries per flow,
 * one per direction, keyed by what the ingress hook matches on.
 */

#include <linux/jhash.h>
#include <linux/rhashtable.h>

#include "fastpath.h"

/* An IPv4 key uses one word of each address union, the rest is zero: its
 * hash covers the five words that differ between flows, in two of jhash's
 * final rounds instead of the three mixes and a final of the whole key.
 * Keys still compare in full.
 */
static u32 nf_fp_key_hash(const void *data, u32 len, u32 seed)
{
	const struct nf_fp_key *k = data;
	u32 ports, rest;

	static_assert(sizeof(*k) % sizeof(u32) == 0);
	if (k->l3proto != NFPROTO_IPV4)
		return jhash2(data, len / sizeof(u32), seed);

	ports = (__force u32)k->sport << 16 | (__force u16)k->dport;
	rest = (u32)k->l4proto << 16 | k->vlan;
	return jhash_3words((__force u32)k->saddr.ip, (__force u32)k->daddr.ip,
			    ports, jhash_2words(k->iif, rest, seed));
}

/* Every packet that hits compares all of the key: a word at a time with
 * one test at the end, inline, rather than memcmp()'s loop and tail.
 */
static int nf_fp_key_cmp(struct rhashtable_compare_arg *arg, const void *obj)
{
	const u32 *a = (const u32 *)&((const struct nf_fp_dir *)obj)->key;
	const u32 *b = arg->key;
	u32 diff = 0;
	int i;

	for (i = 0; i < sizeof(struct nf_fp_key) / sizeof(u32); i++)
		diff |= a[i] ^ b[i];
	return diff != 0;
}

static const struct rhashtable_params nf_fp_rht_params = {
	.head_offset		= offsetof(struct nf_fp_dir, node),
	.key_offset		= offsetof(struct nf_fp_dir, key),
	.key_len		= sizeof(struct nf_fp_key),
	.hashfn			= nf_fp_key_hash,
	.obj_cmpfn		= nf_fp_key_cmp,
	.automatic_shrinking	= true,
};

int nf_fp_hash_init(struct nf_flowtable *ft)
{
	return rhashtable_init(&ft->rhashtable, &nf_fp_rht_params);
}

void nf_fp_hash_destroy(struct nf_flowtable *ft)
{
	rhashtable_destroy(&ft->rhashtable);
}

struct nf_fp_dir *nf_fp_hash_lookup(struct nf_flowtable *ft,
				    const struct nf_fp_key *key)
{
	return rhashtable_lookup(&ft->rhashtable, key, nf_fp_rht_params);
}

/* Publish both directions; a key that is there already is refused
 * (-EEXIST).  On failure the first direction may be in the table and
 * seen by packets: the caller takes the flow out with
 * nf_fp_flow_remove(), which copes with directions never inserted.
 */
int nf_fp_hash_insert(struct nf_flowtable *ft, struct nf_fp_flow *flow)
{
	int err;

	err = rhashtable_lookup_insert_fast(&ft->rhashtable,
					    &flow->dir[0].node,
					    nf_fp_rht_params);
	if (err)
		return err;
	return rhashtable_lookup_insert_fast(&ft->rhashtable,
					     &flow->dir[1].node,
					     nf_fp_rht_params);
}

/* Take both directions out; packets that found them before may still use
 * the flow until a grace period ends.  A direction never inserted is
 * fine.
 */
void nf_fp_hash_unlink(struct nf_flowtable *ft, struct nf_fp_flow *flow)
{
	rhashtable_remove_fast(&ft->rhashtable, &flow->dir[0].node,
			       nf_fp_rht_params);
	rhashtable_remove_fast(&ft->rhashtable, &flow->dir[1].node,
			       nf_fp_rht_params);
}

/* Walk every flow once (through its original direction) and call @fn.
 * One RCU section from start to stop: a flow inserted before the walk
 * started is seen, resize or not (the device events rely on it).
 */
void nf_fp_hash_walk(struct nf_flowtable *ft,
		     void (*fn)(struct nf_flowtable *ft,
				struct nf_fp_flow *flow, const void *arg),
		     const void *arg)
{
	struct rhashtable_iter iter;
	struct nf_fp_dir *d;

	rhashtable_walk_enter(&ft->rhashtable, &iter);
	rhashtable_walk_start(&iter);
	while ((d = rhashtable_walk_next(&iter))) {
		if (IS_ERR(d)) {
			if (PTR_ERR(d) == -EAGAIN)
				continue;
			break;
		}
		if (d->dir == IP_CT_DIR_ORIGINAL)
			fn(ft, nf_fp_dir_flow(d), arg);
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
}
