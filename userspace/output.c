// SPDX-License-Identifier: GPL-2.0
/*
 * nf-fastpath: parsing of the kernel's messages and their text and JSON
 * output. Attributes are checked against their types; an unknown or
 * malformed one is ignored (a malformed one with a warning), and a value
 * the kernel did not send is printed as "-" (text) or null (JSON).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/if_ether.h>

#include "nf-fastpath.h"

/* ------------------------------------------------------------------ */
/* attribute parsing */

struct fp_attr_set {
	const char *name;
	unsigned int max;
	const enum mnl_attr_data_type *types;
	const struct nlattr **tb;
};

static const enum mnl_attr_data_type tuple_types[NF_FASTPATH_A_TUPLE_MAX + 1] = {
	[NF_FASTPATH_A_TUPLE_SRC]	= MNL_TYPE_BINARY,
	[NF_FASTPATH_A_TUPLE_DST]	= MNL_TYPE_BINARY,
	[NF_FASTPATH_A_TUPLE_SPORT]	= MNL_TYPE_U16,
	[NF_FASTPATH_A_TUPLE_DPORT]	= MNL_TYPE_U16,
	[NF_FASTPATH_A_TUPLE_IIF]	= MNL_TYPE_U32,
	[NF_FASTPATH_A_TUPLE_OIF]	= MNL_TYPE_U32,
	[NF_FASTPATH_A_TUPLE_VLAN_ID]	= MNL_TYPE_U16,
	[NF_FASTPATH_A_TUPLE_VLAN_PROTO]	= MNL_TYPE_U16,
	[NF_FASTPATH_A_TUPLE_NAT]	= MNL_TYPE_U32,
	[NF_FASTPATH_A_TUPLE_PACKETS]	= MNL_TYPE_U64,
	[NF_FASTPATH_A_TUPLE_BYTES]	= MNL_TYPE_U64,
};

static const enum mnl_attr_data_type flow_types[NF_FASTPATH_A_FLOW_MAX + 1] = {
	[NF_FASTPATH_A_FLOW_TABLE_FAMILY]	= MNL_TYPE_NUL_STRING,
	[NF_FASTPATH_A_FLOW_TABLE]		= MNL_TYPE_NUL_STRING,
	[NF_FASTPATH_A_FLOW_FLOWTABLE]		= MNL_TYPE_NUL_STRING,
	[NF_FASTPATH_A_FLOW_CT_ID]		= MNL_TYPE_U32,
	[NF_FASTPATH_A_FLOW_L3PROTO]		= MNL_TYPE_U8,
	[NF_FASTPATH_A_FLOW_L4PROTO]		= MNL_TYPE_U8,
	[NF_FASTPATH_A_FLOW_ORIG]		= MNL_TYPE_NESTED,
	[NF_FASTPATH_A_FLOW_REPLY]		= MNL_TYPE_NESTED,
	[NF_FASTPATH_A_FLOW_WHERE]		= MNL_TYPE_U8,
	[NF_FASTPATH_A_FLOW_HW_REFUSAL]		= MNL_TYPE_NUL_STRING,
	[NF_FASTPATH_A_FLOW_AGE_MS]		= MNL_TYPE_U64,
	[NF_FASTPATH_A_FLOW_IDLE_MS]		= MNL_TYPE_U64,
	[NF_FASTPATH_A_FLOW_TIMEOUT_MS]		= MNL_TYPE_U64,
	[NF_FASTPATH_A_FLOW_CURRENT]		= MNL_TYPE_U8,
	[NF_FASTPATH_A_FLOW_REASON]		= MNL_TYPE_U32,
	[NF_FASTPATH_A_FLOW_FILTER_SRC]		= MNL_TYPE_BINARY,
	[NF_FASTPATH_A_FLOW_FILTER_DST]		= MNL_TYPE_BINARY,
	[NF_FASTPATH_A_FLOW_FILTER_L4PROTO]	= MNL_TYPE_U8,
	[NF_FASTPATH_A_FLOW_FILTER_SPORT]	= MNL_TYPE_U16,
	[NF_FASTPATH_A_FLOW_FILTER_DPORT]	= MNL_TYPE_U16,
	[NF_FASTPATH_A_FLOW_FILTER_WHERE]	= MNL_TYPE_U8,
	[NF_FASTPATH_A_FLOW_COUNT]		= MNL_TYPE_U32,
};

