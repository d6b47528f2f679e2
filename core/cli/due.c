/* When a lineage is due: RFC 9773's renewal window, or the lifetime
 * rule. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acme/acme.h"
#include "acme/ari.h"
#include "base/crypto.h"
#include "base/log.h"
#include "cli/due.h"
#include "cli/engine.h"
#include "conf/settings.h"
#include "cli/choose.h"
#include "store/status.h"

#define SHORT_LIVED (10 * 86400)
/* How long a CA found without renewal information is believed to stay
 * so: a CA that starts offering it is asked within a day, and the light
 * path of renew asks nobody meanwhile. */
#define NO_ARI_RECHECK (24 * 3600)

/* The first moment the lifetime rule makes a certificate due. */
static time_t lifetime_due_at(time_t not_before, time_t not_after)
{
	time_t life = not_after - not_before;

	return not_after - (life <= SHORT_LIVED ? life / 2 : life / 3) + 1;
}

/* The moment inside window [START, END] at which the certificate with
 * renewal identifier ID renews. It is drawn once per certificate and
 * window from the identifier, not anew each run: the fleet's lineages
 * still spread over the window, and every run (the light path and the
 * full one) agrees on the same moment. */
static time_t window_pick(const char *id, time_t start, time_t end)
{
	struct ari_window w = {.start = start, .end = end};
	unsigned long h = 14695981039346656037UL;
	time_t at;

	for (const char *p = id; p && *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211UL;
	h ^= (unsigned long)start * 31 + (unsigned long)end;
	h = (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9UL;
	h ^= h >> 32;
	ari_window_due(&w, start, h, &at);
	return at;
}

bool due_by_lifetime(time_t not_before, time_t not_after, time_t now)
{
	return now >= lifetime_due_at(not_before, not_after);
}

char *due_live_cert_id(struct engine *eng, const char *name)
{
	char p[PATH_MAX];
	struct error e = {0};
	X509 *c = NULL;
	char *id = NULL;

	if (store_live_path(&eng->store, name, "cert", p, sizeof(p)) < 0)
		return NULL;
	c = crypto_cert_load(p, &e);
	if (c)
		id = crypto_cert_ari_id(c, &e);
	if (!id)
		log_msg(&eng->log, LVL_DEBUG, "%s: no renewal information identifier: %s", name,
		        e.msg);
	X509_free(c);
	return id;
}

/* The window of NAME from the CA into *W, recorded in NAME's status
 * record. False (logged) when there is none to be had; *OFFERS_NONE then
 * tells whether the CA's directory lacks renewal information. */
static bool fetch_window(struct engine *eng, const char *server, const char *name,
                         X509 *cert, struct ari_window *w, bool *offers_none)
{
	struct acme a = {0};
	struct error e = {0};
	struct lineage_status st = {0};
	char *id = NULL;
	bool ok = false;

	*offers_none = false;
	if (engine_no_ari(eng, server, offers_none))
		goto out;
	if (engine_acme(eng, server, &a, &e) < 0) {
		log_msg(&eng->log, LVL_WARN, "cannot ask for the renewal window of %s: %s", name,
		        e.msg);
		engine_note_no_ari(eng, server, false);
		goto out;
	}
	if (!acme_resource(&a, "renewalInfo")) {
		*offers_none = true;
		engine_note_no_ari(eng, server, true);
		goto out;
	}
	if (!(id = crypto_cert_ari_id(cert, &e)) || ari_fetch(&a, id, w, &e) < 0) {
		log_msg(&eng->log, LVL_WARN, "%s: %s; judging by the certificate's lifetime", name,
		        e.msg);
		goto out;
	}
	if (w->explanation)
		log_msg(&eng->log, LVL_INFO, "The CA explains the renewal window of %s at %s", name,
		        w->explanation);
	st.ari_start = w->start;
	st.ari_end = w->end;
	st.ari_next_check = w->next_check;
	if (status_write_ari(&eng->store, name, &st, &e) < 0)
		log_msg(&eng->log, LVL_WARN, "cannot record the renewal window of %s: %s", name,
		        e.msg);
	ok = true;
out:
	free(id);
	acme_close(&a);
	return ok;
}

/* Whether this run may trust what NAME's record says the renewal file
 * holds: a command line with --server or --force-renewal decides
 * otherwise than the renewal file would. (A dry run never gets here: it
 * treats every lineage as due and records nothing.) */
static bool plain_run(const struct engine *eng)
{
	return !eng->cli->server && eng->cli->force_renewal != 1 && eng->ini->force_renewal != 1;
}

/* The renewal window of NAME's CERT into *DUE and WHY: the one recorded
 * while the CA asked not to be asked again, else the CA's answer. False
 * when there is no window (the caller judges by the lifetime); then
 * *OFFERS_NONE tells whether the CA offers no renewal information, known
 * from KNOWN (NAME's facts, still valid) or from asking. */
static bool by_window(struct engine *eng, const char *server, const char *name, X509 *cert,
                      const struct lineage_facts *known, bool *due, bool *offers_none,
                      char *why, size_t cap)
{
	struct lineage_status st = {0};
	struct ari_window w = {0};
	struct error e = {0};
	time_t now = time(NULL), at;
	char when[32], *id = NULL;

	*offers_none = false;
	/* The CA said when to ask again: until then its last answer stands. */
	if (status_read(&eng->store, name, &st, &e) == 0 && st.ari_next_check > now &&
	    st.ari_end >= st.ari_start && st.ari_end > 0) {
		w.start = st.ari_start;
		w.end = st.ari_end;
		log_msg(&eng->log, LVL_DEBUG, "%s: using the recorded renewal window", name);
	} else if (known && known->renewal_mark[0] && known->no_ari_until > now &&
	           strcmp(known->server, server) == 0) {
		log_msg(&eng->log, LVL_DEBUG, "%s: %s offered no renewal information lately", name,
		        server);
		*offers_none = true;
		return false;
	} else if (!fetch_window(eng, server, name, cert, &w, offers_none)) {
		return false;
	}
	id = crypto_cert_ari_id(cert, &e);
	at = window_pick(id, w.start, w.end);
	*due = now >= at;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC",
	         gmtime_r(*due ? &w.start : &at, &(struct tm){0}));
	if (*due)
		snprintf(why, cap, "the CA's renewal window began at %s", when);
	else
		snprintf(why, cap, "the CA's renewal window has it renewed from %s", when);
	free(id);
	ari_window_free(&w);
	return true;
}

/* The issuer of CERT as people know it: its CN, or its O without one. */
static void issuer_of(X509 *cert, char *dst, size_t cap)
{
	const X509_NAME *nm = X509_get_issuer_name(cert);
	int nids[] = {NID_commonName, NID_organizationName};

	snprintf(dst, cap, "%s", "");
	for (size_t i = 0; i < 2; i++) {
		int at = X509_NAME_get_index_by_NID(nm, nids[i], -1);
		unsigned char *u = NULL;
		if (at < 0 ||
		    ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(nm, at))) < 0)
			continue;
		snprintf(dst, cap, "%s", (char *)u);
		OPENSSL_free(u);
		return;
	}
}

