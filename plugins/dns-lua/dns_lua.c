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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "api.h"
#include "runtime.h"

#define DL_VERSION "1.0.0"
#define DL_SCRIPT_MAX (1024 * 1024)   /* bytes of Lua source */
#define DL_DEFAULT_MEM_MB 64
#define DL_DEFAULT_TIME_S 30

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
	status = dl_pcall(st, call_tramp, &a, 2);
	ret = dl_call_end(st, status, what, AH_FAIL);
	if (status == LUA_OK) {
		if (lua_type(L, -2) == LUA_TSTRING && strcmp(lua_tostring(L, -2), "decline") == 0) {
			ret = AH_DECLINE;
		} else if (lua_type(L, -2) == LUA_TBOOLEAN && !lua_toboolean(L, -2)) {
			const char *m = lua_tostring(L, -1);
			ret = dl_fail(st, AH_FAIL, "script %s: %s returned false: %s", st->script, what,
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
		dl_fail(st, AH_CONFIG, "refusing script %s: %s is owned by uid %u, not by root or "
		     "the user running acmehook", st->script, path, (unsigned)sb->st_uid);
		return -1;
	}
	if (sb->st_mode & (S_IWGRP | S_IWOTH)) {
		dl_fail(st, AH_CONFIG, "refusing script %s: %s %s is writable by %s (mode %04o); "
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
		dl_fail(st, AH_CONFIG, "cannot open script %s: %s", st->script, strerror(errno));
		goto out;
	}
	if (fstat(fd, &sb) < 0) {
		dl_fail(st, AH_CONFIG, "cannot stat script %s: %s", st->script, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		dl_fail(st, AH_CONFIG, "refusing script %s: not a regular file", st->script);
		goto out;
	}
	if (check_owner_mode(st, "file", st->script, &sb) < 0)
		goto out;
	real = realpath(st->script, NULL);
	if (!real) {
		dl_fail(st, AH_CONFIG, "cannot resolve script %s: %s", st->script, strerror(errno));
		goto out;
	}
	dir = dirname(real);
	{
		struct stat db;

		if (stat(dir, &db) < 0) {
			dl_fail(st, AH_CONFIG, "cannot stat %s: %s", dir, strerror(errno));
			goto out;
		}
		/* A sticky directory (/tmp) keeps others from replacing the
		 * file, but not from racing its creation: refuse it too. */
		if (check_owner_mode(st, "directory", dir, &db) < 0)
			goto out;
	}
	if (sb.st_size > DL_SCRIPT_MAX) {
		dl_fail(st, AH_CONFIG, "refusing script %s: larger than %d bytes", st->script,
		     DL_SCRIPT_MAX);
		goto out;
	}
	cap = (size_t)sb.st_size + 1;
	buf = malloc(cap);
	if (!buf) {
		ret = dl_fail(st, AH_FAIL, "out of memory");
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (got == cap) {
			dl_fail(st, AH_CONFIG, "script %s changed while being read", st->script);
			goto out;
		}
		n = read(fd, buf + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			dl_fail(st, AH_CONFIG, "cannot read script %s: %s", st->script, strerror(errno));
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
		dl_fail(st, AH_CONFIG, "option %s=%s: want a whole number from 1 to %ld", key, v, max);
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
		ret = dl_fail(st, AH_CONFIG, "option script is missing: give the path of a Lua file "
		           "defining present/cleanup or deploy");
		goto out;
	}
	st->script = strdup(script);
	if (!st->script) {
		ret = dl_fail(st, AH_FAIL, "out of memory");
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
		ret = dl_fail(st, AH_CONFIG, "refusing script %s: it is precompiled Lua bytecode; "
		           "give the Lua source", st->script);
		goto out;
	}
	chunkname = malloc(strlen(st->script) + 2);
	if (!chunkname) {
		ret = dl_fail(st, AH_FAIL, "out of memory");
		goto out;
	}
	chunkname[0] = '@';
	strcpy(chunkname + 1, st->script);
	la.text = text;
	la.chunkname = chunkname;

	st->L = dl_newstate(st);
	if (!st->L) {
		ret = dl_fail(st, AH_FAIL, "cannot create a Lua state (out of memory)");
		goto out;
	}

	status = dl_pcall(st, setup_tramp, &la, 0);
	/* A script that does not load or whose main chunk fails is a
	 * configuration error: nothing was asked of it yet. */
	if (status != LUA_OK && la.status == LUA_ERRSYNTAX)
		ret = dl_call_end(st, status, "loading", AH_CONFIG);
	else
		ret = dl_call_end(st, status, "the main chunk", AH_CONFIG);
	lua_settop(st->L, 0);
	if (ret != AH_OK)
		goto out;

	st->has_present = global_is_function(st->L, "present");
	st->has_cleanup = global_is_function(st->L, "cleanup");
	st->has_check = global_is_function(st->L, "check");
	st->has_deploy = global_is_function(st->L, "deploy");
	if (st->has_present != st->has_cleanup) {
		ret = dl_fail(st, AH_CONFIG, "script %s defines %s() but not %s(): a DNS provider "
		           "needs both", st->script, st->has_present ? "present" : "cleanup",
		           st->has_present ? "cleanup" : "present");
		goto out;
	}
	if (!st->has_present && !st->has_deploy) {
		ret = dl_fail(st, AH_CONFIG, "script %s defines neither present()/cleanup() (a DNS "
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
		return dl_fail(st, AH_FAIL, "install called without a certificate");
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
