// SPDX-License-Identifier: GPL-2.0
/*
 * nf-fastpath: control tool of the netfilter fast path, over its generic
 * netlink family "nf-fastpath" (include/uapi/linux/nf_fastpath.h): list,
 * show and hand back flows, watch them come and go, read counters and
 * change flowtable settings.
 *
 * Exit status: 0 success, 1 kernel or netlink error, 2 usage error,
 * 3 the kernel has no nf-fastpath family.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "nf-fastpath.h"

#define EXIT_KERNEL	1
#define EXIT_USAGE	2
#define EXIT_NOFAMILY	3

/* Large enough for any dump skb the kernel builds (at most 32 KiB). */
#define FP_RECV_SIZE	65536

static const char *const usage_lines[] = {
	"Usage: nf-fastpath [-h|--help] [-V|--version] COMMAND [ARGS]",
	"",
	"Commands:",
	"  list [-j] [FILTER...]      list the flows of the fast path",
	"  get CT_ID [-j]             show the flow of one conntrack entry",
	"  flush [FILTER...]          hand the matching flows back to the",
	"                             classic forward path (conntrack keeps them)",
	"  monitor [-j]               print flows as they enter and leave",
	"                             flowtables, until interrupted",
	"  stats [-j]                 counters of the network namespace and",
	"                             of each flowtable",
	"  set FAMILY TABLE FLOWTABLE revalidate on|off",
	"                             judge flows again after ruleset changes",
	"",
	"Filters (every one given must match):",
	"  family F                   nftables family of the table (inet, ip, ip6)",
	"  table T                    nftables table",
	"  flowtable F                flowtable",
	"  src ADDR, dst ADDR         original source, destination (IPv4 or IPv6)",
	"  proto tcp|udp              layer 4 protocol",
	"  sport N, dport N           original source, destination port (1-65535)",
	"  hw, sw                     flows in hardware, in software",
	"",
	"-j prints JSON. Exit status: 0 success, 1 kernel error, 2 usage error,",
	"3 the kernel has no nf-fastpath netlink family.",
};

/* ------------------------------------------------------------------ */
/* command line */

struct fp_filter {
	const char *family, *table, *flowtable;
	uint8_t src[16], dst[16];
	int src_len, dst_len;		/* 0: not given; 4 or 16 */
	int l4proto, sport, dport, where;	/* -1: not given */
};

static const char *cmd_usage;	/* one-line usage of the current command */

static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("nf-fastpath: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (cmd_usage)
		fprintf(stderr, "usage: nf-fastpath %s (see nf-fastpath --help)\n",
			cmd_usage);
	else
		fputs("usage: nf-fastpath COMMAND [ARGS] (see nf-fastpath --help)\n",
		      stderr);
	exit(EXIT_USAGE);
}

static void print_help(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(usage_lines); i++)
		puts(usage_lines[i]);
}

/* Decimal number in [min, max], whole string. */
static int parse_num(const char *s, unsigned long min, unsigned long max,
		     unsigned long *val)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*val = strtoul(s, &end, 10);
	if (errno || *end || *val < min || *val > max)
		return -1;
	return 0;
}

static const char *need_value(int argc, char **argv, int i)
{
	if (i + 1 >= argc)
		usage_error("'%s' needs a value", argv[i]);
	return argv[i + 1];
}

static int parse_addr(const char *word, const char *s, uint8_t *addr)
{
	if (inet_pton(AF_INET, s, addr) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, addr) == 1)
		return 16;
	usage_error("%s: '%s' is not an IPv4 or IPv6 address", word, s);
}

static void check_name(const char *word, const char *s, size_t max)
{
	if (!*s)
		usage_error("%s: empty name", word);
	if (strlen(s) > max)
		usage_error("%s: '%s' is longer than %zu characters", word, s, max);
}

/* FILTER words of argv[first..argc); -j sets *json when json is not NULL. */
static void parse_filter(int argc, char **argv, int first,
			 struct fp_filter *flt, bool *json)
{
	unsigned long v;
	const char *val;
	int i;

