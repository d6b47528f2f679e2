/* The objects an ACME server sends (RFC 8555 §7.1): the directory, an
 * account, an order, an order list, an authorization and a challenge. Each
 * parser takes the parsed JSON and the URL it came from and fills a struct
 * of validated fields: a known status, https URLs only, identifiers, and
 * challenge tokens that are safe to use as file names and DNS values. A
 * malformed object is a one-line error naming the URL and the field. The
 * parsers are pure: no I/O, no logging. Every struct is owned by the caller
 * and freed with its _free function, which accepts NULL and a zeroed
 * struct; outputs are written only on success. */
#ifndef ACMEHOOK_ACME_OBJECTS_H
#define ACMEHOOK_ACME_OBJECTS_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/err.h"

/* Tokens carry at least 128 bits of entropy (RFC 8555 §8.1), which is 22
 * base64url characters; longer than 256 is no token a CA would send. */
#define OBJ_TOKEN_MIN 22
#define OBJ_TOKEN_MAX 256

enum obj_status {
	OBJ_ST_NONE = 0,
	OBJ_ST_PENDING,
	OBJ_ST_READY,
	OBJ_ST_PROCESSING,
	OBJ_ST_VALID,
	OBJ_ST_INVALID,
	OBJ_ST_DEACTIVATED,
	OBJ_ST_EXPIRED,
	OBJ_ST_REVOKED,
};

/* The status as RFC 8555 spells it ("pending", ...); "none" for OBJ_ST_NONE. */
const char *obj_status_name(enum obj_status st);

/* The "status" member of J, which must be one of the statuses RFC 8555
 * gives the object WHAT ("order", "authorization", "challenge",
 * "account"). */
int obj_status_of(const cJSON *j, const char *what, const char *url, enum obj_status *out,
                  struct error *e);

struct obj_directory {
	char *new_nonce, *new_account, *new_order; /* required */
	char *revoke_cert, *key_change;           /* NULL when absent */
	char *terms;                              /* meta.termsOfService, or NULL */
	bool eab_required;                        /* meta.externalAccountRequired */
	char *renewal_info;                       /* renewalInfo (RFC 9773), or NULL */
	char **profiles;                          /* meta.profiles' names, NULL-terminated;
	                                           * NULL when the CA offers none */
	size_t n_profiles;
};
int obj_directory_parse(const cJSON *j, const char *url, struct obj_directory *out,
                        struct error *e);
/* The URL of resource NAME ("newNonce", "newAccount", "newOrder",
 * "revokeCert", "keyChange", "renewalInfo"), or NULL. */
const char *obj_directory_url(const struct obj_directory *d, const char *name);
/* True when D's meta.profiles offers PROFILE. */
bool obj_directory_has_profile(const struct obj_directory *d, const char *profile);
/* 0 when D offers PROFILE; else an EXIT_USAGE error naming the profiles
 * D offers, or saying it offers none. */
int obj_directory_check_profile(const struct obj_directory *d, const char *profile,
                                struct error *e);
void obj_directory_free(struct obj_directory *d);

struct obj_account {
	enum obj_status status;
	char *orders;                             /* the account's order list, or NULL */
};
int obj_account_parse(const cJSON *j, const char *url, struct obj_account *out,
                      struct error *e);
void obj_account_free(struct obj_account *a);

struct obj_identifier {
	char *type;                               /* "dns", "ip", ... */
	char *value;
};

struct obj_order {
	enum obj_status status;
	struct obj_identifier *ids;
	size_t n_ids;                             /* at least 1 */
	char **authzs;                            /* https URLs */
	size_t n_authzs;
	char *finalize;
	char *certificate;                        /* NULL until the order is valid */
};
int obj_order_parse(const cJSON *j, const char *url, struct obj_order *out, struct error *e);
/* True when O is for exactly the dns identifiers NAMES (compared without
 * case; order and repetition do not matter). */
bool obj_order_for(const struct obj_order *o, const char *const *names, size_t n);
void obj_order_free(struct obj_order *o);

/* An order list (RFC 8555 §7.1.2.1): the order URLs of one page. */
struct obj_order_list {
	char **urls;
	size_t n;
};
int obj_order_list_parse(const cJSON *j, const char *url, struct obj_order_list *out,
                         struct error *e);
void obj_order_list_free(struct obj_order_list *l);

struct obj_challenge {
	char *type;
	char *url;
	char *token;                              /* for http-01, dns-01, tls-alpn-01; else NULL */
	enum obj_status status;
};
int obj_challenge_parse(const cJSON *j, const char *url, struct obj_challenge *out,
                        struct error *e);
void obj_challenge_free(struct obj_challenge *c);

struct obj_authz {
	enum obj_status status;
	struct obj_identifier id;
	bool wildcard;
	struct obj_challenge *challs;
	size_t n_challs;
};
int obj_authz_parse(const cJSON *j, const char *url, struct obj_authz *out, struct error *e);
/* The challenge of TYPE in Z, or NULL. */
const struct obj_challenge *obj_authz_challenge(const struct obj_authz *z, const char *type);
void obj_authz_free(struct obj_authz *z);

/* True when the raw JSON text TEXT (LEN bytes) has a \u0000 escape inside a
 * string: cJSON would cut that string short there. */
bool obj_json_has_nul(const char *text, size_t len);

#endif
