/* The DNS codec and TSIG against messages captured from nsupdate, kdig, dig
 * and named (tests/data/dns/README), plus hand-made hostile inputs. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dns/wire.h"
#include "dns/client.h"

static const char *capture_secret = "AY/qhkqktD0w5eqN1izgsFY1EEm4TJkP5MoTOqkaXGY=";

struct blob {
	uint8_t data[DNS_MAX_MSG];
	size_t len;
};

static int load(const char *name, struct blob *b)
{
	const char *dir = getenv("AH_TEST_DATA");
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/dns/%s", dir ? dir : "tests/data", name);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		return -1;
	}
	b->len = fread(b->data, 1, sizeof(b->data), f);
	fclose(f);
	return b->len > 0 ? 0 : -1;
}

static int parse_ok(const struct blob *b, struct dns_msg *m)
{
	struct error e = {0};
	int rc = dns_parse(b->data, b->len, m, &e);

	if (rc < 0)
		fprintf(stderr, "parse: %s\n", e.msg);
	return rc;
}

/* The RDATA text of the I-th record of M, or "" (static buffer). */
static const char *rdata(const struct dns_msg *m, size_t i)
{
	static char out[2048];
	char *s = NULL;

	out[0] = '\0';
	if (i < m->nrr && dns_rdata_text(m, &m->rrs[i], &s) == 0) {
		snprintf(out, sizeof(out), "%s", s);
		free(s);
	}
	return out;
}

static const char *owner(const struct dns_msg *m, size_t i)
{
	static char out[DNS_NAME_TEXT];

	out[0] = '\0';
	if (i < m->nrr)
		dns_name_read(m->wire, m->len, m->rrs[i].name_off, true, out, sizeof(out), NULL);
	return out;
}

static void test_names(void)
{
	uint8_t w[DNS_MAX_WIRE_NAME];
	char text[DNS_NAME_TEXT], longname[400];
	int n;

	n = dns_name_to_wire("_acme-challenge.A.test.", w);
	CHECK(n == 24);
	CHECK(n > 0 && memcmp(w, "\x0f_acme-challenge\x01" "A\x04test\x00", 24) == 0);
	CHECK(dns_name_read(w, (size_t)n, 0, false, text, sizeof(text), NULL) == 0);
	CHECK_STR(text, "_acme-challenge.A.test");
	CHECK(dns_name_read(w, (size_t)n, 0, true, text, sizeof(text), NULL) == 0);
	CHECK_STR(text, "_acme-challenge.a.test");
	CHECK(dns_name_to_wire(".", w) == 1 && w[0] == 0);
	CHECK(dns_name_read(w, 1, 0, true, text, sizeof(text), NULL) == 0);
	CHECK_STR(text, ".");
	/* Escapes survive a round trip. */
	n = dns_name_to_wire("a\\.b\\032c\\\\.test", w);
	CHECK(n == 13 && w[0] == 6 && w[2] == '.' && w[4] == ' ' && w[6] == '\\');
	CHECK(dns_name_read(w, (size_t)n, 0, false, text, sizeof(text), NULL) == 0);
	CHECK_STR(text, "a\\.b\\032c\\\\.test");
	/* Empty labels, long labels and long names. */
	CHECK(dns_name_to_wire("a..test", w) < 0);
	CHECK(dns_name_to_wire(".test", w) < 0);
	CHECK(dns_name_to_wire("test..", w) < 0);
	CHECK(dns_name_to_wire("a\\", w) < 0);
	CHECK(dns_name_to_wire("a\\256", w) < 0);
	memset(longname, 'x', 63);
	strcpy(longname + 63, ".test");
	CHECK(dns_name_to_wire(longname, w) == 70);
	memset(longname, 'x', 64);
	strcpy(longname + 64, ".test");
	CHECK(dns_name_to_wire(longname, w) < 0);
	/* 4 labels of 63 = 256 bytes with lengths, plus the root: too long. */
	snprintf(longname, sizeof(longname), "%.63s.%.63s.%.63s.%.63s", w, w, w, w);
	memset(longname, 'y', 63 * 4 + 3);
	longname[63] = longname[127] = longname[191] = '.';
	longname[63 * 4 + 3] = '\0';
	CHECK(dns_name_to_wire(longname, w) < 0);
	longname[63 * 4 + 3 - 2] = '\0'; /* last label 61: 254 bytes + root = 255 */
	CHECK(dns_name_to_wire(longname, w) == 255);

	CHECK(dns_name_equal("A.Test.", "a.test"));
	CHECK(!dns_name_equal("a.test", "b.test"));
	CHECK(dns_name_under("_acme-challenge.x.a.test", "a.test"));
	CHECK(dns_name_under("a.test", "A.TEST."));
	CHECK(!dns_name_under("xa.test", "a.test"));
	CHECK(!dns_name_under("a.test", "x.a.test"));
	CHECK(dns_type_from_name("txt") == DNS_T_TXT);
	CHECK(dns_type_from_name("MX") < 0);
	CHECK_STR(dns_rcode_name(9), "NOTAUTH");
	CHECK_STR(dns_rcode_name(17), "BADKEY");
	CHECK_STR(dns_rcode_name(4000), "UNKNOWN");
}

