/* manual: answer http-01 and dns-01 challenges with the operator's own
 * hook commands, as certbot's --manual-auth-hook and --manual-cleanup-hook
 * do, so scripts written for certbot run unchanged.
 *
 * Options (certbot's renewal-file names):
 *   manual_auth_hook     (required) run once per challenge to publish it
 *   manual_cleanup_hook  run once per challenge afterwards to remove it
 *   manual_hook_timeout  seconds a hook may run before it is killed (600)
 *
 * A hook command is the operator's command line and goes to /bin/sh -c as
 * written. What the CA sent (names, tokens) and what we computed from it
 * reach the hook only as environment variables, never as part of the
 * command string, so no shell ever parses server data:
 *   CERTBOT_DOMAIN, CERTBOT_IDENTIFIER  the name being validated ("*." dropped)
 *   CERTBOT_VALIDATION   http-01: the file's content; dns-01: the TXT value
 *   CERTBOT_TOKEN        http-01 only: the file name under
 *                        /.well-known/acme-challenge/
 *   CERTBOT_REMAINING_CHALLENGES  challenges of this run after this one
 *   CERTBOT_ALL_DOMAINS, CERTBOT_ALL_IDENTIFIERS  comma list of them all
 *   CERTBOT_AUTH_OUTPUT  cleanup only: what the auth hook printed
 * Other CERTBOT_* variables of our own environment are not passed on, so
 * a stale CERTBOT_TOKEN cannot reach a dns-01 hook.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <acmehook/plugin.h>

#include "hookrun.h"

#define MANUAL_VERSION "1.0.0"
#define DEFAULT_TIMEOUT 600
#define ENV_ADDED 9 /* the most variables we add */

extern char **environ;

/* A challenge whose auth hook ran: what it printed, for its cleanup. */
struct presented {
	char *type, *identifier, *token;
	int wildcard;
	char *output;
	struct presented *next;
};

struct manual {
	const struct ah_host *host; /* borrowed until fini */
	char *auth_hook, *cleanup_hook;
	long timeout;
	struct presented *list;
	char err[512];              /* the last text given to set_error */
};

static int fail(struct manual *m, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct manual *m, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->err, sizeof(m->err), fmt, ap);
	va_end(ap);
	m->host->set_error(m->host->ctx, m->err);
	return status;
}

static void say(struct manual *m, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(struct manual *m, int level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	m->host->log(m->host->ctx, level, msg);
}

static void presented_free(struct presented *p)
{
	if (!p)
		return;
	free(p->type);
	free(p->identifier);
	free(p->token);
	free(p->output);
	free(p);
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Unlink and return the record of CH's auth hook, or NULL. */
static struct presented *take_presented(struct manual *m, const struct ah_challenge *ch)
{
	for (struct presented **pp = &m->list; *pp; pp = &(*pp)->next) {
		struct presented *p = *pp;

		if (same(p->type, ch->type) && same(p->identifier, ch->identifier) &&
		    same(p->token, ch->token) && p->wildcard == ch->wildcard) {
			*pp = p->next;
			p->next = NULL;
			return p;
		}
	}
	return NULL;
}

/* "NAME=VALUE" as a new string. */
static char *env_pair(const char *name, const char *value)
{
	size_t n = strlen(name) + strlen(value) + 2;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s=%s", name, value);
	return s;
}

static void env_free(char **env, size_t from)
{
	for (size_t i = from; env && env[i]; i++)
		free(env[i]);
	free(env);
}

/* The names of the order this instance presents, comma separated. */
static char *all_names(const struct ah_challenge *ch)
{
	size_t n = 1, count = 0;
	const char *const *names = NULL;
	char *s;

	if (AH_HAS_MEMBER(ch, struct ah_challenge, remaining_challenges) && ch->order_names) {
		names = ch->order_names;
		count = ch->n_order_names;
	}
	for (size_t i = 0; i < count; i++)
		n += strlen(names[i]) + 1;
	if (count == 0)
		n += strlen(ch->identifier);
	s = malloc(n);
	if (!s)
		return NULL;
	s[0] = '\0';
	for (size_t i = 0; i < count; i++) {
		if (i)
			strcat(s, ",");
		strcat(s, names[i]);
	}
	if (count == 0)
		strcpy(s, ch->identifier);
	return s;
}

/* The hook's environment: ours without any CERTBOT_* variable, plus the
 * challenge's. Everything is built here, before fork. The first *N_OURS
 * entries are borrowed from environ; the rest are owned (env_free). */
static char **make_env(const struct ah_challenge *ch, bool http, const char *auth_output,
                       size_t *n_ours)
{
	size_t n = 0, k = 0;
	char **env = NULL, *names = NULL, num[32];
	size_t remaining = AH_HAS_MEMBER(ch, struct ah_challenge, remaining_challenges)
	                           ? ch->remaining_challenges
	                           : 0;
	const char *validation = http ? ch->key_authorization : ch->txt_value;

	while (environ && environ[n])
		n++;
	env = calloc(n + ENV_ADDED + 1, sizeof(*env));
	names = all_names(ch);
	if (!env || !names)
		goto fail;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "CERTBOT_", 8) != 0)
			env[k++] = environ[i];
	*n_ours = k;
	snprintf(num, sizeof(num), "%zu", remaining);
	if (!(env[k++] = env_pair("CERTBOT_DOMAIN", ch->identifier)) ||
	    !(env[k++] = env_pair("CERTBOT_IDENTIFIER", ch->identifier)) ||
	    !(env[k++] = env_pair("CERTBOT_VALIDATION", validation ? validation : "")) ||
	    !(env[k++] = env_pair("CERTBOT_REMAINING_CHALLENGES", num)) ||
	    !(env[k++] = env_pair("CERTBOT_ALL_DOMAINS", names)) ||
	    !(env[k++] = env_pair("CERTBOT_ALL_IDENTIFIERS", names)) ||
	    (http && !(env[k++] = env_pair("CERTBOT_TOKEN", ch->token))) ||
	    (auth_output && !(env[k++] = env_pair("CERTBOT_AUTH_OUTPUT", auth_output))))
		goto fail;
	free(names);
	return env;
fail:
	free(names);
	env_free(env, *n_ours);
	return NULL;
}

