/* renew: every lineage that is due (or the one --cert-name names), up to
 * --parallel at once. One failing lineage does not stop the others; a
 * fatal signal stops them all, each cleaning up what it presented. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/sleep.h"
#include "cli/engine.h"
#include "cli/lineage.h"

/* certbot's default: timers of many hosts fire at the same minute. */
#define RENEW_SLEEP_MAX_MS (8L * 60 * 1000)
/* More threads than this would only queue at the CA. */
#define RENEW_PARALLEL_MAX 64

/* The lineages of one renew run and how they went, shared by its
 * threads. */
struct renew_run {
	struct engine *eng;
	pthread_mutex_t lock;   /* guards everything below */
	char **names;           /* borrowed: the lineages to try, in order */
	size_t n, next;         /* how many, and the next one to take */
	size_t tried, failed, usage;
	bool stop;              /* a fatal signal came: take no more lineages */
	pthread_t *threads;     /* the workers, to pass the signal on to */
	size_t n_threads;
};

static int renew_all(struct engine *eng, struct error *e);

int cmd_renew(struct engine *eng, struct error *e)
{
	char dir[PATH_MAX];
	struct error post = {0};
	int ret = -1;

	if (eng->cli->json == 1)
		return err_set(e, EXIT_USAGE, "renew has no JSON output; --json is for `acmehook "
		                              "certificates`");
	if (eng->base.parallel > RENEW_PARALLEL_MAX)
		return err_set(e, EXIT_USAGE, "--parallel %d: renew runs at most %d certificates at "
		               "once", eng->base.parallel, RENEW_PARALLEL_MAX);
	if (store_hooks_dir(&eng->store, dir, sizeof(dir)) < 0) {
		err_set(e, EXIT_USAGE, "config directory path too long: %s", eng->store.config_dir);
		goto out;
	}
	eng->hooks.log = &eng->log;
	eng->hooks.dir = strdup(dir);
	if (!eng->hooks.dir) {
		err_nomem(e);
		goto out;
	}
	if (eng->base.no_random_sleep != 1 && !isatty(STDIN_FILENO))
		eng->hooks.sleep_max_ms = RENEW_SLEEP_MAX_MS;
	ret = renew_all(eng, e);
	/* The post hooks run even when renewals failed: they restart what the
	 * pre hooks stopped. */
	if (hook_run_end(&eng->hooks, &post) < 0 && ret == 0) {
		*e = post;
		ret = -1;
	}
out:
	hook_run_free(&eng->hooks);
	return ret;
}

/* Tell every other worker of R that the run is ending: the signal one of
 * them took is gone for the others, so each gets one of its own, which
 * its next wait takes (base/sleep.h) like the first. */
static void pass_signal_on(struct renew_run *r)
{
	pthread_t self = pthread_self();

	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->n_threads; i++)
		if (!pthread_equal(r->threads[i], self))
			pthread_kill(r->threads[i], SIGTERM);
	pthread_mutex_unlock(&r->lock);
}

/* Renew the lineages of R one after another with engine ENG until none
 * is left or the run is stopped. TAGGED: log lines name their lineage. */
static void renew_loop(struct renew_run *r, struct engine *eng, bool tagged)
{
	for (;;) {
		struct error one = {0};
		bool attempted = false, interrupted, first_stop = false;
		const char *name = NULL;
		int rc;

		pthread_mutex_lock(&r->lock);
		if (!r->stop && r->next < r->n)
			name = r->names[r->next++];
		pthread_mutex_unlock(&r->lock);
		if (!name)
			return;
		if (tagged)
			engine_worker_tag(eng, name);
		rc = lineage_renew(eng, name, false, &attempted, &one);
		if (tagged)
			engine_worker_tag(eng, NULL);
		if (eng->parent)
			engine_worker_flush(eng);
		if (rc < 0)
			log_msg(&eng->log, LVL_ERROR, "renewing %s failed: %s", name, one.msg);
		interrupted = rc < 0 && one.kind == ERR_INTERRUPTED;
		pthread_mutex_lock(&r->lock);
		r->tried += attempted;
		r->failed += rc < 0;
		r->usage += rc < 0 && one.exit_code == EXIT_USAGE;
		if (interrupted && !r->stop)
			first_stop = r->stop = true;
		pthread_mutex_unlock(&r->lock);
		if (first_stop)
			pass_signal_on(r);
	}
}

/* One worker thread: its engine is made before any thread starts, as
 * making it reads the whole run engine, whose hooks the threads change. */
struct renew_worker {
	struct renew_run *r;
	struct engine eng;
};

static void *renew_thread(void *arg)
{
	struct renew_worker *w = arg;

	renew_loop(w->r, &w->eng, true);
	return NULL;
}

/* Run R's lineages in N threads. The fatal signals stay blocked in all of
 * them for the whole run, so that none ends the process while another
 * thread has challenges out: a wait takes the signal (base/sleep.h) and
 * ends that lineage, which passes it on to the others. */
