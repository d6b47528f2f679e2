/* Plugin instances: one configured use of a loaded module (one per
 * --webroot path, one per DNS account, ...) with its own options, secrets
 * and error text.
 *
 * Callers describe challenges and certificates with the engine-side
 * struct challenge_desc and struct cert_desc; only core/host/ turns them
 * into the SDK's structs. Everything a description points to is borrowed
 * for the call.
 *
 * Threading: the calls below may come from any thread; each holds the
 * instance's lock, so one instance is never called from two threads at
 * once, as the SDK promises. The calls never change the shared clients of
 * struct host_clients (per-call timeouts and permissions are options of
 * that call); the log and HTTP client are safe for concurrent use, and
 * each lineage's routing makes its own DNS client.
 */
#ifndef ACMEHOOK_HOST_INSTANCE_H
#define ACMEHOOK_HOST_INSTANCE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "host/loader.h"

struct log;
struct http_client;
struct dns_client;

struct host_clients {           /* what host services are backed by; all borrowed */
	struct log *log;            /* may be NULL: plugin log lines are dropped */
	struct http_client *http;   /* may be NULL: http_request then fails cleanly */
	struct dns_client *dns;     /* may be NULL: DNS services then fail cleanly */
};

enum challenge_type {
	CHALLENGE_HTTP_01,
	CHALLENGE_DNS_01,
};

/* "http-01" or "dns-01", as RFC 8555 names them. */
const char *challenge_type_name(enum challenge_type t);

/* A challenge to check, present or clean up; every string is borrowed. */
struct challenge_desc {
	const char *identifier;        /* DNS name, without a leading "*." */
	bool wildcard;                 /* the order asked for "*.identifier" */
	enum challenge_type type;
	const char *token;             /* NULL for check */
	const char *key_authorization; /* token "." thumbprint; NULL for check */
	const char *txt_value;         /* dns-01: the TXT value; NULL otherwise and for check */
	const char *record_name;       /* dns-01: where the TXT goes (CNAMEs followed) */
	const char *zone;              /* dns-01: the zone of record_name, NULL when unknown */
	/* The identifiers of the order's challenges this instance presents,
	 * in presenting order, and how many come after this one (ABI 1.2's
	 * order_names and remaining_challenges); none outside an order. */
	const char *const *order_names;
	size_t n_order_names;
	size_t remaining;
};

/* A certificate just stored, for deploy steps; every string is borrowed. */
struct cert_desc {
	const char *lineage;           /* the certificate's name */
	const char *const *names;      /* identifiers, n_names of them */
	size_t n_names;
	const char *cert_path;
	const char *chain_path;
	const char *fullchain_path;
	const char *key_path;
	bool renewed;                  /* false: first issuance */
	bool issuer_changed;           /* the chain differs from the previous version's */
};

/* What present, cleanup and install return when the plugin declined:
 * "not mine", which is not an error by itself (E is left untouched). */
enum { HOST_DECLINED = 1 };

struct host_instance;

/* Create an instance of plugin NAME called INSTANCE_NAME (NULL: the plugin
 * name), logging as "NAME[INSTANCE_NAME]". OPTS and SECRETS are
 * NULL-terminated lists of alternating key, value strings (either list may
 * be NULL), copied; OPTS are served by the plugin's config_get and SECRETS
 * by its secret_get. Every secret value of a secret-looking key is
 * registered with CLIENTS->log for redaction before the plugin runs, and
 * every secret is wiped when the instance is freed. CLIENTS and what it
 * points to are borrowed and must outlive the instance. Calls the plugin's
 * init; its refusal is an error (a configuration refusal: EXIT_USAGE,
 * otherwise EXIT_OP) carrying the plugin's text. */
struct host_instance *host_instance_new(const struct plugin_registry *r, const char *name,
                                        const char *instance_name,
                                        const char *const *opts,
                                        const char *const *secrets,
                                        const struct host_clients *clients,
                                        struct error *e);

/* Call the plugin. Returns 0 when it did the work, HOST_DECLINED when it
 * declined, or -1 with E holding the plugin's error text prefixed by the
 * instance's name (EXIT_USAGE when the plugin says its configuration is
 * wrong, else EXIT_OP; a status the host does not know is a failure).
 * Calling present/cleanup on a module that is not an authenticator, or
 * install on one that is not an installer, is an EXIT_USAGE error. present
 * and cleanup refuse a token that is not base64url before the plugin sees
 * it, as the ABI promises. */
int host_instance_present(struct host_instance *hi, const struct challenge_desc *ch,
                          struct error *e);
int host_instance_cleanup(struct host_instance *hi, const struct challenge_desc *ch,
                          struct error *e);
int host_instance_install(struct host_instance *hi, const struct cert_desc *c,
                          struct error *e);
/* Present (or clean up) the N challenges CHS at once: with the plugin's
 * present_batch (cleanup_batch, ABI 1.2) when it has one, so that it can
 * send one DNS update per zone; else, or when it declines the batch, with
 * one present (cleanup) call each, stopping at the first that does not
 * present (cleaning up goes on). RESULTS[i] gets what
 * host_instance_present would return for CHS[i]: 0 done, HOST_DECLINED,
 * or -1 failed or not tried; E holds the first failure (a decline alone
 * leaves it untouched). Returns 0 when every result is 0, else -1. Clean
 * up exactly the challenges whose result was 0. */
int host_instance_present_batch(struct host_instance *hi, const struct challenge_desc *chs,
                                size_t n, int *results, struct error *e);
int host_instance_cleanup_batch(struct host_instance *hi, const struct challenge_desc *chs,
                                size_t n, int *results, struct error *e);
/* Ask the plugin's optional check (ABI 1.1) whether it can present CH:
 * 0 when it can or has no check; -1 with E saying why not (a decline
 * included). */
int host_instance_check(struct host_instance *hi, const struct challenge_desc *ch,
                        struct error *e);

/* "NAME[INSTANCE]" or "NAME": the prefix of its log lines and errors. */
const char *host_instance_name(const struct host_instance *hi);
/* Calls fini, then wipes and frees the secrets. Accepts NULL. */
void host_instance_free(struct host_instance *hi);

#endif
