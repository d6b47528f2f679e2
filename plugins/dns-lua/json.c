/* acme.json_encode / acme.json_decode through cJSON.
 *
 * Lua has one table type for JSON's two containers: a table whose keys are
 * exactly 1..n (n >= 1) is an array, any other table an object with string
 * keys, and an empty table encodes as {} unless marked with acme.json_array.
 * JSON null is the sentinel acme.json_null. Nesting is capped at 64 both
 * ways so a cyclic table or a hostile document cannot exhaust the C stack.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <lauxlib.h>
#include <lua.h>

#include "json.h"

#define JSON_DEPTH_MAX 64

/* Addresses used as unique keys/values. */
static const char json_null_tag = 0;
static const char json_array_mt_key = 0;

static void push_null(lua_State *L)
{
	lua_pushlightuserdata(L, (void *)&json_null_tag);
}

static bool is_null(lua_State *L, int idx)
{
	return lua_type(L, idx) == LUA_TLIGHTUSERDATA && lua_touserdata(L, idx) == &json_null_tag;
}

/* cJSON allocates outside the Lua allocator, so a cJSON tree built here is
 * owned by a userdata with __gc: a Lua error half-way cannot leak it. */
struct json_box {
	cJSON *root;
	char *text;
};

static void box_release(struct json_box *b)
{
	if (b->root)
		cJSON_Delete(b->root);
	if (b->text)
		cJSON_free(b->text);
	b->root = NULL;
	b->text = NULL;
}

static int box_gc(lua_State *L)
{
	box_release(lua_touserdata(L, 1));
	return 0;
}

static struct json_box *push_box(lua_State *L)
{
	struct json_box *b = lua_newuserdatauv(L, sizeof(*b), 0);

	b->root = NULL;
	b->text = NULL;
	if (luaL_newmetatable(L, "acmehook.jsonbox")) {
		lua_pushcfunction(L, box_gc);
		lua_setfield(L, -2, "__gc");
	}
	lua_setmetatable(L, -2);
	return b;
}

static bool marked_array(lua_State *L, int idx)
{
	bool yes = false;

	if (lua_getmetatable(L, idx)) {
		lua_rawgetp(L, LUA_REGISTRYINDEX, &json_array_mt_key);
		yes = lua_rawequal(L, -1, -2);
		lua_pop(L, 2);
	}
	return yes;
}

/* 0: not an array; otherwise its length n (keys exactly 1..n). */
static lua_Integer array_length(lua_State *L, int idx)
{
	lua_Integer n = 0, max = 0;

	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1) {
			lua_pop(L, 1);
			return 0;
		}
		n++;
		if (lua_tointeger(L, -1) > max)
			max = lua_tointeger(L, -1);
	}
	return max == n ? n : 0;
}

static cJSON *encode(lua_State *L, int idx, int depth);

static void add_or_die(lua_State *L, cJSON *parent, const char *key, cJSON *child)
{
	bool ok = key ? cJSON_AddItemToObject(parent, key, child)
	              : cJSON_AddItemToArray(parent, child);

	if (!ok) {
		cJSON_Delete(child);
		luaL_error(L, "acme.json_encode: out of memory");
	}
}

/* Returns a tree attached to nothing; on a Lua error, whatever was built is
 * freed by the caller's box because each container is attached to its
 * parent before being filled. IDX is absolute. */
static cJSON *encode_table(lua_State *L, int idx, int depth, cJSON *out)
{
	lua_Integer n = array_length(L, idx);

	if (n > 0 || marked_array(L, idx)) {
		for (lua_Integer i = 1; i <= n; i++) {
			lua_rawgeti(L, idx, i);
			add_or_die(L, out, NULL, encode(L, lua_gettop(L), depth + 1));
			lua_pop(L, 1);
		}
		return out;
	}
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		char key[32];
		const char *k;

		if (lua_type(L, -2) == LUA_TSTRING) {
			size_t kl;
			k = lua_tolstring(L, -2, &kl);
			if (strlen(k) != kl)
				luaL_error(L, "acme.json_encode: object key contains a NUL byte");
		} else if (lua_isinteger(L, -2)) {
			snprintf(key, sizeof(key), "%lld", (long long)lua_tointeger(L, -2));
			k = key;
		} else {
			luaL_error(L, "acme.json_encode: cannot use a %s as an object key",
			           luaL_typename(L, -2));
			return NULL;
		}
		add_or_die(L, out, k, encode(L, lua_gettop(L), depth + 1));
		lua_pop(L, 1);
	}
	return out;
}

/* Keeps every partially built container reachable from a box on the stack,
 * so errors free it: containers are created, boxed, filled, then unboxed. */
