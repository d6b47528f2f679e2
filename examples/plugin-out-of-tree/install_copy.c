/* install-copy: an installer plugin that copies a new certificate's full
 * chain and private key into a directory of the operator's choice, for a
 * service that wants its own copies (a mail server chrooted away from
 * /etc/acmehook, an appliance that cannot follow symlinks).
 *
 * Options:
 *   dest-dir   (required) existing directory; receives fullchain.pem (0644)
 *              and privkey.pem (0600)
 *
 * Each file is written to a temporary name in dest-dir, fsynced and
 * renamed over the old one, so a reader sees the old file or the new one,
 * never half of either. Both temporary files are complete before either is
 * renamed, which keeps the window where the key and the chain disagree to
 * two renames.
 *
 * Built only against <acmehook/plugin.h>: see README.md.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <acmehook/plugin.h>

#define INSTALL_COPY_VERSION "1.0.0"

struct install_copy {
	const struct ah_host *host;  /* borrowed until fini */
	char *dest;                  /* dest-dir */
};

static void fail(struct install_copy *ic, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void fail(struct install_copy *ic, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ic->host->set_error(ic->host->ctx, msg);
}

/* Key material passes through the copy buffer: clear it in a way the
 * compiler may not drop. */
static void wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
}

/* Copy SRC to a new temporary file in DIRFD with MODE; *TMP receives its
 * name (a buffer of TMPCAP bytes). */
static int copy_to_temp(struct install_copy *ic, int dirfd, const char *src, const char *base,
                        mode_t mode, char *tmp, size_t tmpcap)
{
	unsigned char buf[16384];
	int in = -1, out = -1, ret = -1;
	ssize_t n;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		fail(ic, "cannot read %s: %s", src, strerror(errno));
		goto out;
	}
	snprintf(tmp, tmpcap, ".%s.tmp-%ld", base, (long)getpid());
	unlinkat(dirfd, tmp, 0); /* a leftover of a crashed run of ours */
	out = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (out < 0) {
		fail(ic, "cannot create %s/%s: %s", ic->dest, tmp, strerror(errno));
		goto out;
	}
	/* The umask must not loosen or tighten what the service expects. */
	if (fchmod(out, mode) < 0) {
		fail(ic, "cannot chmod %s/%s: %s", ic->dest, tmp, strerror(errno));
		goto out;
	}
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		ssize_t off = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fail(ic, "cannot read %s: %s", src, strerror(errno));
			goto out;
		}
		while (off < n) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				fail(ic, "cannot write %s/%s: %s", ic->dest, tmp,
				     w < 0 ? strerror(errno) : "short write");
				goto out;
			}
			off += w;
		}
	}
	if (fsync(out) < 0) {
		fail(ic, "cannot fsync %s/%s: %s", ic->dest, tmp, strerror(errno));
		goto out;
	}
	if (close(out) < 0) {
		out = -1;
		fail(ic, "cannot close %s/%s: %s", ic->dest, tmp, strerror(errno));
		goto out;
	}
	out = -1;
	ret = 0;
out:
	wipe(buf, sizeof(buf));
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (ret < 0 && tmp[0])
		unlinkat(dirfd, tmp, 0);
	return ret;
}

static int ic_init(const struct ah_host *host, void **state)
{
	struct install_copy *ic = NULL;
	const char *dest;
	struct stat st;
	int ret = AH_FAIL;

	if (!host || !AH_HAS_MEMBER(host, struct ah_host, now))
		return AH_FAIL;
	ic = calloc(1, sizeof(*ic));
	if (!ic) {
		host->set_error(host->ctx, "out of memory");
		goto out;
	}
	ic->host = host;
	dest = host->config_get(host->ctx, "dest-dir");
	if (!dest || !*dest) {
		fail(ic, "option dest-dir is missing: give the directory to copy "
		     "fullchain.pem and privkey.pem into");
		ret = AH_CONFIG;
		goto out;
	}
	if (stat(dest, &st) < 0) {
		fail(ic, "dest-dir %s: %s; create it first", dest, strerror(errno));
		ret = AH_CONFIG;
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		fail(ic, "dest-dir %s is not a directory", dest);
		ret = AH_CONFIG;
		goto out;
	}
	ic->dest = strdup(dest);
	if (!ic->dest) {
		fail(ic, "out of memory");
		goto out;
	}
	*state = ic;
	ic = NULL;
	ret = AH_OK;
out:
	if (ic)
		free(ic->dest);
	free(ic);
	return ret;
}

static int ic_install(void *state, const struct ah_certificate *c)
{
	struct install_copy *ic = state;
	char tmp_chain[64] = "", tmp_key[64] = "", msg[512];
	int dirfd = -1, ret = AH_FAIL;

	if (!c || !c->fullchain_path || !c->key_path) {
		fail(ic, "the certificate has no fullchain or key path");
		goto out;
	}
	dirfd = open(ic->dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		fail(ic, "cannot open dest-dir %s: %s", ic->dest, strerror(errno));
		goto out;
	}
	if (copy_to_temp(ic, dirfd, c->fullchain_path, "fullchain.pem", 0644, tmp_chain,
	                 sizeof(tmp_chain)) < 0)
		goto out;
	if (copy_to_temp(ic, dirfd, c->key_path, "privkey.pem", 0600, tmp_key,
	                 sizeof(tmp_key)) < 0)
		goto out;
	if (renameat(dirfd, tmp_key, dirfd, "privkey.pem") < 0) {
		fail(ic, "cannot rename %s/%s to privkey.pem: %s", ic->dest, tmp_key,
		     strerror(errno));
		goto out;
	}
	tmp_key[0] = '\0';
	if (renameat(dirfd, tmp_chain, dirfd, "fullchain.pem") < 0) {
		fail(ic, "cannot rename %s/%s to fullchain.pem: %s", ic->dest, tmp_chain,
		     strerror(errno));
		goto out;
	}
	tmp_chain[0] = '\0';
	/* The renames themselves survive a crash only once the directory is
	 * on disk. */
	if (fsync(dirfd) < 0) {
		fail(ic, "cannot fsync %s: %s", ic->dest, strerror(errno));
		goto out;
	}
	snprintf(msg, sizeof(msg), "copied %s to %s/fullchain.pem and privkey.pem",
	         c->lineage ? c->lineage : "the certificate", ic->dest);
	ic->host->log(ic->host->ctx, AH_LOG_INFO, msg);
	ret = AH_OK;
out:
	if (dirfd >= 0) {
		if (tmp_chain[0])
			unlinkat(dirfd, tmp_chain, 0);
		if (tmp_key[0])
			unlinkat(dirfd, tmp_key, 0);
		close(dirfd);
	}
	return ret;
}

static void ic_fini(void *state)
{
	struct install_copy *ic = state;

	if (!ic)
		return;
	free(ic->dest);
	free(ic);
}

static const struct ah_plugin install_copy_plugin = {
	.magic = AH_PLUGIN_MAGIC,
	.abi_major = AH_ABI_MAJOR,
	.abi_minor = AH_ABI_MINOR,
	.struct_size = sizeof(struct ah_plugin),
	.name = "install-copy",
	.version = INSTALL_COPY_VERSION,
	.description = "copy fullchain.pem and privkey.pem (0600) into a directory, atomically",
	.roles = AH_ROLE_INSTALLER,
	.challenges = 0,
	.init = ic_init,
	.install = ic_install,
	.fini = ic_fini,
};

AH_EXPORT const struct ah_plugin *acmehook_plugin_v1(void)
{
	return &install_copy_plugin;
}