	memset(flt, 0, sizeof(*flt));
	flt->l4proto = -1;
	flt->sport = -1;
	flt->dport = -1;
	flt->where = -1;

	for (i = first; i < argc; i++) {
		const char *w = argv[i];

		if (json && !strcmp(w, "-j")) {
			*json = true;
			continue;
		}
		if (!strcmp(w, "hw") || !strcmp(w, "sw")) {
			if (flt->where >= 0)
				usage_error("'hw' and 'sw' given more than once");
			flt->where = !strcmp(w, "hw") ? NF_FASTPATH_WHERE_HW :
							NF_FASTPATH_WHERE_SW;
			continue;
		}
		if (!strcmp(w, "family") || !strcmp(w, "table") ||
		    !strcmp(w, "flowtable") || !strcmp(w, "src") ||
		    !strcmp(w, "dst") || !strcmp(w, "proto") ||
		    !strcmp(w, "sport") || !strcmp(w, "dport"))
			val = need_value(argc, argv, i++);
		else
			usage_error("unknown filter word '%s'", w);

#define ONCE(given) do { if (given) usage_error("'%s' given twice", w); } while (0)
		if (!strcmp(w, "family")) {
			ONCE(flt->family);
			check_name(w, val, 16);
			flt->family = val;
		} else if (!strcmp(w, "table")) {
			ONCE(flt->table);
			check_name(w, val, 256);
			flt->table = val;
		} else if (!strcmp(w, "flowtable")) {
			ONCE(flt->flowtable);
			check_name(w, val, 256);
			flt->flowtable = val;
		} else if (!strcmp(w, "src")) {
			ONCE(flt->src_len);
			flt->src_len = parse_addr(w, val, flt->src);
		} else if (!strcmp(w, "dst")) {
			ONCE(flt->dst_len);
			flt->dst_len = parse_addr(w, val, flt->dst);
		} else if (!strcmp(w, "proto")) {
			ONCE(flt->l4proto >= 0);
			if (!strcmp(val, "tcp"))
				flt->l4proto = IPPROTO_TCP;
			else if (!strcmp(val, "udp"))
				flt->l4proto = IPPROTO_UDP;
			else
				usage_error("proto: '%s' is not tcp or udp", val);
		} else if (!strcmp(w, "sport") || !strcmp(w, "dport")) {
			int *port = w[0] == 's' ? &flt->sport : &flt->dport;

			ONCE(*port >= 0);
			if (parse_num(val, 1, 65535, &v))
				usage_error("%s: '%s' is not a port (1-65535)",
					    w, val);
			*port = v;
		}
#undef ONCE
	}
	if (flt->src_len && flt->dst_len && flt->src_len != flt->dst_len)
		usage_error("src and dst are not of the same address family");
}

/* Only -j among argv[first..argc). */
static bool parse_json_only(int argc, char **argv, int first)
{
	bool json = false;
	int i;

	for (i = first; i < argc; i++) {
		if (strcmp(argv[i], "-j"))
			usage_error("unexpected argument '%s'", argv[i]);
		json = true;
	}
	return json;
}

/* ------------------------------------------------------------------ */
/* netlink */

struct fp_nl {
	struct mnl_socket *sk;
	unsigned int portid;
	unsigned int seq;
	uint16_t family;	/* id of the nf-fastpath family */
	uint32_t mcgrp_flows;	/* id of its "flows" group, 0 if none */
	char *buf;
	/* the extended ack of the last error, if any */
	char ext_msg[512];
	bool has_offs, has_miss;
	uint32_t ext_offs, ext_miss;
	const struct nlmsghdr *req;
	const char *const *attr_names;	/* names of the request's attributes */
	unsigned int attr_max;
};

