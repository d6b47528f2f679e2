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

/* Which of the runtime's own errors a Lua error is, so the call's result
 * is decided on that and not on the message's text. */
enum dl_raise {
	DL_RAISE_OTHER,       /* the script's, Lua's, or a library function's */
	DL_RAISE_TIMEOUT,     /* dl_timeout_error: it names the line it stopped at */
	/* dl_host_error: a host service failed and already gave the host
	 * its own, more precise, error text; the Lua text goes to the log. */
	DL_RAISE_HOST,
};

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
	/* What the error being raised is: set just before raising it, taken
	 * by the message handler into on_top, reset where a pcall caught it. */
	enum dl_raise raising;
	/* What the last error the call's message handler saw is: the one
	 * that reaches the top of the call. */
	enum dl_raise on_top;
	bool in_deploy;               /* inside deploy(): acme.run and file writes allowed */
	bool has_present, has_cleanup, has_check, has_deploy;
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
/* A protected call inside the script (pcall, xpcall) returned: whatever
 * error it caught no longer reaches the top. */
void dl_caught(lua_State *L);

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
