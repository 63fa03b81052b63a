// SPDX-License-Identifier: GPL-2.0
/*
 * Offline checks of nf-fastpath's output: flow, event and flowtable
 * messages built here as the kernel would send them, printed as text and
 * JSON and compared with what the documented format says.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>

#include "nf-fastpath.h"

static int failures;

static struct nlmsghdr *msg(char *buf, uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = 42;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = NF_FASTPATH_FAMILY_VERSION;
	return nlh;
}

static void put_tuple(struct nlmsghdr *nlh, int type, const char *src,
		      const char *dst, uint16_t sport, uint16_t dport,
		      uint32_t iif, uint32_t oif, int vlan, uint32_t nat,
		      uint64_t packets, uint64_t bytes)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, type);
	uint8_t addr[16];
	int af = strchr(src, ':') ? AF_INET6 : AF_INET;
	int len = af == AF_INET ? 4 : 16;

	inet_pton(af, src, addr);
	mnl_attr_put(nlh, NF_FASTPATH_A_TUPLE_SRC, len, addr);
	inet_pton(af, dst, addr);
	mnl_attr_put(nlh, NF_FASTPATH_A_TUPLE_DST, len, addr);
	mnl_attr_put_u16(nlh, NF_FASTPATH_A_TUPLE_SPORT, htons(sport));
	mnl_attr_put_u16(nlh, NF_FASTPATH_A_TUPLE_DPORT, htons(dport));
	mnl_attr_put_u32(nlh, NF_FASTPATH_A_TUPLE_IIF, iif);
	mnl_attr_put_u32(nlh, NF_FASTPATH_A_TUPLE_OIF, oif);
	if (vlan >= 0) {
		mnl_attr_put_u16(nlh, NF_FASTPATH_A_TUPLE_VLAN_ID, vlan & 0xfff);
		mnl_attr_put_u16(nlh, NF_FASTPATH_A_TUPLE_VLAN_PROTO,
				 htons(vlan & 0x4000 ? 0x88a8 : 0x8100));
	}
	mnl_attr_put_u32(nlh, NF_FASTPATH_A_TUPLE_NAT, nat);
	mnl_attr_put_u64(nlh, NF_FASTPATH_A_TUPLE_PACKETS, packets);
	mnl_attr_put_u64(nlh, NF_FASTPATH_A_TUPLE_BYTES, bytes);
	mnl_attr_nest_end(nlh, nest);
}

/* A flow: v4 SNAT through lo (1) and an unknown device (9999). */
static struct nlmsghdr *flow_v4(char *buf, uint8_t cmd, bool full)
{
	struct nlmsghdr *nlh = msg(buf, cmd);

