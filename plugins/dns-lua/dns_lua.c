/* dns-lua: dns-01 providers and deploy steps written in Lua 5.4.
 *
 * Options: script (required) the Lua file; memory-limit-mb (default 64);
 * time-limit-seconds (default 30, per call). Secrets: the script's
 * credentials file, reachable from Lua through acme.secret.
 *
 * Each instance runs one script in its own lua_State. The sandbox opens only
 * base, string, table, math and utf8, loads text chunks only, caps memory in
 * its allocator and run time with an instruction-count hook, and runs every
 * call under lua_pcall with a traceback. It guards against mistakes (an
 * endless loop, a runaway table, a stray os.execute), not against a hostile
 * operator: the script is the operator's own configuration.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "dns_lua.h"

#define DL_VERSION "1.0.0"
#define DL_SCRIPT_MAX (1024 * 1024)   /* bytes of Lua source */
#define DL_DEFAULT_MEM_MB 64
#define DL_DEFAULT_TIME_S 30
#define DL_HOOK_COUNT 10000

struct dl_state *dl_get(lua_State *L)
{
	return *(struct dl_state **)lua_getextraspace(L);
}

double dl_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double dl_remaining(struct dl_state *st)
{
	if (st->deadline <= 0)
		return 1e9;
	return st->deadline - dl_monotonic();
}

void dl_log(struct dl_state *st, int level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	st->host->log(st->host->ctx, level, msg);
}

static int fail(struct dl_state *st, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct dl_state *st, int status, const char *fmt, ...)
{
	char msg[DL_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memcpy(st->last_error, msg, sizeof(msg));
	st->host->set_error(st->host->ctx, msg);
	return status;
}

int dl_timeout_error(lua_State *L)
{
	struct dl_state *st = dl_get(L);
	lua_Debug ar;

	st->timed_out = true;
	/* Level 0 is the Lua function that was running when the hook fired
	 * (or the C function that noticed the deadline): name its line. */
	luaL_where(L, 1);
	if (lua_getstack(L, 0, &ar) && lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
		lua_pop(L, 1);
		lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline);
	}
	lua_pushfstring(L, "script %s: time limit of %d s exceeded", st->script,
	                (int)st->time_limit);
	lua_concat(L, 2);
	return lua_error(L);
}

int dl_host_error(lua_State *L, const char *fmt, ...)
{
	struct dl_state *st = dl_get(L);
	va_list ap;

	luaL_where(L, 1);
	va_start(ap, fmt);
	lua_pushvfstring(L, fmt, ap);
	va_end(ap);
	lua_concat(L, 2);
	snprintf(st->host_failed, sizeof(st->host_failed), "%s", lua_tostring(L, -1));
	return lua_error(L);
}

/* The allocator: every byte the script's state holds passes through here,
 * so refusing past the cap turns a runaway script into a Lua memory error
 * instead of the host's OOM. */
static void *dl_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct dl_state *st = ud;
	size_t old = ptr ? osize : 0;
	void *p;

	if (nsize == 0) {
		free(ptr);
		st->mem_used -= old;
		return NULL;
	}
	if (nsize > old && (nsize - old > st->mem_limit || st->mem_used + (nsize - old) > st->mem_limit)) {
		st->mem_exceeded = true;
		return NULL;
	}
	p = realloc(ptr, nsize);
	if (!p)
		return NULL;
	st->mem_used = st->mem_used - old + nsize;
	return p;
}

static void dl_hook(lua_State *L, lua_Debug *ar)
{
	struct dl_state *st = dl_get(L);

	(void)ar;
	if (st->deadline > 0 && dl_monotonic() > st->deadline)
		dl_timeout_error(L);
}

/* Message handler: keep the message as it is (so "SCRIPT:LINE: message"
 * reaches set_error), and the traceback on the side for the debug log. */
static int dl_msgh(lua_State *L)
{
	struct dl_state *st = dl_get(L);
	const char *msg = lua_tostring(L, 1);

	if (!msg) {
		if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
			msg = lua_tostring(L, -1);
		else
			msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
		lua_replace(L, 1);
		lua_settop(L, 1);
	}
	luaL_traceback(L, L, msg, 1);
	free(st->traceback);
	st->traceback = strdup(lua_tostring(L, -1));
	lua_pop(L, 1);
	return 1;
}

/* Arm the deadline for one call into the script. */
static void call_begin(struct dl_state *st)
{
	st->deadline = dl_monotonic() + (double)st->time_limit;
	st->timed_out = false;
	st->mem_exceeded = false;
	st->host_failed[0] = '\0';
	free(st->traceback);
	st->traceback = NULL;
}