/* A header with one question, then whatever the caller appends. */
static size_t header(uint8_t *m, uint16_t an)
{
	memset(m, 0, 12);
	m[0] = 0x12;
	m[1] = 0x34;
	m[2] = 0x84;
	m[5] = 1;
	m[7] = (uint8_t)an;
	memcpy(m + 12, "\x01" "a\x04test\x00\x00\x10\x00\x01", 12);
	return 24;
}

static size_t add_txt_rr(uint8_t *m, size_t o, const uint8_t *name, size_t nl)
{
	memcpy(m + o, name, nl);
	o += nl;
	memcpy(m + o, "\x00\x10\x00\x01\x00\x00\x00\x3c\x00\x02\x01x", 12);
	return o + 12;
}

static void test_compression(void)
{
	uint8_t m[128];
	struct dns_msg msg;
	struct error e = {0};
	size_t len;

	/* A good backward pointer to the question name. */
	len = add_txt_rr(m, header(m, 1), (const uint8_t *)"\x03www\xc0\x0c", 6);
	CHECK(dns_parse(m, len, &msg, &e) == 0);
	CHECK_STR(owner(&msg, 0), "www.a.test");
	CHECK_STR(rdata(&msg, 0), "x");
	dns_msg_free(&msg);

	/* A pointer to itself. */
	len = add_txt_rr(m, header(m, 1), (const uint8_t *)"\xc0\x18", 2);
	CHECK(dns_parse(m, len, &msg, &e) < 0);
	/* A pointer forwards. */
	len = add_txt_rr(m, header(m, 1), (const uint8_t *)"\xc0\x30", 2);
	CHECK(dns_parse(m, len, &msg, &e) < 0);
	/* Two labels that point at each other's run: 24 -> 12 is fine, but a
	 * pointer back into the same run loops. */
	len = add_txt_rr(m, header(m, 1), (const uint8_t *)"\x01x\xc0\x18", 4);
	CHECK(dns_parse(m, len, &msg, &e) < 0);
	/* Into the header. */
	len = add_txt_rr(m, header(m, 1), (const uint8_t *)"\xc0\x02", 2);
	CHECK(dns_parse(m, len, &msg, &e) < 0);
	/* Reserved label types 0x40 and 0x80. */
	len = add_txt_rr(m, header(m, 1), (const uint8_t *)"\x41x\x00", 3);
	CHECK(dns_parse(m, len, &msg, &e) < 0);
	/* A label longer than the message. */
	len = add_txt_rr(m, header(m, 1), (const uint8_t *)"\x3f", 1);
	CHECK(dns_parse(m, len, &msg, &e) < 0);
	/* Trailing garbage and counts the data cannot hold. */
	len = add_txt_rr(m, header(m, 1), (const uint8_t *)"\x00", 1);
	CHECK(dns_parse(m, len, &msg, &e) == 0);
	dns_msg_free(&msg);
	m[len] = 0;
	CHECK(dns_parse(m, len + 1, &msg, &e) < 0);
	m[7] = 200;
	CHECK(dns_parse(m, len, &msg, &e) < 0);
	/* A TXT string running past its RDATA. */
	len = add_txt_rr(m, header(m, 1), (const uint8_t *)"\x00", 1);
	m[len - 2] = 5;
	CHECK(dns_parse(m, len, &msg, &e) < 0);
}

