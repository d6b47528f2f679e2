/* When a lineage is due: RFC 9773's renewal window, or the lifetime
 * rule. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "acme/acme.h"
#include "acme/ari.h"
#include "base/crypto.h"
#include "base/log.h"
#include "cli/due.h"
#include "cli/engine.h"
#include "store/status.h"

#define SHORT_LIVED (10 * 86400)

bool due_by_lifetime(time_t not_before, time_t not_after, time_t now)
{
	time_t life = not_after - not_before;

	return not_after - now < (life <= SHORT_LIVED ? life / 2 : life / 3);
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
 * record. False (logged) when there is none to be had. */
static bool fetch_window(struct engine *eng, const char *server, const char *name,
                         X509 *cert, struct ari_window *w)
{
	struct acme a = {0};
	struct error e = {0};
	struct lineage_status st = {0};
	char *id = NULL;
	bool ok = false;

	if (engine_no_ari(eng, server))
		goto out;
	if (engine_acme(eng, server, &a, &e) < 0) {
		log_msg(&eng->log, LVL_WARN, "cannot ask for the renewal window of %s: %s", name,
		        e.msg);
		engine_note_no_ari(eng, server);
		goto out;
	}
	if (!acme_resource(&a, "renewalInfo")) {
		engine_note_no_ari(eng, server);
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

bool due_by_window(struct engine *eng, const char *server, const char *name, X509 *cert,
                   bool *due, char *why, size_t cap)
{
	struct lineage_status st = {0};
	struct ari_window w = {0};
	struct error e = {0};
	unsigned long r = 0;
	time_t now = time(NULL), at;
	char when[32];

	/* The CA said when to ask again: until then its last answer stands. */
	if (status_read(&eng->store, name, &st, &e) == 0 && st.ari_next_check > now &&
	    st.ari_end >= st.ari_start && st.ari_end > 0) {
		w.start = st.ari_start;
		w.end = st.ari_end;
		log_msg(&eng->log, LVL_DEBUG, "%s: using the recorded renewal window", name);
	} else if (!fetch_window(eng, server, name, cert, &w)) {
		return false;
	}
	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (unsigned long)now;
	*due = ari_window_due(&w, now, r, &at);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC",
	         gmtime_r(*due ? &w.start : &at, &(struct tm){0}));
	if (*due)
		snprintf(why, cap, "the CA's renewal window began at %s", when);
	else
		snprintf(why, cap, "the CA's renewal window has it renewed from %s", when);
	ari_window_free(&w);
	return true;
}