/* After a protected call returned STATUS (the error message on top of the
 * stack when not LUA_OK): report it and return an AH_ status. */
static int call_end(struct dl_state *st, int status, const char *what, int fail_status)
{
	lua_State *L = st->L;
	int ret = AH_OK;

	st->deadline = 0;
	if (status == LUA_OK)
		return AH_OK;
	ret = fail_status;
	if (st->timed_out) {
		const char *m = lua_tostring(L, -1);
		/* The script may have caught the first timeout error and gone on
		 * to fail otherwise; the timeout is still the reason. */
		if (m && strstr(m, "time limit of"))
			fail(st, ret, "%s", m);
		else
			fail(st, ret, "script %s: time limit of %ld s exceeded in %s", st->script,
			     st->time_limit, what);
	} else if (status == LUA_ERRMEM || st->mem_exceeded) {
		fail(st, ret, "script %s: memory limit of %zu MiB exceeded in %s", st->script,
		     st->mem_limit / (1024 * 1024), what);
	} else {
		const char *m = lua_tostring(L, -1);

		if (!m)
			m = "(no error message)";
		if (st->host_failed[0] && strcmp(m, st->host_failed) == 0)
			/* The host's own text (already set) says more; the
			 * script's line goes to the log. */
			dl_log(st, AH_LOG_WARN, "%s", m);
		else
			fail(st, ret, "%s", m);
	}
	if (st->traceback)
		dl_log(st, AH_LOG_DEBUG, "%s failed: %s", what, st->traceback);
	lua_pop(L, 1);
	/* Give back what a runaway script piled up before the next call. */
	lua_gc(L, LUA_GCCOLLECT);
	return ret;
}

static void set_str(lua_State *L, const char *key, const char *v)
{
	if (v) {
		lua_pushstring(L, v);
		lua_setfield(L, -2, key);
	}
}

static void set_bool(lua_State *L, const char *key, int v)
{
	lua_pushboolean(L, v);
	lua_setfield(L, -2, key);
}

static void push_challenge(lua_State *L, const struct ah_challenge *ch)
{
	lua_createtable(L, 0, 8);
	set_str(L, "identifier", ch->identifier);
	set_bool(L, "wildcard", ch->wildcard);
	set_str(L, "type", ch->type);
	set_str(L, "token", ch->token);
	set_str(L, "key_authorization", ch->key_authorization);
	set_str(L, "record_name", ch->record_name);
	set_str(L, "txt_value", ch->txt_value);
	set_str(L, "zone", ch->zone);
}