static const enum mnl_attr_data_type table_types[NF_FASTPATH_A_TABLE_MAX + 1] = {
	[NF_FASTPATH_A_TABLE_TABLE_FAMILY]	= MNL_TYPE_NUL_STRING,
	[NF_FASTPATH_A_TABLE_TABLE]		= MNL_TYPE_NUL_STRING,
	[NF_FASTPATH_A_TABLE_FLOWTABLE]		= MNL_TYPE_NUL_STRING,
	[NF_FASTPATH_A_TABLE_FLOWS]		= MNL_TYPE_U32,
	[NF_FASTPATH_A_TABLE_REVALIDATE]	= MNL_TYPE_U8,
	[NF_FASTPATH_A_TABLE_HW_FLOWS]		= MNL_TYPE_U32,
	[NF_FASTPATH_A_TABLE_HW_COUNTER]	= MNL_TYPE_NESTED,
	[NF_FASTPATH_A_TABLE_HW_LAST_ERROR]	= MNL_TYPE_NUL_STRING,
};

static const enum mnl_attr_data_type counter_types[NF_FASTPATH_A_COUNTER_MAX + 1] = {
	[NF_FASTPATH_A_COUNTER_NAME]	= MNL_TYPE_NUL_STRING,
	[NF_FASTPATH_A_COUNTER_VALUE]	= MNL_TYPE_U64,
};

static int fp_attr_cb(const struct nlattr *attr, void *data)
{
	const struct fp_attr_set *set = data;
	unsigned int type = mnl_attr_get_type(attr);

	if (type == 0 || type > set->max)
		return MNL_CB_OK;	/* unknown: newer kernel, ignored */
	if (mnl_attr_validate(attr, set->types[type]) < 0) {
		fprintf(stderr,
			"nf-fastpath: warning: malformed %s attribute %u ignored\n",
			set->name, type);
		return MNL_CB_OK;
	}
	set->tb[type] = attr;
	return MNL_CB_OK;
}

static int fp_parse_nested(const struct nlattr *nest, const char *name,
			   unsigned int max,
			   const enum mnl_attr_data_type *types,
			   const struct nlattr **tb)
{
	struct fp_attr_set set = { name, max, types, tb };

	memset(tb, 0, (max + 1) * sizeof(*tb));
	if (!nest)
		return 0;
	return mnl_attr_parse_nested(nest, fp_attr_cb, &set) < 0 ? -1 : 0;
}

static int fp_parse_msg(const struct nlmsghdr *nlh, const char *name,
			unsigned int max, const enum mnl_attr_data_type *types,
			const struct nlattr **tb)
{
	struct fp_attr_set set = { name, max, types, tb };

	memset(tb, 0, (max + 1) * sizeof(*tb));
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct genlmsghdr)) {
		errno = EBADMSG;
		return -1;
	}
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), fp_attr_cb,
			      &set) < 0 ? -1 : 0;
}

int fp_parse_flow(const struct nlmsghdr *nlh, struct fp_flow *f)
{
	if (fp_parse_msg(nlh, "flow", NF_FASTPATH_A_FLOW_MAX, flow_types, f->tb))
		return -1;
	if (fp_parse_nested(f->tb[NF_FASTPATH_A_FLOW_ORIG], "tuple",
			    NF_FASTPATH_A_TUPLE_MAX, tuple_types, f->orig))
		return -1;
	return fp_parse_nested(f->tb[NF_FASTPATH_A_FLOW_REPLY], "tuple",
			       NF_FASTPATH_A_TUPLE_MAX, tuple_types, f->reply);
}

int fp_parse_table(const struct nlmsghdr *nlh, struct fp_table *t)
{
	t->nlh = nlh;
	return fp_parse_msg(nlh, "table", NF_FASTPATH_A_TABLE_MAX, table_types,
			    t->tb);
}