/* The end of a hook's stderr as one short line, for an error message. */
static void err_tail(const char *err, char *out, size_t cap)
{
	size_t len = strlen(err), start;
	size_t o = 0;

	while (len && (err[len - 1] == '\n' || err[len - 1] == ' ' || err[len - 1] == '\r' ||
	               err[len - 1] == '\t'))
		len--;
	start = len > 200 ? len - 200 : 0;
	for (size_t i = start; i < len && o + 3 < cap; i++) {
		unsigned char c = (unsigned char)err[i];

		if (c == '\n') {
			out[o++] = ';';
			out[o++] = ' ';
		} else {
			out[o++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
		}
	}
	out[o] = '\0';
}

/* CERTBOT_AUTH_OUTPUT: the auth hook's stdout with surrounding blanks
 * stripped, as certbot does (an environment value ends at a NUL anyway). */
static char *strip_output(const char *out)
{
	const char *s = out ? out : "";
	size_t len;

	s += strspn(s, " \t\r\n");
	len = strlen(s);
	while (len && strchr(" \t\r\n", s[len - 1]))
		len--;
	return strndup(s, len);
}

/* Run hook WHICH ("auth" or "cleanup") for CH. *OUTPUT (may be NULL) gets
 * its stripped stdout. */
static int run_hook(struct manual *m, const char *which, const char *cmd,
                    const struct ah_challenge *ch, bool http, const char *auth_output,
                    char **output)
{
	struct hook_result res;
	char why[256], tail[512];
	size_t n_ours = 0;
	char **env = make_env(ch, http, auth_output, &n_ours);
	const char *shown = ch->wildcard ? "*." : "";
	int ret = AH_FAIL;

	if (!env)
		return fail(m, AH_FAIL, "out of memory");
	say(m, AH_LOG_INFO, "running the %s hook for %s%s (%s)", which, shown, ch->identifier,
	    ch->type);
	if (hook_run(cmd, env, m->timeout, &res, why, sizeof(why)) < 0) {
		fail(m, AH_FAIL, "%s hook for %s%s: %s", which, shown, ch->identifier, why);
		goto out;
	}
	err_tail(res.err, tail, sizeof(tail));
	if (res.out_len)
		say(m, AH_LOG_DEBUG, "%s hook output: %.400s", which, res.out);
	if (res.timed_out)
		fail(m, AH_FAIL, "%s hook for %s%s did not finish within %ld s and was killed%s%s",
		     which, shown, ch->identifier, m->timeout, tail[0] ? ": " : "", tail);
	else if (res.status != 0)
		fail(m, AH_FAIL, "%s hook for %s%s failed with exit status %d%s%s", which, shown,
		     ch->identifier, res.status, tail[0] ? ": " : "", tail);
	else {
		if (tail[0])
			say(m, AH_LOG_WARN, "%s hook for %s%s wrote to stderr: %s", which, shown,
			    ch->identifier, tail);
		ret = AH_OK;
	}
	if (output && !(*output = strip_output(res.out)))
		ret = fail(m, AH_FAIL, "out of memory");
	hook_result_free(&res);
out:
	env_free(env, n_ours);
	return ret;
}

static int challenge_kind(const struct ah_challenge *ch, bool *http)
{
	if (!ch || !ch->type || !ch->identifier)
		return AH_DECLINE;
	if (strcmp(ch->type, "http-01") == 0) {
		*http = true;
		return ch->token && ch->key_authorization ? AH_OK : AH_FAIL;
	}
	if (strcmp(ch->type, "dns-01") == 0) {
		*http = false;
		return ch->txt_value ? AH_OK : AH_FAIL;
	}
	return AH_DECLINE;
}

static int manual_cleanup(void *state, const struct ah_challenge *ch);

static int manual_present(void *state, const struct ah_challenge *ch)
{
	struct manual *m = state;
	struct presented *p = NULL;
	bool http = false;
	char *output = NULL;
	int st = challenge_kind(ch, &http);

	if (st == AH_FAIL)
		return fail(m, AH_FAIL, "the %s challenge for %s has no value to publish", ch->type,
		            ch->identifier);
	if (st != AH_OK)
		return st;
	p = calloc(1, sizeof(*p));
	if (!p || !(p->type = strdup(ch->type)) || !(p->identifier = strdup(ch->identifier)) ||
	    (ch->token && !(p->token = strdup(ch->token)))) {
		presented_free(p);
		return fail(m, AH_FAIL, "out of memory");
	}
	p->wildcard = ch->wildcard;
	st = run_hook(m, "auth", m->auth_hook, ch, http, NULL, &output);
	p->output = output;
	p->next = m->list;
	m->list = p;
	if (st != AH_OK && m->cleanup_hook) {
		/* The host cleans up only what was presented: undo whatever
		 * the failed hook managed to publish, keeping its error. */
		char keep[sizeof(m->err)];

		memcpy(keep, m->err, sizeof(keep));
		manual_cleanup(m, ch);
		fail(m, st, "%s", keep);
	} else if (st != AH_OK) {
		presented_free(take_presented(m, ch));
	}
	return st;
}

static int manual_cleanup(void *state, const struct ah_challenge *ch)
{
	struct manual *m = state;
	struct presented *p;
	bool http = false;
	int st = challenge_kind(ch, &http);

	if (st != AH_OK)
		return st == AH_FAIL ? AH_OK : st;
	p = take_presented(m, ch);
	if (m->cleanup_hook)
		st = run_hook(m, "cleanup", m->cleanup_hook, ch, http,
		              p && p->output ? p->output : "", NULL);
	presented_free(p);
	return st;
}

static int manual_init(const struct ah_host *host, void **state)
{
	struct manual *m = NULL;
	const char *auth, *cleanup, *timeout;
	int ret = AH_FAIL;

	if (!host || !AH_HAS_MEMBER(host, struct ah_host, now))
		return AH_FAIL;
	m = calloc(1, sizeof(*m));
	if (!m) {
		host->set_error(host->ctx, "out of memory");
		goto out;
	}
	m->host = host;
	m->timeout = DEFAULT_TIMEOUT;
	auth = host->config_get(host->ctx, "manual_auth_hook");
	cleanup = host->config_get(host->ctx, "manual_cleanup_hook");
	timeout = host->config_get(host->ctx, "manual_hook_timeout");
	if (!auth || !*auth) {
		ret = fail(m, AH_CONFIG, "no auth hook: give --manual-auth-hook CMD (this "
		           "plugin never prompts)");
		goto out;
	}
	if (timeout) {
		char *end = NULL;

		errno = 0;
		m->timeout = strtol(timeout, &end, 10);
		if (errno || end == timeout || *end || m->timeout < 1 || m->timeout > 86400) {
			ret = fail(m, AH_CONFIG, "manual_hook_timeout \"%s\" is not a number of "
			           "seconds from 1 to 86400", timeout);
			goto out;
		}
	}
	if (!(m->auth_hook = strdup(auth)) || (cleanup && *cleanup &&
	                                       !(m->cleanup_hook = strdup(cleanup)))) {
		ret = fail(m, AH_FAIL, "out of memory");
		goto out;
	}
	*state = m;
	m = NULL;
	ret = AH_OK;
out:
	if (m) {
		free(m->auth_hook);
		free(m->cleanup_hook);
	}
	free(m);
	return ret;
}

static void manual_fini(void *state)
{
	struct manual *m = state;

	if (!m)
		return;
	while (m->list) {
		struct presented *p = m->list;
		m->list = p->next;
		presented_free(p);
	}
	free(m->auth_hook);
	free(m->cleanup_hook);
	free(m);
}

static const struct ah_plugin manual_plugin = {
	.magic = AH_PLUGIN_MAGIC,
	.abi_major = AH_ABI_MAJOR,
	.abi_minor = AH_ABI_MINOR,
	.struct_size = sizeof(struct ah_plugin),
	.name = "manual",
	.version = MANUAL_VERSION,
	.description = "http-01 and dns-01 through the operator's auth and cleanup hooks "
	               "(certbot's --manual)",
	.roles = AH_ROLE_AUTHENTICATOR,
	.challenges = AH_CHALLENGE_HTTP_01 | AH_CHALLENGE_DNS_01,
	.init = manual_init,
	.present = manual_present,
	.cleanup = manual_cleanup,
	.install = NULL,
	.fini = manual_fini,
};

AH_EXPORT const struct ah_plugin *acmehook_plugin_v1(void)
{
	return &manual_plugin;
}