	mnl_attr_put_strz(nlh, NF_FASTPATH_A_FLOW_TABLE_FAMILY, "inet");
	mnl_attr_put_strz(nlh, NF_FASTPATH_A_FLOW_TABLE, "filter");
	mnl_attr_put_strz(nlh, NF_FASTPATH_A_FLOW_FLOWTABLE, "ft");
	mnl_attr_put_u32(nlh, NF_FASTPATH_A_FLOW_CT_ID, 123);
	mnl_attr_put_u8(nlh, NF_FASTPATH_A_FLOW_L3PROTO, AF_INET);
	mnl_attr_put_u8(nlh, NF_FASTPATH_A_FLOW_L4PROTO, IPPROTO_TCP);
	put_tuple(nlh, NF_FASTPATH_A_FLOW_ORIG, "10.0.1.2", "10.0.2.2",
		  40000, 5201, 1, 9999, -1,
		  NF_FASTPATH_NAT_SADDR | NF_FASTPATH_NAT_SPORT, 10, 1000);
	put_tuple(nlh, NF_FASTPATH_A_FLOW_REPLY, "10.0.2.2", "10.0.3.1",
		  5201, 40000, 9999, 1, 0x8000 | 0x4000 | 100,
		  NF_FASTPATH_NAT_DADDR | NF_FASTPATH_NAT_DPORT, 8, 600);
	mnl_attr_put_u8(nlh, NF_FASTPATH_A_FLOW_WHERE, NF_FASTPATH_WHERE_SW);
	mnl_attr_put_u64(nlh, NF_FASTPATH_A_FLOW_AGE_MS, 1234);
	if (full) {
		mnl_attr_put_strz(nlh, NF_FASTPATH_A_FLOW_HW_REFUSAL,
				  "no \"rule\"\tfor it");
		mnl_attr_put_u64(nlh, NF_FASTPATH_A_FLOW_IDLE_MS, 10);
		mnl_attr_put_u64(nlh, NF_FASTPATH_A_FLOW_TIMEOUT_MS, 29990);
		mnl_attr_put_u8(nlh, NF_FASTPATH_A_FLOW_CURRENT, 1);
	} else {
		mnl_attr_put_u32(nlh, NF_FASTPATH_A_FLOW_REASON,
				 NF_FASTPATH_REASON_CT_DYING);
	}
	/* unknown attribute of a newer kernel; a malformed ct-id duplicate */
	mnl_attr_put_u32(nlh, NF_FASTPATH_A_FLOW_MAX + 5, 7);
	mnl_attr_put_u8(nlh, NF_FASTPATH_A_FLOW_CT_ID, 9);
	return nlh;
}

/* A v6 UDP DNAT flow, hardware, not current, unknown l4 number absent. */
static struct nlmsghdr *flow_v6(char *buf)
{
	struct nlmsghdr *nlh = msg(buf, NF_FASTPATH_CMD_FLOW_GET);

	mnl_attr_put_strz(nlh, NF_FASTPATH_A_FLOW_TABLE_FAMILY, "ip6");
	mnl_attr_put_strz(nlh, NF_FASTPATH_A_FLOW_TABLE, "t\xc3\xa9st\xff");
	mnl_attr_put_strz(nlh, NF_FASTPATH_A_FLOW_FLOWTABLE, "f t");
	mnl_attr_put_u32(nlh, NF_FASTPATH_A_FLOW_CT_ID, 4294967295U);
	mnl_attr_put_u8(nlh, NF_FASTPATH_A_FLOW_L3PROTO, AF_INET6);
	mnl_attr_put_u8(nlh, NF_FASTPATH_A_FLOW_L4PROTO, IPPROTO_UDP);
	put_tuple(nlh, NF_FASTPATH_A_FLOW_ORIG, "2001:db8::1", "2001:db8:1::2",
		  53, 65535, 1, 1, 5, NF_FASTPATH_NAT_DADDR, 0, 0);
	put_tuple(nlh, NF_FASTPATH_A_FLOW_REPLY, "2001:db8:2::2", "2001:db8::1",
		  65535, 53, 1, 1, -1, NF_FASTPATH_NAT_SADDR,
		  18446744073709551615ULL, 1);
	mnl_attr_put_u8(nlh, NF_FASTPATH_A_FLOW_WHERE, NF_FASTPATH_WHERE_HW);
	mnl_attr_put_u64(nlh, NF_FASTPATH_A_FLOW_AGE_MS, 0);
	mnl_attr_put_u64(nlh, NF_FASTPATH_A_FLOW_IDLE_MS, 999);
	mnl_attr_put_u64(nlh, NF_FASTPATH_A_FLOW_TIMEOUT_MS, 1000);
	mnl_attr_put_u8(nlh, NF_FASTPATH_A_FLOW_CURRENT, 0);
	return nlh;
}

static void expect(const char *what, char *got, const char *want)
{
	if (strcmp(got, want)) {
		printf("not ok - %s\n# got:  %s\n# want: %s\n", what, got, want);
		failures++;
	} else {
		printf("ok - %s\n", what);
	}
	free(got);
}

