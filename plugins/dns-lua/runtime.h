/* dns-lua's per-call runtime: the instance state a running script reaches
 * (host, limits, deadline), the Lua state's allocator and instruction hook,
 * the protected call with its message handler, and the error reporting to
 * the host. The plugin's entry points (dns_lua.c) and the acme table's
 * functions (api.c, proc.c) build on it; it calls none of them. Nothing
 * here crosses the plugin boundary: the module exports only its entry
 * symbol. */
#ifndef ACMEHOOK_DNS_LUA_RUNTIME_H
#define ACMEHOOK_DNS_LUA_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>

#include <lua.h>

#include <acmehook/plugin.h>

#define DL_ERR_MAX 512

/* One instance: one script, one lua_State. */
struct dl_state {
	const struct ah_host *host;   /* borrowed until fini */
	lua_State *L;                 /* owned; closed by the instance's owner */
	char *script;                 /* owned: the script's path as configured */
	size_t mem_used;              /* bytes the allocator has handed out */
	size_t mem_limit;             /* cap on mem_used */
	bool mem_exceeded;            /* the allocator refused since the last call began */
	long time_limit;              /* seconds per call */
	double deadline;              /* CLOCK_MONOTONIC seconds; 0: no call running */
	bool timed_out;               /* the deadline passed during this call */
	bool in_deploy;               /* inside deploy(): acme.run and file writes allowed */
	bool has_present, has_cleanup, has_check, has_deploy;
	/* A host service failed and already gave the host its own error text:
	 * when the Lua error reaching the top is the one we raised for it, we
	 * keep the host's (more precise) text instead of replacing it. */
	char host_failed[DL_ERR_MAX];
	char *traceback;              /* owned: of the last error, for the debug log */
	char last_error[DL_ERR_MAX];  /* the text last given to set_error */
};

/* The instance of the running lua_State (kept in its extra space). */
struct dl_state *dl_get(lua_State *L);

/* A new Lua state for ST: its allocator caps memory at st->mem_limit, its
 * hook enforces st->deadline, and dl_get finds ST from it. NULL when out of
 * memory. The caller owns the state (lua_close). */
lua_State *dl_newstate(struct dl_state *st);

double dl_monotonic(void);
/* Seconds left before the deadline (may be <= 0). */
double dl_remaining(struct dl_state *st);
/* Raise the time-limit error (does not return). */
int dl_timeout_error(lua_State *L);
/* A host service failed with its own text already set: raise MSG as a Lua
 * error and remember that the host's text is the better one. */
int dl_host_error(lua_State *L, const char *fmt, ...);

void dl_log(struct dl_state *st, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Give the host the error text (and keep it in st->last_error); returns
 * STATUS so callers can return the call's result directly. */
int dl_fail(struct dl_state *st, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One call into the script: arm the deadline, then run F(ARG) protected
 * with the traceback-keeping message handler, F receiving ARG as a light
 * userdata and leaving NRESULTS results. Returns the lua_pcall status; the
 * stack then holds the message handler followed by the results (or the
 * error message), for dl_call_end and the caller's lua_settop. */
int dl_pcall(struct dl_state *st, lua_CFunction f, void *arg, int nresults);
/* After dl_pcall returned STATUS: disarm the deadline and, on an error,
 * report it (naming WHAT, e.g. "present()") and pop the message. Returns
 * AH_OK or FAIL_STATUS. */
int dl_call_end(struct dl_state *st, int status, const char *what, int fail_status);

#endif