static const char *const flow_attr_names[NF_FASTPATH_A_FLOW_MAX + 1] = {
	[NF_FASTPATH_A_FLOW_TABLE_FAMILY]	= "table-family",
	[NF_FASTPATH_A_FLOW_TABLE]		= "table",
	[NF_FASTPATH_A_FLOW_FLOWTABLE]		= "flowtable",
	[NF_FASTPATH_A_FLOW_CT_ID]		= "ct-id",
	[NF_FASTPATH_A_FLOW_FILTER_SRC]		= "filter-src",
	[NF_FASTPATH_A_FLOW_FILTER_DST]		= "filter-dst",
	[NF_FASTPATH_A_FLOW_FILTER_L4PROTO]	= "filter-l4proto",
	[NF_FASTPATH_A_FLOW_FILTER_SPORT]	= "filter-sport",
	[NF_FASTPATH_A_FLOW_FILTER_DPORT]	= "filter-dport",
	[NF_FASTPATH_A_FLOW_FILTER_WHERE]	= "filter-where",
};

static const char *const table_attr_names[NF_FASTPATH_A_TABLE_MAX + 1] = {
	[NF_FASTPATH_A_TABLE_TABLE_FAMILY]	= "table-family",
	[NF_FASTPATH_A_TABLE_TABLE]		= "table",
	[NF_FASTPATH_A_TABLE_FLOWTABLE]		= "flowtable",
	[NF_FASTPATH_A_TABLE_REVALIDATE]	= "revalidate",
};

static void __attribute__((noreturn)) die_errno(const char *what)
{
	fprintf(stderr, "nf-fastpath: %s: %s\n", strerror(errno), what);
	exit(EXIT_KERNEL);
}

static const char *attr_name(const struct fp_nl *nl, unsigned int type,
			     char *buf, size_t len)
{
	if (nl->attr_names && type <= nl->attr_max && nl->attr_names[type])
		return nl->attr_names[type];
	snprintf(buf, len, "%u", type);
	return buf;
}

/* "nf-fastpath: <strerror>[: <extack message>][ (attribute X)]" */
static void __attribute__((noreturn)) die_kernel(const struct fp_nl *nl)
{
	int err = errno;
	char num[16];

	fprintf(stderr, "nf-fastpath: %s", strerror(err));
	if (nl->ext_msg[0])
		fprintf(stderr, ": %s", nl->ext_msg);
	if (nl->has_miss)
		fprintf(stderr, " (missing attribute %s)",
			attr_name(nl, nl->ext_miss, num, sizeof(num)));
	/* An offset into our request: name the attribute it points to. */
	if (nl->has_offs && nl->req &&
	    nl->ext_offs >= mnl_nlmsg_size(sizeof(struct genlmsghdr)) &&
	    nl->ext_offs + sizeof(struct nlattr) <= nl->req->nlmsg_len) {
		const struct nlattr *a = (const void *)((const char *)nl->req +
							nl->ext_offs);

		fprintf(stderr, " (attribute %s)",
			attr_name(nl, mnl_attr_get_type(a), num, sizeof(num)));
	}
	fputc('\n', stderr);
	exit(EXIT_KERNEL);
}

static int ext_ack_cb(const struct nlattr *attr, void *data)
{
	struct fp_nl *nl = data;

	switch (mnl_attr_get_type(attr)) {
	case NLMSGERR_ATTR_MSG:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			snprintf(nl->ext_msg, sizeof(nl->ext_msg), "%s",
				 mnl_attr_get_str(attr));
		break;
	case NLMSGERR_ATTR_OFFS:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0) {
			nl->ext_offs = mnl_attr_get_u32(attr);
			nl->has_offs = true;
		}
		break;
	case NLMSGERR_ATTR_MISS_TYPE:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0) {
			nl->ext_miss = mnl_attr_get_u32(attr);
			nl->has_miss = true;
		}
		break;
	}
	return MNL_CB_OK;
}

static void parse_ext_ack(struct fp_nl *nl, const struct nlmsghdr *nlh,
			  size_t offset)
{
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) ||
	    offset > mnl_nlmsg_get_payload_len(nlh))
		return;
	mnl_attr_parse(nlh, offset, ext_ack_cb, nl);
}

struct fp_req {
	struct fp_nl *nl;
	mnl_cb_t cb;
	void *data;
	bool interrupted;
};

