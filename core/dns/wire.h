/* The DNS wire format (RFC 1035, RFC 2136 UPDATE, RFC 6891 EDNS0, RFC 8945
 * TSIG), without sockets.
 *
 * Everything here reads bytes a server sent, so the parser is strict and
 * bounds-checked and is fuzzed (tests/fuzz/fuzz_dns.c): compression pointers
 * must point backwards, a name is at most 255 bytes on the wire and a label
 * at most 63, and a message with bytes left over or records running past its
 * end is rejected as a whole.
 */
#ifndef ACMEHOOK_DNS_H
#define ACMEHOOK_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

enum {
	DNS_MAX_MSG = 65535,        /* TCP length prefix bound, also our receive cap */
	DNS_MAX_WIRE_NAME = 255,    /* RFC 1035 §3.1 */
	DNS_MAX_LABEL = 63,
	DNS_NAME_TEXT = 1024,       /* presentation buffer: 255 wire bytes escaped as \DDD fit */
	DNS_HEADER_LEN = 12,
	DNS_EDNS_UDP_SIZE = 4096,
};

enum dns_type {
	DNS_T_A = 1, DNS_T_NS = 2, DNS_T_CNAME = 5, DNS_T_SOA = 6, DNS_T_TXT = 16,
	DNS_T_AAAA = 28, DNS_T_DNAME = 39, DNS_T_OPT = 41, DNS_T_TSIG = 250, DNS_T_ANY = 255,
};

enum dns_class { DNS_C_IN = 1, DNS_C_NONE = 254, DNS_C_ANY = 255 };

enum dns_opcode { DNS_OP_QUERY = 0, DNS_OP_UPDATE = 5 };

/* Header flag bits (the 16-bit word after the ID). */
enum {
	DNS_F_QR = 0x8000, DNS_F_AA = 0x0400, DNS_F_TC = 0x0200, DNS_F_RD = 0x0100,
	DNS_F_RA = 0x0080,
};

enum dns_rcode {
	DNS_R_NOERROR = 0, DNS_R_FORMERR = 1, DNS_R_SERVFAIL = 2, DNS_R_NXDOMAIN = 3,
	DNS_R_NOTIMP = 4, DNS_R_REFUSED = 5, DNS_R_YXDOMAIN = 6, DNS_R_YXRRSET = 7,
	DNS_R_NXRRSET = 8, DNS_R_NOTAUTH = 9, DNS_R_NOTZONE = 10,
	DNS_R_BADSIG = 16, DNS_R_BADKEY = 17, DNS_R_BADTIME = 18, DNS_R_BADMODE = 19,
	DNS_R_BADNAME = 20, DNS_R_BADALG = 21, DNS_R_BADTRUNC = 22, DNS_R_BADCOOKIE = 23,
};

/* Sections in message order; UPDATE calls them zone, prerequisite, update
 * and additional (RFC 2136 §2). */
enum dns_section { DNS_S_QUESTION = 0, DNS_S_ANSWER = 1, DNS_S_AUTHORITY = 2, DNS_S_ADDITIONAL = 3 };

/* One resource record, pointing into the parsed message's bytes. */
struct dns_rr {
	enum dns_section section;
	size_t off;          /* where the record starts (its owner name) */
	size_t name_off;     /* the owner name, possibly compressed */
	uint16_t type;
	uint16_t rclass;
	uint32_t ttl;
	size_t rdata_off;
	uint16_t rdlen;
};

/* A parsed message. WIRE is borrowed from the caller and must outlive it. */
struct dns_msg {
	const uint8_t *wire;
	size_t len;
	uint16_t id;
	uint16_t flags;      /* as on the wire; rcode in the low 4 bits */
	int opcode;
	int rcode;           /* full rcode: the header's 4 bits plus EDNS0's upper 8 */
	uint16_t count[4];   /* QD, AN, NS, AR */
	/* The first question (UPDATE: the zone), when QDCOUNT is 1. */
	bool has_question;
	char qname[DNS_NAME_TEXT];   /* presentation, as sent (case kept), no final dot */
	uint16_t qtype, qclass;
	struct dns_rr *rrs;  /* owned: every non-question record, in order */
	size_t nrr;
	bool has_opt;
	uint16_t edns_udp_size;
	bool has_tsig;       /* then it is the last record (rrs[nrr - 1]) */
};