/* A chain of pointers, each element one label and a pointer one element
 * back: legal compression, but the expanded name must stay within 255
 * bytes however the pointers are arranged. */
static void test_long_chain(void)
{
	static uint8_t m[1024];
	char text[DNS_NAME_TEXT];
	size_t o = 15, last = 12;

	memset(m, 0, 12);
	memcpy(m + 12, "\x01" "a\x00", 3);
	for (int i = 0; i < 127; i++) {
		m[o] = 1;
		m[o + 1] = 'a';
		m[o + 2] = (uint8_t)(0xc0 | (last >> 8));
		m[o + 3] = (uint8_t)last;
		last = o;
		o += 4;
	}
	/* Element 126 expands to 127 labels: 2 * 127 + 1 = 255 bytes. */
	CHECK(dns_name_read(m, o, last - 4, false, text, sizeof(text), NULL) == 0);
	CHECK(strlen(text) == 127 * 2 - 1);
	/* Element 127 would need 257 bytes. */
	CHECK(dns_name_read(m, o, last, false, text, sizeof(text), NULL) < 0);
	/* A buffer too small for the text is an error, not a truncation. */
	CHECK(dns_name_read(m, o, last - 4, false, text, 100, NULL) < 0);
}

static void test_captures(void)
{
	static struct blob b;
	struct dns_msg m;

	CHECK(load("kdig-soa-udp.resp.bin", &b) == 0);
	CHECK(parse_ok(&b, &m) == 0);
	CHECK(m.rcode == DNS_R_NOERROR && (m.flags & DNS_F_AA) && (m.flags & DNS_F_QR));
	CHECK_STR(m.qname, "a.test");
	CHECK(m.qtype == DNS_T_SOA && m.nrr == 1 && m.rrs[0].type == DNS_T_SOA);
	CHECK_STR(rdata(&m, 0), "ns1.a.test hostmaster.a.test 3 3600 600 86400 60");
	dns_msg_free(&m);

	CHECK(load("kdig-ns-tcp.resp.bin", &b) == 0);
	CHECK(parse_ok(&b, &m) == 0);
	CHECK(m.count[DNS_S_ANSWER] == 2 && m.count[DNS_S_ADDITIONAL] == 2 && m.nrr == 4);
	/* named rotates the RRset; the capture holds whichever order it sent. */
	{
		char first[64];

		snprintf(first, sizeof(first), "%s", rdata(&m, 0));
		CHECK(strcmp(first, "ns1.a.test") == 0 || strcmp(first, "ns2.a.test") == 0);
		CHECK(strncmp(rdata(&m, 1), "ns", 2) == 0 && strcmp(first, rdata(&m, 1)) != 0);
	}
	CHECK_STR(owner(&m, 2), "ns1.a.test");
	CHECK_STR(rdata(&m, 2), "127.0.0.1");
	dns_msg_free(&m);

	CHECK(load("kdig-txt-cname.resp.bin", &b) == 0);
	CHECK(parse_ok(&b, &m) == 0);
	CHECK(m.nrr >= 2 && m.rrs[0].type == DNS_T_CNAME);
	CHECK_STR(owner(&m, 0), "_acme-challenge.cname.a.test");
	CHECK_STR(rdata(&m, 0), "_acme-challenge.target.a.test");
	CHECK(m.nrr >= 2 && m.rrs[1].section == DNS_S_AUTHORITY && m.rrs[1].type == DNS_T_SOA);
	dns_msg_free(&m);

	CHECK(load("kdig-nxdomain.resp.bin", &b) == 0);
	CHECK(parse_ok(&b, &m) == 0);
	CHECK(m.rcode == DNS_R_NXDOMAIN && m.nrr == 1);
	CHECK(m.nrr == 1 && m.rrs[0].section == DNS_S_AUTHORITY);
	CHECK_STR(owner(&m, 0), "a.test");
	dns_msg_free(&m);

	CHECK(load("kdig-txt-multi.resp.bin", &b) == 0);
	CHECK(parse_ok(&b, &m) == 0);
	CHECK_STR(rdata(&m, 0), "v=onetwo");
	dns_msg_free(&m);

	CHECK(load("dig-ns-cookie.resp.bin", &b) == 0);
	CHECK(parse_ok(&b, &m) == 0);
	CHECK(m.has_opt && m.rcode == DNS_R_NOERROR);
	dns_msg_free(&m);

	/* Our query builder writes what kdig writes, except kdig's AD bit. */
	CHECK(load("kdig-edns-txt.req.bin", &b) == 0);
	{
		uint8_t q[512];
		int n = dns_build_query(q, sizeof(q), 0x853c, "_acme-challenge.a.test", DNS_T_TXT, true,
					4096);

		CHECK(n == (int)b.len);
		b.data[3] &= (uint8_t)~0x20;
		CHECK(n == (int)b.len && memcmp(q, b.data, b.len) == 0);
		CHECK(parse_ok(&b, &m) == 0);
		CHECK(m.has_opt && m.edns_udp_size == 4096);
		dns_msg_free(&m);
	}
	CHECK(load("kdig-soa-udp.req.bin", &b) == 0);
	{
		uint8_t q[512];
		int n = dns_build_query(q, sizeof(q), (uint16_t)((b.data[0] << 8) | b.data[1]), "a.test",
					DNS_T_SOA, true, 0);

		b.data[3] &= (uint8_t)~0x20;
		CHECK(n == (int)b.len && memcmp(q, b.data, b.len) == 0);
	}
}