static cJSON *encode(lua_State *L, int idx, int depth)
{
	cJSON *item = NULL;

	if (depth > JSON_DEPTH_MAX)
		luaL_error(L, "acme.json_encode: nested deeper than %d (a cycle?)", JSON_DEPTH_MAX);
	luaL_checkstack(L, 8, "acme.json_encode");
	switch (lua_type(L, idx)) {
	case LUA_TNIL:
		item = cJSON_CreateNull();
		break;
	case LUA_TBOOLEAN:
		item = cJSON_CreateBool(lua_toboolean(L, idx));
		break;
	case LUA_TNUMBER: {
		char num[64];
		double d = lua_tonumber(L, idx);
		/* cJSON prints doubles with 15 significant digits, which turns a
		 * provider's 64-bit record id into a different number: print
		 * integers exactly and floats with enough digits to read back. */
		if (lua_isinteger(L, idx)) {
			snprintf(num, sizeof(num), LUA_INTEGER_FMT, (LUAI_UACINT)lua_tointeger(L, idx));
		} else {
			if (!isfinite(d))
				luaL_error(L, "acme.json_encode: %s has no JSON form",
				           isnan(d) ? "NaN" : "inf");
			snprintf(num, sizeof(num), "%.17g", d);
		}
		item = cJSON_CreateRaw(num);
		break;
	}
	case LUA_TSTRING: {
		size_t len;
		const char *s = lua_tolstring(L, idx, &len);
		if (strlen(s) != len)
			luaL_error(L, "acme.json_encode: string contains a NUL byte");
		item = cJSON_CreateString(s);
		break;
	}
	case LUA_TLIGHTUSERDATA:
		if (is_null(L, idx)) {
			item = cJSON_CreateNull();
			break;
		}
		/* fall through */
	default:
		if (lua_type(L, idx) == LUA_TTABLE) {
			struct json_box *b;
			bool arr = array_length(L, idx) > 0 || marked_array(L, idx);

			b = push_box(L);
			b->root = arr ? cJSON_CreateArray() : cJSON_CreateObject();
			if (!b->root)
				luaL_error(L, "acme.json_encode: out of memory");
			encode_table(L, idx, depth, b->root);
			item = b->root;
			b->root = NULL;
			lua_pop(L, 1);
			return item;
		}
		luaL_error(L, "acme.json_encode: cannot encode a %s", luaL_typename(L, idx));
	}
	if (!item)
		luaL_error(L, "acme.json_encode: out of memory");
	return item;
}

static int l_json_encode(lua_State *L)
{
	struct json_box *b;

	lua_settop(L, 1);
	b = push_box(L);
	b->root = encode(L, 1, 1);
	b->text = cJSON_PrintUnformatted(b->root);
	if (!b->text)
		return luaL_error(L, "acme.json_encode: out of memory");
	lua_pushstring(L, b->text);
	box_release(b);
	return 1;
}

static void decode(lua_State *L, const cJSON *j, int depth)
{
	if (depth > JSON_DEPTH_MAX)
		luaL_error(L, "acme.json_decode: nested deeper than %d", JSON_DEPTH_MAX);
	luaL_checkstack(L, 4, "acme.json_decode");
	if (cJSON_IsNull(j)) {
		push_null(L);
	} else if (cJSON_IsBool(j)) {
		lua_pushboolean(L, cJSON_IsTrue(j));
	} else if (cJSON_IsNumber(j)) {
		double d = j->valuedouble;
		if (d == floor(d) && fabs(d) < 9007199254740992.0)
			lua_pushinteger(L, (lua_Integer)d);
		else
			lua_pushnumber(L, d);
	} else if (cJSON_IsString(j)) {
		lua_pushstring(L, j->valuestring ? j->valuestring : "");
	} else if (cJSON_IsArray(j)) {
		lua_Integer i = 0;
		const cJSON *c;

		lua_createtable(L, cJSON_GetArraySize(j), 0);
		cJSON_ArrayForEach(c, j) {
			decode(L, c, depth + 1);
			lua_rawseti(L, -2, ++i);
		}
		if (i == 0) {
			/* [] stays [] when encoded again. */
			lua_rawgetp(L, LUA_REGISTRYINDEX, &json_array_mt_key);
			lua_setmetatable(L, -2);
		}
	} else if (cJSON_IsObject(j)) {
		const cJSON *c;

		lua_createtable(L, 0, cJSON_GetArraySize(j));
		cJSON_ArrayForEach(c, j) {
			lua_pushstring(L, c->string ? c->string : "");
			decode(L, c, depth + 1);
			lua_rawset(L, -3);
		}
	} else {
		luaL_error(L, "acme.json_decode: unexpected value");
	}
}

static int l_json_decode(lua_State *L)
{
	size_t len;
	const char *s = luaL_checklstring(L, 1, &len);
	const char *end = NULL;
	struct json_box *b = push_box(L);

	/* Strict: text after the value is an error, not something to drop. */
	b->root = cJSON_ParseWithLengthOpts(s, len + 1, &end, 1);
	if (!b->root) {
		size_t off = end && end >= s ? (size_t)(end - s) : 0;
		return luaL_error(L, "acme.json_decode: invalid JSON near offset %d", (int)off);
	}
	decode(L, b->root, 1);
	box_release(b);
	return 1;
}

/* acme.json_array(t): mark T (default a new table) to encode as an array
 * even when empty. */
static int l_json_array(lua_State *L)
{
	if (lua_isnoneornil(L, 1)) {
		lua_settop(L, 0);
		lua_newtable(L);
	}
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);
	lua_rawgetp(L, LUA_REGISTRYINDEX, &json_array_mt_key);
	lua_setmetatable(L, 1);
	return 1;
}

void dl_json_register(lua_State *L, int acme_idx)
{
	lua_newtable(L);
	lua_pushliteral(L, "json_array");
	lua_setfield(L, -2, "__name");
	lua_rawsetp(L, LUA_REGISTRYINDEX, &json_array_mt_key);
	lua_pushcfunction(L, l_json_encode);
	lua_setfield(L, acme_idx, "json_encode");
	lua_pushcfunction(L, l_json_decode);
	lua_setfield(L, acme_idx, "json_decode");
	lua_pushcfunction(L, l_json_array);
	lua_setfield(L, acme_idx, "json_array");
	push_null(L);
	lua_setfield(L, acme_idx, "json_null");
}
