/* Queries on top of the transport: the client's resolvers, one question
 * asked of a server or of the resolvers in turn, alias following, zone-cut
 * discovery and a zone's nameservers. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/cache.h"
#include "dns/client.h"
#include "dns/transport.h"
#include "dns/util.h"

enum { MAX_ALIAS_STEPS = 16, DEFAULT_TIMEOUT_SECONDS = 5 };

/* Add the nameserver lines of /etc/resolv.conf to *V: they are what the
 * system's own resolver would ask. A missing file means glibc's default. */
static int read_resolv_conf(struct log *log, char ***v, size_t *n, struct error *e)
{
	FILE *f = fopen("/etc/resolv.conf", "re");
	char line[512];
	int rc = -1;

	while (f && fgets(line, sizeof(line), f)) {
		char *save = NULL, *kw = strtok_r(line, " \t\r\n", &save);
		char *addr = kw ? strtok_r(NULL, " \t\r\n", &save) : NULL;
		struct dns_server_addr sa;

		if (!kw || !addr || strcmp(kw, "nameserver") != 0)
			continue;
		if (dns_server_parse(addr, 53, &sa) < 0) {
			dns_log(log, LVL_WARN, "/etc/resolv.conf: ignoring nameserver \"%s\"", addr);
			continue;
		}
		if (!dns_strv_has(*v, sa.text) && dns_strv_push(v, n, sa.text) < 0) {
			err_nomem(e);
			goto out;
		}
	}
	if (*n == 0 && dns_strv_push(v, n, "127.0.0.1:53") < 0) {
		err_nomem(e);
		goto out;
	}
	rc = 0;
out:
	if (f)
		fclose(f);
	return rc;
}

int dns_client_init(struct dns_client *c, const char *const *resolvers, uint16_t ns_port,
		    struct log *log, struct error *e)
{
	char **v = NULL;
	size_t n = 0;
	int rc = -1;

	for (size_t i = 0; resolvers && resolvers[i]; i++) {
		struct dns_server_addr sa;

		if (dns_server_parse(resolvers[i], 53, &sa) < 0) {
			err_set(e, EXIT_USAGE,
				"invalid DNS resolver address \"%s\": use IP, IP:PORT or [IPv6]:PORT",
				resolvers[i]);
			goto out;
		}
		if (!dns_strv_has(v, sa.text) && dns_strv_push(&v, &n, sa.text) < 0) {
			err_nomem(e);
			goto out;
		}
	}
	if (n == 0 && read_resolv_conf(log, &v, &n, e) < 0)
		goto out;
	memset(c, 0, sizeof(*c));
	c->cache = dns_cache_new();
	c->log = log;
	c->resolvers = v;
	c->timeout_seconds = DEFAULT_TIMEOUT_SECONDS;
	c->ns_port = ns_port ? ns_port : 53;
	v = NULL;
	rc = 0;
out:
	dns_strv_free(v);
	return rc;
}

void dns_client_free(struct dns_client *c)
{
	if (!c)
		return;
	dns_strv_free(c->resolvers);
	c->resolvers = NULL;
	dns_cache_free(c->cache);
	c->cache = NULL;
}

void dns_answer_free(struct dns_answer *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++) {
		free(a->values ? a->values[i] : NULL);
		free(a->owners ? a->owners[i] : NULL);
	}
	free(a->values);
	free(a->owners);
	free(a->soa_owner);
	memset(a, 0, sizeof(*a));
}

