/* Which lineage a certonly request belongs to.
 *
 * A request whose names differ from every lineage's gets a new lineage, so
 * that a changed name set never replaces a certificate unasked. Runs may
 * choose at the same time, so the choice is guarded on disk:
 *   CONFIG/.locks/names/.choose.lock   held by a run while it chooses
 *   CONFIG/.locks/names/NAME.lock      held by a run that makes the new
 *                                      lineage NAME, until it has stored
 *                                      it; the file lists that run's
 *                                      names, one a line
 * A name is free when no lineage has it (renewal file, live/ or archive/)
 * and no other run holds its reservation. Reservations are kernel-released
 * locks, so a run that dies frees its name, and a run stores the
 * lineage's renewal file before it releases the reservation, so the next
 * run to take the reservation sees the name in use. A run asking for the
 * same names as a reservation shares its name rather than making a second
 * lineage; the lineage lock then orders the two. The list of names is
 * written and read only under .choose.lock, so it is never seen half
 * written. Like the lineage locks, these files are never removed. */
#define _GNU_SOURCE /* F_OFD_SETLK */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/sleep.h"
#include "cli/choose.h"
#include "cli/engine.h"
#include "conf/renewal.h"
#include "store/lock.h"
#include "store/store.h"

#define CHOOSE_POLL_MS 20L         /* choosing takes milliseconds: poll often */
#define CHOOSE_DEFAULT_SECONDS 60L /* as the lineage locks when --lock-timeout is not given */
#define RESERVATION_CAP 65536      /* 100 names of 253 bytes and their line breaks fit */
#define SUFFIX_MAX 9999            /* certbot's four digits */

/* Every name of A is one of B's, ignoring case. */
static bool names_within(char *const *a, size_t na, char *const *b, size_t nb)
{
	for (size_t i = 0; i < na; i++) {
		bool found = false;
		for (size_t j = 0; j < nb && !found; j++)
			found = strcasecmp(a[i], b[j]) == 0;
		if (!found)
			return false;
	}
	return true;
}

/* Both ways round, so that a name given twice cannot stand in for one
 * that is missing. */
bool lineage_same_names(char *const *a, size_t na, char *const *b, size_t nb)
{
	return na == nb && names_within(a, na, b, nb) && names_within(b, nb, a, na);
}

/* "a, b, c" for messages, cut short with "..." when it does not fit. */
static void names_text(char *const *names, size_t n, char *dst, size_t cap)
{
	size_t used = 0;

	dst[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int k = snprintf(dst + used, cap - used, "%s%s", i ? ", " : "", names[i]);
		if (k < 0 || (size_t)k >= cap - used) {
			snprintf(dst + cap - 4, 4, "...");
			return;
		}
		used += (size_t)k;
	}
}

/* Open PATH and lock it without waiting: 1 when locked (*FD holds it), 0
 * when another run holds it, -1 on an error. */
static int try_lock(const char *path, int *fd, struct error *e)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
	int f, err;

	f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (f < 0)
		return err_set_errno(e, EXIT_OP, errno, "cannot open lock %s: %s", path,
		                     strerror(errno));
	while (fcntl(f, F_OFD_SETLK, &fl) < 0) {
		err = errno;
		if (err == EINTR)
			continue;
		close(f);
		if (err == EAGAIN || err == EACCES)
			return 0;
		return err_set_errno(e, EXIT_OP, err, "cannot lock %s: %s", path, strerror(err));
	}
	*fd = f;
	return 1;
}

static long elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - since->tv_sec) * 1000L +
	       (now.tv_nsec - since->tv_nsec) / 1000000L;
}

/* Take DIR/.choose.lock, waiting up to --lock-timeout as the lineage locks
 * do. Holders keep it for milliseconds, so a long wait means a stopped
 * run. */
static int choose_lock(struct engine *eng, const char *dir, int *fd, struct error *e)
{
	char path[PATH_MAX];
	long timeout_s = eng->store.lock_timeout_seconds > 0 ? eng->store.lock_timeout_seconds
	                                                     : CHOOSE_DEFAULT_SECONDS;
	struct timespec start;
	bool told = false;
	int r;

	if (snprintf(path, sizeof(path), "%s/.choose.lock", dir) >= (int)sizeof(path))
		return err_set(e, EXIT_USAGE, "config directory path too long: %s",
		               eng->store.config_dir);
	clock_gettime(CLOCK_MONOTONIC, &start);
	while ((r = try_lock(path, fd, e)) == 0) {
		if (elapsed_ms(&start) >= timeout_s * 1000L)
			return err_set(e, EXIT_OP,
			               "another acmehook run still holds the lock on choosing certificate "
			               "names after %ld seconds (lock %s); try again when it has "
			               "finished, or raise --lock-timeout",
			               timeout_s, path);
		if (!told) {
			log_msg(&eng->log, LVL_INFO,
			        "Waiting for another acmehook run choosing a certificate name (lock %s), "
			        "up to %ld seconds",
			        path, timeout_s);
			told = true;
		}
		if (sleep_ms(CHOOSE_POLL_MS, e) < 0)
			return -1;
	}
	return r < 0 ? -1 : 0;
}