static int renew_threads(struct renew_run *r, size_t n, struct error *e)
{
	sigset_t fatal, old;
	struct timespec now = {0};
	struct renew_worker *ws = NULL;
	size_t started = 0, made = 0;
	int sig, rc = 0, ret = -1;

	r->threads = calloc(n, sizeof(*r->threads));
	ws = calloc(n, sizeof(*ws));
	if (!r->threads || !ws) {
		free(ws);
		return err_nomem(e);
	}
	for (; made < n; made++) {
		ws[made].r = r;
		if (engine_worker(&ws[made].eng, r->eng, NULL, e) < 0)
			goto out;
	}
	sleep_fatal_signals(&fatal);
	pthread_sigmask(SIG_BLOCK, &fatal, &old);
	/* Held while starting, so a worker that passes a signal on sees every
	 * thread. */
	pthread_mutex_lock(&r->lock);
	for (; started < n; started++) {
		rc = pthread_create(&r->threads[started], NULL, renew_thread, &ws[started]);
		if (rc != 0)
			break;
	}
	r->n_threads = started;
	pthread_mutex_unlock(&r->lock);
	if (started == 0) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		err_set(e, EXIT_OP, "cannot start a thread to renew with: %s", strerror(rc));
		goto out;
	}
	for (size_t i = 0; i < started; i++)
		pthread_join(r->threads[i], NULL);
	/* A signal that came when no thread was waiting any more (they all
	 * had finished their work) ends the run as well. */
	sig = sigtimedwait(&fatal, NULL, &now);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (sig > 0) {
		r->stop = true;
		err_set_kind(e, EXIT_OP, ERR_INTERRUPTED, "interrupted by signal %d", sig);
		goto out;
	}
	ret = 0;
out:
	for (size_t i = 0; i < made; i++)
		engine_worker_free(&ws[i].eng);
	free(ws);
	return ret;
}

/* The names of the lineages this run tries: all, or --cert-name's. */
static size_t select_names(struct engine *eng, char **names)
{
	size_t n = 0;

	for (size_t i = 0; names[i]; i++)
		if (!eng->base.cert_name || strcmp(eng->base.cert_name, names[i]) == 0)
			names[n++] = names[i];
		else
			free(names[i]);
	names[n] = NULL;
	return n;
}

static int renew_all(struct engine *eng, struct error *e)
{
	char **names = NULL, **unrecorded = NULL;
	struct renew_run r = {.eng = eng};
	size_t workers;
	int ret = -1;

	pthread_mutex_init(&r.lock, NULL);
	if (eng->cli->n_domains) {
		err_set(e, EXIT_USAGE, "renew takes no -d; use certonly -d NAME to change a certificate");
		goto out;
	}
	names = store_lineages(&eng->store, e);
	if (!names)
		goto out;
	r.names = names;
	r.n = select_names(eng, names);
	workers = r.n < (size_t)eng->base.parallel ? r.n : (size_t)eng->base.parallel;
	/* One lineage, or --parallel 1: in this thread, one after another. */
	if (workers <= 1)
		renew_loop(&r, eng, false);
	else if (renew_threads(&r, workers, e) < 0)
		goto out;
	if (r.stop) {
		err_set_kind(e, EXIT_OP, ERR_INTERRUPTED,
		             "interrupted by a signal: %zu of %zu renewals failed and %zu were not "
		             "started", r.failed, r.n, r.n - r.next);
		goto out;
	}
	/* A live/ directory without a record (made by an older version, or by
	 * hand) is never renewed; say so, and leave it alone. */
	unrecorded = store_unrecorded(&eng->store, e);
	if (!unrecorded)
		goto out;
	for (size_t i = 0; unrecorded[i]; i++) {
		char live[PATH_MAX];
		if (eng->base.cert_name && strcmp(eng->base.cert_name, unrecorded[i]) != 0)
			continue;
		store_live_dir(&eng->store, unrecorded[i], live, sizeof(live));
		log_msg(&eng->log, LVL_WARN,
		        "%s has no renewal record, so it is not renewed; `acmehook certonly "
		        "--cert-name %s -d NAME...` takes it over",
		        live, unrecorded[i]);
	}
	if (eng->base.cert_name && !store_lineage_exists(&eng->store, eng->base.cert_name)) {
		err_set(e, EXIT_USAGE, "no certificate named \"%s\" in %s/renewal", eng->base.cert_name,
		        eng->store.config_dir);
		goto out;
	}
	if (r.tried == 0 && r.failed == 0)
		fprintf(eng->out, "No renewals were attempted.\n");
	if (lineage_dry_run(eng) && r.failed)
		fprintf(eng->out, "The dry run failed: %zu of the renewals failed\n", r.failed);
	else if (lineage_dry_run(eng) && r.tried && eng->log.level >= LVL_INFO)
		fprintf(eng->out, "The dry run was successful.\n");
	if (r.failed) {
		/* Only configuration errors (a refused renewal file): the user
		 * has to fix something, as with any usage error. */
		err_set(e, r.usage == r.failed ? EXIT_USAGE : EXIT_OP,
		        "%zu of the renewals failed; see the messages above", r.failed);
		goto out;
	}
	ret = 0;
out:
	free(r.threads);
	pthread_mutex_destroy(&r.lock);
	store_names_free(unrecorded);
	store_names_free(names);
	return ret;
}