/* Ask one server about NAME/TYPE. */
static int ask_one(const struct dns_client *c, const struct dns_server_addr *sa, const char *name,
		   int type, long timeout_s, struct dns_reply *out, struct error *e)
{
	uint8_t q[DNS_MAX_WIRE_NAME + 64];
	uint16_t id;
	int qlen;
	struct dns_reply r = {0};

	if (dns_random_id(&id) < 0)
		return err_set(e, EXIT_OP, "cannot get random bytes for a DNS query ID");
	qlen = dns_build_query(q, sizeof(q), id, name, (uint16_t)type, true, DNS_EDNS_UDP_SIZE);
	if (qlen < 0)
		return err_set(e, EXIT_USAGE, "invalid DNS name \"%s\"", name);
	if (dns_exchange(sa, q, (size_t)qlen, false, timeout_s, &r, e) < 0)
		return -1;
	/* A server that does not know EDNS0 says FORMERR; ask it plainly. */
	if (r.msg.rcode == DNS_R_FORMERR && !r.msg.has_opt) {
		dns_reply_free(&r);
		qlen = dns_build_query(q, sizeof(q), id, name, (uint16_t)type, true, 0);
		if (dns_exchange(sa, q, (size_t)qlen, false, timeout_s, &r, e) < 0)
			return -1;
	}
	dns_log(c->log, LVL_DEBUG, "DNS %s %s at %s: %s, %u answers", dns_type_name(type), name,
		sa->text, dns_rcode_name(r.msg.rcode), r.msg.count[DNS_S_ANSWER]);
	*out = r;
	return 0;
}

/* Ask SERVER, or the resolvers in order until one gives an answer that is
 * neither SERVFAIL nor REFUSED, each exchange within TIMEOUT_S seconds.
 * *USED gets the server that answered. */
static int ask(const struct dns_client *c, const char *server, const char *name, int type,
	       long timeout_s, struct dns_reply *out, char *used, size_t used_cap, struct error *e)
{
	const char *one[2] = {server, NULL};
	const char *const *list = server ? one : (const char *const *)c->resolvers;
	struct error last = {0};
	struct dns_reply r = {0};
	bool have = false;

	if (!list || !list[0])
		return err_set(e, EXIT_USAGE, "no DNS resolvers configured");
	for (size_t i = 0; list[i]; i++) {
		struct dns_server_addr sa;
		struct dns_reply t = {0};

		if (dns_server_parse(list[i], 53, &sa) < 0)
			return err_set(e, EXIT_USAGE,
				       "invalid DNS server address \"%s\": use IP, IP:PORT or [IPv6]:PORT",
				       list[i]);
		err_clear(&last);
		if (ask_one(c, &sa, name, type, timeout_s, &t, &last) < 0) {
			if (last.exit_code == EXIT_USAGE)
				break;
			continue;
		}
		dns_reply_free(&r);
		r = t;
		have = true;
		snprintf(used, used_cap, "%s", sa.text);
		if (r.msg.rcode != DNS_R_SERVFAIL && r.msg.rcode != DNS_R_REFUSED)
			break;
	}
	if (!have)
		return err_set_kind(e, last.exit_code ? last.exit_code : EXIT_OP, last.kind, "%s",
				    last.msg);
	*out = r;
	return 0;
}

/* The records of type T in the answer section of R, and the owner of an
 * SOA in its authority section, as a dns_answer. */
static int answer_of(const struct dns_reply *r, int t, struct dns_answer *out, struct error *e)
{
	struct dns_answer a = {0};
	int rc = -1;

	a.rcode = r->msg.rcode;
	a.authoritative = (r->msg.flags & DNS_F_AA) != 0;
	a.values = calloc((size_t)r->msg.nrr + 1, sizeof(*a.values));
	a.owners = calloc((size_t)r->msg.nrr + 1, sizeof(*a.owners));
	if (!a.values || !a.owners) {
		err_nomem(e);
		goto out;
	}
	for (size_t i = 0; i < r->msg.nrr; i++) {
		const struct dns_rr *rr = &r->msg.rrs[i];
		char owner[DNS_NAME_TEXT];

		if (rr->rclass != DNS_C_IN || dns_rr_owner(&r->msg, rr, owner, sizeof(owner)) < 0)
			continue;
		if (rr->section == DNS_S_AUTHORITY && rr->type == DNS_T_SOA && !a.soa_owner) {
			a.soa_owner = strdup(owner);
			if (!a.soa_owner) {
				err_nomem(e);
				goto out;
			}
		}
		if (rr->section != DNS_S_ANSWER || rr->type != t)
			continue;
		if (dns_rdata_text(&r->msg, rr, &a.values[a.n]) < 0)
			continue;
		a.owners[a.n] = strdup(owner);
		if (!a.owners[a.n]) {
			free(a.values[a.n]);
			a.values[a.n] = NULL;
			err_nomem(e);
			goto out;
		}
		a.n++;
	}
	*out = a;
	memset(&a, 0, sizeof(a));
	rc = 0;
out:
	dns_answer_free(&a);
	return rc;
}