static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	struct fp_nl *nl = ((struct fp_req *)data)->nl;
	size_t offset = sizeof(*err);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*err)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		offset += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
	parse_ext_ack(nl, nlh, offset);
	if (err->error == 0) {
		if (nl->ext_msg[0])
			fprintf(stderr, "nf-fastpath: warning: %s\n", nl->ext_msg);
		return MNL_CB_STOP;
	}
	errno = err->error < 0 ? -err->error : err->error;
	return MNL_CB_ERROR;
}

/* End of a dump; a dump that failed half way says so here. */
static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	struct fp_nl *nl = ((struct fp_req *)data)->nl;
	int err;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(int))
		return MNL_CB_STOP;
	memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (err >= 0)
		return MNL_CB_STOP;
	parse_ext_ack(nl, nlh, sizeof(int));
	errno = -err;
	return MNL_CB_ERROR;
}

static int data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct fp_req *req = data;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct genlmsghdr)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if ((nlh->nlmsg_flags & NLM_F_DUMP_INTR) && !req->interrupted) {
		fputs("nf-fastpath: warning: dump interrupted by changes, entries may be missing or repeated\n",
		      stderr);
		req->interrupted = true;
	}
	return req->cb ? req->cb(nlh, req->data) : MNL_CB_OK;
}

static struct nlmsghdr *fp_msg(char *buf, uint16_t type, uint16_t flags,
			       uint8_t cmd, uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

/*
 * Send a request and run cb on each reply message until the ack, the end
 * of the dump or an error. Returns 0, or -1 with errno (and nl's extended
 * ack) set.
 */
static int fp_talk(struct fp_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb,
		   void *data)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR]	= error_cb,
		[NLMSG_DONE]	= done_cb,
	};
	struct fp_req req = { nl, cb, data, false };
	int ret = MNL_CB_OK;
	ssize_t n;

	nl->ext_msg[0] = '\0';
	nl->has_offs = false;
	nl->has_miss = false;
	nl->req = nlh;
	nlh->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sk, nlh, nlh->nlmsg_len) < 0)
		return -1;
	do {
		n = mnl_socket_recvfrom(nl->sk, nl->buf, FP_RECV_SIZE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		ret = mnl_cb_run2(nl->buf, n, nl->seq, nl->portid, data_cb,
				  &req, ctl, NLMSG_MIN_TYPE);
	} while (ret > 0);
	return ret < 0 ? -1 : 0;
}

struct fp_family_info {
	uint16_t id;
	uint32_t mcgrp;
};

static int mcgrp_cb(const struct nlattr *grp, void *data)
{
	struct fp_family_info *info = data;
	const struct nlattr *attr, *name = NULL, *id = NULL;

	if (mnl_attr_validate(grp, MNL_TYPE_NESTED) < 0)
		return MNL_CB_OK;
	mnl_attr_for_each_nested(attr, grp) {
		if (mnl_attr_get_type(attr) == CTRL_ATTR_MCAST_GRP_NAME &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			name = attr;
		else if (mnl_attr_get_type(attr) == CTRL_ATTR_MCAST_GRP_ID &&
			 mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
			id = attr;
	}
	if (name && id && !strcmp(mnl_attr_get_str(name), NF_FASTPATH_MCGRP_FLOWS))
		info->mcgrp = mnl_attr_get_u32(id);
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct fp_family_info *info = data;
	const struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(attr)) {
		case CTRL_ATTR_FAMILY_ID:
			if (mnl_attr_validate(attr, MNL_TYPE_U16) == 0)
				info->id = mnl_attr_get_u16(attr);
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			if (mnl_attr_validate(attr, MNL_TYPE_NESTED) == 0)
				mnl_attr_parse_nested(attr, mcgrp_cb, info);
			break;
		}
	}
	return MNL_CB_OK;
}