static void push_certificate(lua_State *L, const struct ah_certificate *c)
{
	lua_createtable(L, 0, 8);
	set_str(L, "lineage", c->lineage);
	lua_createtable(L, (int)c->n_names, 0);
	for (size_t i = 0; c->names && i < c->n_names; i++) {
		lua_pushstring(L, c->names[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, -2, "names");
	set_str(L, "cert", c->cert_path);
	set_str(L, "chain", c->chain_path);
	set_str(L, "fullchain", c->fullchain_path);
	set_str(L, "key", c->key_path);
	set_bool(L, "renewed", c->renewed);
	set_bool(L, "issuer_changed", c->issuer_changed);
}

struct call_args {
	const char *fn;
	const struct ah_challenge *ch;
	const struct ah_certificate *cert;
};

/* Runs protected: build the argument, call the script's function, and
 * leave its first two results. */
static int call_tramp(lua_State *L)
{
	struct call_args *a = lua_touserdata(L, 1);

	lua_getglobal(L, a->fn);
	if (a->ch)
		push_challenge(L, a->ch);
	else
		push_certificate(L, a->cert);
	lua_call(L, 1, 2);
	return 2;
}

/* Call the script's function FN with CH or CERT. The function may return
 * nothing or true (done), false plus a message (failed), or the string
 * "decline" (not mine). */
static int call_script(struct dl_state *st, const char *fn, const struct ah_challenge *ch,
                       const struct ah_certificate *cert)
{
	lua_State *L = st->L;
	struct call_args a = {fn, ch, cert};
	char what[64];
	int status, ret, base = lua_gettop(L);

	snprintf(what, sizeof(what), "%s()", fn);
	call_begin(st);
	lua_pushcfunction(L, dl_msgh);
	lua_pushcfunction(L, call_tramp);
	lua_pushlightuserdata(L, &a);
	status = lua_pcall(L, 1, 2, base + 1);
	ret = call_end(st, status, what, AH_FAIL);
	if (status == LUA_OK) {
		if (lua_type(L, -2) == LUA_TSTRING && strcmp(lua_tostring(L, -2), "decline") == 0) {
			ret = AH_DECLINE;
		} else if (lua_type(L, -2) == LUA_TBOOLEAN && !lua_toboolean(L, -2)) {
			const char *m = lua_tostring(L, -1);
			ret = fail(st, AH_FAIL, "script %s: %s returned false: %s", st->script, what,
			           m ? m : "(no reason given)");
		}
	}
	lua_settop(L, base);
	return ret;
}

/* The script file must be the operator's: a regular file that neither
 * group nor others can write, owned by root or us, in a directory the same
 * holds for, as plugin modules must be. Returns 0 or -1 with the error set. */
static int check_owner_mode(struct dl_state *st, const char *what, const char *path,
                            const struct stat *sb)
{
	if (sb->st_uid != 0 && sb->st_uid != geteuid()) {
		fail(st, AH_CONFIG, "refusing script %s: %s is owned by uid %u, not by root or "
		     "the user running acmehook", st->script, path, (unsigned)sb->st_uid);
		return -1;
	}
	if (sb->st_mode & (S_IWGRP | S_IWOTH)) {
		fail(st, AH_CONFIG, "refusing script %s: %s %s is writable by %s (mode %04o); "
		     "run chmod go-w on it", st->script, what, path,
		     (sb->st_mode & S_IWOTH) ? "others" : "its group",
		     (unsigned)(sb->st_mode & 07777));
		return -1;
	}
	return 0;
}

static int read_script(struct dl_state *st, char **text, size_t *len)
{
	struct stat sb;
	char *buf = NULL, *real = NULL, *dir;
	size_t cap, got = 0;
	int fd = -1, ret = AH_CONFIG;

	fd = open(st->script, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		fail(st, AH_CONFIG, "cannot open script %s: %s", st->script, strerror(errno));
		goto out;
	}
	if (fstat(fd, &sb) < 0) {
		fail(st, AH_CONFIG, "cannot stat script %s: %s", st->script, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		fail(st, AH_CONFIG, "refusing script %s: not a regular file", st->script);
		goto out;
	}
	if (check_owner_mode(st, "file", st->script, &sb) < 0)
		goto out;
	real = realpath(st->script, NULL);
	if (!real) {
		fail(st, AH_CONFIG, "cannot resolve script %s: %s", st->script, strerror(errno));
		goto out;
	}
	dir = dirname(real);
	{
		struct stat db;

		if (stat(dir, &db) < 0) {
			fail(st, AH_CONFIG, "cannot stat %s: %s", dir, strerror(errno));
			goto out;
		}
		/* A sticky directory (/tmp) keeps others from replacing the
		 * file, but not from racing its creation: refuse it too. */
		if (check_owner_mode(st, "directory", dir, &db) < 0)
			goto out;
	}
	if (sb.st_size > DL_SCRIPT_MAX) {
		fail(st, AH_CONFIG, "refusing script %s: larger than %d bytes", st->script,
		     DL_SCRIPT_MAX);
		goto out;
	}
	cap = (size_t)sb.st_size + 1;
	buf = malloc(cap);
	if (!buf) {
		ret = fail(st, AH_FAIL, "out of memory");
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (got == cap) {
			fail(st, AH_CONFIG, "script %s changed while being read", st->script);
			goto out;
		}
		n = read(fd, buf + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fail(st, AH_CONFIG, "cannot read script %s: %s", st->script, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	*text = buf;
	*len = got;
	buf = NULL;
	ret = AH_OK;
out:
	free(buf);
	free(real);
	if (fd >= 0)
		close(fd);
	return ret;
}

static int parse_limit(struct dl_state *st, const char *key, long def, long max, long *out)
{
	const char *v = st->host->config_get(st->host->ctx, key);
	char *end = NULL;
	long n;

	if (!v || !*v) {
		*out = def;
		return 0;
	}
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || !end || *end || n < 1 || n > max) {
		fail(st, AH_CONFIG, "option %s=%s: want a whole number from 1 to %ld", key, v, max);
		return -1;
	}
	*out = n;
	return 0;
}

struct load_args {
	const char *text;
	size_t len;
	const char *chunkname;
	int status;            /* of luaL_loadbufferx */
};

/* Runs protected: open the allowed libraries, build the acme table, load
 * and run the script's main chunk. */
static int setup_tramp(lua_State *L)
{
	struct load_args *a = lua_touserdata(L, 1);
	static const luaL_Reg libs[] = {
		{LUA_GNAME, luaopen_base},
		{LUA_STRLIBNAME, luaopen_string},
		{LUA_TABLIBNAME, luaopen_table},
		{LUA_MATHLIBNAME, luaopen_math},
		{LUA_UTF8LIBNAME, luaopen_utf8},
		{NULL, NULL},
	};

	for (const luaL_Reg *lib = libs; lib->func; lib++) {
		luaL_requiref(L, lib->name, lib->func, 1);
		lua_pop(L, 1);
	}
	dl_open_api(L);
	a->status = luaL_loadbufferx(L, a->text, a->len, a->chunkname, "t");
	if (a->status != LUA_OK)
		return lua_error(L);
	lua_call(L, 0, 0);
	return 0;
}

static bool global_is_function(lua_State *L, const char *name)
{
	bool yes;

	lua_getglobal(L, name);
	yes = lua_type(L, -1) == LUA_TFUNCTION;
	lua_pop(L, 1);
	return yes;
}

static void dl_free(struct dl_state *st)
{
	if (!st)
		return;
	if (st->L) {
		/* __gc metamethods run here: keep them on the clock too. */
		st->deadline = dl_monotonic() + 2.0;
		lua_close(st->L);
	}
	free(st->traceback);
	free(st->script);
	free(st);
}

static int dl_init(const struct ah_host *host, void **state)
{
	struct dl_state *st = NULL;
	struct load_args la = {0};
	char *text = NULL, *chunkname = NULL;
	const char *script;
	long mem_mb = 0;
	int status, ret = AH_FAIL;

	if (!host || !AH_HAS_MEMBER(host, struct ah_host, now))
		return AH_FAIL;
	st = calloc(1, sizeof(*st));
	if (!st) {
		host->set_error(host->ctx, "out of memory");
		return AH_FAIL;
	}
	st->host = host;
	script = host->config_get(host->ctx, "script");
	if (!script || !*script) {
		ret = fail(st, AH_CONFIG, "option script is missing: give the path of a Lua file "
		           "defining present/cleanup or deploy");
		goto out;
	}
	st->script = strdup(script);
	if (!st->script) {
		ret = fail(st, AH_FAIL, "out of memory");
		goto out;
	}
	if (parse_limit(st, "memory-limit-mb", DL_DEFAULT_MEM_MB, 4096, &mem_mb) < 0 ||
	    parse_limit(st, "time-limit-seconds", DL_DEFAULT_TIME_S, 86400, &st->time_limit) < 0) {
		ret = AH_CONFIG;
		goto out;
	}
	st->mem_limit = (size_t)mem_mb * 1024 * 1024;
	ret = read_script(st, &text, &la.len);
	if (ret != AH_OK)
		goto out;
	ret = AH_FAIL;
	if (la.len >= 1 && text[0] == LUA_SIGNATURE[0]) {
		ret = fail(st, AH_CONFIG, "refusing script %s: it is precompiled Lua bytecode; "
		           "give the Lua source", st->script);
		goto out;
	}
	chunkname = malloc(strlen(st->script) + 2);
	if (!chunkname) {
		ret = fail(st, AH_FAIL, "out of memory");
		goto out;
	}
	chunkname[0] = '@';
	strcpy(chunkname + 1, st->script);
	la.text = text;
	la.chunkname = chunkname;

	st->L = lua_newstate(dl_alloc, st);
	if (!st->L) {
		ret = fail(st, AH_FAIL, "cannot create a Lua state (out of memory)");
		goto out;
	}
	*(struct dl_state **)lua_getextraspace(st->L) = st;
	lua_sethook(st->L, dl_hook, LUA_MASKCOUNT, DL_HOOK_COUNT);

	call_begin(st);
	lua_pushcfunction(st->L, dl_msgh);
	lua_pushcfunction(st->L, setup_tramp);
	lua_pushlightuserdata(st->L, &la);
	status = lua_pcall(st->L, 1, 0, 1);
	/* A script that does not load or whose main chunk fails is a
	 * configuration error: nothing was asked of it yet. */
	if (status != LUA_OK && la.status == LUA_ERRSYNTAX)
		ret = call_end(st, status, "loading", AH_CONFIG);
	else
		ret = call_end(st, status, "the main chunk", AH_CONFIG);
	lua_settop(st->L, 0);
	if (ret != AH_OK)
		goto out;

	st->has_present = global_is_function(st->L, "present");
	st->has_cleanup = global_is_function(st->L, "cleanup");
	st->has_check = global_is_function(st->L, "check");
	st->has_deploy = global_is_function(st->L, "deploy");
	if (st->has_present != st->has_cleanup) {
		ret = fail(st, AH_CONFIG, "script %s defines %s() but not %s(): a DNS provider "
		           "needs both", st->script, st->has_present ? "present" : "cleanup",
		           st->has_present ? "cleanup" : "present");
		goto out;
	}
	if (!st->has_present && !st->has_deploy) {
		ret = fail(st, AH_CONFIG, "script %s defines neither present()/cleanup() (a DNS "
		           "provider) nor deploy() (a deploy step)", st->script);
		goto out;
	}
	dl_log(st, AH_LOG_DEBUG, "loaded %s (%s%s%s), limits %ld MiB, %ld s per call",
	       st->script, st->has_present ? "provider" : "",
	       st->has_present && st->has_deploy ? ", " : "", st->has_deploy ? "deploy" : "",
	       mem_mb, st->time_limit);
	*state = st;
	st = NULL;
	ret = AH_OK;
out:
	free(text);
	free(chunkname);
	dl_free(st);
	return ret;
}

static bool is_dns01(const struct ah_challenge *ch)
{
	return ch && ch->type && strcmp(ch->type, "dns-01") == 0;
}

static int dl_present(void *state, const struct ah_challenge *ch)
{
	struct dl_state *st = state;
	char saved[DL_ERR_MAX];
	int ret;

	if (!st->has_present || !is_dns01(ch))
		return AH_DECLINE;
	st->last_error[0] = '\0';
	ret = call_script(st, "present", ch, NULL);
	if (ret != AH_FAIL)
		return ret;
	/* A present() that failed half-way (an API call done, the next one
	 * timed out) may have left a record behind, and the host cleans up
	 * only what was presented: the script's cleanup() gets its chance
	 * here, with a fresh time budget. Its own failure is only logged;
	 * the present's error is the one reported. */
	memcpy(saved, st->last_error, sizeof(saved));
	if (call_script(st, "cleanup", ch, NULL) != AH_OK)
		dl_log(st, AH_LOG_WARN, "cleanup() after the failed present() failed too: %s",
		       st->last_error[0] ? st->last_error : "(no message)");
	if (saved[0]) {
		memcpy(st->last_error, saved, sizeof(saved));
		st->host->set_error(st->host->ctx, saved);
	}
	return ret;
}

static int dl_cleanup(void *state, const struct ah_challenge *ch)
{
	struct dl_state *st = state;

	if (!st->has_cleanup || !is_dns01(ch))
		return AH_DECLINE;
	return call_script(st, "cleanup", ch, NULL);
}

static int dl_check(void *state, const struct ah_challenge *ch)
{
	struct dl_state *st = state;

	if (!st->has_present || !is_dns01(ch))
		return AH_DECLINE;
	if (!st->has_check)
		return AH_OK;
	return call_script(st, "check", ch, NULL);
}

static int dl_install(void *state, const struct ah_certificate *cert)
{
	struct dl_state *st = state;
	int ret;

	if (!st->has_deploy)
		return AH_DECLINE;
	if (!cert)
		return fail(st, AH_FAIL, "install called without a certificate");
	st->in_deploy = true;
	ret = call_script(st, "deploy", NULL, cert);
	st->in_deploy = false;
	return ret;
}

static void dl_fini(void *state)
{
	dl_free(state);
}

static const struct ah_plugin dns_lua_plugin = {
	.magic = AH_PLUGIN_MAGIC,
	.abi_major = AH_ABI_MAJOR,
	.abi_minor = AH_ABI_MINOR,
	.struct_size = sizeof(struct ah_plugin),
	.name = "dns-lua",
	.version = DL_VERSION,
	.description = "dns-01 providers and deploy steps written in Lua 5.4",
	.roles = AH_ROLE_AUTHENTICATOR | AH_ROLE_INSTALLER,
	.challenges = AH_CHALLENGE_DNS_01,
	.init = dl_init,
	.present = dl_present,
	.cleanup = dl_cleanup,
	.install = dl_install,
	.fini = dl_fini,
	.check = dl_check,
};

AH_EXPORT const struct ah_plugin *acmehook_plugin_v1(void)
{
	return &dns_lua_plugin;
}