/* Every proper prefix of every capture is rejected. */
static void test_truncation(void)
{
	static const char *const files[] = {
		"kdig-soa-udp.resp.bin", "kdig-ns-tcp.resp.bin", "kdig-txt-cname.resp.bin",
		"nsupdate-add.req.bin",  "nsupdate-add.resp.bin", "dig-ns-cookie.resp.bin",
		"kdig-tsig-query.resp.bin",
	};
	static struct blob b;
	int bad = 0;

	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		CHECK(load(files[f], &b) == 0);
		for (size_t n = 0; n < b.len; n++) {
			struct dns_msg m;
			struct error e = {0};

			if (dns_parse(b.data, n, &m, &e) == 0) {
				fprintf(stderr, "%s: prefix of %zu bytes parsed\n", files[f], n);
				dns_msg_free(&m);
				bad++;
			}
		}
	}
	CHECK(bad == 0);
}

static void test_tsig_captures(void)
{
	static struct blob req, resp;
	struct dns_tsig_key k, wrong, other;
	struct dns_tsig_rr t, tr;
	struct dns_msg mq, mr;
	struct error e = {0};

	CHECK(dns_tsig_key_init(&k, "capture-key", "hmac-sha256", capture_secret, &e) == 0);
	CHECK(dns_tsig_key_init(&wrong, "capture-key", NULL,
				"AAAAqkqktD0w5eqN1izgsFY1EEm4TJkP5MoTOqkaXGY=", &e) == 0);
	CHECK(dns_tsig_key_init(&other, "other-key", "HMAC-SHA256.", capture_secret, &e) == 0);

	/* nsupdate's signed request verifies, and its reply chains to it. */
	CHECK(load("nsupdate-add.req.bin", &req) == 0 && load("nsupdate-add.resp.bin", &resp) == 0);
	CHECK(parse_ok(&req, &mq) == 0 && parse_ok(&resp, &mr) == 0);
	CHECK(mq.opcode == DNS_OP_UPDATE && mq.has_tsig && mr.has_tsig);
	CHECK(dns_tsig_read(&mq, &t) == 0);
	CHECK_STR(t.key_name, "capture-key");
	CHECK_STR(t.alg_name, "hmac-sha256");
	CHECK(t.fudge == 300 && t.mac_len == 32 && t.error == 0);
	CHECK(dns_tsig_verify(&k, &mq, NULL, 0, t.time_signed, NULL) == 0);
	CHECK(dns_tsig_verify(&k, &mq, NULL, 0, t.time_signed + 300, NULL) == 0);
	CHECK(dns_tsig_verify(&k, &mq, NULL, 0, t.time_signed + 301, NULL) == DNS_R_BADTIME);
	CHECK(dns_tsig_verify(&k, &mq, NULL, 0, t.time_signed - 301, NULL) == DNS_R_BADTIME);
	CHECK(dns_tsig_verify(&wrong, &mq, NULL, 0, t.time_signed, NULL) == DNS_R_BADSIG);
	CHECK(dns_tsig_verify(&other, &mq, NULL, 0, t.time_signed, NULL) == DNS_R_BADKEY);
	CHECK(dns_tsig_verify(&k, &mr, t.mac, t.mac_len, t.time_signed, &tr) == 0);
	CHECK(dns_tsig_verify(&k, &mr, NULL, 0, t.time_signed, NULL) == DNS_R_BADSIG);
	CHECK(tr.original_id == mq.id);
	/* A flipped bit in the TXT value breaks the signature. */
	req.data[0x40] ^= 1;
	dns_msg_free(&mq);
	CHECK(parse_ok(&req, &mq) == 0);
	CHECK(dns_tsig_verify(&k, &mq, NULL, 0, t.time_signed, NULL) == DNS_R_BADSIG);
	req.data[0x40] ^= 1;
	dns_msg_free(&mq);
	CHECK(parse_ok(&req, &mq) == 0);

	/* Our builder and signer produce nsupdate's message byte for byte. */
	{
		uint8_t out[1024], mac[DNS_TSIG_MAX_MAC];
		size_t len, mac_len = 0;
		int n = dns_build_update_txt(out, sizeof(out), mq.id, "a.test",
					     "_acme-challenge.a.test", "hello-capture", 60, true);

		CHECK(n > 0 && (size_t)n == mq.rrs[mq.nrr - 1].off);
		len = (size_t)n;
		CHECK(dns_tsig_sign(&k, out, &len, sizeof(out), t.time_signed, mac, &mac_len) == 0);
		CHECK(len == req.len && memcmp(out, req.data, len) == 0);
		CHECK(mac_len == t.mac_len && memcmp(mac, t.mac, mac_len) == 0);
		/* No room for the TSIG record. */
		len = (size_t)n;
		CHECK(dns_tsig_sign(&k, out, &len, (size_t)n + 20, t.time_signed, mac, &mac_len) < 0);
		CHECK(len == (size_t)n);
	}
	dns_msg_free(&mq);
	dns_msg_free(&mr);

	/* The delete: class NONE, TTL 0, and again byte-identical. */
	CHECK(load("nsupdate-delete.req.bin", &req) == 0 && load("nsupdate-delete.resp.bin", &resp) == 0);
	CHECK(parse_ok(&req, &mq) == 0 && parse_ok(&resp, &mr) == 0);
	CHECK(mq.nrr == 2 && mq.rrs[0].rclass == DNS_C_NONE && mq.rrs[0].ttl == 0);
	CHECK(dns_tsig_read(&mq, &t) == 0);
	{
		uint8_t out[1024], mac[DNS_TSIG_MAX_MAC];
		size_t len, mac_len = 0;
		int n = dns_build_update_txt(out, sizeof(out), mq.id, "a.test",
					     "_acme-challenge.a.test", "hello-capture", 60, false);

		len = n > 0 ? (size_t)n : 0;
		CHECK(n > 0 && dns_tsig_sign(&k, out, &len, sizeof(out), t.time_signed, mac, &mac_len) == 0);
		CHECK(len == req.len && memcmp(out, req.data, len) == 0);
	}
	CHECK(dns_tsig_verify(&k, &mr, t.mac, t.mac_len, t.time_signed + 1, NULL) == 0);
	dns_msg_free(&mq);
	dns_msg_free(&mr);

	/* named's unsigned verdicts on a bad secret and an unknown key. */
	CHECK(load("nsupdate-badsig.resp.bin", &resp) == 0);
	CHECK(parse_ok(&resp, &mr) == 0);
	CHECK(mr.rcode == DNS_R_NOTAUTH);
	CHECK(dns_tsig_verify(&k, &mr, NULL, 0, 0, &tr) == DNS_R_BADSIG && tr.error == DNS_R_BADSIG &&
	      tr.mac_len == 0);
	dns_msg_free(&mr);
	CHECK(load("nsupdate-badkey.resp.bin", &resp) == 0);
	CHECK(parse_ok(&resp, &mr) == 0);
	CHECK(mr.rcode == DNS_R_NOTAUTH);
	CHECK(dns_tsig_read(&mr, &tr) == 0 && tr.error == DNS_R_BADKEY);
	CHECK_STR(tr.key_name, "no-such-key");
	CHECK(dns_tsig_verify(&k, &mr, NULL, 0, 0, NULL) == DNS_R_BADKEY);
	dns_msg_free(&mr);
	CHECK(load("kdig-tsig-badalg.resp.bin", &resp) == 0);
	CHECK(parse_ok(&resp, &mr) == 0);
	CHECK(dns_tsig_verify(&k, &mr, NULL, 0, 0, &tr) == DNS_R_BADKEY && tr.error == DNS_R_BADKEY);
	dns_msg_free(&mr);

	/* kdig's signed query and named's signed reply over UDP. */
	CHECK(load("kdig-tsig-query.req.bin", &req) == 0 && load("kdig-tsig-query.resp.bin", &resp) == 0);
	CHECK(parse_ok(&req, &mq) == 0 && parse_ok(&resp, &mr) == 0);
	CHECK(dns_tsig_read(&mq, &t) == 0);
	CHECK(dns_tsig_verify(&k, &mq, NULL, 0, t.time_signed, NULL) == 0);
	CHECK(dns_tsig_verify(&k, &mr, t.mac, t.mac_len, t.time_signed, NULL) == 0);
	CHECK_STR(rdata(&mr, 0), "v=onetwo");
	dns_msg_free(&mq);
	dns_msg_free(&mr);

	dns_tsig_key_wipe(&k);
	dns_tsig_key_wipe(&wrong);
	dns_tsig_key_wipe(&other);
}