int fp_parse_counter(const struct nlattr *nest, const char **name,
		     uint64_t *value)
{
	const struct nlattr *tb[NF_FASTPATH_A_COUNTER_MAX + 1];

	if (fp_parse_nested(nest, "counter", NF_FASTPATH_A_COUNTER_MAX,
			    counter_types, tb))
		return -1;
	if (!tb[NF_FASTPATH_A_COUNTER_NAME] || !tb[NF_FASTPATH_A_COUNTER_VALUE])
		return -1;
	*name = mnl_attr_get_str(tb[NF_FASTPATH_A_COUNTER_NAME]);
	*value = mnl_attr_get_u64(tb[NF_FASTPATH_A_COUNTER_VALUE]);
	return 0;
}

/* ------------------------------------------------------------------ */
/* value formatting shared by text and JSON */

static const char *const reason_names[] = {
	[NF_FASTPATH_REASON_TIMEOUT]	= "timeout",
	[NF_FASTPATH_REASON_TEARDOWN]	= "teardown",
	[NF_FASTPATH_REASON_CT_DYING]	= "ct-dying",
	[NF_FASTPATH_REASON_ROUTE]	= "route",
	[NF_FASTPATH_REASON_DEVICE]	= "device",
	[NF_FASTPATH_REASON_FLUSH]	= "flush",
	[NF_FASTPATH_REASON_POLICY]	= "policy",
	[NF_FASTPATH_REASON_NAT_ADDR]	= "nat-addr",
	[NF_FASTPATH_REASON_HANDBACK]	= "handback",
	[NF_FASTPATH_REASON_ADD_FAIL]	= "add-fail",
};

const char *fp_reason_name(uint32_t reason)
{
	if (reason < ARRAY_SIZE(reason_names))
		return reason_names[reason];
	return NULL;
}

static const char *const nat_names[] = { "saddr", "daddr", "sport", "dport" };

/* An address attribute as text; NULL when absent or of an odd length. */
static const char *fp_addr(const struct nlattr *attr, char *buf, size_t len)
{
	if (!attr)
		return NULL;
	switch (mnl_attr_get_payload_len(attr)) {
	case 4:
		return inet_ntop(AF_INET, mnl_attr_get_payload(attr), buf, len);
	case 16:
		return inet_ntop(AF_INET6, mnl_attr_get_payload(attr), buf, len);
	}
	return NULL;
}

static const char *fp_l4proto_name(uint32_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	}
	return NULL;
}

static const char *fp_l3proto_name(uint32_t proto)
{
	switch (proto) {
	case AF_INET:
		return "ipv4";
	case AF_INET6:
		return "ipv6";
	}
	return NULL;
}

static const char *fp_where_name(uint32_t where)
{
	switch (where) {
	case NF_FASTPATH_WHERE_SW:
		return "sw";
	case NF_FASTPATH_WHERE_HW:
		return "hw";
	}
	return NULL;
}

static const char *fp_vlan_proto_name(uint32_t proto)
{
	switch (proto) {
	case ETH_P_8021Q:
		return "802.1Q";
	case ETH_P_8021AD:
		return "802.1ad";
	}
	return NULL;
}

/* The original direction's NAT flags: "snat", "dnat", "snat,dnat", "none".
 * A NAT attribute the kernel left out means no rewrite.
 */
static const char *fp_nat_kind(const struct fp_flow *f)
{
	uint32_t nat = 0;
	bool snat, dnat;

	if (f->orig[NF_FASTPATH_A_TUPLE_NAT])
		nat = mnl_attr_get_u32(f->orig[NF_FASTPATH_A_TUPLE_NAT]);
	snat = nat & (NF_FASTPATH_NAT_SADDR | NF_FASTPATH_NAT_SPORT);
	dnat = nat & (NF_FASTPATH_NAT_DADDR | NF_FASTPATH_NAT_DPORT);
	if (snat && dnat)
		return "snat,dnat";
	if (snat)
		return "snat";
	if (dnat)
		return "dnat";
	return "none";
}