static void fp_open(struct fp_nl *nl)
{
	struct fp_family_info info = { 0, 0 };
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int one = 1;

	memset(nl, 0, sizeof(*nl));
	nl->buf = malloc(FP_RECV_SIZE);
	if (!nl->buf)
		die_errno("malloc");
	nl->sk = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sk)
		die_errno("generic netlink socket");
	if (mnl_socket_bind(nl->sk, 0, MNL_SOCKET_AUTOPID) < 0)
		die_errno("generic netlink socket");
	nl->portid = mnl_socket_get_portid(nl->sk);
	/* Kernels without them still answer, only with less detail. */
	mnl_socket_setsockopt(nl->sk, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sk, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->seq = time(NULL);

	nlh = fp_msg(req, GENL_ID_CTRL, NLM_F_ACK, CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, NF_FASTPATH_FAMILY_NAME);
	if (fp_talk(nl, nlh, family_cb, &info) < 0) {
		if (errno == ENOENT) {
			fputs("nf-fastpath: the kernel has no nf-fastpath netlink family (no CONFIG_NF_FASTPATH, or module not loaded)\n",
			      stderr);
			exit(EXIT_NOFAMILY);
		}
		die_kernel(nl);
	}
	if (!info.id) {
		fputs("nf-fastpath: no family id in the kernel's answer\n", stderr);
		exit(EXIT_KERNEL);
	}
	nl->family = info.id;
	nl->mcgrp_flows = info.mcgrp;
}

static struct nlmsghdr *fp_request(struct fp_nl *nl, char *buf, uint8_t cmd,
				   uint16_t flags)
{
	bool table = cmd == NF_FASTPATH_CMD_TABLE_GET ||
		     cmd == NF_FASTPATH_CMD_TABLE_SET;

	nl->attr_names = table ? table_attr_names : flow_attr_names;
	nl->attr_max = table ? NF_FASTPATH_A_TABLE_MAX : NF_FASTPATH_A_FLOW_MAX;
	return fp_msg(buf, nl->family, flags, cmd, NF_FASTPATH_FAMILY_VERSION);
}

static void put_filter(struct nlmsghdr *nlh, const struct fp_filter *flt)
{
	if (flt->family)
		mnl_attr_put_strz(nlh, NF_FASTPATH_A_FLOW_TABLE_FAMILY, flt->family);
	if (flt->table)
		mnl_attr_put_strz(nlh, NF_FASTPATH_A_FLOW_TABLE, flt->table);
	if (flt->flowtable)
		mnl_attr_put_strz(nlh, NF_FASTPATH_A_FLOW_FLOWTABLE, flt->flowtable);
	if (flt->src_len)
		mnl_attr_put(nlh, NF_FASTPATH_A_FLOW_FILTER_SRC, flt->src_len,
			     flt->src);
	if (flt->dst_len)
		mnl_attr_put(nlh, NF_FASTPATH_A_FLOW_FILTER_DST, flt->dst_len,
			     flt->dst);
	if (flt->l4proto >= 0)
		mnl_attr_put_u8(nlh, NF_FASTPATH_A_FLOW_FILTER_L4PROTO,
				flt->l4proto);
	if (flt->sport >= 0)
		mnl_attr_put_u16(nlh, NF_FASTPATH_A_FLOW_FILTER_SPORT,
				 htons(flt->sport));
	if (flt->dport >= 0)
		mnl_attr_put_u16(nlh, NF_FASTPATH_A_FLOW_FILTER_DPORT,
				 htons(flt->dport));
	if (flt->where >= 0)
		mnl_attr_put_u8(nlh, NF_FASTPATH_A_FLOW_FILTER_WHERE, flt->where);
}

/* ------------------------------------------------------------------ */
/* commands */

struct fp_list {
	bool json;
	unsigned int flows;
	struct fp_json j;
};

static int list_cb(const struct nlmsghdr *nlh, void *data)
{
	struct fp_list *l = data;
	struct fp_flow f;

	if (fp_parse_flow(nlh, &f) < 0)
		return MNL_CB_ERROR;
	if (l->json) {
		if (!l->flows)
			fpj_open(&l->j, NULL, '[');
		fpj_open(&l->j, NULL, '{');
		fp_flow_json(&l->j, &f);
		fpj_close(&l->j, '}');
	} else {
		fp_flow_text(stdout, &f);
		putchar('\n');
	}
	l->flows++;
	return MNL_CB_OK;
}

