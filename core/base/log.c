#include <ctype.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"

void log_init(struct log *lg, enum log_level level)
{
	memset(lg, 0, sizeof(*lg));
	lg->level = level;
	pthread_mutex_init(&lg->lock, NULL);
}

void log_child(struct log *child, struct log *parent, const char *tag)
{
	memset(child, 0, sizeof(*child));
	child->parent = parent->parent ? parent->parent : parent;
	child->level = parent->level;
	if (tag && *tag)
		snprintf(child->tag, sizeof(child->tag), "%s: ", tag);
}

int log_open_file(struct log *lg, const char *dir)
{
	char path[4096];
	int fd;

	if (snprintf(path, sizeof(path), "%s/acmehook.log", dir) >= (int)sizeof(path))
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	lg->file = fdopen(fd, "a");
	if (!lg->file) {
		close(fd);
		return -1;
	}
	return 0;
}

int log_add_secret(struct log *lg, const char *secret)
{
	char **ns;
	int ret = -1;

	if (lg->parent)
		return log_add_secret(lg->parent, secret);
	if (!secret || strlen(secret) < 4)
		return 0;
	pthread_mutex_lock(&lg->lock);
	for (size_t i = 0; i < lg->nsecrets; i++)
		if (strcmp(lg->secrets[i], secret) == 0) {
			ret = 0;
			goto out;
		}
	ns = realloc(lg->secrets, (lg->nsecrets + 1) * sizeof(*ns));
	if (!ns)
		goto out;
	lg->secrets = ns;
	ns[lg->nsecrets] = strdup(secret);
	if (!ns[lg->nsecrets])
		goto out;
	lg->nsecrets++;
	ret = 0;
out:
	pthread_mutex_unlock(&lg->lock);
	return ret;
}

/* Replace every registered secret in TEXT by "[redacted]". */
static char *redact(const struct log *lg, const char *text)
{
	struct buf out = {0};
	const char *p = text;

	while (*p) {
		size_t hit = 0;

		for (size_t i = 0; i < lg->nsecrets; i++) {
			size_t n = strlen(lg->secrets[i]);
			if (strncmp(p, lg->secrets[i], n) == 0 && n > hit)
				hit = n;
		}
		if (hit) {
			if (buf_puts(&out, "[redacted]") < 0)
				goto fail;
			p += hit;
		} else {
			if (buf_append(&out, p, 1) < 0)
				goto fail;
			p++;
		}
	}
	return buf_steal(&out);
fail:
	buf_free(&out);
	return NULL;
}

static const char *const level_names[] = {"error", "warning", "info", "debug"};

/* Write one line; the caller holds LG's lock, so that lines of several
 * threads never mix and the secrets do not change under redact. */
static void emit_locked(struct log *lg, enum log_level lvl, const char *text, bool terminal)
{
	char *clean = NULL;
	char esc[4096];
	FILE *out = lg->out ? lg->out : stderr;

	clean = redact(lg, text);
	err_escape(esc, sizeof(esc), clean ? clean : "(out of memory)");
	if (terminal) {
		if (lvl <= LVL_WARN)
			fprintf(out, "acmehook: %s: %s\n", level_names[lvl], esc);
		else
			fprintf(out, "%s\n", esc);
		fflush(out);
	}
	if (lg->file) {
		char ts[32];
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		fprintf(lg->file, "%s %s %s\n", ts, level_names[lvl], esc);
		fflush(lg->file);
	}
	if (clean) {
		OPENSSL_cleanse(clean, strlen(clean));
		free(clean);
	}
}

static void emit(struct log *lg, enum log_level lvl, const char *text, bool terminal)
{
	struct log *root = lg->parent ? lg->parent : lg;
	char line[4096];

	if ((!terminal || lvl > lg->level) && !root->file)
		return;
	if (lg->tag[0]) {
		snprintf(line, sizeof(line), "%s%s", lg->tag, text);
		text = line;
	}
	pthread_mutex_lock(&root->lock);
	emit_locked(root, lvl, text, terminal && lvl <= lg->level);
	pthread_mutex_unlock(&root->lock);
	if (text == line)
		OPENSSL_cleanse(line, sizeof(line));
}

void log_text(struct log *lg, enum log_level lvl, const char *text)
{
	emit(lg, lvl, text, true);
}

void log_to_file(struct log *lg, enum log_level lvl, const char *text)
{
	emit(lg, lvl, text, false);
}

void log_vmsg(struct log *lg, enum log_level lvl, const char *fmt, va_list ap)
{
	char line[4096];

	if (lvl > lg->level && !(lg->parent ? lg->parent : lg)->file)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	log_text(lg, lvl, line);
	OPENSSL_cleanse(line, sizeof(line));
}

void log_msg(struct log *lg, enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lg, lvl, fmt, ap);
	va_end(ap);
}

void log_free(struct log *lg)
{
	if (!lg || lg->parent)
		return;
	for (size_t i = 0; i < lg->nsecrets; i++) {
		OPENSSL_cleanse(lg->secrets[i], strlen(lg->secrets[i]));
		free(lg->secrets[i]);
	}
	free(lg->secrets);
	lg->secrets = NULL;
	lg->nsecrets = 0;
	if (lg->file)
		fclose(lg->file);
	lg->file = NULL;
	pthread_mutex_destroy(&lg->lock);
}

bool log_secret_key(const char *key)
{
	static const char *const words[] = {"secret", "key", "token", "password", "passwd", NULL};
	char low[128];
	size_t i;

	for (i = 0; key[i] && i + 1 < sizeof(low); i++)
		low[i] = (char)tolower((unsigned char)key[i]);
	low[i] = '\0';
	/* "key_name" and "access_key_id" name a key; they are not one. */
	if (strstr(low, "key_name") || strstr(low, "key_id") || strstr(low, "keyname"))
		return false;
	for (size_t w = 0; words[w]; w++)
		if (strstr(low, words[w]))
			return true;
	return false;
}
