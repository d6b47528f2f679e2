/* Waiting locks in the config dir (see lock.h). */
#define _GNU_SOURCE /* F_OFD_SETLK */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/sleep.h"
#include "store/lock.h"
#include "store/store.h"

/* How often a waiting run tries the lock again: short enough that the
 * wait ends soon after the holder does, long enough to cost nothing. */
#define LOCK_POLL_MS 100L
#define LOCK_DEFAULT_SECONDS 60L

static long elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - since->tv_sec) * 1000L +
	       (now.tv_nsec - since->tv_nsec) / 1000000L;
}

/* Lock PATH (its directory exists), waiting as store_lock says. WHAT names
 * the protected thing in messages, e.g. "certificate example.com". */
static int lock_wait(const struct store *s, const char *path, const char *what, int *fd,
                     struct error *e)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
	long timeout_s = s->lock_timeout_seconds > 0 ? s->lock_timeout_seconds : LOCK_DEFAULT_SECONDS;
	struct timespec start;
	bool told = false;
	int f = -1, ret = -1;

	f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (f < 0) {
		err_set_errno(e, EXIT_OP, errno, "cannot open lock %s: %s", path, strerror(errno));
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		long left;
		/* A non-blocking attempt in a loop instead of F_OFD_SETLKW: the
		 * wait then has a deadline and takes SIGINT/SIGTERM itself. */
		if (fcntl(f, F_OFD_SETLK, &fl) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EACCES) {
			err_set_errno(e, EXIT_OP, errno, "cannot lock %s: %s", path, strerror(errno));
			goto out;
		}
		left = timeout_s * 1000L - elapsed_ms(&start);
		if (left <= 0) {
			err_set(e, EXIT_OP,
			        "another acmehook run still holds the lock on %s after %ld seconds "
			        "(lock %s); try again when it has finished, or raise --lock-timeout",
			        what, timeout_s, path);
			goto out;
		}
		if (!told && s->log) {
			log_msg(s->log, LVL_INFO,
			        "Waiting for another acmehook run working on %s (lock %s), up to %ld "
			        "seconds",
			        what, path, timeout_s);
			told = true;
		}
		if (sleep_ms(left < LOCK_POLL_MS ? left : LOCK_POLL_MS, e) < 0)
			goto out;
	}
	*fd = f;
	f = -1;
	ret = 0;
out:
	if (f >= 0)
		close(f);
	return ret;
}

int store_lock(const struct store *s, const char *name, int *fd, struct error *e)
{
	char dir[PATH_MAX], path[PATH_MAX], what[PATH_MAX];
	int n;

	if (!store_name_valid(name))
		return err_set(e, EXIT_USAGE, "invalid certificate name \"%s\"", name);
	n = snprintf(dir, sizeof(dir), "%s/.locks", s->config_dir);
	if (n < 0 || (size_t)n >= sizeof(dir) ||
	    snprintf(path, sizeof(path), "%s/%s.lock", dir, name) >= (int)sizeof(path))
		return err_set(e, EXIT_USAGE, "certificate name too long: %s", name);
	if (store_mkdirs(dir, 0700, e) < 0)
		return -1;
	snprintf(what, sizeof(what), "certificate %s", name);
	return lock_wait(s, path, what, fd, e);
}

int store_lock_account(const struct store *s, const char *account_dir, int *fd,
                       struct error *e)
{
	char accounts[PATH_MAX], dir[PATH_MAX], path[PATH_MAX], what[PATH_MAX + 16];
	const char *rel, *base;
	size_t n;
	int len;

	if (store_accounts_dir(s, accounts, sizeof(accounts)) < 0)
		return err_set(e, EXIT_USAGE, "config directory path too long: %s", s->config_dir);
	n = strlen(accounts);
	if (strncmp(account_dir, accounts, n) != 0 || account_dir[n] != '/' || !account_dir[n + 1])
		return err_set(e, EXIT_USAGE, "account directory %s is not under %s", account_dir,
		               accounts);
	/* The account's path below accounts/, mirrored below .locks/accounts/. */
	rel = account_dir + n + 1;
	base = strrchr(rel, '/');
	len = snprintf(dir, sizeof(dir), "%s/.locks/accounts/%.*s", s->config_dir,
	               base ? (int)(base - rel) : 0, rel);
	if (len < 0 || (size_t)len >= sizeof(dir) ||
	    snprintf(path, sizeof(path), "%s/%s.lock", dir, base ? base + 1 : rel) >=
	        (int)sizeof(path))
		return err_set(e, EXIT_USAGE, "account path too long: %s", account_dir);
	if (store_mkdirs(dir, 0700, e) < 0)
		return -1;
	snprintf(what, sizeof(what), "the account in %s", account_dir);
	return lock_wait(s, path, what, fd, e);
}

void store_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}