int dns_query_opt(const struct dns_client *c, const char *server, const char *name,
		  const char *type, long timeout_seconds, struct dns_answer *out, struct error *e)
{
	struct dns_reply r = {0};
	char used[80] = "";
	int t = dns_type_from_name(type), rc = -1;
	uint8_t w[DNS_MAX_WIRE_NAME];

	if (t < 0 || t == DNS_T_OPT || t == DNS_T_TSIG || t == DNS_T_ANY)
		return err_set(e, EXIT_USAGE, "unsupported DNS record type \"%s\"", type ? type : "");
	if (!name || dns_name_to_wire(name, w) < 0)
		return err_set(e, EXIT_USAGE, "invalid DNS name \"%s\"", name ? name : "");
	if (ask(c, server, name, t, dns_timeout(c, timeout_seconds), &r, used, sizeof(used), e) < 0)
		goto out;
	if (answer_of(&r, t, out, e) < 0) {
		err_prefix(e, "reading a DNS answer from %s", used);
		goto out;
	}
	rc = 0;
out:
	dns_reply_free(&r);
	return rc;
}

int dns_query(const struct dns_client *c, const char *server, const char *name, const char *type,
	      struct dns_answer *out, struct error *e)
{
	return dns_query_opt(c, server, name, type, 0, out, e);
}

/* NAME with its suffix OWNER replaced by TARGET (RFC 6672), malloc'd; NULL
 * when out of memory or when the result is not a valid name (more than 255
 * bytes: RFC 6672's YXDOMAIN). */
static char *dname_substitute(const char *name, const char *owner, const char *target)
{
	size_t keep = strlen(name) - strlen(owner) - 1;
	size_t n = keep + 1 + strlen(target) + 1;
	char *joined = strlen(owner) + 1 < strlen(name) ? malloc(n) : NULL;
	uint8_t w[DNS_MAX_WIRE_NAME];

	if (!joined)
		return NULL;
	snprintf(joined, n, "%.*s.%s", (int)keep, name, target);
	if (dns_name_to_wire(joined, w) < 0) {
		free(joined);
		return NULL;
	}
	return joined;
}

/* Where the alias at CUR points, from the answer section of M: a CNAME
 * owned by CUR, else a DNAME owned by an ancestor of CUR. *NEXT is NULL
 * when there is no alias. */
static int alias_target(const struct dns_msg *m, const char *cur, char **next)
{
	char owner[DNS_NAME_TEXT];
	char *target = NULL;

	*next = NULL;
	for (int pass = 0; pass < 2; pass++) {
		int want = pass == 0 ? DNS_T_CNAME : DNS_T_DNAME;

		for (size_t i = 0; i < m->nrr; i++) {
			const struct dns_rr *rr = &m->rrs[i];

			if (rr->section != DNS_S_ANSWER || rr->type != want ||
			    dns_rr_owner(m, rr, owner, sizeof(owner)) < 0)
				continue;
			if (want == DNS_T_CNAME && !dns_name_equal(owner, cur))
				continue;
			if (want == DNS_T_DNAME &&
			    (!dns_name_under(cur, owner) || dns_name_equal(cur, owner)))
				continue;
			if (dns_rdata_text(m, rr, &target) < 0)
				return -1;
			if (want == DNS_T_DNAME) {
				char *joined = dname_substitute(cur, owner, target);

				free(target);
				target = joined;
				if (!target)
					return -1;
			}
			*next = target;
			return 0;
		}
	}
	return 0;
}