/* Parse LEN bytes at WIRE into M (which then borrows WIRE). Rejects
 * truncated data, trailing bytes, QDCOUNT > 1, more than one OPT, OPT
 * outside the additional section, and TSIG anywhere but last. Returns 0, or
 * -1 with E describing the first fault. */
int dns_parse(const uint8_t *wire, size_t len, struct dns_msg *m, struct error *e);
void dns_msg_free(struct dns_msg *m);

/* Decode the (possibly compressed) name at OFF into OUT as presentation
 * text without the final dot ("." for the root); '.', '\\' and bytes outside
 * 0x21..0x7e are escaped as "\." "\\" "\DDD". LOWER folds ASCII to lower
 * case. *NEXT (may be NULL) gets the offset after the name as stored.
 * Returns 0 or -1 (malformed, pointer loop or forward pointer, too long). */
int dns_name_read(const uint8_t *wire, size_t len, size_t off, bool lower, char *out,
		  size_t cap, size_t *next);

/* Encode presentation text NAME (final dot optional, escapes allowed) as
 * uncompressed wire bytes. Returns the length (1..255) or -1. */
int dns_name_to_wire(const char *name, uint8_t out[DNS_MAX_WIRE_NAME]);

/* Case-insensitive equality of two presentation names, ignoring a final
 * dot on either. */
bool dns_name_equal(const char *a, const char *b);

/* True when NAME equals ZONE or lies below it. */
bool dns_name_under(const char *name, const char *zone);

/* The RDATA of RR in presentation form as dns_client.h documents it (TXT:
 * the strings concatenated; NS/CNAME/DNAME: the name lower-cased; SOA: seven
 * fields; A/AAAA: addresses). OUT is malloc'd. Returns 0 or -1 (malformed
 * RDATA or a type we do not present). */
int dns_rdata_text(const struct dns_msg *m, const struct dns_rr *rr, char **out);

/* The type number for "TXT", "A", ... (case-insensitive), or -1. */
int dns_type_from_name(const char *s);
const char *dns_type_name(int type);

/* Builds a message into a caller-supplied buffer. Sections must be added in
 * order; names in owner fields are compressed against earlier ones. Any
 * failure (no room, bad name) sticks, and dns_builder_finish reports it. */
struct dns_builder {
	uint8_t *buf;
	size_t cap;
	size_t len;
	uint16_t count[4];
	enum dns_section section;
	size_t names[64];    /* offsets of labels already written, for compression */
	size_t nnames;
	bool failed;
};

void dns_builder_init(struct dns_builder *b, uint8_t *buf, size_t cap, uint16_t id,
		      uint16_t flags);
void dns_builder_question(struct dns_builder *b, const char *name, uint16_t type,
			  uint16_t rclass);
void dns_builder_rr(struct dns_builder *b, enum dns_section s, const char *name, uint16_t type,
		    uint16_t rclass, uint32_t ttl, const uint8_t *rdata, uint16_t rdlen);
/* An EDNS0 OPT record advertising UDP_SIZE, no options, DO clear. */
void dns_builder_opt(struct dns_builder *b, uint16_t udp_size);
/* Returns the message length, or -1 when anything failed. */
int dns_builder_finish(struct dns_builder *b);

/* A standard query for NAME/TYPE, class IN, RD as given, with an EDNS0 OPT
 * when EDNS_UDP_SIZE is not 0. Returns the length or -1. */
int dns_build_query(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t type,
		    bool rd, uint16_t edns_udp_size);

/* An RFC 2136 UPDATE in ZONE that adds (class IN, TTL) or deletes exactly
 * (class NONE, TTL 0) the TXT record NAME with one character-string TXT
 * (at most 255 bytes). Returns the length or -1. */
int dns_build_update_txt(uint8_t *buf, size_t cap, uint16_t id, const char *zone,
			 const char *name, const char *txt, uint32_t ttl, bool add);

/* One UPDATE in ZONE carrying N such records, all additions or all
 * deletions: NAMES[i] gets (or loses) the value TXTS[i]. The server applies
 * the whole message or none of it (RFC 2136 §3.7), so one message per zone
 * keeps a batch all-or-nothing. Returns the length or -1 (no room, N 0, a
 * bad name, a value over 255 bytes). */
