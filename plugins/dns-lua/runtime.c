/* dns-lua's per-call runtime: memory cap, run-time cap, protected calls
 * and the errors they report to the host (see runtime.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>
#include <lua.h>

#include "runtime.h"

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

int dl_fail(struct dl_state *st, int status, const char *fmt, ...)
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
	/* Set last, right before raising: the message handler then knows the
	 * error it is called for is this one. */
	st->raising = DL_RAISE_TIMEOUT;
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
	st->raising = DL_RAISE_HOST;
	return lua_error(L);
}

void dl_caught(lua_State *L)
{
	dl_get(L)->raising = DL_RAISE_OTHER;
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

lua_State *dl_newstate(struct dl_state *st)
{
	lua_State *L = lua_newstate(dl_alloc, st);

	if (!L)
		return NULL;
	*(struct dl_state **)lua_getextraspace(L) = st;
	lua_sethook(L, dl_hook, LUA_MASKCOUNT, DL_HOOK_COUNT);
	return L;
}

/* Message handler: keep the message as it is (so "SCRIPT:LINE: message"
 * reaches set_error), and the traceback on the side for the debug log.
 * Lua calls it where each error is raised, before unwinding, so the last
 * call sees the error that reaches the top: a to-be-closed variable whose
 * __close fails replaces the error being unwound, and this records that. */
static int dl_msgh(lua_State *L)
{
	struct dl_state *st = dl_get(L);
	const char *msg = lua_tostring(L, 1);

	st->on_top = st->raising;
	st->raising = DL_RAISE_OTHER;
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

int dl_pcall(struct dl_state *st, lua_CFunction f, void *arg, int nresults)
{
	lua_State *L = st->L;
	int base = lua_gettop(L);

	st->deadline = dl_monotonic() + (double)st->time_limit;
	st->timed_out = false;
	st->raising = DL_RAISE_OTHER;
	st->on_top = DL_RAISE_OTHER;
	st->mem_exceeded = false;
	free(st->traceback);
	st->traceback = NULL;
	lua_pushcfunction(L, dl_msgh);
	lua_pushcfunction(L, f);
	lua_pushlightuserdata(L, arg);
	return lua_pcall(L, 1, nresults, base + 1);
}

int dl_call_end(struct dl_state *st, int status, const char *what, int fail_status)
{
	lua_State *L = st->L;
	int ret = AH_OK;

	st->deadline = 0;
	if (status == LUA_OK)
		return AH_OK;
	ret = fail_status;
	if (st->timed_out) {
		/* The limit's own error names the line it stopped at. When
		 * something else reached the top after it (a failing __close, a
		 * memory error), the limit is still the reason. */
		const char *m = lua_tostring(L, -1);

		if (status == LUA_ERRRUN && st->on_top == DL_RAISE_TIMEOUT && m)
			dl_fail(st, ret, "%s", m);
		else
			dl_fail(st, ret, "script %s: time limit of %ld s exceeded in %s", st->script,
			        st->time_limit, what);
	} else if (status == LUA_ERRMEM || st->mem_exceeded) {
		dl_fail(st, ret, "script %s: memory limit of %zu MiB exceeded in %s", st->script,
		        st->mem_limit / (1024 * 1024), what);
	} else {
		const char *m = lua_tostring(L, -1);

		if (!m)
			m = "(no error message)";
		if (status == LUA_ERRRUN && st->on_top == DL_RAISE_HOST)
			/* The host's own text (already set) says more; the
			 * script's line goes to the log. */
			dl_log(st, AH_LOG_WARN, "%s", m);
		else
			dl_fail(st, ret, "%s", m);
	}
	if (st->traceback)
		dl_log(st, AH_LOG_DEBUG, "%s failed: %s", what, st->traceback);
	lua_pop(L, 1);
	/* Give back what a runaway script piled up before the next call. */
	lua_gc(L, LUA_GCCOLLECT);
	return ret;
}