static int cmd_list(int argc, char **argv)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct fp_list l = { .json = false };
	struct fp_filter flt;
	struct nlmsghdr *nlh;
	struct fp_nl nl;
	int ret;

	cmd_usage = "list [-j] [FILTER...]";
	parse_filter(argc, argv, 2, &flt, &l.json);
	fp_open(&nl);
	fpj_init(&l.j, stdout, true);
	nlh = fp_request(&nl, buf, NF_FASTPATH_CMD_FLOW_GET, NLM_F_DUMP);
	put_filter(nlh, &flt);
	ret = fp_talk(&nl, nlh, list_cb, &l);
	/* JSON stays valid even if the dump broke off half way. */
	if (l.json && l.flows) {
		fpj_close(&l.j, ']');
		putchar('\n');
	} else if (l.json && ret == 0) {
		puts("[]");
	}
	if (ret < 0) {
		fflush(stdout);
		die_kernel(&nl);
	}
	return 0;
}

static int get_cb(const struct nlmsghdr *nlh, void *data)
{
	struct fp_list *l = data;
	struct fp_flow f;

	if (fp_parse_flow(nlh, &f) < 0)
		return MNL_CB_ERROR;
	if (l->flows++)
		return MNL_CB_OK;	/* one flow asked, one flow shown */
	if (l->json) {
		fpj_open(&l->j, NULL, '{');
		fp_flow_json(&l->j, &f);
		fpj_close(&l->j, '}');
	} else {
		fp_flow_text(stdout, &f);
	}
	putchar('\n');
	return MNL_CB_OK;
}

static int cmd_get(int argc, char **argv)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct fp_list l = { .json = false };
	const char *id_arg = NULL;
	struct nlmsghdr *nlh;
	unsigned long id;
	struct fp_nl nl;
	int i;

	cmd_usage = "get CT_ID [-j]";
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "-j"))
			l.json = true;
		else if (!id_arg)
			id_arg = argv[i];
		else
			usage_error("unexpected argument '%s'", argv[i]);
	}
	if (!id_arg)
		usage_error("CT_ID missing");
	if (parse_num(id_arg, 0, UINT32_MAX, &id))
		usage_error("'%s' is not a conntrack id (0-%u)", id_arg,
			    UINT32_MAX);

	fp_open(&nl);
	fpj_init(&l.j, stdout, false);
	nlh = fp_request(&nl, buf, NF_FASTPATH_CMD_FLOW_GET, NLM_F_ACK);
	mnl_attr_put_u32(nlh, NF_FASTPATH_A_FLOW_CT_ID, id);
	if (fp_talk(&nl, nlh, get_cb, &l) < 0)
		die_kernel(&nl);
	if (!l.flows) {
		fputs("nf-fastpath: the kernel answered without a flow\n", stderr);
		return EXIT_KERNEL;
	}
	return 0;
}

static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	struct fp_flow f;

	if (fp_parse_flow(nlh, &f) < 0)
		return MNL_CB_ERROR;
	if (f.tb[NF_FASTPATH_A_FLOW_COUNT])
		*(int64_t *)data = mnl_attr_get_u32(f.tb[NF_FASTPATH_A_FLOW_COUNT]);
	return MNL_CB_OK;
}

static int cmd_flush(int argc, char **argv)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct fp_filter flt;
	struct nlmsghdr *nlh;
	int64_t count = -1;
	struct fp_nl nl;

	cmd_usage = "flush [FILTER...]";
	parse_filter(argc, argv, 2, &flt, NULL);
	fp_open(&nl);
	nlh = fp_request(&nl, buf, NF_FASTPATH_CMD_FLOW_DEL, NLM_F_ACK);
	put_filter(nlh, &flt);
	if (fp_talk(&nl, nlh, count_cb, &count) < 0)
		die_kernel(&nl);
	if (count < 0) {
		fputs("nf-fastpath: the kernel answered without a count\n", stderr);
		return EXIT_KERNEL;
	}
	printf("handed_back=%" PRId64 "\n", count);
	return 0;
}