/* ------------------------------------------------------------------ */
/* text */

void fp_put_word(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc(isspace((unsigned char)*s) || iscntrl((unsigned char)*s) ?
		      '_' : *s, out);
}

/* An enumerated value: its name, the number when unknown, "-" if absent. */
static void fp_text_enum(FILE *out, const char *key, const struct nlattr *attr,
			 uint32_t val, const char *(*name)(uint32_t))
{
	const char *s = attr ? name(val) : "-";

	if (s)
		fprintf(out, "%s=%s", key, s);
	else
		fprintf(out, "%s=%" PRIu32, key, val);
}

static uint32_t fp_u8(const struct nlattr *attr)
{
	return attr ? mnl_attr_get_u8(attr) : 0;
}

static uint32_t fp_u32(const struct nlattr *attr)
{
	return attr ? mnl_attr_get_u32(attr) : 0;
}

static void fp_text_str(FILE *out, const char *key, const struct nlattr *attr)
{
	fprintf(out, "%s=", key);
	if (attr)
		fp_put_word(out, mnl_attr_get_str(attr));
	else
		fputc('-', out);
}

static void fp_text_u64(FILE *out, const char *key, const struct nlattr *attr,
			bool is_u64)
{
	if (!attr)
		fprintf(out, " %s=-", key);
	else if (is_u64)
		fprintf(out, " %s=%" PRIu64, key, mnl_attr_get_u64(attr));
	else
		fprintf(out, " %s=%" PRIu32, key, mnl_attr_get_u32(attr));
}

static void fp_text_port(FILE *out, const char *key, const struct nlattr *attr)
{
	if (attr)
		fprintf(out, " %s=%u", key, ntohs(mnl_attr_get_u16(attr)));
	else
		fprintf(out, " %s=-", key);
}

static void fp_text_addr(FILE *out, const char *key, const struct nlattr *attr)
{
	char buf[INET6_ADDRSTRLEN];
	const char *s = fp_addr(attr, buf, sizeof(buf));

	fprintf(out, " %s=%s", key, s ? s : "-");
}

static void fp_text_dev(FILE *out, const char *key, const struct nlattr *attr)
{
	char name[IF_NAMESIZE];
	uint32_t ifindex;

	if (!attr) {
		fprintf(out, " %s=-", key);
		return;
	}
	ifindex = mnl_attr_get_u32(attr);
	if (ifindex && if_indextoname(ifindex, name))
		fprintf(out, " %s=%s", key, name);
	else
		fprintf(out, " %s=%" PRIu32, key, ifindex);
}

static void fp_text_ms(FILE *out, const char *key, const struct nlattr *attr)
{
	uint64_t ms;

	if (!attr) {
		fprintf(out, " %s=-", key);
		return;
	}
	ms = mnl_attr_get_u64(attr);
	fprintf(out, " %s=%" PRIu64 ".%03" PRIu64, key, ms / 1000, ms % 1000);
}

static void fp_text_tuple(FILE *out, const char *p,
			  const struct nlattr *const *tb)
{
	char key[16];

#define KEY(k) (snprintf(key, sizeof(key), "%s%s", p, k), key)
	fp_text_addr(out, KEY("src"), tb[NF_FASTPATH_A_TUPLE_SRC]);
	fp_text_addr(out, KEY("dst"), tb[NF_FASTPATH_A_TUPLE_DST]);
	fp_text_port(out, KEY("sport"), tb[NF_FASTPATH_A_TUPLE_SPORT]);
	fp_text_port(out, KEY("dport"), tb[NF_FASTPATH_A_TUPLE_DPORT]);
	fp_text_dev(out, KEY("iif"), tb[NF_FASTPATH_A_TUPLE_IIF]);
	fp_text_dev(out, KEY("oif"), tb[NF_FASTPATH_A_TUPLE_OIF]);
	if (tb[NF_FASTPATH_A_TUPLE_VLAN_ID])
		fprintf(out, " %s=%u", KEY("vlan"),
			mnl_attr_get_u16(tb[NF_FASTPATH_A_TUPLE_VLAN_ID]) & 0xfff);
	fp_text_u64(out, KEY("packets"), tb[NF_FASTPATH_A_TUPLE_PACKETS], true);
	fp_text_u64(out, KEY("bytes"), tb[NF_FASTPATH_A_TUPLE_BYTES], true);
#undef KEY
}

