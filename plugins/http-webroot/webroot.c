/* http-webroot: answer http-01 challenges by writing the key authorization
 * to WEBROOT/.well-known/acme-challenge/TOKEN, where the web server that
 * already serves the domain publishes it.
 *
 * Options: webroot-path (required) the directory served as the document
 * root of http://DOMAIN/. One instance per webroot; instances share
 * nothing. An instance removes only the directories it created itself, and
 * only once they are empty, so two instances pointed at one webroot never
 * delete each other's files (at worst an empty directory stays behind).
 *
 * The web server's tree may be writable by other users (a site's
 * developers), so every step below the webroot refuses to follow symlinks:
 * otherwise a link planted as .well-known could make us create or delete
 * files anywhere root can.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <acmehook/plugin.h>

#define WEBROOT_VERSION "1.0.0"
#define TOKEN_MAX 256

struct webroot {
	const struct ah_host *host;  /* borrowed until fini */
	char *root;                  /* webroot-path as configured */
	bool made_wellknown;         /* this instance created ROOT/.well-known */
	bool made_challenge;         /* ... and ROOT/.well-known/acme-challenge */
	unsigned long seq;           /* makes temporary file names unique */
};

static int fail(struct webroot *w, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct webroot *w, int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w->host->set_error(w->host->ctx, msg);
	return status;
}

static void say(struct webroot *w, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(struct webroot *w, int level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w->host->log(w->host->ctx, level, msg);
}

/* The host promises base64url tokens; checking again costs nothing and
 * keeps "../" out of a path even under a buggy or hostile host. */
static bool token_ok(const char *t)
{
	size_t n = 0;

	if (!t)
		return false;
	for (; t[n]; n++) {
		char c = t[n];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
		if (n >= TOKEN_MAX)
			return false;
	}
	return n > 0;
}

static bool is_http01(const struct ah_challenge *ch)
{
	return ch && ch->type && strcmp(ch->type, "http-01") == 0;
}

/* What open_sub and write_atomic return when the directory they were to
 * create something in is gone: another run's cleanup removed it, empty,
 * after it was opened. The caller starts again from the webroot. */
#define VANISHED (-3)
/* How often a challenge file is tried when its directories vanish. */
#define VANISH_TRIES 16

/* Open directory NAME under PARENTFD without following a symlink, creating
 * it (mode 0755, whatever the umask, so the web server can traverse it)
 * when CREATE is set. *MADE is set when this call created it. Returns the
 * descriptor, -2 when absent and not created, VANISHED, or -1 with the
 * error set. */
static int open_sub(struct webroot *w, int parentfd, const char *shown, const char *name,
                    bool create, bool *made)
{
	struct stat st;
	bool created = false;
	int fd;

	fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(parentfd, name, 0755) == 0)
			created = true;
		else if (errno == ENOENT)
			return VANISHED;
		else if (errno != EEXIST) {
			fail(w, AH_FAIL, "cannot create %s/%s: %s", shown, name, strerror(errno));
			return -1;
		}
		fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT)
			return VANISHED;
	}
	if (fd < 0) {
		int err = errno;

		if (err == ENOENT && !create)
			return -2;
		if (fstatat(parentfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
			fail(w, AH_FAIL, "refusing %s/%s: it is a symlink; make it a real directory",
			     shown, name);
		else
			fail(w, AH_FAIL, "cannot open directory %s/%s: %s", shown, name,
			     strerror(err));
		return -1;
	}
	if (created) {
		*made = true;
		if (fchmod(fd, 0755) < 0)
			say(w, AH_LOG_WARN, "cannot chmod 0755 %s/%s: %s", shown, name,
			    strerror(errno));
	}
	return fd;
}

/* Write DATA to DIRFD/NAME atomically: a reader (the web server) sees
 * either no file or the whole one, never a prefix. The token lives for
 * the seconds of one validation and means nothing after a reboot, so it
 * is not flushed to disk: the rename alone gives readers the whole file.
 * Returns AH_OK, AH_FAIL with the error set, or VANISHED when DIRFD was
 * removed before the temporary file was made in it (once it is there,
 * the directory is not empty and stays). */
static int write_atomic(struct webroot *w, int dirfd, const char *shown, const char *name,
                        const char *data)
{
	char tmp[TOKEN_MAX + 64];
	size_t len = strlen(data), off = 0;
	int fd = -1, ret = AH_FAIL;
	bool have_tmp = false;

	for (int attempt = 0; attempt < 16 && fd < 0; attempt++) {
		snprintf(tmp, sizeof(tmp), ".%s.tmp-%ld-%lu", name, (long)getpid(), ++w->seq);
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0 && errno == ENOENT) {
			ret = VANISHED;
			goto out;
		}
		if (fd < 0 && errno != EEXIST) {
			fail(w, AH_FAIL, "cannot create %s/%s: %s", shown, tmp, strerror(errno));
			goto out;
		}
	}
	if (fd < 0) {
		fail(w, AH_FAIL, "cannot create a temporary file in %s: names keep colliding",
		     shown);
		goto out;
	}
	have_tmp = true;
	if (fchmod(fd, 0644) < 0) {
		fail(w, AH_FAIL, "cannot chmod 0644 %s/%s: %s", shown, tmp, strerror(errno));
		goto out;
	}
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fail(w, AH_FAIL, "cannot write %s/%s: %s", shown, tmp,
			     n < 0 ? strerror(errno) : "short write");
			goto out;
		}
		off += (size_t)n;
	}
	if (close(fd) < 0) {
		fd = -1;
		fail(w, AH_FAIL, "cannot close %s/%s: %s", shown, tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		fail(w, AH_FAIL, "cannot rename %s/%s to %s: %s", shown, tmp, name,
		     strerror(errno));
		goto out;
	}
	have_tmp = false;
	ret = AH_OK;
out:
	if (fd >= 0)
		close(fd);
	if (have_tmp)
		unlinkat(dirfd, tmp, 0);
	return ret;
}