static int cmd_set(int argc, char **argv)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct fp_nl nl;
	uint8_t on;

	cmd_usage = "set FAMILY TABLE FLOWTABLE revalidate on|off";
	if (argc < 7)
		usage_error("set needs FAMILY TABLE FLOWTABLE revalidate on|off");
	if (argc > 7)
		usage_error("unexpected argument '%s'", argv[7]);
	check_name("FAMILY", argv[2], 16);
	check_name("TABLE", argv[3], 256);
	check_name("FLOWTABLE", argv[4], 256);
	if (strcmp(argv[5], "revalidate"))
		usage_error("unknown setting '%s' (only revalidate)", argv[5]);
	if (!strcmp(argv[6], "on"))
		on = 1;
	else if (!strcmp(argv[6], "off"))
		on = 0;
	else
		usage_error("revalidate: '%s' is not on or off", argv[6]);

	fp_open(&nl);
	nlh = fp_request(&nl, buf, NF_FASTPATH_CMD_TABLE_SET, NLM_F_ACK);
	mnl_attr_put_strz(nlh, NF_FASTPATH_A_TABLE_TABLE_FAMILY, argv[2]);
	mnl_attr_put_strz(nlh, NF_FASTPATH_A_TABLE_TABLE, argv[3]);
	mnl_attr_put_strz(nlh, NF_FASTPATH_A_TABLE_FLOWTABLE, argv[4]);
	mnl_attr_put_u8(nlh, NF_FASTPATH_A_TABLE_REVALIDATE, on);
	if (fp_talk(&nl, nlh, NULL, NULL) < 0)
		die_kernel(&nl);
	return 0;
}

struct fp_stats {
	bool json;
	FILE *out;
	struct fp_json j;
};

static int stats_cb(const struct nlmsghdr *nlh, void *data)
{
	struct fp_stats *st = data;
	const struct nlattr *attr;
	const char *name;
	uint64_t value;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) != NF_FASTPATH_A_STATS_COUNTER)
			continue;
		if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0 ||
		    fp_parse_counter(attr, &name, &value)) {
			fputs("nf-fastpath: warning: malformed counter ignored\n",
			      stderr);
			continue;
		}
		if (st->json) {
			fpj_u64(&st->j, name, value);
		} else {
			fp_put_word(st->out, name);
			fprintf(st->out, " %" PRIu64 "\n", value);
		}
	}
	return MNL_CB_OK;
}

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct fp_stats *st = data;
	struct fp_table t;

	if (fp_parse_table(nlh, &t) < 0)
		return MNL_CB_ERROR;
	if (st->json)
		fp_table_json(&st->j, &t);
	else
		fp_table_text(st->out, &t);
	return MNL_CB_OK;
}

static int cmd_stats(int argc, char **argv)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct fp_stats st = { .json = false };
	struct nlmsghdr *nlh;
	struct fp_nl nl;
	char *text = NULL;
	size_t len = 0;

	cmd_usage = "stats [-j]";
	st.json = parse_json_only(argc, argv, 2);
	fp_open(&nl);

	/* Both answers first: nothing printed when either fails. */
	st.out = open_memstream(&text, &len);
	if (!st.out)
		die_errno("open_memstream");
	fpj_init(&st.j, st.out, true);
	if (st.json) {
		fpj_open(&st.j, NULL, '{');
		fpj_open(&st.j, "counters", '{');
	}
	nlh = fp_request(&nl, buf, NF_FASTPATH_CMD_STATS_GET, NLM_F_ACK);
	if (fp_talk(&nl, nlh, stats_cb, &st) < 0)
		die_kernel(&nl);
	if (st.json) {
		fpj_close(&st.j, '}');
		fpj_open(&st.j, "flowtables", '[');
	}
	nlh = fp_request(&nl, buf, NF_FASTPATH_CMD_TABLE_GET, NLM_F_DUMP);
	if (fp_talk(&nl, nlh, table_cb, &st) < 0)
		die_kernel(&nl);
	if (st.json) {
		fpj_close(&st.j, ']');
		fpj_close(&st.j, '}');
		fputc('\n', st.out);
	}
	if (fclose(st.out))
		die_errno("open_memstream");
	fwrite(text, 1, len, stdout);
	free(text);
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	/* every event is flushed as soon as it is printed */
	_exit(0);
}