/* archive/NAME/certVERSION.pem's identity into DST, or live/NAME/cert.pem's
 * for a version 0 (a live/ directory that is no link into archive/). */
static int cert_mark(struct engine *eng, const char *name, int version, char *dst, size_t cap)
{
	char dir[PATH_MAX], p[PATH_MAX + 32];

	if (version <= 0)
		return store_live_path(&eng->store, name, "cert", p, sizeof(p)) < 0
		               ? -1
		               : status_file_mark(p, dst, cap);
	if (store_archive_dir(&eng->store, name, dir, sizeof(dir)) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/cert%d.pem", dir, version);
	return status_file_mark(p, dst, cap);
}

bool due_facts_live(struct engine *eng, const char *name, const struct lineage_facts *f)
{
	char mark[STATUS_MARK_MAX];

	return f->version > 0 && f->version == store_live_version(&eng->store, name) &&
	       cert_mark(eng, name, f->version, mark, sizeof(mark)) == 0 &&
	       strcmp(mark, f->cert_mark) == 0;
}

int due_facts_of(struct engine *eng, const char *name, const struct settings *s, X509 *cert,
                 int version, struct lineage_facts *out, struct error *e)
{
	struct lineage_facts f = {.version = version};
	struct cert_info ci = {0};
	struct error ignore = {0};
	char p[PATH_MAX], *kd = NULL, *id = NULL;
	size_t n = 0;
	int ret = -1;

	if (crypto_cert_info(cert, &ci, e) < 0)
		goto out;
	while (ci.names && ci.names[n])
		n++;
	f.names = calloc(n + 1, sizeof(*f.names));
	if (!f.names)
		goto nomem;
	for (size_t i = 0; i < n; i++)
		if (!(f.names[i] = strdup(ci.names[i])))
			goto nomem;
	kd = crypto_key_describe(X509_get0_pubkey(cert));
	snprintf(f.key_type, sizeof(f.key_type), "%s", kd ? kd : "unknown");
	issuer_of(cert, f.issuer, sizeof(f.issuer));
	snprintf(f.profile, sizeof(f.profile), "%s",
	         s && s->preferred_profile ? s->preferred_profile : "");
	snprintf(f.serial, sizeof(f.serial), "%s", ci.serial);
	id = crypto_cert_ari_id(cert, &ignore);
	snprintf(f.ari_id, sizeof(f.ari_id), "%s", id && strlen(id) < sizeof(f.ari_id) ? id : "");
	f.not_before = ci.not_before;
	f.not_after = ci.not_after;
	if (cert_mark(eng, name, version, f.cert_mark, sizeof(f.cert_mark)) < 0) {
		err_set(e, EXIT_OP, "cannot find the certificate of %s (version %d)", name, version);
		goto out;
	}
	if (s && plain_run(eng) && s->force_renewal != 1 &&
	    store_renewal_path(&eng->store, name, p, sizeof(p)) == 0 &&
	    status_file_mark(p, f.renewal_mark, sizeof(f.renewal_mark)) == 0) {
		struct lineage_status was = {0};
		struct lineage_facts old = {0};
		/* Dry runs, the one case where issue_server_url asks another
		 * server, record no facts. */
		snprintf(f.server, sizeof(f.server), "%s", config_server_url(s->server));
		/* What is known of the server outlives a renewal. */
		if (status_read_all(&eng->store, name, &was, &old, &ignore) == 0 &&
		    old.renewal_mark[0] && strcmp(old.server, f.server) == 0)
			f.no_ari_until = old.no_ari_until;
		status_facts_free(&old);
	}
	*out = f;
	memset(&f, 0, sizeof(f));
	ret = 0;
	goto out;
nomem:
	err_nomem(e);
out:
	status_facts_free(&f);
	crypto_cert_info_free(&ci);
	free(kd);
	free(id);
	return ret;
}

/* Record in NAME's status the facts of CERT (version LIVE) when the
 * record lacks them or they are stale: the repair that lets the next run
 * take the light path. OFFERS_NONE: the CA was just found without
 * renewal information. Failures are only logged: the record is a cache. */
static void record_facts(struct engine *eng, const char *name, const struct settings *s,
                         X509 *cert, int live, const struct lineage_facts *old, bool offers_none)
{
	struct lineage_facts f = {0};
	struct error e = {0};
	time_t now = time(NULL);

	if (live <= 0)
		return;
	if (due_facts_of(eng, name, s, cert, live, &f, &e) < 0) {
		log_msg(&eng->log, LVL_WARN, "cannot record the status of %s: %s", name, e.msg);
		goto out;
	}
	if (offers_none)
		f.no_ari_until = now + NO_ARI_RECHECK;
	else if (old->no_ari_until > now && strcmp(old->server, f.server) == 0)
		f.no_ari_until = old->no_ari_until;
	else
		f.no_ari_until = 0;
	if (old->version == f.version && strcmp(old->cert_mark, f.cert_mark) == 0 &&
	    strcmp(old->renewal_mark, f.renewal_mark) == 0 && strcmp(old->server, f.server) == 0 &&
	    strcmp(old->profile, f.profile) == 0 && (old->no_ari_until > now) == (f.no_ari_until > now))
		goto out;
	log_msg(&eng->log, LVL_DEBUG, "%s: recording the facts of version %d in its status", name,
	        live);
	if (status_write_facts(&eng->store, name, &f, &e) < 0)
		log_msg(&eng->log, LVL_WARN, "cannot record the status of %s: %s", name, e.msg);
out:
	status_facts_free(&f);
}

bool due_lineage(struct engine *eng, const char *name, const struct settings *s, char *why,
                 size_t cap)
{
	char p[PATH_MAX];
	struct error e = {0};
	struct cert_info ci = {0};
	struct lineage_status st = {0};
	struct lineage_facts old = {0};
	X509 *c = NULL;
	bool due = true, offers_none = false;
	size_t n = 0;
	int live = store_live_version(&eng->store, name);

	store_live_path(&eng->store, name, "cert", p, sizeof(p));
	c = crypto_cert_load(p, &e);
	if (!c || crypto_cert_info(c, &ci, &e) < 0) {
		snprintf(why, cap, "the live certificate is unreadable (%s)", e.msg);
		goto out;
	}
	while (ci.names && ci.names[n])
		n++;
	if (!lineage_same_names(ci.names, n, s->domains, s->n_domains)) {
		snprintf(why, cap, "its names changed");
		goto out;
	}
	/* A record that cannot be read is repaired below, not trusted. */
	if (status_read_all(&eng->store, name, &st, &old, &e) < 0) {
		log_msg(&eng->log, LVL_WARN, "%s; rewriting it", e.msg);
		memset(&old, 0, sizeof(old));
	}
	if (old.version != live || !old.renewal_mark[0] || !plain_run(eng))
		old.no_ari_until = 0;
	if (by_window(eng, config_server_url(s->server), name, c, &old, &due, &offers_none, why,
	              cap))
		goto record;
	due = due_by_lifetime(ci.not_before, ci.not_after, time(NULL));
	if (due) {
		snprintf(why, cap, "less than %s of its lifetime is left",
		         ci.not_after - ci.not_before <= SHORT_LIVED ? "half" : "a third");
	} else {
		char date[32];
		strftime(date, sizeof(date), "%Y-%m-%d", gmtime_r(&ci.not_after, &(struct tm){0}));
		snprintf(why, cap, "it expires on %s", date);
	}
record:
	record_facts(eng, name, s, c, live, &old, offers_none);
out:
	status_facts_free(&old);
	crypto_cert_info_free(&ci);
	X509_free(c);
	return due;
}

time_t due_next_renewal(const struct lineage_status *st, const struct lineage_facts *f,
                        time_t now, const char **kind, char *why, size_t cap)
{
	char a[32], b[32];
	time_t at;

	if (st->ari_end > 0 && st->ari_end >= st->ari_start) {
		at = window_pick(f->ari_id, st->ari_start, st->ari_end);
		strftime(a, sizeof(a), "%Y-%m-%d %H:%M UTC", gmtime_r(&st->ari_start, &(struct tm){0}));
		strftime(b, sizeof(b), "%Y-%m-%d %H:%M UTC", gmtime_r(&st->ari_end, &(struct tm){0}));
		*kind = "renewal window";
		snprintf(why, cap, "inside the CA's renewal window, %s to %s", a, b);
	} else {
		at = lifetime_due_at(f->not_before, f->not_after);
		*kind = "lifetime";
		snprintf(why, cap, "%s of its lifetime left",
		         f->not_after - f->not_before <= SHORT_LIVED ? "half" : "a third");
	}
	/* A failed lineage is tried again once the wait ends, whatever its
	 * lifetime says: it failed because it was due. */
	if (st->next_attempt > now &&
	    (st->next_attempt > at || strcmp(st->last_outcome, "failed") == 0)) {
		at = st->next_attempt;
		*kind = st->backoff ? "backoff" : "retry-after";
		if (st->backoff)
			snprintf(why, cap, "renew pauses after %d failed attempts in a row",
			         st->failures);
		else
			snprintf(why, cap, "the CA asked not to be contacted before then");
	}
	return at;
}

time_t due_backoff(int failures)
{
	const time_t hour = 3600, day = 24 * hour;

	if (failures < 2)
		return 0;
	/* 1, 2, 4, 8 and 16 hours, then a day. */
	return failures - 2 < 5 ? hour << (failures - 2) : day;
}

bool due_settled(struct engine *eng, const char *name, char *why, size_t cap)
{
	struct lineage_status st = {0};
	struct lineage_facts f = {0};
	struct error e = {0};
	char mark[STATUS_MARK_MAX], p[PATH_MAX], when[32];
	const char *kind;
	time_t now = time(NULL), at;
	bool settled = false;

	if (!plain_run(eng) || status_read_all(&eng->store, name, &st, &f, &e) < 0 ||
	    f.version <= 0 || !f.renewal_mark[0])
		goto out;
	/* Every fact must describe what live/ serves now, and the renewal
	 * file must be the one the record's facts were taken from. */
	if (!due_facts_live(eng, name, &f) || (st.deploy_pending && st.version == f.version) ||
	    store_renewal_path(&eng->store, name, p, sizeof(p)) < 0 ||
	    status_file_mark(p, mark, sizeof(mark)) < 0 || strcmp(mark, f.renewal_mark) != 0)
		goto out;
	/* A window the CA asked to be asked about again, or a CA that may
	 * have started offering windows, needs the full path's request. */
	if (st.ari_end > 0 ? st.ari_next_check <= now : f.no_ari_until <= now)
		goto out;
	st.next_attempt = 0; /* the full path says why it waits */
	at = due_next_renewal(&st, &f, now, &kind, why, cap);
	if (now >= at)
		goto out;
	if (strcmp(kind, "lifetime") == 0) {
		strftime(when, sizeof(when), "%Y-%m-%d", gmtime_r(&f.not_after, &(struct tm){0}));
		snprintf(why, cap, "it expires on %s", when);
	} else {
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime_r(&at, &(struct tm){0}));
		snprintf(why, cap, "the CA's renewal window has it renewed from %s", when);
	}
	settled = true;
out:
	status_facts_free(&f);
	return settled;
}