/* Whether the names listed in reservation PATH are NAMES. */
static bool reserved_for(const char *path, char *const *names, size_t n)
{
	char *text = NULL, **list = NULL, *line, *save = NULL;
	size_t len = 0, count = 0;
	struct error ignore = {0};
	bool same = false;

	if (store_read(path, RESERVATION_CAP, &text, &len, &ignore) < 0)
		return false;
	list = calloc(len / 2 + 2, sizeof(*list));
	if (!list)
		goto out;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		list[count++] = line;
	same = lineage_same_names(list, count, names, n);
out:
	free(list);
	free(text);
	return same;
}

/* List NAMES in the reservation FD holds. */
static int reservation_write(int fd, const char *path, char *const *names, size_t n,
                             struct error *e)
{
	struct buf b = {0};
	size_t done = 0;
	int ret = -1;

	for (size_t i = 0; i < n; i++)
		if (buf_printf(&b, "%s\n", names[i]) < 0) {
			err_nomem(e);
			goto out;
		}
	if (ftruncate(fd, 0) < 0) {
		err_set_errno(e, EXIT_OP, errno, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	while (done < b.len) {
		ssize_t k = pwrite(fd, b.data + done, b.len - done, (off_t)done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			err_set_errno(e, EXIT_OP, errno, "cannot write %s: %s", path, strerror(errno));
			goto out;
		}
		done += (size_t)k;
	}
	ret = 0;
out:
	buf_free(&b);
	return ret;
}

/* Whether lineage NAME exists with exactly NAMES. */
static bool lineage_has(struct engine *eng, const char *name, char *const *names, size_t n)
{
	struct settings st;
	struct error ignore = {0};
	bool same;

	settings_init(&st);
	same = renewal_load(&eng->store, name, &st, &ignore) == 0 &&
	       lineage_same_names(st.domains, st.n_domains, names, n);
	settings_free(&st);
	return same;
}

/* Something of lineage NAME is on disk: its renewal file, or what a run
 * that lost it left in live/ or archive/. */
static bool name_in_use(struct engine *eng, const char *name)
{
	char p[PATH_MAX];

	return store_lineage_exists(&eng->store, name) ||
	       (store_live_dir(&eng->store, name, p, sizeof(p)) == 0 && store_exists(p)) ||
	       (store_archive_dir(&eng->store, name, p, sizeof(p)) == 0 && store_exists(p));
}

/* A new lineage for NAMES named BASE, or BASE-0001, BASE-0002 ... while
 * taken, reserved in DIR (the caller holds DIR/.choose.lock). Without
 * DUPLICATE, a lineage or a reservation with exactly NAMES found on the
 * way is used instead. */
static int choose_new(struct engine *eng, const char *dir, const char *base, char *const *names,
                      size_t n, bool duplicate, struct lineage_choice *c, struct error *e)
{
	char cand[sizeof(c->name)], path[PATH_MAX], list[1024];
	int fd = -1, r;

	names_text(names, n, list, sizeof(list));
	for (int i = 0; i <= SUFFIX_MAX; i++) {
		int len = i ? snprintf(cand, sizeof(cand), "%s-%04d", base, i)
		            : snprintf(cand, sizeof(cand), "%s", base);
		if (len < 0 || (size_t)len >= sizeof(cand) || !store_name_valid(cand))
			return err_set(e, EXIT_USAGE,
			               "a certificate named after %s needs a name longer than %zu "
			               "characters; give a shorter --cert-name",
			               base, sizeof(cand) - 1);
		if (snprintf(path, sizeof(path), "%s/%s.lock", dir, cand) >= (int)sizeof(path))
			return err_set(e, EXIT_USAGE, "certificate name too long: %s", cand);
		r = try_lock(path, &fd, e);
		if (r < 0)
			return -1;
		if (r == 0) {
			/* Another run is making CAND now. */
			if (duplicate || !reserved_for(path, names, n))
				continue;
			snprintf(c->name, sizeof(c->name), "%s", cand);
			log_msg(&eng->log, LVL_INFO,
			        "Certificate %s: the lineage another run is making for %s", cand, list);
			return 0;
		}
		/* Whoever held the reservation before stored its lineage first. */
		if (name_in_use(eng, cand)) {
			store_unlock(fd);
			fd = -1;
			if (duplicate || !lineage_has(eng, cand, names, n))
				continue;
			snprintf(c->name, sizeof(c->name), "%s", cand);
			log_msg(&eng->log, LVL_INFO, "Certificate %s: the existing lineage for %s", cand,
			        list);
			return 0;
		}
		if (reservation_write(fd, path, names, n, e) < 0) {
			store_unlock(fd);
			return -1;
		}
		snprintf(c->name, sizeof(c->name), "%s", cand);
		c->reservation = fd;
		log_msg(&eng->log, LVL_INFO, "Certificate %s: a new lineage for %s", cand, list);
		return 0;
	}
	return err_set(e, EXIT_OP,
	               "every certificate name from %s to %s-%04d is taken; give --cert-name", base,
	               base, SUFFIX_MAX);
}

/* certbot asks before it changes the names of a lineage named with
 * --cert-name; anything but y/yes is a no. */
static bool confirm_names(const char *name, const char *was, const char *now)
{
	char line[16] = "";

	fprintf(stderr, "Certificate %s has the names %s.\n"
	                "Update certificate %s to the names %s? [y/N] ",
	        name, was, name, now);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	line[strcspn(line, "\r\n")] = '\0';
	return strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0;
}

/* --cert-name NAME: that lineage, whatever its names. */
static int choose_named(struct engine *eng, char *const *names, size_t n,
                        struct lineage_choice *c, struct error *e)
{
	const char *name = eng->base.cert_name;
	struct settings st;
	char was[1024], now[1024];
	bool ask;
	int ret = -1;

	settings_init(&st);
	if (!store_name_valid(name) || strlen(name) >= sizeof(c->name)) {
		err_set(e, EXIT_USAGE, "invalid --cert-name \"%s\"", name);
		goto out;
	}
	snprintf(c->name, sizeof(c->name), "%s", name);
	names_text(names, n, now, sizeof(now));
	if (!store_lineage_exists(&eng->store, name)) {
		log_msg(&eng->log, LVL_INFO, "Certificate %s: a new lineage for %s", name, now);
		ret = 0;
		goto out;
	}
	if (renewal_load(&eng->store, name, &st, e) < 0)
		goto out;
	names_text(st.domains, st.n_domains, was, sizeof(was));
	if (lineage_same_names(st.domains, st.n_domains, names, n)) {
		log_msg(&eng->log, LVL_INFO, "Certificate %s: the existing lineage for %s", name, now);
	} else if (eng->base.expand == 1 && names_within(st.domains, st.n_domains, names, n)) {
		log_msg(&eng->log, LVL_INFO, "Certificate %s: expanding it from %s to %s", name, was,
		        now);
	} else {
		/* As certbot: ask on a terminal, and with -n (or no terminal to
		 * ask on) do what the command line says. */
		ask = eng->base.non_interactive != 1 && isatty(STDIN_FILENO);
		if (ask && !confirm_names(name, was, now)) {
			err_set(e, EXIT_OP,
			        "certificate %s keeps its names (%s): changing them to %s was not "
			        "confirmed",
			        name, was, now);
			goto out;
		}
		log_msg(&eng->log, LVL_INFO, "Certificate %s: changing its names from %s to %s", name,
		        was, now);
	}
	ret = 0;
out:
	settings_free(&st);
	return ret;
}

/* The lineage whose names are exactly NAMES, or with EXPAND the one with
 * the most names that are a strict subset of NAMES (the first in name
 * order on a tie); NULL when none. ALL and SETS are the lineages and
 * their settings. */
static const char *choose_existing(struct engine *eng, char **all, const struct settings *sets,
                                   char *const *names, size_t n, bool expand)
{
	char was[1024], now[1024];
	size_t best = SIZE_MAX;

	names_text(names, n, now, sizeof(now));
	for (size_t i = 0; all[i]; i++)
		if (lineage_same_names(sets[i].domains, sets[i].n_domains, names, n)) {
			log_msg(&eng->log, LVL_INFO, "Certificate %s: the existing lineage for %s", all[i],
			        now);
			return all[i];
		}
	for (size_t i = 0; expand && all[i]; i++)
		if (sets[i].n_domains > 0 && sets[i].n_domains < n &&
		    names_within(sets[i].domains, sets[i].n_domains, names, n) &&
		    (best == SIZE_MAX || sets[i].n_domains > sets[best].n_domains))
			best = i;
	if (best == SIZE_MAX)
		return NULL;
	names_text(sets[best].domains, sets[best].n_domains, was, sizeof(was));
	log_msg(&eng->log, LVL_INFO, "Certificate %s: expanding it from %s to %s", all[best], was,
	        now);
	return all[best];
}

int lineage_choose(struct engine *eng, char *const *names, size_t n, struct lineage_choice *out,
                   struct error *e)
{
	struct lineage_choice c = {.reservation = -1};
	struct settings *sets = NULL;
	char **all = NULL, dir[PATH_MAX];
	const char *base = names[0], *found = NULL;
	bool duplicate = eng->base.duplicate == 1, expand = eng->base.expand == 1;
	size_t nall = 0;
	int lock = -1, ret = -1;

	if (duplicate && expand) {
		err_set(e, EXIT_USAGE, "--expand and --duplicate exclude each other: --expand grows "
		                       "a certificate, --duplicate makes a new one");
		goto out;
	}
	if (eng->base.cert_name && !duplicate) {
		ret = choose_named(eng, names, n, &c, e);
		goto out;
	}
	if (snprintf(dir, sizeof(dir), "%s/.locks/names", eng->store.config_dir) >=
	    (int)sizeof(dir)) {
		err_set(e, EXIT_USAGE, "config directory path too long: %s", eng->store.config_dir);
		goto out;
	}
	if (store_mkdirs(dir, 0700, e) < 0 || choose_lock(eng, dir, &lock, e) < 0)
		goto out;
	if (strncmp(base, "*.", 2) == 0)
		base += 2;
	/* The lineage named after the first name, as a new one would be, is
	 * the one these names usually belong to: with exactly these names it
	 * is the answer, without reading every other renewal file. Anything
	 * else (other names, an unreadable file, no such lineage) is decided
	 * over all of them below. */
	if (!duplicate && store_name_valid(base) && lineage_has(eng, base, names, n)) {
		char now[1024];
		names_text(names, n, now, sizeof(now));
		log_msg(&eng->log, LVL_INFO, "Certificate %s: the existing lineage for %s", base, now);
		snprintf(c.name, sizeof(c.name), "%s", base);
		ret = 0;
		goto out;
	}
	base = names[0];
	all = store_lineages(&eng->store, e);
	if (!all)
		goto out;
	while (all[nall])
		nall++;
	sets = calloc(nall + 1, sizeof(*sets));
	if (!sets) {
		err_nomem(e);
		goto out;
	}
	for (size_t i = 0; i < nall; i++) {
		settings_init(&sets[i]);
		/* A renewal file that cannot be read (malformed, or refused as
		 * untrusted) may be the very lineage of these names: going on
		 * would make a second certificate beside it. Stop and name it. */
		if (renewal_load(&eng->store, all[i], &sets[i], e) < 0) {
			err_prefix(e, "cannot tell which certificate the names belong to");
			goto out;
		}
	}
	if (!duplicate)
		found = choose_existing(eng, all, sets, names, n, expand);
	if (found) {
		snprintf(c.name, sizeof(c.name), "%s", found);
		ret = 0;
		goto out;
	}
	if (duplicate && eng->base.cert_name) {
		if (!store_name_valid(eng->base.cert_name)) {
			err_set(e, EXIT_USAGE, "invalid --cert-name \"%s\"", eng->base.cert_name);
			goto out;
		}
		base = eng->base.cert_name;
	} else if (strncmp(base, "*.", 2) == 0) {
		base += 2;
	}
	if (!store_name_valid(base)) {
		err_set(e, EXIT_USAGE, "cannot name a certificate after \"%s\"; give --cert-name",
		        names[0]);
		goto out;
	}
	ret = choose_new(eng, dir, base, names, n, duplicate, &c, e);
out:
	for (size_t i = 0; sets && i < nall; i++)
		settings_free(&sets[i]);
	free(sets);
	store_names_free(all);
	store_unlock(lock);
	if (ret == 0)
		*out = c;
	else
		lineage_choice_release(&c);
	return ret;
}

void lineage_choice_release(struct lineage_choice *c)
{
	if (!c)
		return;
	store_unlock(c->reservation);
	c->reservation = -1;
}

void lineage_choice_withdraw(struct engine *eng, struct lineage_choice *c)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct error e = {0};
	int lock = -1;

	if (!c)
		return;
	/* Under .choose.lock no other run reads or takes the reservation, so
	 * its file can go; a lineage stored meanwhile under the name (by a
	 * run that shared it) keeps it. */
	if (c->reservation >= 0 &&
	    snprintf(dir, sizeof(dir), "%s/.locks/names", eng->store.config_dir) < (int)sizeof(dir) &&
	    snprintf(path, sizeof(path), "%s/%s.lock", dir, c->name) < (int)sizeof(path) &&
	    choose_lock(eng, dir, &lock, &e) == 0 && !name_in_use(eng, c->name))
		unlink(path);
	store_unlock(lock);
	lineage_choice_release(c);
}