struct fp_monitor {
	bool json;
	uint16_t family;
};

static int monitor_cb(const struct nlmsghdr *nlh, void *data)
{
	struct fp_monitor *m = data;
	const struct genlmsghdr *genl;
	struct fp_flow f;

	if (nlh->nlmsg_type != m->family ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*genl))
		return MNL_CB_OK;
	genl = mnl_nlmsg_get_payload(nlh);
	if (genl->cmd != NF_FASTPATH_CMD_FLOW_ADD_NTF &&
	    genl->cmd != NF_FASTPATH_CMD_FLOW_DEL_NTF)
		return MNL_CB_OK;
	if (fp_parse_flow(nlh, &f) < 0) {
		fputs("nf-fastpath: warning: malformed event ignored\n", stderr);
		return MNL_CB_OK;
	}
	if (m->json)
		fp_event_json(stdout, genl->cmd, &f);
	else
		fp_event_text(stdout, genl->cmd, &f);
	fflush(stdout);
	return MNL_CB_OK;
}

static int cmd_monitor(int argc, char **argv)
{
	struct fp_monitor m = { .json = false };
	struct sigaction sa;
	int rcvbuf = 4 << 20;
	struct fp_nl nl;
	ssize_t n;

	cmd_usage = "monitor [-j]";
	m.json = parse_json_only(argc, argv, 2);
	fp_open(&nl);
	m.family = nl.family;
	if (!nl.mcgrp_flows) {
		fputs("nf-fastpath: the kernel's nf-fastpath family has no \"flows\" multicast group\n",
		      stderr);
		return EXIT_KERNEL;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* Room for bursts (a flush of many flows); beyond it, ENOBUFS. */
	if (setsockopt(mnl_socket_get_fd(nl.sk), SOL_SOCKET, SO_RCVBUFFORCE,
		       &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(mnl_socket_get_fd(nl.sk), SOL_SOCKET, SO_RCVBUF,
			   &rcvbuf, sizeof(rcvbuf));
	if (mnl_socket_setsockopt(nl.sk, NETLINK_ADD_MEMBERSHIP,
				  &nl.mcgrp_flows, sizeof(nl.mcgrp_flows)) < 0) {
		fprintf(stderr, "nf-fastpath: %s: joining the flows multicast group\n",
			strerror(errno));
		return EXIT_KERNEL;
	}

	for (;;) {
		n = mnl_socket_recvfrom(nl.sk, nl.buf, FP_RECV_SIZE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				fputs("nf-fastpath: warning: events lost (receive buffer full)\n",
				      stderr);
				continue;
			}
			die_errno("receiving events");
		}
		if (mnl_cb_run(nl.buf, n, 0, 0, monitor_cb, &m) < 0)
			fprintf(stderr, "nf-fastpath: warning: %s\n",
				strerror(errno));
	}
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} cmds[] = {
		{ "list", cmd_list },
		{ "get", cmd_get },
		{ "flush", cmd_flush },
		{ "monitor", cmd_monitor },
		{ "stats", cmd_stats },
		{ "set", cmd_set },
	};
	unsigned int i;

	if (argc < 2)
		usage_error("no command given");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		print_help();
		return 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("nf-fastpath %s (netlink family %s version %d)\n",
		       FP_TOOL_VERSION, NF_FASTPATH_FAMILY_NAME,
		       NF_FASTPATH_FAMILY_VERSION);
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc, argv);
	if (argv[1][0] == '-')
		usage_error("unknown option '%s'", argv[1]);
	usage_error("unknown command '%s'", argv[1]);
}
