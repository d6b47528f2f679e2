/* dns-rfc2136: answer dns-01 challenges with RFC 2136 UPDATEs signed with
 * TSIG (RFC 8945), sent to one authoritative server: BIND, Knot, PowerDNS
 * or anything else that accepts dynamic updates.
 *
 * Configuration comes from a certbot-dns-rfc2136 credentials file, which
 * the host reads and hands over as secrets (so none of it reaches a log):
 *
 *   dns_rfc2136_server     IP address of the server (IPv4 or IPv6, not a name)
 *   dns_rfc2136_port       its port (default 53)
 *   dns_rfc2136_name       the TSIG key's name
 *   dns_rfc2136_secret     the TSIG key, base64 as tsig-keygen prints it
 *   dns_rfc2136_algorithm  HMAC-SHA512 (default, as certbot), HMAC-SHA384,
 *                          HMAC-SHA256 or HMAC-SHA1, in any case
 *   dns_rfc2136_zone       optional: the zone to update, instead of asking
 *                          the server for the SOA of the record's name
 *
 * A key missing from the credentials is looked up in the instance's options
 * under the same name (except the secret: an option is not redacted), and
 * the option "zone" overrides dns_rfc2136_zone.
 *
 * Each present adds exactly one TXT value and each cleanup deletes exactly
 * that value, so the apex and the wildcard of one name, whose two values
 * live at the same _acme-challenge owner at the same time, never remove
 * each other's record.
 *
 * With a host of ABI 1.2 the challenges of an order come in one batch, and
 * all records of one zone go in one UPDATE (one for the additions, one for
 * the deletions): the server applies such a message whole or not at all,
 * so each challenge's status is its zone's.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <acmehook/plugin.h>

#define RFC2136_VERSION "1.0.0"
#define RFC2136_TTL 60
#define NAME_MAX_LEN 256 /* a DNS name in presentation form, plus a dot */
/* Records per UPDATE: 100 of the longest names and values stay under the
 * 64 KiB a DNS message may have. */
#define BATCH_MAX 100

struct rfc2136 {
	const struct ah_host *host;  /* borrowed until fini */
	char server[64];             /* "IP:PORT" or "[IPv6]:PORT" */
	char *zone;                  /* override, without the final dot; NULL: ask the server */
	char *key_name;
	const char *algorithm;       /* one of the static names below */
	char *secret;                /* from secret_get; released with secret_free */
};

