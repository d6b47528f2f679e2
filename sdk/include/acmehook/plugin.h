/* acmehook plugin ABI 1.2 (AH_ABI_MAJOR.AH_ABI_MINOR below).
 *
 * A plugin is a shared object that exports exactly one symbol,
 * acmehook_plugin_v1, returning a pointer to a constant descriptor. The host
 * loads it with RTLD_NOW | RTLD_LOCAL and never unloads it.
 *
 * Compatibility rules (docs/plugin-api.md has the full contract):
 *  - Every struct crossing the boundary starts with its size (struct_size).
 *    Members are only ever appended; a reader tests for a member with
 *    AH_HAS_MEMBER before touching it.
 *  - A minor version adds members at the end; a major version renames the
 *    entry symbol, so an old host never calls a new plugin by mistake.
 *  - Statuses are small stable integers and are never renumbered.
 *
 * Ownership: every pointer the host passes into a plugin call is borrowed for
 * the duration of that call, except the host table given to init, which stays
 * valid until fini returns. Anything the host hands back that the plugin must
 * release comes with its own release function in the host table. Plugin
 * state is the plugin's own.
 *
 * Plugins link against nothing of the host's: everything they need from the
 * host comes through struct ah_host, so they can be tested with a fake host.
 */
#ifndef ACMEHOOK_PLUGIN_H
#define ACMEHOOK_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AH_PLUGIN_MAGIC 0x41434d48u /* "ACMH" */
#define AH_ABI_MAJOR 1
#define AH_ABI_MINOR 2

/* The entry symbol of ABI major 1. */
#define AH_PLUGIN_ENTRY acmehook_plugin_v1
#define AH_PLUGIN_ENTRY_NAME "acmehook_plugin_v1"

#if defined(__GNUC__)
#define AH_EXPORT __attribute__((visibility("default")))
#else
#define AH_EXPORT
#endif

/* True when the struct at P (whose first member is struct_size) is large
 * enough to contain MEMBER. */
#define AH_HAS_MEMBER(p, type, member)                                   \
	((p) != NULL && (p)->struct_size >= offsetof(type, member) + sizeof(((type *)0)->member))

/* Statuses returned by plugin callbacks and host services. */
enum ah_status {
	AH_OK = 0,       /* done */
	AH_DECLINE = 1,  /* not mine: the host may try another plugin */
	AH_FAIL = 2,     /* failed; the reason was given with host->set_error */
	AH_CONFIG = 3,   /* the instance's configuration is wrong (usage error) */
};

/* Log levels for host->log. */
enum ah_log_level {
	AH_LOG_ERROR = 0,
	AH_LOG_WARN = 1,
	AH_LOG_INFO = 2,
	AH_LOG_DEBUG = 3,
};

/* Roles a plugin may declare (bit set). */
#define AH_ROLE_AUTHENTICATOR 0x1u /* present/cleanup challenges */
#define AH_ROLE_INSTALLER 0x2u     /* install a certificate after issuance */

/* Challenge types a plugin may declare (bit set). */
#define AH_CHALLENGE_HTTP_01 0x1u
#define AH_CHALLENGE_DNS_01 0x2u

/* An HTTP request made through the host (https only, size-capped). */
struct ah_http_request {
	size_t struct_size;
	const char *method;          /* "GET", "POST", ... */
	const char *url;
	const char *const *headers;  /* "Name: value" strings, NULL-terminated; may be NULL */
	const char *body;            /* may be NULL */
	size_t body_len;
	long timeout_seconds;        /* 0: the host's default */
};

struct ah_http_response {
	size_t struct_size;
	long status;
	char *headers;               /* raw header block, "Name: value\r\n" lines */
	char *body;                  /* NUL-terminated; may contain NULs before body_len */
	size_t body_len;
};

/* A DNS query through the host (ABI 1.1). */
struct ah_dns_query {
	size_t struct_size;
	const char *name;            /* owner name, with or without the final dot */
	const char *type;            /* "TXT", "NS", "SOA", "CNAME", "DNAME", "A" or "AAAA" */
	const char *server;          /* "IP", "IP:PORT" or "[IPv6]:PORT"; NULL: the host's resolvers */
	long timeout_seconds;        /* 0: the host's default */
};

/* The answer: RDATA of the records of the asked type in the answer
 * section, in presentation form (TXT: the strings concatenated, unescaped;
 * names without the final dot; SOA: "mname rname serial refresh retry expire
 * minimum"). */
struct ah_dns_answer {
	size_t struct_size;
	int rcode;                   /* 0 NOERROR, 3 NXDOMAIN, ... */
	size_t n;
	char **values;               /* n strings */
	char **owners;               /* n owner names */
};

/* TSIG key for signed updates (RFC 8945). */
struct ah_tsig_key {
	size_t struct_size;
	const char *name;
	const char *algorithm;       /* "hmac-sha256" (NULL too), "hmac-sha384", "hmac-sha512", "hmac-sha1" */
	const char *secret;          /* base64, as tsig-keygen prints it */
};