/* The error for a loop: SEEN[FROM..NSEEN) led back to NEXT. */
static int alias_loop_error(const char *name, char *const *seen, size_t from, size_t nseen,
			    const char *next, struct error *e)
{
	char chain[768] = "";

	for (size_t k = from; k < nseen; k++) {
		strncat(chain, seen[k], sizeof(chain) - strlen(chain) - 1);
		strncat(chain, " -> ", sizeof(chain) - strlen(chain) - 1);
	}
	strncat(chain, next, sizeof(chain) - strlen(chain) - 1);
	return err_set(e, EXIT_OP, "CNAME loop from %s: %s", name, chain);
}

/* One step from CUR: *NEXT is where its alias points, NULL when none. */
static int follow_step(const struct dns_client *c, const char *cur, char **next, struct error *e)
{
	struct dns_reply r = {0};
	char used[80] = "";
	int rc = -1;

	if (ask(c, NULL, cur, DNS_T_CNAME, dns_timeout(c, 0), &r, used, sizeof(used), e) < 0)
		goto out;
	if (r.msg.rcode != DNS_R_NOERROR && r.msg.rcode != DNS_R_NXDOMAIN) {
		err_set(e, EXIT_OP, "looking up a CNAME at %s failed at %s: %s", cur, used,
			dns_rcode_name(r.msg.rcode));
		goto out;
	}
	if (alias_target(&r.msg, cur, next) < 0) {
		err_set(e, EXIT_OP, "unusable CNAME/DNAME at %s (from %s)", cur, used);
		goto out;
	}
	rc = 0;
out:
	dns_reply_free(&r);
	return rc;
}

/* *OUT (malloc'd): the one value remembered for KIND, NAME and SERVER.
 * 1 when there is one, 0 when not, -1 when out of memory. */
static int cached_one(const struct dns_client *c, enum dns_cache_kind kind, const char *name,
		      const char *server, char **out, struct error *e)
{
	char *const *v = dns_cache_get(c->cache, kind, name, server);

	if (!v)
		return 0;
	*out = strdup(v[0]);
	return *out ? 1 : err_nomem(e);
}

static void remember_one(const struct dns_client *c, enum dns_cache_kind kind, const char *name,
			 const char *server, char *value)
{
	char *v[2] = {value, NULL};

	dns_cache_put(c->cache, kind, name, server, v);
}

int dns_follow(const struct dns_client *c, const char *name, char **target, struct error *e)
{
	char *seen[MAX_ALIAS_STEPS + 2] = {0};
	size_t nseen = 0;
	char *cur = NULL, *next = NULL, *first = NULL;
	int rc = -1, hit;

	if (dns_normal_name(name, "name", &cur, e) < 0)
		return -1;
	hit = cached_one(c, DNS_CACHE_ALIAS, cur, NULL, target, e);
	if (hit != 0) {
		free(cur);
		return hit < 0 ? -1 : 0;
	}
	if (!(first = strdup(cur))) {
		err_nomem(e);
		goto out;
	}
	for (;;) {
		if (follow_step(c, cur, &next, e) < 0)
			goto out;
		if (!next)
			break;
		seen[nseen++] = cur;
		cur = NULL;
		for (size_t i = 0; i < nseen; i++) {
			if (strcmp(seen[i], next) == 0) {
				alias_loop_error(name, seen, i, nseen, next, e);
				goto out;
			}
		}
		cur = next;
		next = NULL;
		if (nseen > MAX_ALIAS_STEPS) {
			err_set(e, EXIT_OP, "more than %d CNAME/DNAME steps from %s (last %s)",
				MAX_ALIAS_STEPS, name, cur);
			goto out;
		}
	}
	if (nseen)
		dns_log(c->log, LVL_INFO, "%s is an alias of %s", seen[0], cur);
	remember_one(c, DNS_CACHE_ALIAS, first, NULL, cur);
	*target = cur;
	cur = NULL;
	rc = 0;
out:
	for (size_t i = 0; i < nseen; i++)
		free(seen[i]);
	free(first);
	free(cur);
	free(next);
	return rc;
}

/* The zone that the reply M to an SOA query for CUR names, copied to OWNER;
 * NULL when it names none. */