void fp_flow_text(FILE *out, const struct fp_flow *f)
{
	const struct nlattr *a;

	fp_text_str(out, "family", f->tb[NF_FASTPATH_A_FLOW_TABLE_FAMILY]);
	fputc(' ', out);
	fp_text_str(out, "table", f->tb[NF_FASTPATH_A_FLOW_TABLE]);
	fputc(' ', out);
	fp_text_str(out, "flowtable", f->tb[NF_FASTPATH_A_FLOW_FLOWTABLE]);

	a = f->tb[NF_FASTPATH_A_FLOW_L4PROTO];
	fputc(' ', out);
	fp_text_enum(out, "proto", a, fp_u8(a), fp_l4proto_name);
	fp_text_u64(out, "ct_id", f->tb[NF_FASTPATH_A_FLOW_CT_ID], false);

	fp_text_tuple(out, "", f->orig);
	fp_text_tuple(out, "r", f->reply);
	fprintf(out, " nat=%s", fp_nat_kind(f));

	a = f->tb[NF_FASTPATH_A_FLOW_WHERE];
	fputc(' ', out);
	fp_text_enum(out, "where", a, fp_u8(a), fp_where_name);
	if (f->tb[NF_FASTPATH_A_FLOW_HW_REFUSAL]) {
		fputc(' ', out);
		fp_text_str(out, "hw_refusal",
			    f->tb[NF_FASTPATH_A_FLOW_HW_REFUSAL]);
	}
	fp_text_ms(out, "age", f->tb[NF_FASTPATH_A_FLOW_AGE_MS]);
	fp_text_ms(out, "idle", f->tb[NF_FASTPATH_A_FLOW_IDLE_MS]);
	fp_text_ms(out, "timeout", f->tb[NF_FASTPATH_A_FLOW_TIMEOUT_MS]);
	a = f->tb[NF_FASTPATH_A_FLOW_CURRENT];
	fprintf(out, " current=%s", !a ? "-" : mnl_attr_get_u8(a) ? "yes" : "no");
}

void fp_event_text(FILE *out, uint8_t cmd, const struct fp_flow *f)
{
	if (cmd == NF_FASTPATH_CMD_FLOW_DEL_NTF) {
		const struct nlattr *a = f->tb[NF_FASTPATH_A_FLOW_REASON];

		fputs("del ", out);
		fp_text_enum(out, "reason", a, fp_u32(a), fp_reason_name);
		fputc(' ', out);
	} else {
		fputs("add ", out);
	}
	fp_flow_text(out, f);
	fputc('\n', out);
}

/* "name=value" of each hardware counter of a flowtable message. */
static void fp_hw_counters_text(FILE *out, const struct nlmsghdr *nlh)
{
	const struct nlattr *attr;
	const char *name;
	uint64_t value;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) != NF_FASTPATH_A_TABLE_HW_COUNTER ||
		    mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0 ||
		    fp_parse_counter(attr, &name, &value))
			continue;
		fputc(' ', out);
		fp_put_word(out, name);
		fprintf(out, "=%" PRIu64, value);
	}
}

