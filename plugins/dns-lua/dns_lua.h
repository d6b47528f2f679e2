/* dns-lua internals shared by the plugin's source files. Nothing here
 * crosses the plugin boundary: the module exports only its entry symbol. */
#ifndef ACMEHOOK_DNS_LUA_H
#define ACMEHOOK_DNS_LUA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lua.h>

#include <acmehook/plugin.h>

#define DL_ERR_MAX 512

/* One instance: one script, one lua_State. */
struct dl_state {
	const struct ah_host *host;   /* borrowed until fini */
	lua_State *L;
	char *script;                 /* the script's path as configured */
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
	char *traceback;              /* of the last error, for the debug log */
	char last_error[DL_ERR_MAX];  /* the text last given to set_error */
};

/* The instance of the running lua_State (kept in its extra space). */
struct dl_state *dl_get(lua_State *L);

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

/* Install the acme table and the sandbox's replacements for removed
 * functions (called inside a protected call). */
int dl_open_api(lua_State *L);

/* acme.json_* (json.c). */
void dl_json_register(lua_State *L, int acme_idx);

/* acme.run, acme.write_file, acme.copy_file (proc.c). */
void dl_proc_register(lua_State *L, int acme_idx);

#endif
