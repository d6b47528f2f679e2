/* The DNS message parser and TSIG verification on arbitrary bytes. A
 * message that parses must be usable: every owner name reads back, its text
 * re-encodes to the same name, every record's data either presents or is a
 * type we do not present, and TSIG verification (with a fixed key, as a
 * request and as a reply) returns one of its documented verdicts.
 *
 * The same bytes, split at NUL bytes into a zone and (name, value) pairs,
 * build an UPDATE with many records: when it builds it must parse back to
 * exactly those records, in order; when it does not, a name or the zone is
 * not a name or a value is over 255 bytes. */
#include <stdbool.h>

#include "dns/wire.h"
#include "fuzz_util.h"

/* The key of tests/data/dns/README, so captured signed messages in the
 * corpus reach the MAC comparison. */
static const char *const key_b64 = "AY/qhkqktD0w5eqN1izgsFY1EEm4TJkP5MoTOqkaXGY=";

static bool verdict_ok(int v)
{
	return v == -1 || v == 0 || (v >= DNS_R_BADSIG && v <= 0xFFFF);
}

static void check_name(const uint8_t *wire, size_t len, size_t off)
{
	char text[DNS_NAME_TEXT], again[DNS_NAME_TEXT];
	uint8_t w[DNS_MAX_WIRE_NAME];
	size_t next = 0;
	int n;

	if (dns_name_read(wire, len, off, false, text, sizeof(text), &next) < 0)
		abort(); /* the parser accepted this name */
	if (next <= off || next > len)
		abort();
	n = dns_name_to_wire(text, w);
	if (n < 1)
		abort();
	if (dns_name_read(w, (size_t)n, 0, false, again, sizeof(again), NULL) < 0 ||
	    strcmp(text, again) != 0)
		abort();
	if (!dns_name_equal(text, again))
		abort();
}

enum { MAX_PAIRS = 64 };

/* Split the input at NUL bytes: the zone, then names and values in turn. */
static size_t split(char *text, size_t size, const char **zone, const char **names,
		    const char **txts)
{
	const char *parts[2 * MAX_PAIRS + 1];
	size_t np = 0, n;

	for (size_t off = 0; off <= size && np < 2 * MAX_PAIRS + 1;) {
		parts[np++] = text + off;
		off += strlen(text + off) + 1;
	}
	*zone = parts[0];
	n = (np - 1) / 2;
	for (size_t i = 0; i < n; i++) {
		names[i] = parts[1 + 2 * i];
		txts[i] = parts[2 + 2 * i];
	}
	return n;
}

static bool is_name(const char *s)
{
	uint8_t w[DNS_MAX_WIRE_NAME];

	return dns_name_to_wire(s, w) > 0;
}

static void check_update_batch(const uint8_t *data, size_t size)
{
	static uint8_t buf[DNS_MAX_MSG];
	const char *zone, *names[MAX_PAIRS], *txts[MAX_PAIRS];
	char *text = fuzz_cstr(data, size);
	struct dns_msg m;
	struct error e = {0};
	size_t n;
	bool add = size % 2 == 0, valid;
	int len;

	/* fuzz_cstr ends the text at SIZE; the NULs inside stay separators. */
	n = split(text, size, &zone, names, txts);
	valid = n > 0 && is_name(zone);
	for (size_t i = 0; i < n; i++)
		valid = valid && is_name(names[i]) && strlen(txts[i]) <= 255;
	len = dns_build_update_txts(buf, sizeof(buf), 7, zone, names, txts, n, 60, add);
	if ((len > 0) != valid)
		abort();
	if (len > 0) {
		if (dns_parse(buf, (size_t)len, &m, &e) < 0 || m.opcode != DNS_OP_UPDATE ||
		    !m.has_question || !dns_name_equal(m.qname, zone) || m.nrr != n ||
		    m.count[DNS_S_AUTHORITY] != n)
			abort();
		for (size_t i = 0; i < n; i++) {
			const struct dns_rr *rr = &m.rrs[i];
			char owner[DNS_NAME_TEXT], *v = NULL;

			if (rr->type != DNS_T_TXT || rr->rclass != (add ? DNS_C_IN : DNS_C_NONE) ||
			    rr->ttl != (add ? 60u : 0u) ||
			    dns_name_read(buf, (size_t)len, rr->name_off, false, owner, sizeof(owner),
					  NULL) < 0 ||
			    !dns_name_equal(owner, names[i]) || dns_rdata_text(&m, rr, &v) < 0 ||
			    strcmp(v, txts[i]) != 0)
				abort();
			free(v);
		}
		dns_msg_free(&m);
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_msg m;
	struct error e = {0};
	struct dns_tsig_key k;
	struct dns_tsig_rr t;
	uint8_t mac[DNS_TSIG_MAX_MAC] = {0};
	int v;

	check_update_batch(data, size);
	/* Names at every offset of the raw input must never crash. */
	for (size_t off = 0; off < size && off < 64; off++) {
		char text[DNS_NAME_TEXT];

		(void)dns_name_read(data, size, off, true, text, sizeof(text), NULL);
	}
	if (dns_parse(data, size, &m, &e) < 0) {
		if (!e.exit_code)
			abort(); /* failures must say why */
		return 0;
	}
	if (m.len != size || m.nrr != (size_t)m.count[1] + m.count[2] + m.count[3])
		abort();
	if (m.has_question)
		(void)dns_name_to_wire(m.qname, (uint8_t[DNS_MAX_WIRE_NAME]){0});
	for (size_t i = 0; i < m.nrr; i++) {
		const struct dns_rr *rr = &m.rrs[i];
		char *s = NULL;

		if (rr->rdata_off + rr->rdlen > size)
			abort();
		check_name(data, size, rr->name_off);
		if (dns_rdata_text(&m, rr, &s) == 0) {
			if (!s)
				abort();
			free(s);
		} else if (rr->rdlen > 0 &&
			   (rr->type == DNS_T_A || rr->type == DNS_T_AAAA || rr->type == DNS_T_NS ||
			    rr->type == DNS_T_CNAME || rr->type == DNS_T_DNAME || rr->type == DNS_T_SOA ||
			    rr->type == DNS_T_TXT)) {
			abort(); /* the parser checked these */
		}
	}
	if (dns_tsig_key_init(&k, "capture-key", "hmac-sha256", key_b64, &e) < 0)
		abort();
	v = dns_tsig_verify(&k, &m, NULL, 0, 1795884208, &t);
	if (!verdict_ok(v))
		abort();
	/* A TSIG record that does not read cannot verify. */
	if (dns_tsig_read(&m, &t) < 0 && v != -1)
		abort();
	v = dns_tsig_verify(&k, &m, mac, sizeof(mac), 1795884208, NULL);
	if (!verdict_ok(v))
		abort();
	if (!m.has_tsig && v != -1)
		abort();
	dns_tsig_key_wipe(&k);
	dns_msg_free(&m);
	return 0;
}
