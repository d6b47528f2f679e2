/* The DNS message parser and TSIG verification on arbitrary bytes. A
 * message that parses must be usable: every owner name reads back, its text
 * re-encodes to the same name, every record's data either presents or is a
 * type we do not present, and TSIG verification (with a fixed key, as a
 * request and as a reply) returns one of its documented verdicts. */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_msg m;
	struct error e = {0};
	struct dns_tsig_key k;
	struct dns_tsig_rr t;
	uint8_t mac[DNS_TSIG_MAX_MAC] = {0};
	int v;

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