static const char *zone_in_reply(const struct dns_msg *m, const char *cur, char *owner, size_t cap)
{
	bool alias = false;

	for (size_t i = 0; i < m->nrr; i++) {
		const struct dns_rr *rr = &m->rrs[i];

		if (rr->section != DNS_S_ANSWER || dns_rr_owner(m, rr, owner, cap) < 0 ||
		    !dns_name_equal(owner, cur))
			continue;
		if (rr->type == DNS_T_SOA)
			return owner;
		if (rr->type == DNS_T_CNAME)
			alias = true;
	}
	/* A negative answer's SOA names the zone of the name asked, unless the
	 * name is an alias: then it belongs to the target's zone. */
	for (size_t i = 0; i < m->nrr && !alias; i++) {
		const struct dns_rr *rr = &m->rrs[i];

		if (rr->section == DNS_S_AUTHORITY && rr->type == DNS_T_SOA &&
		    dns_rr_owner(m, rr, owner, cap) == 0 && dns_name_under(cur, owner) &&
		    strcmp(owner, ".") != 0)
			return owner;
	}
	/* A referral (NS in the authority section, not authoritative) from a
	 * parent zone's server marks the zone cut itself: the child zone is
	 * where an UPDATE must go. */
	for (size_t i = 0; i < m->nrr && !alias && !(m->flags & DNS_F_AA) &&
			   m->rcode == DNS_R_NOERROR;
	     i++) {
		const struct dns_rr *rr = &m->rrs[i];

		if (rr->section == DNS_S_AUTHORITY && rr->type == DNS_T_NS &&
		    dns_rr_owner(m, rr, owner, cap) == 0 && dns_name_under(cur, owner) &&
		    strcmp(owner, ".") != 0)
			return owner;
	}
	return NULL;
}

/* SERVER as the cache knows it: "IP:PORT", NULL for the resolvers. False
 * when SERVER is not an address (the lookup then fails, saying so). */
static bool server_key(const char *server, struct dns_server_addr *sa, const char **key)
{
	*key = NULL;
	if (!server)
		return true;
	if (dns_server_parse(server, 53, sa) < 0)
		return false;
	*key = sa->text;
	return true;
}

/* The SOA walk from START (normalised NAME), asked at SERVER: the zone,
 * malloc'd, or NULL with E set. */
static char *zone_walk(const struct dns_client *c, const char *name, const char *start,
		       const char *server, struct error *e)
{
	char *cur = strdup(start), *found = NULL;

	if (!cur)
		err_nomem(e);
	while (cur && !found) {
		struct dns_reply r = {0};
		char used[80] = "", owner[DNS_NAME_TEXT], *up = NULL;
		const char *soa;

		if (ask(c, server, cur, DNS_T_SOA, dns_timeout(c, 0), &r, used, sizeof(used), e) < 0)
			goto out;
		if (r.msg.rcode == DNS_R_SERVFAIL) {
			err_set(e, EXIT_OP, "looking up the zone of %s failed at %s: SOA query for %s gave SERVFAIL",
				name, used, cur);
			dns_reply_free(&r);
			goto out;
		}
		soa = zone_in_reply(&r.msg, cur, owner, sizeof(owner));
		if (soa && (r.msg.rcode == DNS_R_NOERROR || r.msg.rcode == DNS_R_NXDOMAIN)) {
			found = strdup(soa);
			dns_reply_free(&r);
			if (!found)
				err_nomem(e);
			goto out;
		}
		dns_reply_free(&r);
		if (dns_parent_name(cur, &up, e) < 0)
			goto out;
		free(cur);
		cur = up;
		if (!cur)
			err_set(e, EXIT_OP, "no zone found for %s: no SOA record at %s or any parent",
				name, server ? server : "the resolvers");
	}
out:
	if (found)
		dns_log(c->log, LVL_DEBUG, "zone of %s is %s", name, found);
	free(cur);
	return found;
}

int dns_zone_of(const struct dns_client *c, const char *name, const char *server, char **zone,
		struct error *e)
{
	char *cur = NULL, *found = NULL;
	struct dns_server_addr sa;
	const char *key = NULL;
	bool cacheable;
	int rc = -1, hit = 0;