void fp_table_text(FILE *out, const struct fp_table *t)
{
	const struct nlattr *a;
	const char *s;

	fputs("flowtable ", out);
	fp_text_str(out, "family", t->tb[NF_FASTPATH_A_TABLE_TABLE_FAMILY]);
	fputc(' ', out);
	fp_text_str(out, "table", t->tb[NF_FASTPATH_A_TABLE_TABLE]);
	fputc(' ', out);
	fp_text_str(out, "name", t->tb[NF_FASTPATH_A_TABLE_FLOWTABLE]);
	fp_text_u64(out, "flows", t->tb[NF_FASTPATH_A_TABLE_FLOWS], false);
	a = t->tb[NF_FASTPATH_A_TABLE_REVALIDATE];
	fprintf(out, " revalidate=%s",
		!a ? "-" : mnl_attr_get_u8(a) ? "on" : "off");
	if (t->tb[NF_FASTPATH_A_TABLE_HW_FLOWS])
		fp_text_u64(out, "hw_flows", t->tb[NF_FASTPATH_A_TABLE_HW_FLOWS],
			    false);
	fp_hw_counters_text(out, t->nlh);
	a = t->tb[NF_FASTPATH_A_TABLE_HW_LAST_ERROR];
	if (a) {
		fputs(" hw_last_error=\"", out);
		for (s = mnl_attr_get_str(a); *s; s++) {
			if (*s == '"' || *s == '\\')
				fprintf(out, "\\%c", *s);
			else
				fputc(iscntrl((unsigned char)*s) ? ' ' : *s, out);
		}
		fputc('"', out);
	}
	fputc('\n', out);
}

/* ------------------------------------------------------------------ */
/* JSON */

void fpj_init(struct fp_json *j, FILE *out, bool split_top)
{
	memset(j, 0, sizeof(*j));
	j->out = out;
	j->split_top = split_top;
}

/* Length of the valid UTF-8 sequence at s, 0 if it is not one. */
static int fp_utf8_len(const unsigned char *s)
{
	int n, i;
	uint32_t c;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) ||
	    (n == 4 && c < 0x10000) || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return n;
}

/* A JSON string: escapes, and U+FFFD for bytes that are not UTF-8. */
static void fpj_quote(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	int n;

	fputc('"', out);
	while (*s) {
		n = fp_utf8_len(s);
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if (*s < 0x20 || *s == 0x7f)
			fprintf(out, "\\u%04x", *s);
		else if (!n)
			fputs("\\ufffd", out);
		else
			fwrite(s, 1, n, out);
		s += n ? n : 1;
	}
	fputc('"', out);
}

/* Comma and key of the next member (key NULL: an array element). The
 * members of the outermost container go on lines of their own if asked.
 */
static void fpj_member(struct fp_json *j, const char *key)
{
	if (j->depth > 0 && j->depth <= FP_JSON_DEPTH) {
		if (j->used[j->depth - 1])
			fputs(j->depth == 1 && j->split_top ? ",\n" : ",",
			      j->out);
		j->used[j->depth - 1] = true;
	}
	if (key) {
		fpj_quote(j->out, key);
		fputc(':', j->out);
	}
}

void fpj_open(struct fp_json *j, const char *key, char bracket)
{
	fpj_member(j, key);
	fputc(bracket, j->out);
	if (j->depth < FP_JSON_DEPTH)
		j->used[j->depth] = false;
	j->depth++;
}

void fpj_close(struct fp_json *j, char bracket)
{
	fputc(bracket, j->out);
	j->depth--;
}

void fpj_str(struct fp_json *j, const char *key, const char *s)
{
	fpj_member(j, key);
	if (s)
		fpj_quote(j->out, s);
	else
		fputs("null", j->out);
}

void fpj_u64(struct fp_json *j, const char *key, uint64_t v)
{
	fpj_member(j, key);
	fprintf(j->out, "%" PRIu64, v);
}

void fpj_bool(struct fp_json *j, const char *key, bool v)
{
	fpj_member(j, key);
	fputs(v ? "true" : "false", j->out);
}

void fpj_null(struct fp_json *j, const char *key)
{
	fpj_member(j, key);
	fputs("null", j->out);
}

static void fpj_attr_str(struct fp_json *j, const char *key,
			 const struct nlattr *attr)
{
	fpj_str(j, key, attr ? mnl_attr_get_str(attr) : NULL);
}

static void fpj_attr_u64(struct fp_json *j, const char *key,
			 const struct nlattr *attr)
{
	if (attr)
		fpj_u64(j, key, mnl_attr_get_u64(attr));
	else
		fpj_null(j, key);
}