/* Events: the start of the line, and one line ending with the object. */
static void expect_event(const char *what, char *got, const char *want)
{
	size_t len = strlen(got);

	if (len < 2 || strcmp(got + len - 2, "}\n") ||
	    strchr(got, '\n') != got + len - 1)
		got[0] = '\0';
	else if (!strncmp(got, want, strlen(want)))
		got[strlen(want)] = '\0';
	expect(what, got, want);
}

static char *flow_text(const struct nlmsghdr *nlh)
{
	struct fp_flow f;
	char *s = NULL;
	size_t len;
	FILE *out = open_memstream(&s, &len);

	if (fp_parse_flow(nlh, &f))
		fputs("parse error", out);
	else
		fp_flow_text(out, &f);
	fclose(out);
	return s;
}

static char *flow_json(const struct nlmsghdr *nlh)
{
	struct fp_flow f;
	struct fp_json j;
	char *s = NULL;
	size_t len;
	FILE *out = open_memstream(&s, &len);

	fpj_init(&j, out, false);
	if (fp_parse_flow(nlh, &f)) {
		fputs("parse error", out);
	} else {
		fpj_open(&j, NULL, '{');
		fp_flow_json(&j, &f);
		fpj_close(&j, '}');
	}
	fclose(out);
	return s;
}

static char *event(const struct nlmsghdr *nlh, bool json)
{
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);
	struct fp_flow f;
	char *s = NULL;
	size_t len;
	FILE *out = open_memstream(&s, &len);

	if (fp_parse_flow(nlh, &f))
		fputs("parse error", out);
	else if (json)
		fp_event_json(out, genl->cmd, &f);
	else
		fp_event_text(out, genl->cmd, &f);
	fclose(out);
	return s;
}

static struct nlmsghdr *table(char *buf, bool hw)
{
	struct nlmsghdr *nlh = msg(buf, NF_FASTPATH_CMD_TABLE_GET);
	struct nlattr *nest;

	mnl_attr_put_strz(nlh, NF_FASTPATH_A_TABLE_TABLE_FAMILY, "inet");
	mnl_attr_put_strz(nlh, NF_FASTPATH_A_TABLE_TABLE, "filter");
	mnl_attr_put_strz(nlh, NF_FASTPATH_A_TABLE_FLOWTABLE, "ft");
	mnl_attr_put_u32(nlh, NF_FASTPATH_A_TABLE_FLOWS, 3);
	mnl_attr_put_u8(nlh, NF_FASTPATH_A_TABLE_REVALIDATE, !hw);
	if (!hw)
		return nlh;
	mnl_attr_put_u32(nlh, NF_FASTPATH_A_TABLE_HW_FLOWS, 2);
	nest = mnl_attr_nest_start(nlh, NF_FASTPATH_A_TABLE_HW_COUNTER);
	mnl_attr_put_strz(nlh, NF_FASTPATH_A_COUNTER_NAME, "hw_add");
	mnl_attr_put_u64(nlh, NF_FASTPATH_A_COUNTER_VALUE, 5);
	mnl_attr_nest_end(nlh, nest);
	nest = mnl_attr_nest_start(nlh, NF_FASTPATH_A_TABLE_HW_COUNTER);
	mnl_attr_put_strz(nlh, NF_FASTPATH_A_COUNTER_NAME, "hw_refused");
	mnl_attr_put_u64(nlh, NF_FASTPATH_A_COUNTER_VALUE, 1);
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_put_strz(nlh, NF_FASTPATH_A_TABLE_HW_LAST_ERROR,
			  "rule \"x\" refused\n");
	return nlh;
}

static char *table_out(const struct nlmsghdr *nlh, bool json)
{
	struct fp_table t;
	struct fp_json j;
	char *s = NULL;
	size_t len;
	FILE *out = open_memstream(&s, &len);

	fpj_init(&j, out, false);
	if (fp_parse_table(nlh, &t))
		fputs("parse error", out);
	else if (json)
		fp_table_json(&j, &t);
	else
		fp_table_text(out, &t);
	fclose(out);
	return s;
}