/* An RFC 2136 UPDATE of one TXT record. Adding adds only this value;
 * deleting deletes only this value (other values at the name stay). */
struct ah_dns_update {
	size_t struct_size;
	const char *server;          /* "IP", "IP:PORT" or "[IPv6]:PORT" (port 53 by default) */
	const char *zone;            /* NULL: found by asking SERVER for the SOA */
	const char *name;            /* the record's owner name */
	const char *txt;             /* the value */
	uint32_t ttl;                /* 0: 60 */
	int add;                     /* 1 add, 0 delete */
	const struct ah_tsig_key *key; /* NULL: unsigned */
	long timeout_seconds;        /* 0: the host's default */
};

/* Several TXT changes in one zone, sent as one RFC 2136 UPDATE (ABI 1.2):
 * NAMES[i] gets, or loses, exactly the value TXTS[i]. The server applies
 * the whole message or none of it (RFC 2136 §3.7). */
struct ah_dns_update_batch {
	size_t struct_size;
	const char *server;          /* "IP", "IP:PORT" or "[IPv6]:PORT" (port 53 by default) */
	const char *zone;            /* NULL: found by asking SERVER for the SOA of names[0] */
	size_t n;                    /* how many records: at least 1 */
	const char *const *names;    /* n owner names, all in ZONE */
	const char *const *txts;     /* n values */
	uint32_t ttl;                /* 0: 60 */
	int add;                     /* 1 add them all, 0 delete exactly these values */
	const struct ah_tsig_key *key; /* NULL: unsigned */
	long timeout_seconds;        /* 0: the host's default */
};

/* Services the host offers. The table only grows at the end; test with
 * AH_HAS_MEMBER before calling a member newer than 1.0. */
struct ah_host {
	size_t struct_size;
	uint16_t abi_major;
	uint16_t abi_minor;
	void *ctx;                   /* pass back as the first argument of every service */

	/* Log MSG at LEVEL, prefixed with the plugin instance's name. The host
	 * masks registered secrets. */
	void (*log)(void *ctx, int level, const char *msg);
	/* Describe why the current call fails. The host copies MSG. */
	void (*set_error)(void *ctx, const char *msg);
	/* The instance's configuration value KEY, or NULL. Borrowed; valid
	 * until fini. */
	const char *(*config_get)(void *ctx, const char *key);
	/* The value KEY from the instance's credentials file, as a new string
	 * the plugin releases with secret_free (which wipes it). Values of
	 * secret-looking keys (secret, key, token, password; not key names or
	 * key ids) are registered for redaction. Returns AH_OK, AH_DECLINE (no
	 * such key) or AH_FAIL. */
	int (*secret_get)(void *ctx, const char *key, char **value);
	void (*secret_free)(void *ctx, char *value);
	/* Perform REQ. On AH_OK *RESP is set and released with
	 * http_response_free. */
	int (*http_request)(void *ctx, const struct ah_http_request *req,
	                    struct ah_http_response **resp);
	void (*http_response_free)(void *ctx, struct ah_http_response *resp);
	/* Seconds since the epoch. */
	int64_t (*now)(void *ctx);

	/* --- ABI 1.1 --- */
	/* Ask a DNS question. On AH_OK *ANS is set (also for NXDOMAIN: see
	 * rcode) and released with dns_answer_free. AH_FAIL on timeout or a
	 * malformed reply. */
	int (*dns_query)(void *ctx, const struct ah_dns_query *q, struct ah_dns_answer **ans);
	void (*dns_answer_free)(void *ctx, struct ah_dns_answer *ans);
	/* Send an RFC 2136 UPDATE over TCP, TSIG-signed when U->key is set, and
	 * check the signed reply. AH_FAIL names the server's rcode (REFUSED,
	 * NOTAUTH, NOTZONE, BADKEY, BADSIG, BADTIME, ...), the zone and server. */
	int (*dns_update)(void *ctx, const struct ah_dns_update *u);
	/* The zone that contains NAME, found by an SOA walk at SERVER (NULL:
	 * the host's resolvers). On AH_OK *ZONE is released with string_free. */
	int (*dns_zone_of)(void *ctx, const char *name, const char *server, char **zone);
	void (*string_free)(void *ctx, char *s);

	/* --- ABI 1.2 --- */
	/* Send B's changes as one RFC 2136 UPDATE over TCP, TSIG-signed when
	 * B->key is set, and check the signed reply, as dns_update does. All or
	 * nothing: AH_OK means every change was made, AH_FAIL that none was.
	 * A batch too large for one DNS message (64 KiB) is refused unsent. */
	int (*dns_update_batch)(void *ctx, const struct ah_dns_update_batch *b);
};

/* A challenge to present or clean up. Borrowed for the call. */
struct ah_challenge {
	size_t struct_size;
	const char *identifier;        /* DNS name, without a leading "*." */
	int wildcard;                  /* the order asked for "*.identifier" */
	const char *type;              /* "http-01" or "dns-01" */
	const char *token;             /* checked by the host: base64url only */
	const char *key_authorization; /* token "." thumbprint */
	const char *record_name;       /* dns-01: where to write the TXT record
	                                  (CNAMEs followed); NULL for http-01 */
	const char *txt_value;         /* dns-01: the TXT value; NULL for http-01 */
	const char *zone;              /* dns-01: the zone of record_name if known */