static void test_tsig_algorithms(void)
{
	static const char *const algs[] = {"hmac-sha256", "hmac-sha384", "HMAC-SHA512.", "hmac-sha1"};
	static const size_t macs[] = {32, 48, 64, 20};
	struct error e = {0};
	struct dns_tsig_key k;

	CHECK(dns_tsig_alg_parse(NULL) == DNS_TSIG_HMAC_SHA256);
	CHECK(dns_tsig_alg_parse("hmac-sha512.") == DNS_TSIG_HMAC_SHA512);
	CHECK(dns_tsig_alg_parse("hmac-md5.sig-alg.reg.int") < 0);
	CHECK(dns_tsig_key_init(&k, "k", "hmac-md5", capture_secret, &e) < 0);
	CHECK(e.exit_code == EXIT_USAGE && strstr(e.msg, "hmac-md5") != NULL);
	err_clear(&e);
	CHECK(dns_tsig_key_init(&k, "k", NULL, "not base64!", &e) < 0);
	CHECK(strstr(e.msg, "not base64") == NULL && strstr(e.msg, "key k") != NULL);
	err_clear(&e);

	for (size_t i = 0; i < 4; i++) {
		uint8_t buf[1024], mac[DNS_TSIG_MAX_MAC];
		size_t len, mac_len = 0;
		struct dns_msg m;
		struct dns_tsig_rr t;
		int n = dns_build_update_txt(buf, sizeof(buf), 7, "example.org", "_acme-challenge.example.org",
					     "token", 0, true);

		CHECK(dns_tsig_key_init(&k, "Key.Example.", algs[i], capture_secret, &e) == 0);
		len = (size_t)n;
		CHECK(dns_tsig_sign(&k, buf, &len, sizeof(buf), 1700000000, mac, &mac_len) == 0);
		CHECK(mac_len == macs[i]);
		CHECK(dns_parse(buf, len, &m, &e) == 0);
		CHECK(dns_tsig_verify(&k, &m, NULL, 0, 1700000100, &t) == 0);
		CHECK_STR(t.key_name, "key.example");
		CHECK(t.mac_len == macs[i] && t.time_signed == 1700000000);
		dns_msg_free(&m);
		dns_tsig_key_wipe(&k);
	}
}