	if (dns_normal_name(name, "name", &cur, e) < 0)
		return -1;
	cacheable = server_key(server, &sa, &key);
	if (cacheable && (hit = cached_one(c, DNS_CACHE_ZONE, cur, key, &found, e)) < 0)
		goto out;
	if (!hit && !(found = zone_walk(c, name, cur, server, e)))
		goto out;
	if (!hit && cacheable)
		remember_one(c, DNS_CACHE_ZONE, cur, key, found);
	*zone = found;
	found = NULL;
	rc = 0;
out:
	free(cur);
	free(found);
	return rc;
}

/* Add the addresses of nameserver NS (A and AAAA at the resolvers) to *V as
 * "IP:PORT" strings. A nameserver whose addresses cannot be looked up is
 * left out: the others may do. */
static int add_ns_addresses(const struct dns_client *c, const char *zone, const char *ns,
			    char ***v, size_t *n, struct error *e)
{
	static const char *const types[] = {"A", "AAAA"};

	for (size_t t = 0; t < 2; t++) {
		struct dns_answer a = {0};
		struct error qe = {0};

		if (dns_query(c, NULL, ns, types[t], &a, &qe) < 0) {
			dns_log(c->log, LVL_DEBUG, "nameserver %s of %s: %s", ns, zone, qe.msg);
			continue;
		}
		for (size_t k = 0; k < a.n; k++) {
			char text[INET6_ADDRSTRLEN + 16];

			snprintf(text, sizeof(text), t == 0 ? "%s:%u" : "[%s]:%u", a.values[k],
				 (unsigned)c->ns_port);
			if (!dns_strv_has(*v, text) && dns_strv_push(v, n, text) < 0) {
				dns_answer_free(&a);
				return err_nomem(e);
			}
		}
		dns_answer_free(&a);
	}
	return 0;
}

/* The lookup behind dns_zone_servers: NS at the resolvers, then the
 * addresses of each. */
static int zone_servers_lookup(const struct dns_client *c, const char *zone, char ***servers,
			       struct error *e)
{
	struct dns_answer ns = {0};
	char **v = NULL;
	size_t n = 0;
	int rc = -1;

	if (dns_query(c, NULL, zone, "NS", &ns, e) < 0)
		goto out;
	if (ns.rcode != DNS_R_NOERROR || ns.n == 0) {
		err_set(e, EXIT_OP, "no NS records for zone %s (%s from the resolvers)", zone,
			dns_rcode_name(ns.rcode));
		goto out;
	}
	for (size_t i = 0; i < ns.n; i++) {
		if (dns_name_equal(ns.owners[i], zone) &&
		    add_ns_addresses(c, zone, ns.values[i], &v, &n, e) < 0)
			goto out;
	}
	if (n == 0) {
		err_set(e, EXIT_OP, "no addresses found for the nameservers of zone %s (%s%s)", zone,
			ns.values[0], ns.n > 1 ? ", ..." : "");
		goto out;
	}
	*servers = v;
	v = NULL;
	rc = 0;
out:
	dns_answer_free(&ns);
	dns_strv_free(v);
	return rc;
}

int dns_zone_servers(const struct dns_client *c, const char *zone, char ***servers,
		     struct error *e)
{
	char **v = NULL, *key = NULL;
	char *const *known;
	size_t n = 0;
	int rc = -1;

	if (dns_normal_name(zone, "zone", &key, e) < 0)
		return -1;
	known = dns_cache_get(c->cache, DNS_CACHE_SERVERS, key, NULL);
	for (size_t i = 0; known && known[i]; i++)
		if (dns_strv_push(&v, &n, known[i]) < 0) {
			err_nomem(e);
			goto out;
		}
	if (!known) {
		if (zone_servers_lookup(c, key, &v, e) < 0)
			goto out;
		dns_cache_put(c->cache, DNS_CACHE_SERVERS, key, NULL, v);
	}
	*servers = v;
	v = NULL;
	rc = 0;
out:
	dns_strv_free(v);
	free(key);
	return rc;
}
