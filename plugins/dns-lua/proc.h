/* acme.run, acme.read_file, acme.write_file, acme.copy_file (proc.c). */
#ifndef ACMEHOOK_DNS_LUA_PROC_H
#define ACMEHOOK_DNS_LUA_PROC_H

#include <lua.h>

/* Add the deploy-step functions to the table at ACME_IDX. */
void dl_proc_register(lua_State *L, int acme_idx);

#endif