int main(void)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	fputs("# warnings about a malformed flow attribute 4 are expected\n",
	      stderr);

	expect("v4 flow, text",
	       flow_text(flow_v4(buf, NF_FASTPATH_CMD_FLOW_GET, true)),
	       "family=inet table=filter flowtable=ft proto=tcp ct_id=123 "
	       "src=10.0.1.2 dst=10.0.2.2 sport=40000 dport=5201 iif=lo "
	       "oif=9999 packets=10 bytes=1000 rsrc=10.0.2.2 rdst=10.0.3.1 "
	       "rsport=5201 rdport=40000 riif=9999 roif=lo rvlan=100 "
	       "rpackets=8 rbytes=600 nat=snat where=sw "
	       "hw_refusal=no_\"rule\"_for_it age=1.234 idle=0.010 "
	       "timeout=29.990 current=yes");
	expect("v4 flow, JSON",
	       flow_json(flow_v4(buf, NF_FASTPATH_CMD_FLOW_GET, true)),
	       "{\"family\":\"inet\",\"table\":\"filter\",\"flowtable\":\"ft\","
	       "\"ct_id\":123,\"l3proto\":\"ipv4\",\"proto\":\"tcp\","
	       "\"orig\":{\"src\":\"10.0.1.2\",\"dst\":\"10.0.2.2\","
	       "\"sport\":40000,\"dport\":5201,\"iif\":\"lo\",\"iif_index\":1,"
	       "\"oif\":null,\"oif_index\":9999,\"vlan\":null,"
	       "\"vlan_proto\":null,"
	       "\"nat\":[\"saddr\",\"sport\"],\"packets\":10,\"bytes\":1000},"
	       "\"reply\":{\"src\":\"10.0.2.2\",\"dst\":\"10.0.3.1\","
	       "\"sport\":5201,\"dport\":40000,\"iif\":null,\"iif_index\":9999,"
	       "\"oif\":\"lo\",\"oif_index\":1,\"vlan\":100,"
	       "\"vlan_proto\":\"802.1ad\","
	       "\"nat\":[\"daddr\",\"dport\"],\"packets\":8,\"bytes\":600},"
	       "\"nat\":\"snat\",\"where\":\"sw\","
	       "\"hw_refusal\":\"no \\\"rule\\\"\\u0009for it\","
	       "\"age_ms\":1234,\"idle_ms\":10,\"timeout_ms\":29990,"
	       "\"current\":true}");
	expect("v6 flow, text", flow_text(flow_v6(buf)),
	       "family=ip6 table=t\xc3\xa9st\xff flowtable=f_t proto=udp "
	       "ct_id=4294967295 src=2001:db8::1 dst=2001:db8:1::2 sport=53 "
	       "dport=65535 iif=lo oif=lo vlan=5 packets=0 bytes=0 "
	       "rsrc=2001:db8:2::2 rdst=2001:db8::1 rsport=65535 rdport=53 "
	       "riif=lo roif=lo rpackets=18446744073709551615 rbytes=1 "
	       "nat=dnat where=hw age=0.000 idle=0.999 timeout=1.000 "
	       "current=no");
	expect("v6 flow, JSON", flow_json(flow_v6(buf)),
	       "{\"family\":\"ip6\",\"table\":\"t\xc3\xa9st\\ufffd\","
	       "\"flowtable\":\"f t\",\"ct_id\":4294967295,\"l3proto\":\"ipv6\","
	       "\"proto\":\"udp\",\"orig\":{\"src\":\"2001:db8::1\","
	       "\"dst\":\"2001:db8:1::2\",\"sport\":53,\"dport\":65535,"
	       "\"iif\":\"lo\",\"iif_index\":1,\"oif\":\"lo\",\"oif_index\":1,"
	       "\"vlan\":5,\"vlan_proto\":\"802.1Q\",\"nat\":[\"daddr\"],"
	       "\"packets\":0,\"bytes\":0},"
	       "\"reply\":{\"src\":\"2001:db8:2::2\",\"dst\":\"2001:db8::1\","
	       "\"sport\":65535,\"dport\":53,\"iif\":\"lo\",\"iif_index\":1,"
	       "\"oif\":\"lo\",\"oif_index\":1,\"vlan\":null,"
	       "\"vlan_proto\":null,"
	       "\"nat\":[\"saddr\"],\"packets\":18446744073709551615,"
	       "\"bytes\":1},\"nat\":\"dnat\",\"where\":\"hw\","
	       "\"hw_refusal\":null,\"age_ms\":0,\"idle_ms\":999,"
	       "\"timeout_ms\":1000,\"current\":false}");
	expect("del event, text",
	       event(flow_v4(buf, NF_FASTPATH_CMD_FLOW_DEL_NTF, false), false),
	       "del reason=ct-dying family=inet table=filter flowtable=ft "
	       "proto=tcp ct_id=123 src=10.0.1.2 dst=10.0.2.2 sport=40000 "
	       "dport=5201 iif=lo oif=9999 packets=10 bytes=1000 "
	       "rsrc=10.0.2.2 rdst=10.0.3.1 rsport=5201 rdport=40000 "
	       "riif=9999 roif=lo rvlan=100 rpackets=8 rbytes=600 nat=snat "
	       "where=sw age=1.234 idle=- timeout=- current=-\n");
	expect_event("add event, JSON",
		     event(flow_v4(buf, NF_FASTPATH_CMD_FLOW_ADD_NTF, true), true),
	       "{\"event\":\"add\",\"family\":\"inet\",\"table");
	expect_event("del event, JSON",
		     event(flow_v4(buf, NF_FASTPATH_CMD_FLOW_DEL_NTF, false), true),
	       "{\"event\":\"del\",\"reason\":\"ct-dying\",\"family\":\"inet\",\"t");
	expect("flowtable, text", table_out(table(buf, false), false),
	       "flowtable family=inet table=filter name=ft flows=3 "
	       "revalidate=on\n");
	expect("hw flowtable, text", table_out(table(buf, true), false),
	       "flowtable family=inet table=filter name=ft flows=3 "
	       "revalidate=off hw_flows=2 hw_add=5 hw_refused=1 "
	       "hw_last_error=\"rule \\\"x\\\" refused \"\n");
	expect("flowtable, JSON", table_out(table(buf, false), true),
	       "{\"family\":\"inet\",\"table\":\"filter\",\"name\":\"ft\","
	       "\"flows\":3,\"revalidate\":true,\"hw_counters\":{},"
	       "\"hw_last_error\":null}");
	expect("hw flowtable, JSON", table_out(table(buf, true), true),
	       "{\"family\":\"inet\",\"table\":\"filter\",\"name\":\"ft\","
	       "\"flows\":3,\"revalidate\":false,\"hw_flows\":2,"
	       "\"hw_counters\":{\"hw_add\":5,\"hw_refused\":1},"
	       "\"hw_last_error\":\"rule \\\"x\\\" refused\\u000a\"}");
	expect("empty flow message, text",
	       flow_text(msg(buf, NF_FASTPATH_CMD_FLOW_GET)),
	       "family=- table=- flowtable=- proto=- ct_id=- src=- dst=- "
	       "sport=- dport=- iif=- oif=- packets=- bytes=- rsrc=- rdst=- "
	       "rsport=- rdport=- riif=- roif=- rpackets=- rbytes=- nat=none "
	       "where=- age=- idle=- timeout=- current=-");
	printf("%s\n", failures ? "FAILED" : "all output checks passed");
	return failures ? 1 : 0;
}
