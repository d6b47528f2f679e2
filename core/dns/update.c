/* RFC 2136 UPDATEs of TXT records, TSIG-signed, over TCP; see update.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns/transport.h"
#include "dns/update.h"
#include "dns/util.h"

/* Where an UPDATE goes and what it changes, checked and normalised. */
struct update_target {
	struct dns_server_addr sa;
	char **names;             /* owned, lower case, N of them */
	const char *const *txts;  /* borrowed, N of them */
	size_t n;
	char *zone;               /* owned, lower case */
	char what[DNS_NAME_TEXT + 48]; /* the records, for messages: "NAME" or "NAME and 9 more" */
};

static void target_free(struct update_target *t)
{
	for (size_t i = 0; t->names && i < t->n; i++)
		free(t->names[i]);
	free(t->names);
	free(t->zone);
	t->names = NULL;
	t->zone = NULL;
}

/* Check the server, names, values and zone of U; find the zone when U does
 * not name one. */
static int target_of(const struct dns_client *c, const struct dns_update_req *u,
		     struct update_target *out, struct error *e)
{
	struct update_target t = {0};
	const char *const *names = u->n ? u->names : &u->name;
	int rc = -1;

	t.txts = u->n ? u->txts : &u->txt;
	if (!u->server || dns_server_parse(u->server, 53, &t.sa) < 0) {
		err_set(e, EXIT_USAGE, "invalid DNS server address \"%s\": use IP, IP:PORT or [IPv6]:PORT",
			u->server ? u->server : "");
		goto out;
	}
	if (!names || !t.txts) {
		err_set(e, EXIT_USAGE, "DNS UPDATE without records");
		goto out;
	}
	t.names = calloc(u->n ? u->n : 1, sizeof(*t.names));
	if (!t.names) {
		err_nomem(e);
		goto out;
	}
	while (t.n < (u->n ? u->n : 1)) {
		if (dns_normal_name(names[t.n], "name", &t.names[t.n], e) < 0)
			goto out;
		t.n++;
		if (!t.txts[t.n - 1] || strlen(t.txts[t.n - 1]) > 255) {
			err_set(e, EXIT_USAGE, "TXT value for %s must be at most 255 bytes",
				t.names[t.n - 1]);
			goto out;
		}
	}
	if (u->zone ? dns_normal_name(u->zone, "zone", &t.zone, e) < 0
		    : dns_zone_of(c, t.names[0], t.sa.text, &t.zone, e) < 0)
		goto out;
	for (size_t i = 0; i < t.n; i++)
		if (!dns_name_under(t.names[i], t.zone)) {
			err_set(e, EXIT_USAGE, "%s is not in zone %s", t.names[i], t.zone);
			goto out;
		}
	if (t.n == 1)
		snprintf(t.what, sizeof(t.what), "%s", t.names[0]);
	else
		snprintf(t.what, sizeof(t.what), "%s and %zu more", t.names[0], t.n - 1);
	*out = t;
	memset(&t, 0, sizeof(t));
	rc = 0;
out:
	target_free(&t);
	return rc;
}

/* Check the signature on the reply R to a message signed with KEY whose MAC
 * was MAC (MAC_LEN bytes). A server that rejects our signature answers
 * unsigned with the TSIG error set; that verdict is the error to report. */
static int check_signed_reply(const struct dns_tsig_key *key, const struct dns_reply *r,
			      const uint8_t *mac, size_t mac_len, const struct update_target *t,
			      struct error *e)
{
	struct dns_tsig_rr rr;
	int v = dns_tsig_verify(key, &r->msg, mac, mac_len, (uint64_t)time(NULL), &rr);