static void test_builder(void)
{
	uint8_t buf[512];
	struct dns_builder b;
	struct dns_msg m;
	struct error e = {0};
	uint8_t rd[2] = {1, 'v'};
	int n;

	dns_builder_init(&b, buf, sizeof(buf), 1, DNS_F_RD);
	dns_builder_question(&b, "a.test", DNS_T_TXT, DNS_C_IN);
	dns_builder_rr(&b, DNS_S_ANSWER, "x.a.test", DNS_T_TXT, DNS_C_IN, 1, rd, 2);
	dns_builder_rr(&b, DNS_S_ANSWER, "y.X.A.test", DNS_T_TXT, DNS_C_IN, 1, rd, 2);
	dns_builder_rr(&b, DNS_S_AUTHORITY, "other.example", DNS_T_TXT, DNS_C_IN, 1, rd, 2);
	dns_builder_opt(&b, 1232);
	n = dns_builder_finish(&b);
	/* 12 + 12 question + (2+2 name + 12) + (2+2 + 12) + (15 + 12) + 11. */
	CHECK(n == 12 + 12 + 16 + 16 + 27 + 11);
	CHECK(n > 0 && dns_parse(buf, (size_t)n, &m, &e) == 0);
	CHECK_STR(owner(&m, 0), "x.a.test");
	CHECK_STR(owner(&m, 1), "y.x.a.test");
	CHECK_STR(owner(&m, 2), "other.example");
	CHECK(m.has_opt && m.edns_udp_size == 1232);
	dns_msg_free(&m);

	/* Out of order sections and a full buffer fail. */
	dns_builder_init(&b, buf, sizeof(buf), 1, 0);
	dns_builder_rr(&b, DNS_S_AUTHORITY, "a", DNS_T_TXT, DNS_C_IN, 1, rd, 2);
	dns_builder_rr(&b, DNS_S_ANSWER, "a", DNS_T_TXT, DNS_C_IN, 1, rd, 2);
	CHECK(dns_builder_finish(&b) < 0);
	CHECK(dns_build_query(buf, 20, 1, "a.test", DNS_T_TXT, true, 0) < 0);
	CHECK(dns_build_query(buf, sizeof(buf), 1, "a..test", DNS_T_TXT, true, 0) < 0);
	{
		char big[300];

		memset(big, 'x', 256);
		big[256] = '\0';
		CHECK(dns_build_update_txt(buf, sizeof(buf), 1, "a.test", "b.a.test", big, 60, true) < 0);
		big[255] = '\0';
		CHECK(dns_build_update_txt(buf, sizeof(buf), 1, "a.test", "b.a.test", big, 60, true) > 0);
	}
}