/* Remove the directories this instance created, if nothing else lives in
 * them any more. Another challenge's file keeps them until its cleanup. */
static void prune(struct webroot *w)
{
	int rootfd = -1, wkfd = -1;
	bool unused = false;

	if (!w->made_wellknown && !w->made_challenge)
		return;
	rootfd = open(w->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		goto out;
	if (w->made_challenge) {
		wkfd = open_sub(w, rootfd, w->root, ".well-known", false, &unused);
		if (wkfd == -2)
			w->made_challenge = false;
		else if (wkfd < 0)
			goto out;
		else if (unlinkat(wkfd, "acme-challenge", AT_REMOVEDIR) == 0 || errno == ENOENT)
			w->made_challenge = false;
		else if (errno != ENOTEMPTY && errno != EEXIST)
			say(w, AH_LOG_WARN, "cannot remove %s/.well-known/acme-challenge: %s",
			    w->root, strerror(errno));
	}
	if (w->made_wellknown && !w->made_challenge) {
		if (unlinkat(rootfd, ".well-known", AT_REMOVEDIR) == 0 || errno == ENOENT)
			w->made_wellknown = false;
		else if (errno != ENOTEMPTY && errno != EEXIST)
			say(w, AH_LOG_WARN, "cannot remove %s/.well-known: %s", w->root,
			    strerror(errno));
	}
out:
	if (wkfd >= 0)
		close(wkfd);
	if (rootfd >= 0)
		close(rootfd);
}

static int webroot_init(const struct ah_host *host, void **state)
{
	struct webroot *w = NULL;
	const char *root;
	struct stat st;
	int ret = AH_FAIL;

	if (!host || !AH_HAS_MEMBER(host, struct ah_host, now))
		return AH_FAIL;
	w = calloc(1, sizeof(*w));
	if (!w) {
		host->set_error(host->ctx, "out of memory");
		goto out;
	}
	w->host = host;
	root = host->config_get(host->ctx, "webroot-path");
	if (!root || !*root) {
		ret = fail(w, AH_CONFIG, "option webroot-path is missing: give the directory "
		           "your web server serves as http://DOMAIN/");
		goto out;
	}
	if (stat(root, &st) < 0) {
		ret = fail(w, AH_CONFIG, "webroot-path %s: %s; create it or fix the path", root,
		           strerror(errno));
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		ret = fail(w, AH_CONFIG, "webroot-path %s is not a directory", root);
		goto out;
	}
	w->root = strdup(root);
	if (!w->root) {
		ret = fail(w, AH_FAIL, "out of memory");
		goto out;
	}
	*state = w;
	w = NULL;
	ret = AH_OK;
out:
	if (w)
		free(w->root);
	free(w);
	return ret;
}

static int webroot_present(void *state, const struct ah_challenge *ch)
{
	struct webroot *w = state;
	char shown[4096];
	int rootfd = -1, wkfd = -1, chfd = -1, ret = AH_FAIL;

	if (!is_http01(ch))
		return AH_DECLINE;
	if (!token_ok(ch->token)) {
		fail(w, AH_FAIL, "refusing token \"%.64s\": not 1 to %d base64url characters",
		     ch->token ? ch->token : "(none)", TOKEN_MAX);
		goto out;
	}
	if (!ch->key_authorization) {
		fail(w, AH_FAIL, "challenge for %s has no key authorization",
		     ch->identifier ? ch->identifier : "(unknown)");
		goto out;
	}
	rootfd = open(w->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		fail(w, AH_FAIL, "cannot open webroot-path %s: %s", w->root, strerror(errno));
		goto out;
	}
	/* Another run sharing the webroot removes the directories it made
	 * once they are empty, which may be between our opening one and
	 * writing in it: then open them again. */
	for (int attempt = 1;; attempt++) {
		int rc;

		wkfd = open_sub(w, rootfd, w->root, ".well-known", true, &w->made_wellknown);
		snprintf(shown, sizeof(shown), "%s/.well-known", w->root);
		if (wkfd >= 0)
			chfd = open_sub(w, wkfd, shown, "acme-challenge", true, &w->made_challenge);
		snprintf(shown, sizeof(shown), "%s/.well-known/acme-challenge", w->root);
		rc = wkfd < 0 ? wkfd : chfd < 0 ? chfd
		                               : write_atomic(w, chfd, shown, ch->token,
		                                              ch->key_authorization);
		if (rc == AH_OK)
			break;
		if (rc != VANISHED)
			goto out;
		if (attempt == VANISH_TRIES) {
			fail(w, AH_FAIL, "cannot create %s/%s: its directories keep being removed "
			     "by another run's cleanup", shown, ch->token);
			goto out;
		}
		if (chfd >= 0)
			close(chfd);
		if (wkfd >= 0)
			close(wkfd);
		chfd = wkfd = -1;
	}
	say(w, AH_LOG_DEBUG, "wrote %s/%s for %s", shown, ch->token,
	    ch->identifier ? ch->identifier : "(unknown)");
	ret = AH_OK;
out:
	if (chfd >= 0)
		close(chfd);
	if (wkfd >= 0)
		close(wkfd);
	if (rootfd >= 0)
		close(rootfd);
	/* The host only cleans up after a successful present: undo the
	 * directories a failed one created. */
	if (ret != AH_OK)
		prune(w);
	return ret;
}

static int webroot_cleanup(void *state, const struct ah_challenge *ch)
{
	struct webroot *w = state;
	char shown[4096];
	bool unused = false;
	int rootfd = -1, wkfd = -1, chfd = -1, ret = AH_FAIL;

	if (!is_http01(ch))
		return AH_DECLINE;
	if (!token_ok(ch->token)) {
		fail(w, AH_FAIL, "refusing token \"%.64s\": not 1 to %d base64url characters",
		     ch->token ? ch->token : "(none)", TOKEN_MAX);
		goto out;
	}
	rootfd = open(w->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		fail(w, AH_FAIL, "cannot open webroot-path %s: %s", w->root, strerror(errno));
		goto out;
	}
	wkfd = open_sub(w, rootfd, w->root, ".well-known", false, &unused);
	if (wkfd == -2) { /* nothing there: nothing to remove */
		ret = AH_OK;
		goto out;
	}
	if (wkfd < 0)
		goto out;
	snprintf(shown, sizeof(shown), "%s/.well-known", w->root);
	chfd = open_sub(w, wkfd, shown, "acme-challenge", false, &unused);
	if (chfd == -2) {
		ret = AH_OK;
		goto out;
	}
	if (chfd < 0)
		goto out;
	if (unlinkat(chfd, ch->token, 0) < 0 && errno != ENOENT) {
		fail(w, AH_FAIL, "cannot remove %s/.well-known/acme-challenge/%s: %s", w->root,
		     ch->token, strerror(errno));
		goto out;
	}
	ret = AH_OK;
out:
	if (chfd >= 0)
		close(chfd);
	if (wkfd >= 0)
		close(wkfd);
	if (rootfd >= 0)
		close(rootfd);
	prune(w);
	return ret;
}

static void webroot_fini(void *state)
{
	struct webroot *w = state;

	if (!w)
		return;
	free(w->root);
	free(w);
}

static const struct ah_plugin webroot_plugin = {
	.magic = AH_PLUGIN_MAGIC,
	.abi_major = AH_ABI_MAJOR,
	.abi_minor = AH_ABI_MINOR,
	.struct_size = sizeof(struct ah_plugin),
	.name = "webroot",
	.version = WEBROOT_VERSION,
	.description = "http-01: token files under an existing web server's document root",
	.roles = AH_ROLE_AUTHENTICATOR,
	.challenges = AH_CHALLENGE_HTTP_01,
	.init = webroot_init,
	.present = webroot_present,
	.cleanup = webroot_cleanup,
	.install = NULL,
	.fini = webroot_fini,
};

AH_EXPORT const struct ah_plugin *acmehook_plugin_v1(void)
{
	return &webroot_plugin;
}