	if (v < 0 && r->msg.rcode == DNS_R_NOERROR)
		return err_set(e, EXIT_OP,
			       "DNS UPDATE of %s in zone %s at %s: the reply is not TSIG-signed; not trusting it",
			       t->what, t->zone, t->sa.text);
	if (v > 0 && rr.error == (uint16_t)v)
		return err_set(e, EXIT_OP, "DNS UPDATE of %s in zone %s at %s refused: %s (%s)%s",
			       t->what, t->zone, t->sa.text, dns_rcode_name(r->msg.rcode),
			       dns_rcode_name(v),
			       v == DNS_R_BADTIME  ? ": check the system clock"
			       : v == DNS_R_BADKEY ? ": check the key name and algorithm"
						   : ": check the key secret");
	if (v > 0)
		return err_set(e, EXIT_OP,
			       "DNS UPDATE of %s in zone %s at %s: the reply fails TSIG verification (%s)",
			       t->what, t->zone, t->sa.text, dns_rcode_name(v));
	return 0;
}

int dns_update_txt(const struct dns_client *c, const struct dns_update_req *u, struct error *e)
{
	struct update_target t = {0};
	struct dns_tsig_key key;
	struct dns_reply r = {0};
	uint8_t *msg = NULL, mac[DNS_TSIG_MAX_MAC];
	size_t len = 0, mac_len = 0;
	uint16_t id;
	bool keyed = u->key_name && *u->key_name;
	int n, rc = -1;

	memset(&key, 0, sizeof(key));
	if (target_of(c, u, &t, e) < 0)
		goto out;
	if (keyed && dns_tsig_key_init(&key, u->key_name, u->key_alg, u->key_secret, e) < 0)
		goto out;
	if (dns_random_id(&id) < 0) {
		err_set(e, EXIT_OP, "cannot get random bytes for a DNS message ID");
		goto out;
	}
	/* The largest message TCP can carry: a batch of a whole order's
	 * records fits, and one that does not is refused, never split (the
	 * parts would no longer succeed or fail together). */
	msg = malloc(DNS_MAX_MSG);
	if (!msg) {
		err_nomem(e);
		goto out;
	}
	n = dns_build_update_txts(msg, DNS_MAX_MSG, id, t.zone, (const char *const *)t.names,
				  t.txts, t.n, u->ttl ? u->ttl : 60, u->add);
	if (n < 0) {
		err_set(e, EXIT_USAGE, "cannot build a DNS UPDATE for %s in zone %s%s", t.what, t.zone,
			t.n > 1 ? ": too large for one message" : "");
		goto out;
	}
	len = (size_t)n;
	if (keyed && dns_tsig_sign(&key, msg, &len, DNS_MAX_MSG, (uint64_t)time(NULL), mac,
				   &mac_len) < 0) {
		err_set(e, EXIT_OP, "cannot TSIG-sign the DNS UPDATE for %s", t.what);
		goto out;
	}
	if (dns_exchange(&t.sa, msg, len, true, dns_timeout(c, u->timeout_seconds), &r, e) < 0) {
		err_prefix(e, "DNS UPDATE of %s in zone %s", t.what, t.zone);
		goto out;
	}
	if (keyed && check_signed_reply(&key, &r, mac, mac_len, &t, e) < 0)
		goto out;
	if (r.msg.rcode != DNS_R_NOERROR) {
		err_set(e, EXIT_OP, "DNS UPDATE of %s in zone %s at %s refused: %s", t.what, t.zone,
			t.sa.text, dns_rcode_name(r.msg.rcode));
		goto out;
	}
	for (size_t i = 0; i < t.n; i++)
		dns_log(c->log, t.n > 1 ? LVL_DEBUG : LVL_INFO,
			"DNS UPDATE: %s TXT \"%s\" %s %s in zone %s at %s", u->add ? "added" : "deleted",
			t.txts[i], u->add ? "at" : "from", t.names[i], t.zone, t.sa.text);
	if (t.n > 1)
		dns_log(c->log, LVL_INFO, "DNS UPDATE: %s %zu TXT records in zone %s at %s, in one message",
			u->add ? "added" : "deleted", t.n, t.zone, t.sa.text);
	rc = 0;
out:
	dns_tsig_key_wipe(&key);
	dns_reply_free(&r);
	free(msg);
	target_free(&t);
	return rc;
}