static void fpj_attr_u32(struct fp_json *j, const char *key,
			 const struct nlattr *attr)
{
	if (attr)
		fpj_u64(j, key, mnl_attr_get_u32(attr));
	else
		fpj_null(j, key);
}

static void fpj_attr_port(struct fp_json *j, const char *key,
			  const struct nlattr *attr)
{
	if (attr)
		fpj_u64(j, key, ntohs(mnl_attr_get_u16(attr)));
	else
		fpj_null(j, key);
}

/* Enumerated value: its name, the number when unknown, null when absent. */
static void fpj_enum(struct fp_json *j, const char *key,
		     const struct nlattr *attr, uint32_t val,
		     const char *(*name)(uint32_t))
{
	const char *s = attr ? name(val) : NULL;

	if (!attr)
		fpj_null(j, key);
	else if (s)
		fpj_str(j, key, s);
	else
		fpj_u64(j, key, val);
}

static void fpj_dev(struct fp_json *j, const char *key, const char *index_key,
		    const struct nlattr *attr)
{
	char name[IF_NAMESIZE];
	uint32_t ifindex;

	if (!attr) {
		fpj_null(j, key);
		fpj_null(j, index_key);
		return;
	}
	ifindex = mnl_attr_get_u32(attr);
	fpj_str(j, key, ifindex && if_indextoname(ifindex, name) ? name : NULL);
	fpj_u64(j, index_key, ifindex);
}

static void fpj_tuple(struct fp_json *j, const char *key,
		      const struct nlattr *const *tb)
{
	char buf[INET6_ADDRSTRLEN];
	const struct nlattr *a;
	uint32_t nat = 0;
	unsigned int i;

	fpj_open(j, key, '{');
	fpj_str(j, "src", fp_addr(tb[NF_FASTPATH_A_TUPLE_SRC], buf, sizeof(buf)));
	fpj_str(j, "dst", fp_addr(tb[NF_FASTPATH_A_TUPLE_DST], buf, sizeof(buf)));
	fpj_attr_port(j, "sport", tb[NF_FASTPATH_A_TUPLE_SPORT]);
	fpj_attr_port(j, "dport", tb[NF_FASTPATH_A_TUPLE_DPORT]);
	fpj_dev(j, "iif", "iif_index", tb[NF_FASTPATH_A_TUPLE_IIF]);
	fpj_dev(j, "oif", "oif_index", tb[NF_FASTPATH_A_TUPLE_OIF]);
	if (tb[NF_FASTPATH_A_TUPLE_VLAN_ID])
		fpj_u64(j, "vlan",
			mnl_attr_get_u16(tb[NF_FASTPATH_A_TUPLE_VLAN_ID]) & 0xfff);
	else
		fpj_null(j, "vlan");
	a = tb[NF_FASTPATH_A_TUPLE_VLAN_PROTO];
	fpj_enum(j, "vlan_proto", a, a ? ntohs(mnl_attr_get_u16(a)) : 0,
		 fp_vlan_proto_name);
	if (tb[NF_FASTPATH_A_TUPLE_NAT])
		nat = mnl_attr_get_u32(tb[NF_FASTPATH_A_TUPLE_NAT]);
	fpj_open(j, "nat", '[');
	for (i = 0; i < ARRAY_SIZE(nat_names); i++)
		if (nat & (1U << i))
			fpj_str(j, NULL, nat_names[i]);
	fpj_close(j, ']');
	fpj_attr_u64(j, "packets", tb[NF_FASTPATH_A_TUPLE_PACKETS]);
	fpj_attr_u64(j, "bytes", tb[NF_FASTPATH_A_TUPLE_BYTES]);
	fpj_close(j, '}');
}