/* One UPDATE with many records: every record reads back as given, in
 * order, all additions (class IN, the TTL) or all exact deletions (class
 * NONE, TTL 0), names compressed against the zone; and the failures. */
static void test_update_batch(void)
{
	const char *names[] = {"_acme-challenge.a.test", "_acme-challenge.n1.a.test",
			       "_acme-challenge.A.test.", "_acme-challenge.n2.a.test"};
	const char *txts[] = {"one", "two", "three", ""};
	uint8_t buf[1024];
	struct dns_msg m;
	struct error e = {0};
	int n;

	for (int add = 1; add >= 0; add--) {
		n = dns_build_update_txts(buf, sizeof(buf), 0x4242, "a.test", names, txts, 4, 60, add);
		CHECK(n > 0 && dns_parse(buf, (size_t)n, &m, &e) == 0);
		if (n <= 0 || e.exit_code)
			return;
		CHECK(m.opcode == DNS_OP_UPDATE && m.id == 0x4242);
		CHECK(m.has_question && strcmp(m.qname, "a.test") == 0 && m.qtype == DNS_T_SOA);
		CHECK(m.count[0] == 1 && m.count[1] == 0 && m.count[2] == 4 && m.count[3] == 0);
		for (size_t i = 0; i < m.nrr && i < 4; i++) {
			const struct dns_rr *rr = &m.rrs[i];
			char *v = NULL;

			CHECK(rr->section == DNS_S_AUTHORITY && rr->type == DNS_T_TXT);
			CHECK(rr->rclass == (add ? DNS_C_IN : DNS_C_NONE));
			CHECK(rr->ttl == (add ? 60u : 0u));
			CHECK(dns_name_equal(owner(&m, i), names[i]));
			CHECK(dns_rdata_text(&m, rr, &v) == 0 && v && strcmp(v, txts[i]) == 0);
			free(v);
		}
		dns_msg_free(&m);
	}
	/* Compression: owners end in a pointer to the zone in the question,
	 * and the third is a pointer to the first. 12 header + 12 question +
	 * (16 + 2 + 10 + 4) + (16 + 3 + 2 + 10 + 4) + (2 + 10 + 6) + (16 + 3 +
	 * 2 + 10 + 1). */
	n = dns_build_update_txts(buf, sizeof(buf), 1, "a.test", names, txts, 4, 60, true);
	CHECK(n == 141);
	CHECK(dns_build_update_txts(buf, sizeof(buf), 1, "a.test", names, txts, 0, 60, true) < 0);
	CHECK(dns_build_update_txts(buf, 60, 1, "a.test", names, txts, 4, 60, true) < 0);
	{
		const char *bad_names[] = {"x.a.test", "a..test"};
		char big[300];
		const char *big_txts[] = {"ok", big};

		CHECK(dns_build_update_txts(buf, sizeof(buf), 1, "a.test", bad_names, txts, 2, 60,
					    true) < 0);
		memset(big, 'x', 256);
		big[256] = '\0';
		CHECK(dns_build_update_txts(buf, sizeof(buf), 1, "a.test", names, big_txts, 2, 60,
					    true) < 0);
		big[255] = '\0';
		CHECK(dns_build_update_txts(buf, sizeof(buf), 1, "a.test", names, big_txts, 2, 60,
					    true) > 0);
	}
}

int main(void)
{
	test_names();
	test_compression();
	test_long_chain();
	test_captures();
	test_truncation();
	test_tsig_captures();
	test_tsig_algorithms();
	test_builder();
	test_update_batch();
	return check_done();
}
