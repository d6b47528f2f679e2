/* acme.json_encode, acme.json_decode, acme.json_array, acme.json_null
 * (json.c). */
#ifndef ACMEHOOK_DNS_LUA_JSON_H
#define ACMEHOOK_DNS_LUA_JSON_H

#include <lua.h>

/* Add the JSON functions to the table at ACME_IDX. */
void dl_json_register(lua_State *L, int acme_idx);

#endif
