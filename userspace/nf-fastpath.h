/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nf-fastpath: control tool of the netfilter fast path (generic netlink
 * family "nf-fastpath"). Shared declarations of the tool's parts:
 * output.c parses the kernel's messages and prints them (text or JSON),
 * nf-fastpath.c holds the command line and the netlink conversation.
 */
#ifndef NF_FASTPATH_TOOL_H
#define NF_FASTPATH_TOOL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <libmnl/libmnl.h>
#include <linux/nf_fastpath.h>

#define FP_TOOL_VERSION	"1.0"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* The attributes of a flow message, checked against their types. */
struct fp_flow {
	const struct nlattr *tb[NF_FASTPATH_A_FLOW_MAX + 1];
	const struct nlattr *orig[NF_FASTPATH_A_TUPLE_MAX + 1];
	const struct nlattr *reply[NF_FASTPATH_A_TUPLE_MAX + 1];
};

/* A flowtable (table-get reply); hw counters are read from nlh. */
struct fp_table {
	const struct nlmsghdr *nlh;
	const struct nlattr *tb[NF_FASTPATH_A_TABLE_MAX + 1];
};

/* Minimal JSON writer: commas and escaping; at most FP_JSON_DEPTH levels. */
#define FP_JSON_DEPTH	8
struct fp_json {
	FILE *out;
	int depth;
	bool split_top;		/* outermost members on lines of their own */
	bool used[FP_JSON_DEPTH];
};

void fpj_init(struct fp_json *j, FILE *out, bool split_top);
void fpj_open(struct fp_json *j, const char *key, char bracket);
void fpj_close(struct fp_json *j, char bracket);
void fpj_str(struct fp_json *j, const char *key, const char *s);
void fpj_u64(struct fp_json *j, const char *key, uint64_t v);
void fpj_bool(struct fp_json *j, const char *key, bool v);
void fpj_null(struct fp_json *j, const char *key);

/* The genetlink payload of a message from the family: 0 or -1 (errno). */
int fp_parse_flow(const struct nlmsghdr *nlh, struct fp_flow *f);
int fp_parse_table(const struct nlmsghdr *nlh, struct fp_table *t);

const char *fp_reason_name(uint32_t reason);

/* One flow: a text line without its newline, or JSON object members. */
void fp_flow_text(FILE *out, const struct fp_flow *f);
void fp_flow_json(struct fp_json *j, const struct fp_flow *f);

/* Events of the "flows" multicast group, one line each with newline. */
void fp_event_text(FILE *out, uint8_t cmd, const struct fp_flow *f);
void fp_event_json(FILE *out, uint8_t cmd, const struct fp_flow *f);

/* A counter nest (name, value); returns -1 when malformed. */
int fp_parse_counter(const struct nlattr *nest, const char **name,
		     uint64_t *value);

/* stats: the flowtable line of the text output, or a JSON object. */
void fp_table_text(FILE *out, const struct fp_table *t);
void fp_table_json(struct fp_json *j, const struct fp_table *t);

/* Text values: whitespace and control characters become '_'. */
void fp_put_word(FILE *out, const char *s);

#endif /* NF_FASTPATH_TOOL_H */