static int fail(const struct ah_host *h, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(const struct ah_host *h, int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	h->set_error(h->ctx, msg);
	return status;
}

static void say(const struct ah_host *h, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(const struct ah_host *h, int level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	h->log(h->ctx, level, msg);
}

static bool is_dns01(const struct ah_challenge *ch)
{
	return ch && ch->type && strcmp(ch->type, "dns-01") == 0;
}

/* The 1.1 services this plugin cannot work without. */
static bool host_has_dns(const struct ah_host *h)
{
	return AH_HAS_MEMBER(h, struct ah_host, string_free) && h->dns_update &&
	       h->dns_zone_of && h->string_free;
}

/* A non-secret setting: the credentials first, then the instance option of
 * the same name. *OWNED is set when the value must go back through
 * secret_free. Returns AH_OK (value or NULL) or AH_FAIL. */
static int setting(const struct ah_host *h, const char *key, char **value, bool *owned)
{
	char *v = NULL;
	const char *c;
	int st;

	*value = NULL;
	*owned = false;
	st = h->secret_get(h->ctx, key, &v);
	if (st == AH_OK && v) {
		*value = v;
		*owned = true;
		return AH_OK;
	}
	if (st != AH_DECLINE && st != AH_OK)
		return fail(h, AH_FAIL, "cannot read %s from the credentials (out of memory?)", key);
	c = h->config_get ? h->config_get(h->ctx, key) : NULL;
	*value = (char *)c;
	return AH_OK;
}

static void setting_free(const struct ah_host *h, char *value, bool owned)
{
	if (owned)
		h->secret_free(h->ctx, value);
}

static bool blank(const char *s)
{
	return !s || !*s;
}

/* certbot accepts the dnspython names; the host speaks lower case. MD5 is
 * refused by name: RFC 8945 deprecates it and the host does not sign with
 * it, so it would only fail later with a less helpful message. */
static int parse_algorithm(const struct ah_host *h, const char *in, const char **out)
{
	static const char *const known[] = {"hmac-sha512", "hmac-sha384", "hmac-sha256",
	                                    "hmac-sha1"};
	char buf[32];
	size_t n;

	if (blank(in)) {
		*out = "hmac-sha512";
		return AH_OK;
	}
	n = strlen(in);
	/* A trailing dot, as in the algorithm's domain-name form, is fine. */
	if (n > 1 && in[n - 1] == '.')
		n--;
	if (n < sizeof(buf)) {
		memcpy(buf, in, n);
		buf[n] = '\0';
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strcasecmp(buf, known[i]) == 0) {
				*out = known[i];
				return AH_OK;
			}
		if (strncasecmp(buf, "hmac-md5", 8) == 0)
			return fail(h, AH_CONFIG,
			            "dns_rfc2136_algorithm %s is refused: HMAC-MD5 is deprecated "
			            "(RFC 8945); make a new key with tsig-keygen -a hmac-sha256 and "
			            "set HMAC-SHA256",
			            buf);
	}
	return fail(h, AH_CONFIG,
	            "dns_rfc2136_algorithm \"%.40s\" is not supported; use HMAC-SHA512, "
	            "HMAC-SHA384, HMAC-SHA256 or HMAC-SHA1",
	            in);
}

/* The server must be an address (certbot says so too): resolving a name
 * here would send signed updates wherever DNS pointed. */
static int parse_server(const struct ah_host *h, const char *server, const char *port,
                        char *out, size_t cap)
{
	char addr[INET6_ADDRSTRLEN + 2], *end = NULL;
	unsigned char bin[sizeof(struct in6_addr)];
	const char *a = server;
	size_t n = strlen(server);
	unsigned long p = 53;

	if (!blank(port)) {
		p = strtoul(port, &end, 10);
		if (!end || *end || p == 0 || p > 65535 || port[0] == '-' || port[0] == '+')
			return fail(h, AH_CONFIG,
			            "dns_rfc2136_port \"%.20s\" is not a port number (1-65535)", port);
	}
	/* "[2001:db8::1]" is accepted for an IPv6 address as well. */
	if (n >= 2 && a[0] == '[' && a[n - 1] == ']') {
		a++;
		n -= 2;
	}
	if (n >= sizeof(addr))
		goto bad;
	memcpy(addr, a, n);
	addr[n] = '\0';
	if (inet_pton(AF_INET, addr, bin) == 1)
		snprintf(out, cap, "%s:%lu", addr, p);
	else if (inet_pton(AF_INET6, addr, bin) == 1)
		snprintf(out, cap, "[%s]:%lu", addr, p);
	else
		goto bad;
	return AH_OK;
bad:
	return fail(h, AH_CONFIG,
	            "dns_rfc2136_server \"%.80s\" is not an IP address; give the address of "
	            "the DNS server that accepts the updates (not a host name)",
	            server);
}

static bool base64_ok(const char *s)
{
	size_t n = 0, pad = 0;

	for (; s[n]; n++) {
		char c = s[n];
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		             (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return false;
	}
	return n > 0 && pad <= 2 && n % 4 == 0;
}

/* NAME without its final dot, copied into BUF; false if too long. */
static bool plain_name(const char *name, char *buf, size_t cap)
{
	size_t n = strlen(name);

	if (n > 1 && name[n - 1] == '.')
		n--;
	if (n == 0 || n >= cap)
		return false;
	memcpy(buf, name, n);
	buf[n] = '\0';
	return true;
}

/* NAME is ZONE or below it (label boundaries, case-insensitive, final dots
 * ignored). */
static bool in_zone(const char *name, const char *zone)
{
	char n[NAME_MAX_LEN], z[NAME_MAX_LEN];
	size_t ln, lz;

	if (!plain_name(name, n, sizeof(n)))
		return false;
	if (strcmp(zone, ".") == 0)
		return true;
	if (!plain_name(zone, z, sizeof(z)))
		return false;
	ln = strlen(n);
	lz = strlen(z);
	if (ln < lz || strcasecmp(n + ln - lz, z) != 0)
		return false;
	return ln == lz || n[ln - lz - 1] == '.';
}

/* Where the TXT record goes: the host's record_name (CNAMEs already
 * followed), else the standard place under the identifier. */
static const char *record_of(const struct ah_challenge *ch, char *buf, size_t cap)
{
	if (!blank(ch->record_name))
		return ch->record_name;
	if (blank(ch->identifier))
		return NULL;
	if ((size_t)snprintf(buf, cap, "_acme-challenge.%s", ch->identifier) >= cap)
		return NULL;
	return buf;
}

static void rfc2136_free(const struct ah_host *h, struct rfc2136 *r)
{
	if (!r)
		return;
	if (r->secret)
		h->secret_free(h->ctx, r->secret);
	free(r->zone);
	free(r->key_name);
	free(r);
}

static int rfc2136_init(const struct ah_host *host, void **state)
{
	struct rfc2136 *r = NULL;
	char *server = NULL, *port = NULL, *name = NULL, *alg = NULL, *zone = NULL;
	bool own_server = false, own_port = false, own_name = false, own_alg = false,
	     own_zone = false;
	const char *zopt;
	char zbuf[NAME_MAX_LEN];
	int st, ret = AH_FAIL;

	if (!host || !AH_HAS_MEMBER(host, struct ah_host, now) || !host->set_error)
		return AH_FAIL;
	if (!host_has_dns(host))
		return fail(host, AH_CONFIG,
		            "this acmehook offers plugins no DNS updates (plugin ABI %u.%u; "
		            "dns-rfc2136 needs 1.1 or later)",
		            (unsigned)host->abi_major, (unsigned)host->abi_minor);
	r = calloc(1, sizeof(*r));
	if (!r) {
		ret = fail(host, AH_FAIL, "out of memory");
		goto out;
	}
	r->host = host;

	if ((ret = setting(host, "dns_rfc2136_server", &server, &own_server)) != AH_OK ||
	    (ret = setting(host, "dns_rfc2136_port", &port, &own_port)) != AH_OK ||
	    (ret = setting(host, "dns_rfc2136_name", &name, &own_name)) != AH_OK ||
	    (ret = setting(host, "dns_rfc2136_algorithm", &alg, &own_alg)) != AH_OK ||
	    (ret = setting(host, "dns_rfc2136_zone", &zone, &own_zone)) != AH_OK)
		goto out;

	ret = AH_CONFIG;
	if (blank(server)) {
		fail(host, AH_CONFIG, "dns_rfc2136_server is missing from the credentials: give "
		     "the IP address of the DNS server that accepts the updates");
		goto out;
	}
	if ((ret = parse_server(host, server, port, r->server, sizeof(r->server))) != AH_OK)
		goto out;
	ret = AH_CONFIG;
	if (blank(name)) {
		fail(host, AH_CONFIG, "dns_rfc2136_name is missing from the credentials: give "
		     "the TSIG key's name (the name in the server's key statement)");
		goto out;
	}
	if ((ret = parse_algorithm(host, alg, &r->algorithm)) != AH_OK)
		goto out;

	st = host->secret_get(host->ctx, "dns_rfc2136_secret", &r->secret);
	if (st != AH_OK || blank(r->secret)) {
		if (st != AH_OK && st != AH_DECLINE) {
			ret = fail(host, AH_FAIL, "cannot read dns_rfc2136_secret from the "
			           "credentials (out of memory?)");
			goto out;
		}
		ret = fail(host, AH_CONFIG, "dns_rfc2136_secret is missing from the credentials: "
		           "give the base64 TSIG secret of key %.100s", name);
		goto out;
	}
	/* The secret itself never goes into the message. */
	if (!base64_ok(r->secret)) {
		ret = fail(host, AH_CONFIG, "dns_rfc2136_secret of key %.100s is not base64 "
		           "(copy the secret as tsig-keygen printed it)", name);
		goto out;
	}

	zopt = host->config_get ? host->config_get(host->ctx, "zone") : NULL;
	if (blank(zopt))
		zopt = zone;
	if (!blank(zopt)) {
		if (strcmp(zopt, ".") == 0) {
			snprintf(zbuf, sizeof(zbuf), ".");
		} else if (!plain_name(zopt, zbuf, sizeof(zbuf))) {
			ret = fail(host, AH_CONFIG, "zone \"%.80s\" is not a DNS name", zopt);
			goto out;
		}
		r->zone = strdup(zbuf);
		if (!r->zone) {
			ret = fail(host, AH_FAIL, "out of memory");
			goto out;
		}
	}
	r->key_name = strdup(name);
	if (!r->key_name) {
		ret = fail(host, AH_FAIL, "out of memory");
		goto out;
	}
	say(host, AH_LOG_DEBUG, "updates go to %s, signed with key %s (%s)%s%s", r->server,
	    r->key_name, r->algorithm, r->zone ? ", zone " : "", r->zone ? r->zone : "");
	*state = r;
	r = NULL;
	ret = AH_OK;
out:
	setting_free(host, server, own_server);
	setting_free(host, port, own_port);
	setting_free(host, name, own_name);
	setting_free(host, alg, own_alg);
	setting_free(host, zone, own_zone);
	rfc2136_free(host, r);
	return ret;
}

/* The instance's TSIG key as the host's update services take it. */
static struct ah_tsig_key key_of(const struct rfc2136 *r)
{
	struct ah_tsig_key key = {
		.struct_size = sizeof(key),
		.name = r->key_name,
		.algorithm = r->algorithm,
		.secret = r->secret,
	};

	return key;
}

static int update(struct rfc2136 *r, const struct ah_challenge *ch, int add)
{
	const struct ah_host *h = r->host;
	char buf[NAME_MAX_LEN + 32];
	const char *name;
	struct ah_tsig_key key = key_of(r);
	struct ah_dns_update u = {
		.struct_size = sizeof(u),
		.server = r->server,
		.zone = r->zone,
		.txt = ch->txt_value,
		.ttl = RFC2136_TTL,
		.add = add,
		.key = &key,
	};
	int st;

	name = record_of(ch, buf, sizeof(buf));
	if (!name)
		return fail(h, AH_FAIL, "dns-01 challenge without a record name or identifier");
	if (blank(ch->txt_value))
		return fail(h, AH_FAIL, "dns-01 challenge for %s has no TXT value", name);
	if (r->zone && !in_zone(name, r->zone))
		return fail(h, AH_DECLINE, "%s is outside zone %s (the configured zone of this "
		            "instance); route the name to an instance that serves its zone",
		            name, r->zone);
	u.name = name;
	say(h, AH_LOG_INFO, "%s TXT \"%s\" %s %s at %s (key %s)", add ? "adding" : "deleting",
	    ch->txt_value, add ? "to" : "from", name, r->server, r->key_name);
	/* A fallback in case the host fails without a word; when it does
	 * explain (naming the rcode, zone and server), its text replaces this
	 * one and reaches the user unchanged. */
	fail(h, AH_FAIL, "%s TXT at %s via %s failed", add ? "adding" : "deleting", name,
	     r->server);
	st = h->dns_update(h->ctx, &u);
	if (st == AH_OK)
		return AH_OK;
	return st == AH_CONFIG ? AH_CONFIG : AH_FAIL;
}

/* One challenge of a batch: where its record goes and in which zone. */
struct item {
	char name[NAME_MAX_LEN + 32];
	char *zone;                  /* from dns_zone_of (string_free), or NULL: r->zone */
	bool ready;                  /* checked; its update is still to be sent */
};

static const char *zone_of_item(const struct rfc2136 *r, const struct item *it)
{
	return it->zone ? it->zone : r->zone;
}

/* Check CH and find its record's zone into IT. The status of the
 * challenge if that fails, else AH_OK. FALLBACK: give the host's zone
 * lookup a text in case it fails without one (not after an earlier
 * failure, whose text must stay). */
static int item_prepare(struct rfc2136 *r, const struct ah_challenge *ch, struct item *it,
                        bool fallback)
{
	const struct ah_host *h = r->host;
	const char *name;

	if (!is_dns01(ch))
		return AH_DECLINE;
	name = record_of(ch, it->name, sizeof(it->name));
	if (!name)
		return fail(h, AH_FAIL, "dns-01 challenge without a record name or identifier");
	if (name != it->name)
		snprintf(it->name, sizeof(it->name), "%s", name);
	if (blank(ch->txt_value))
		return fail(h, AH_FAIL, "dns-01 challenge for %s has no TXT value", it->name);
	if (r->zone) {
		if (!in_zone(it->name, r->zone))
			return fail(h, AH_DECLINE, "%s is outside zone %s (the configured zone of "
			            "this instance); route the name to an instance that serves its "
			            "zone", it->name, r->zone);
	} else {
		/* Fallback text; the host's own explanation replaces it. */
		if (fallback)
			fail(h, AH_FAIL, "%s: cannot find its zone at %s", it->name, r->server);
		if (h->dns_zone_of(h->ctx, it->name, r->server, &it->zone) != AH_OK || !it->zone)
			return AH_FAIL;
	}
	it->ready = true;
	return AH_OK;
}

/* Send the ready items of the zone of ITEMS[FIRST] (at most BATCH_MAX) in
 * one UPDATE and give each its status. FALLBACK as for item_prepare. */
static int send_zone(struct rfc2136 *r, const struct ah_challenge *const *chs, struct item *items,
                     size_t n, size_t first, int add, bool fallback, int *statuses)
{
	const struct ah_host *h = r->host;
	const char *zone = zone_of_item(r, &items[first]);
	const char *names[BATCH_MAX], *txts[BATCH_MAX];
	size_t idx[BATCH_MAX], k = 0;
	struct ah_tsig_key key = key_of(r);
	struct ah_dns_update_batch b = {
		.struct_size = sizeof(b),
		.server = r->server,
		.zone = zone,
		.names = names,
		.txts = txts,
		.ttl = RFC2136_TTL,
		.add = add,
		.key = &key,
	};
	int st;

	for (size_t i = first; i < n && k < BATCH_MAX; i++) {
		if (!items[i].ready || strcasecmp(zone_of_item(r, &items[i]), zone) != 0)
			continue;
		items[i].ready = false;
		names[k] = items[i].name;
		txts[k] = chs[i]->txt_value;
		idx[k++] = i;
		say(h, AH_LOG_DEBUG, "%s TXT \"%s\" %s %s", add ? "adding" : "deleting",
		    chs[i]->txt_value, add ? "to" : "from", items[i].name);
	}
	b.n = k;
	say(h, AH_LOG_INFO, "%s %zu TXT record%s %s zone %s at %s (key %s), in one update",
	    add ? "adding" : "deleting", k, k == 1 ? "" : "s", add ? "to" : "from", zone,
	    r->server, r->key_name);
	if (fallback)
		fail(h, AH_FAIL, "%s %zu TXT records in zone %s via %s failed",
		     add ? "adding" : "deleting", k, zone, r->server);
	st = h->dns_update_batch(h->ctx, &b);
	st = st == AH_OK ? AH_OK : st == AH_CONFIG ? AH_CONFIG : AH_FAIL;
	for (size_t j = 0; j < k; j++)
		statuses[idx[j]] = st;
	return st;
}

/* Present (ADD) or clean up a batch: one UPDATE per zone. Presenting stops
 * at the first zone that fails, leaving the rest unsent; cleaning up goes
 * on, so that every record it can remove is removed. */
static int batch(struct rfc2136 *r, const struct ah_challenge *const *chs, size_t n,
                 int *statuses, int add)
{
	const struct ah_host *h = r->host;
	struct item *items;
	bool failed = false;

	if (!AH_HAS_MEMBER(h, struct ah_host, dns_update_batch) || !h->dns_update_batch)
		return AH_DECLINE;
	items = calloc(n ? n : 1, sizeof(*items));
	if (!items)
		return fail(h, AH_FAIL, "out of memory");
	/* Nothing is presented until its update succeeded. */
	for (size_t i = 0; i < n; i++)
		statuses[i] = AH_FAIL;
	for (size_t i = 0; i < n && !(add && failed); i++) {
		int st = item_prepare(r, chs[i], &items[i], !failed);

		if (st != AH_OK) {
			statuses[i] = st;
			failed = true;
		}
	}
	for (size_t i = 0; i < n && !(add && failed); i++)
		if (items[i].ready && send_zone(r, chs, items, n, i, add, !failed, statuses) != AH_OK)
			failed = true;
	for (size_t i = 0; i < n; i++)
		if (items[i].zone)
			h->string_free(h->ctx, items[i].zone);
	free(items);
	return AH_OK;
}

static int rfc2136_present_batch(void *state, const struct ah_challenge *const *chs, size_t n,
                                 int *statuses)
{
	return batch(state, chs, n, statuses, 1);
}

static int rfc2136_cleanup_batch(void *state, const struct ah_challenge *const *chs, size_t n,
                                 int *statuses)
{
	return batch(state, chs, n, statuses, 0);
}

static int rfc2136_present(void *state, const struct ah_challenge *ch)
{
	if (!is_dns01(ch))
		return AH_DECLINE;
	return update(state, ch, 1);
}

static int rfc2136_cleanup(void *state, const struct ah_challenge *ch)
{
	if (!is_dns01(ch))
		return AH_DECLINE;
	return update(state, ch, 0);
}

/* Before the order: the server must serve the zone the record lands in.
 * A CNAME can move _acme-challenge into a zone on another provider, and
 * finding out before the order saves a failed authorization. */
static int rfc2136_check(void *state, const struct ah_challenge *ch)
{
	struct rfc2136 *r = state;
	const struct ah_host *h = r->host;
	char buf[NAME_MAX_LEN + 32];
	const char *name;
	char *zone = NULL;
	int st, ret = AH_DECLINE;

	if (!is_dns01(ch))
		return AH_DECLINE;
	name = record_of(ch, buf, sizeof(buf));
	if (!name)
		return fail(h, AH_FAIL, "dns-01 challenge without a record name or identifier");
	if (r->zone) {
		if (in_zone(name, r->zone))
			return AH_OK;
		return fail(h, AH_DECLINE, "%s is outside zone %s (the configured zone of this "
		            "instance, server %s); route the name to an instance that serves "
		            "its zone",
		            name, r->zone, r->server);
	}
	/* Fallback text; the host's own explanation replaces it. */
	fail(h, AH_DECLINE, "%s: cannot find its zone at %s, so %s cannot update it", name,
	     r->server, r->server);
	st = h->dns_zone_of(h->ctx, name, r->server, &zone);
	if (st != AH_OK || !zone) {
		/* The server knows no zone for the record. When the host found
		 * the zone through the resolvers, name it: that is the zone
		 * whose server (and key) this name needs. */
		if (ch->zone)
			fail(h, AH_DECLINE,
			     "%s is in zone %s, which %s does not serve; route the name to an "
			     "instance for %s's server",
			     name, ch->zone, r->server, ch->zone);
		goto out;
	}
	if (!in_zone(name, zone)) {
		fail(h, AH_DECLINE, "%s is served by zone %s, which %s does not serve", name,
		     zone, r->server);
		goto out;
	}
	say(h, AH_LOG_DEBUG, "%s is in zone %s at %s", name, zone, r->server);
	ret = AH_OK;
out:
	if (zone)
		h->string_free(h->ctx, zone);
	return ret;
}

static void rfc2136_fini(void *state)
{
	struct rfc2136 *r = state;

	if (r)
		rfc2136_free(r->host, r);
}

static const struct ah_plugin rfc2136_plugin = {
	.magic = AH_PLUGIN_MAGIC,
	.abi_major = AH_ABI_MAJOR,
	.abi_minor = AH_ABI_MINOR,
	.struct_size = sizeof(struct ah_plugin),
	.name = "dns-rfc2136",
	.version = RFC2136_VERSION,
	.description = "dns-01: TXT records by RFC 2136 dynamic update signed with TSIG",
	.roles = AH_ROLE_AUTHENTICATOR,
	.challenges = AH_CHALLENGE_DNS_01,
	.init = rfc2136_init,
	.present = rfc2136_present,
	.cleanup = rfc2136_cleanup,
	.install = NULL,
	.fini = rfc2136_fini,
	.check = rfc2136_check,
	.present_batch = rfc2136_present_batch,
	.cleanup_batch = rfc2136_cleanup_batch,
};

AH_EXPORT const struct ah_plugin *acmehook_plugin_v1(void)
{
	return &rfc2136_plugin;
}