void fp_flow_json(struct fp_json *j, const struct fp_flow *f)
{
	const struct nlattr *a;

	fpj_attr_str(j, "family", f->tb[NF_FASTPATH_A_FLOW_TABLE_FAMILY]);
	fpj_attr_str(j, "table", f->tb[NF_FASTPATH_A_FLOW_TABLE]);
	fpj_attr_str(j, "flowtable", f->tb[NF_FASTPATH_A_FLOW_FLOWTABLE]);
	fpj_attr_u32(j, "ct_id", f->tb[NF_FASTPATH_A_FLOW_CT_ID]);
	a = f->tb[NF_FASTPATH_A_FLOW_L3PROTO];
	fpj_enum(j, "l3proto", a, fp_u8(a), fp_l3proto_name);
	a = f->tb[NF_FASTPATH_A_FLOW_L4PROTO];
	fpj_enum(j, "proto", a, fp_u8(a), fp_l4proto_name);
	fpj_tuple(j, "orig", f->orig);
	fpj_tuple(j, "reply", f->reply);
	fpj_str(j, "nat", fp_nat_kind(f));
	a = f->tb[NF_FASTPATH_A_FLOW_WHERE];
	fpj_enum(j, "where", a, fp_u8(a), fp_where_name);
	fpj_attr_str(j, "hw_refusal", f->tb[NF_FASTPATH_A_FLOW_HW_REFUSAL]);
	fpj_attr_u64(j, "age_ms", f->tb[NF_FASTPATH_A_FLOW_AGE_MS]);
	fpj_attr_u64(j, "idle_ms", f->tb[NF_FASTPATH_A_FLOW_IDLE_MS]);
	fpj_attr_u64(j, "timeout_ms", f->tb[NF_FASTPATH_A_FLOW_TIMEOUT_MS]);
	a = f->tb[NF_FASTPATH_A_FLOW_CURRENT];
	if (a)
		fpj_bool(j, "current", mnl_attr_get_u8(a));
	else
		fpj_null(j, "current");
}

void fp_event_json(FILE *out, uint8_t cmd, const struct fp_flow *f)
{
	const struct nlattr *a = f->tb[NF_FASTPATH_A_FLOW_REASON];
	struct fp_json j;

	fpj_init(&j, out, false);
	fpj_open(&j, NULL, '{');
	if (cmd == NF_FASTPATH_CMD_FLOW_DEL_NTF) {
		fpj_str(&j, "event", "del");
		fpj_enum(&j, "reason", a, fp_u32(a), fp_reason_name);
	} else {
		fpj_str(&j, "event", "add");
	}
	fp_flow_json(&j, f);
	fpj_close(&j, '}');
	fputc('\n', out);
}

void fp_table_json(struct fp_json *j, const struct fp_table *t)
{
	const struct nlattr *attr, *a;
	const char *name;
	uint64_t value;

	fpj_open(j, NULL, '{');
	fpj_attr_str(j, "family", t->tb[NF_FASTPATH_A_TABLE_TABLE_FAMILY]);
	fpj_attr_str(j, "table", t->tb[NF_FASTPATH_A_TABLE_TABLE]);
	fpj_attr_str(j, "name", t->tb[NF_FASTPATH_A_TABLE_FLOWTABLE]);
	fpj_attr_u32(j, "flows", t->tb[NF_FASTPATH_A_TABLE_FLOWS]);
	a = t->tb[NF_FASTPATH_A_TABLE_REVALIDATE];
	if (a)
		fpj_bool(j, "revalidate", mnl_attr_get_u8(a));
	else
		fpj_null(j, "revalidate");
	if (t->tb[NF_FASTPATH_A_TABLE_HW_FLOWS])
		fpj_attr_u32(j, "hw_flows", t->tb[NF_FASTPATH_A_TABLE_HW_FLOWS]);
	fpj_open(j, "hw_counters", '{');
	mnl_attr_for_each(attr, t->nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) != NF_FASTPATH_A_TABLE_HW_COUNTER ||
		    mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0 ||
		    fp_parse_counter(attr, &name, &value))
			continue;
		fpj_u64(j, name, value);
	}
	fpj_close(j, '}');
	fpj_attr_str(j, "hw_last_error",
		     t->tb[NF_FASTPATH_A_TABLE_HW_LAST_ERROR]);
	fpj_close(j, '}');
}