	/* --- ABI 1.2 (test with AH_HAS_MEMBER) --- */
	/* The identifiers (without "*.") of every challenge of this order that
	 * this instance is asked to present, in the order present is called,
	 * n_order_names of them; a name validated for itself and its wildcard
	 * appears twice. remaining_challenges: how many of them come after
	 * this one. cleanup gets the same values as the present it undoes.
	 * n_order_names is 0 when the host has no order (a script test). */
	const char *const *order_names;
	size_t n_order_names;
	size_t remaining_challenges;
};

/* A certificate that was just issued or renewed. Borrowed for the call. */
struct ah_certificate {
	size_t struct_size;
	const char *lineage;           /* the certificate's name */
	const char *const *names;      /* identifiers, n_names of them */
	size_t n_names;
	const char *cert_path;
	const char *chain_path;
	const char *fullchain_path;
	const char *key_path;
	int renewed;                   /* 0: first issuance, 1: renewal */
	int issuer_changed;            /* the chain differs from the previous version's */
};

/* The descriptor a plugin exports. Constant; the host copies its strings. */
struct ah_plugin {
	uint32_t magic;                /* AH_PLUGIN_MAGIC */
	uint16_t abi_major;            /* AH_ABI_MAJOR the plugin was built with */
	uint16_t abi_minor;            /* AH_ABI_MINOR the plugin was built with */
	size_t struct_size;            /* sizeof(struct ah_plugin) at build time */
	const char *name;              /* [a-z0-9-]+, unique among loaded plugins */
	const char *version;
	const char *description;
	uint32_t roles;                /* AH_ROLE_* */
	uint32_t challenges;           /* AH_CHALLENGE_* (authenticators) */

	/* Create an instance. HOST stays valid until fini. On AH_OK *STATE is the
	 * instance's state, passed to every later call. */
	int (*init)(const struct ah_host *host, void **state);
	/* Make CH visible to the CA. AH_DECLINE if this instance cannot serve
	 * CH's identifier. */
	int (*present)(void *state, const struct ah_challenge *ch);
	/* Remove exactly what present added for CH. Called for every CH whose
	 * present returned AH_OK, on every path. */
	int (*cleanup)(void *state, const struct ah_challenge *ch);
	/* Install a certificate (installers only; may be NULL). */
	int (*install)(void *state, const struct ah_certificate *cert);
	/* Destroy the instance. STATE may be NULL. */
	void (*fini)(void *state);

	/* --- ABI 1.1 (optional; test with AH_HAS_MEMBER) --- */
	/* Before any order is placed: can this instance present CH? CH has
	 * identifier, type, record_name and zone set, but no token or value
	 * yet. AH_OK, or AH_DECLINE / AH_FAIL with set_error saying why (for
	 * example: the record is a CNAME into a zone this server does not
	 * serve). May be NULL. */
	int (*check)(void *state, const struct ah_challenge *ch);

	/* --- ABI 1.2 (optional; test with AH_HAS_MEMBER) --- */
	/* Present (or clean up) the N challenges CHS[0..N) at once, such as
	 * every challenge of an order routed to this instance, so that a DNS
	 * plugin can send one update per zone. STATUSES[i] (the host sets
	 * them all to AH_FAIL first) gets what present (or cleanup) would have
	 * returned for CHS[i]: AH_OK, AH_DECLINE, AH_FAIL or AH_CONFIG.
	 *   Returns AH_OK when STATUSES say what happened to each challenge;
	 * AH_DECLINE when it did nothing and wants the host to call present
	 * (cleanup) once per challenge instead; AH_FAIL or AH_CONFIG when it
	 * did nothing at all and every challenge failed, saying why with
	 * set_error. Cleanup stays exact: the host cleans up exactly the
	 * challenges whose status was AH_OK, and a failed challenge must leave
	 * nothing behind. One set_error text serves the whole call. Either
	 * member may be NULL: the host then calls present (cleanup) once per
	 * challenge. */
	int (*present_batch)(void *state, const struct ah_challenge *const *chs, size_t n,
	                     int *statuses);
	int (*cleanup_batch)(void *state, const struct ah_challenge *const *chs, size_t n,
	                     int *statuses);
};

typedef const struct ah_plugin *(*ah_plugin_entry_fn)(void);

/* The one function a plugin defines and exports:
 *     AH_EXPORT const struct ah_plugin *acmehook_plugin_v1(void)
 *     { return &my_descriptor; }
 * Declared here so the compiler checks each plugin's definition against
 * it (and -Wmissing-prototypes stays quiet). */
AH_EXPORT const struct ah_plugin *AH_PLUGIN_ENTRY(void);

#ifdef __cplusplus
}
#endif

#endif
