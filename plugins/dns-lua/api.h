/* The acme table scripts see and the sandbox's stand-ins (api.c). */
#ifndef ACMEHOOK_DNS_LUA_API_H
#define ACMEHOOK_DNS_LUA_API_H

#include <lua.h>

/* Install the acme table and the sandbox's replacements for removed
 * functions (called inside a protected call). */
int dl_open_api(lua_State *L);

#endif