int dns_build_update_txts(uint8_t *buf, size_t cap, uint16_t id, const char *zone,
			  const char *const *names, const char *const *txts, size_t n, uint32_t ttl,
			  bool add);

/* --- TSIG (RFC 8945), in dns_tsig.c --- */

enum dns_tsig_alg { DNS_TSIG_HMAC_SHA256, DNS_TSIG_HMAC_SHA384, DNS_TSIG_HMAC_SHA512,
		    DNS_TSIG_HMAC_SHA1 };

enum { DNS_TSIG_FUDGE = 300, DNS_TSIG_MAX_MAC = 64, DNS_TSIG_MAX_SECRET = 512 };

struct dns_tsig_key {
	uint8_t name[DNS_MAX_WIRE_NAME];  /* canonical (lower-case) wire form */
	size_t name_len;
	enum dns_tsig_alg alg;
	uint8_t secret[DNS_TSIG_MAX_SECRET];
	size_t secret_len;
};

/* ALG NULL means hmac-sha256; names are case-insensitive and may end in
 * ".", so certbot's "HMAC-SHA512." works. Returns the algorithm or -1. */
int dns_tsig_alg_parse(const char *alg);

/* Fill K from a key name, algorithm and base64 secret. Errors name the key
 * and the algorithm but never the secret. Wipe K with dns_tsig_key_wipe. */
int dns_tsig_key_init(struct dns_tsig_key *k, const char *name, const char *alg,
		      const char *secret_b64, struct error *e);
void dns_tsig_key_wipe(struct dns_tsig_key *k);

/* The TSIG record's fields. */
struct dns_tsig_rr {
	char key_name[DNS_NAME_TEXT];
	char alg_name[DNS_NAME_TEXT];
	uint64_t time_signed;     /* 48 bits */
	uint16_t fudge;
	uint8_t mac[DNS_TSIG_MAX_MAC];
	size_t mac_len;
	uint16_t original_id;
	uint16_t error;           /* the TSIG RR's error field: 0, BADSIG, BADKEY, BADTIME, ... */
	uint16_t other_len;       /* other data: the last OTHER_LEN bytes of the RDATA */
	uint64_t other_time;      /* BADTIME replies carry the server's clock here */
	bool has_other_time;
};

/* Read M's TSIG record into T. Returns 0, or -1 when there is none or it is
 * malformed (including a MAC longer than DNS_TSIG_MAX_MAC). */
int dns_tsig_read(const struct dns_msg *m, struct dns_tsig_rr *t);

/* Sign the message of *LEN bytes in BUF (CAP bytes room) as a request:
 * append a TSIG record with the time NOW and fudge 300, bump ARCOUNT, and
 * put the MAC into MAC (DNS_TSIG_MAX_MAC bytes) / *MAC_LEN for verifying the
 * reply. Returns 0 or -1 (no room, malformed message). */
int dns_tsig_sign(const struct dns_tsig_key *k, uint8_t *buf, size_t *len, size_t cap,
		  uint64_t now, uint8_t *mac, size_t *mac_len);

/* Verify the TSIG of the parsed message M with K. REQ_MAC / REQ_MAC_LEN is
 * the request's MAC when M is a reply (RFC 8945 §5.3), NULL / 0 when M is a
 * request. Returns 0 when the MAC is right and NOW is within the fudge;
 * otherwise the reason: -1 no or malformed TSIG record, DNS_R_BADKEY (other
 * key name or algorithm, or an unsigned error reply whose error field says
 * BADKEY), DNS_R_BADSIG (wrong MAC, or an unsigned reply saying BADSIG),
 * DNS_R_BADTIME (NOW more than 300 s from the time signed), or the error
 * field of a correctly signed reply (e.g. the server's BADTIME). T (may be
 * NULL) gets the record's fields whenever there is one. */
int dns_tsig_verify(const struct dns_tsig_key *k, const struct dns_msg *m,
		    const uint8_t *req_mac, size_t req_mac_len, uint64_t now,
		    struct dns_tsig_rr *t);

#endif
