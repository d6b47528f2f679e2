/* The acme table scripts see, and the sandbox's replacements for what the
 * standard library would otherwise offer (load of bytecode, dofile,
 * loadfile, os, io, require, package, debug). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>
#include <lua.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "api.h"
#include "json.h"
#include "proc.h"
#include "runtime.h"

#define HTTP_HEADERS_MAX 64

/* ---------------------------------------------------------- codecs */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int b64_encode(lua_State *L, const char *alpha, bool pad)
{
	size_t n, i;
	const unsigned char *s = (const unsigned char *)luaL_checklstring(L, 1, &n);
	luaL_Buffer b;

	luaL_buffinit(L, &b);
	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8 | s[i + 2];
		luaL_addchar(&b, alpha[v >> 18 & 63]);
		luaL_addchar(&b, alpha[v >> 12 & 63]);
		luaL_addchar(&b, alpha[v >> 6 & 63]);
		luaL_addchar(&b, alpha[v & 63]);
	}
	if (i < n) {
		unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0);
		luaL_addchar(&b, alpha[v >> 18 & 63]);
		luaL_addchar(&b, alpha[v >> 12 & 63]);
		if (i + 1 < n)
			luaL_addchar(&b, alpha[v >> 6 & 63]);
		else if (pad)
			luaL_addchar(&b, '=');
		if (pad)
			luaL_addchar(&b, '=');
	}
	luaL_pushresult(&b);
	return 1;
}

static int b64_value(char c, bool url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

/* Strict: the alphabet only; padding optional but, when present, right. */
static int b64_decode(lua_State *L, bool url, const char *fname)
{
	size_t n, i, len, pad = 0;
	const char *s = luaL_checklstring(L, 1, &n);
	unsigned acc = 0;
	int bits = 0;
	luaL_Buffer b;

	len = n;
	while (len > 0 && s[len - 1] == '=' && pad < 2) {
		len--;
		pad++;
	}
	if (pad && (len + pad) % 4 != 0)
		return luaL_error(L, "%s: bad padding", fname);
	if (len % 4 == 1)
		return luaL_error(L, "%s: truncated input (%d characters)", fname, (int)n);
	luaL_buffinit(L, &b);
	for (i = 0; i < len; i++) {
		int v = b64_value(s[i], url);
		if (v < 0)
			return luaL_error(L, "%s: invalid character at offset %d", fname, (int)i);
		acc = acc << 6 | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			luaL_addchar(&b, (char)(acc >> bits & 0xff));
		}
	}
	luaL_pushresult(&b);
	return 1;
}

static int l_base64_encode(lua_State *L) { return b64_encode(L, B64, true); }
static int l_base64url_encode(lua_State *L) { return b64_encode(L, B64URL, false); }
static int l_base64_decode(lua_State *L) { return b64_decode(L, false, "acme.base64_decode"); }
static int l_base64url_decode(lua_State *L) { return b64_decode(L, true, "acme.base64url_decode"); }

static int l_hex_encode(lua_State *L)
{
	static const char hx[] = "0123456789abcdef";
	size_t n;
	const unsigned char *s = (const unsigned char *)luaL_checklstring(L, 1, &n);
	luaL_Buffer b;

	luaL_buffinit(L, &b);
	for (size_t i = 0; i < n; i++) {
		luaL_addchar(&b, hx[s[i] >> 4]);
		luaL_addchar(&b, hx[s[i] & 15]);
	}
	luaL_pushresult(&b);
	return 1;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int l_hex_decode(lua_State *L)
{
	size_t n;
	const char *s = luaL_checklstring(L, 1, &n);
	luaL_Buffer b;

	if (n % 2)
		return luaL_error(L, "acme.hex_decode: odd number of digits");
	luaL_buffinit(L, &b);
	for (size_t i = 0; i < n; i += 2) {
		int hi = hexval(s[i]), lo = hexval(s[i + 1]);
		if (hi < 0 || lo < 0)
			return luaL_error(L, "acme.hex_decode: invalid digit at offset %d", (int)i);
		luaL_addchar(&b, (char)(hi << 4 | lo));
	}
	luaL_pushresult(&b);
	return 1;
}

/* ---------------------------------------------------------- hashes */

static int digest(lua_State *L, const EVP_MD *md)
{
	size_t n;
	const char *s = luaL_checklstring(L, 1, &n);
	unsigned char out[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (!EVP_Digest(s, n, out, &len, md, NULL))
		return luaL_error(L, "digest failed");
	lua_pushlstring(L, (const char *)out, len);
	return 1;
}

static int hmac(lua_State *L, const EVP_MD *md)
{
	size_t kn, mn;
	const char *k = luaL_checklstring(L, 1, &kn);
	const char *m = luaL_checklstring(L, 2, &mn);
	unsigned char out[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (kn > INT32_MAX)
		return luaL_error(L, "HMAC key too long");
	if (!HMAC(md, k, (int)kn, (const unsigned char *)m, mn, out, &len))
		return luaL_error(L, "HMAC failed");
	lua_pushlstring(L, (const char *)out, len);
	return 1;
}

static int l_sha256(lua_State *L) { return digest(L, EVP_sha256()); }
static int l_sha512(lua_State *L) { return digest(L, EVP_sha512()); }
static int l_hmac_sha1(lua_State *L) { return hmac(L, EVP_sha1()); }
static int l_hmac_sha256(lua_State *L) { return hmac(L, EVP_sha256()); }
static int l_hmac_sha512(lua_State *L) { return hmac(L, EVP_sha512()); }

/* ---------------------------------------------------- time and logs */

static int l_time(lua_State *L)
{
	struct dl_state *st = dl_get(L);

	lua_pushinteger(L, (lua_Integer)st->host->now(st->host->ctx));
	return 1;
}

static int l_sleep(lua_State *L)
{
	struct dl_state *st = dl_get(L);
	double secs = luaL_checknumber(L, 1), left = dl_remaining(st);
	bool over = false;
	struct timespec ts;

	if (!(secs >= 0) || secs > 86400)
		return luaL_argerror(L, 1, "want 0 to 86400 seconds");
	/* Sleeping counts against the time limit: sleep what is left, then
	 * fail as the hook would. */
	if (secs >= left) {
		secs = left > 0 ? left : 0;
		over = true;
	}
	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	if (over)
		return dl_timeout_error(L);
	return 0;
}

static int level_of(lua_State *L, const char *s)
{
	if (strcmp(s, "error") == 0)
		return AH_LOG_ERROR;
	if (strcmp(s, "warn") == 0 || strcmp(s, "warning") == 0)
		return AH_LOG_WARN;
	if (strcmp(s, "info") == 0)
		return AH_LOG_INFO;
	if (strcmp(s, "debug") == 0)
		return AH_LOG_DEBUG;
	return luaL_error(L, "acme.log: unknown level \"%s\" (want error, warn, info or debug)", s);
}

static int l_log(lua_State *L)
{
	struct dl_state *st = dl_get(L);
	int level = level_of(L, luaL_checkstring(L, 1));
	const char *msg = luaL_tolstring(L, 2, NULL);

	st->host->log(st->host->ctx, level, msg);
	return 0;
}

/* print() goes to the log at info level: stdout is acmehook's. */
static int l_print(lua_State *L)
{
	struct dl_state *st = dl_get(L);
	int n = lua_gettop(L);
	luaL_Buffer b;

	luaL_buffinit(L, &b);
	for (int i = 1; i <= n; i++) {
		if (i > 1)
			luaL_addchar(&b, '\t');
		luaL_tolstring(L, i, NULL);
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
	st->host->log(st->host->ctx, AH_LOG_INFO, lua_tostring(L, -1));
	return 0;
}

/* ----------------------------------------------------------- secrets */

static int l_secret(lua_State *L)
{
	struct dl_state *st = dl_get(L);
	const char *key = luaL_checkstring(L, 1);
	char *v = NULL;
	int r = st->host->secret_get(st->host->ctx, key, &v);

	if (r == AH_DECLINE || (r == AH_OK && !v)) {
		lua_pushnil(L);
		return 1;
	}
	if (r != AH_OK)
		return luaL_error(L, "acme.secret: cannot read \"%s\"", key);
	/* The copy in Lua lives until the state is collected; the host's copy
	 * is wiped now. */
	lua_pushstring(L, v);
	st->host->secret_free(st->host->ctx, v);
	return 1;
}

/* -------------------------------------------------------------- HTTP */

static long timeout_arg(lua_State *L, struct dl_state *st, int idx, long def)
{
	double left = dl_remaining(st);
	lua_Number t = def;

	if (left <= 0)
		dl_timeout_error(L);
	lua_getfield(L, idx, "timeout");
	if (!lua_isnil(L, -1)) {
		if (!lua_isnumber(L, -1) || lua_tonumber(L, -1) <= 0)
			luaL_error(L, "timeout must be a positive number of seconds");
		t = lua_tonumber(L, -1);
	}
	lua_pop(L, 1);
	/* Never wait past the script's own deadline. */
	if (t <= 0 || t > left)
		t = ceil(left);
	return t < 1 ? 1 : (long)ceil(t);
}

static const char *opt_string(lua_State *L, int idx, const char *key, size_t *len)
{
	const char *s;

	lua_getfield(L, idx, key);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return NULL;
	}
	if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER)
		luaL_error(L, "field \"%s\" must be a string", key);
	s = lua_tolstring(L, -1, len);
	/* The table keeps the string alive while we use it. */
	lua_pop(L, 1);
	return s;
}

static bool header_name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s <= ' ' || *s >= 127 || *s == ':')
			return false;
	return true;
}

static void push_headers(lua_State *L, const char *raw)
{
	lua_newtable(L);
	while (raw && *raw) {
		const char *eol = strpbrk(raw, "\r\n"), *colon;
		size_t linelen = eol ? (size_t)(eol - raw) : strlen(raw);

		colon = memchr(raw, ':', linelen);
		if (colon && colon > raw && strncmp(raw, "HTTP/", 5) != 0) {
			const char *v = colon + 1, *end = raw + linelen;
			luaL_Buffer b;

			while (v < end && (*v == ' ' || *v == '\t'))
				v++;
			while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
				end--;
			luaL_buffinit(L, &b);
			for (const char *p = raw; p < colon; p++)
				luaL_addchar(&b, (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p));
			luaL_pushresult(&b);
			lua_pushvalue(L, -1);
			lua_rawget(L, -3);
			if (lua_isstring(L, -1)) {
				/* Repeated headers join with ", " as RFC 9110 allows. */
				lua_pushliteral(L, ", ");
				lua_pushlstring(L, v, (size_t)(end - v));
				lua_concat(L, 3);
			} else {
				lua_pop(L, 1);
				lua_pushlstring(L, v, (size_t)(end - v));
			}
			lua_rawset(L, -3);
		}
		raw += linelen;
		while (*raw == '\r' || *raw == '\n')
			raw++;
	}
}

static int l_http(lua_State *L)
{
	struct dl_state *st = dl_get(L);
	struct ah_http_request req = {0};
	struct ah_http_response *resp = NULL;
	const char *hdrs[HTTP_HEADERS_MAX + 1];
	size_t nh = 0, body_len = 0;
	const char *method, *url, *body;
	int r, hl;

	luaL_checktype(L, 1, LUA_TTABLE);
	url = opt_string(L, 1, "url", NULL);
	if (!url)
		return luaL_error(L, "acme.http: url is missing");
	method = opt_string(L, 1, "method", NULL);
	if (!method)
		method = "GET";
	for (const char *p = method; *p; p++)
		if (*p < 'A' || *p > 'Z')
			return luaL_error(L, "acme.http: bad method \"%s\"", method);
	body = opt_string(L, 1, "body", &body_len);
	req.timeout_seconds = timeout_arg(L, st, 1, 0);

	/* "Name: value" strings collect in a table on the stack, which keeps
	 * them alive until the request has been sent. */
	lua_newtable(L);
	hl = lua_gettop(L);
	lua_getfield(L, 1, "headers");
	if (!lua_isnil(L, -1)) {
		int ht = lua_gettop(L);

		luaL_checktype(L, ht, LUA_TTABLE);
		lua_pushnil(L);
		while (lua_next(L, ht)) {
			const char *k, *v;
			size_t vlen;

			if (lua_type(L, -2) != LUA_TSTRING ||
			    (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER))
				return luaL_error(L, "acme.http: headers must map names to strings");
			k = lua_tostring(L, -2);
			lua_pushvalue(L, -1);
			v = lua_tolstring(L, -1, &vlen);
			if (!header_name_ok(k))
				return luaL_error(L, "acme.http: bad header name \"%s\"", k);
			if (strpbrk(v, "\r\n") || strlen(v) != vlen)
				return luaL_error(L, "acme.http: header %s contains a line break or NUL", k);
			if (nh == HTTP_HEADERS_MAX)
				return luaL_error(L, "acme.http: more than %d headers", HTTP_HEADERS_MAX);
			lua_pushfstring(L, "%s: %s", k, v);
			lua_rawseti(L, hl, (lua_Integer)++nh);
			lua_pop(L, 2);
		}
	}
	lua_pop(L, 1);
	for (size_t i = 0; i < nh; i++) {
		lua_rawgeti(L, hl, (lua_Integer)i + 1);
		hdrs[i] = lua_tostring(L, -1);
		lua_pop(L, 1);
	}
	hdrs[nh] = NULL;

	req.struct_size = sizeof(req);
	req.method = method;
	req.url = url;
	req.headers = nh ? hdrs : NULL;
	req.body = body;
	req.body_len = body_len;
	r = st->host->http_request(st->host->ctx, &req, &resp);
	if (r != AH_OK || !resp)
		return dl_host_error(L, "acme.http: %s %s failed", method, url);
	lua_createtable(L, 0, 3);
	lua_pushinteger(L, resp->status);
	lua_setfield(L, -2, "status");
	lua_pushlstring(L, resp->body ? resp->body : "", resp->body ? resp->body_len : 0);
	lua_setfield(L, -2, "body");
	/* push_headers may raise (memory): release the response first. */
	lua_pushstring(L, resp->headers ? resp->headers : "");
	st->host->http_response_free(st->host->ctx, resp);
	push_headers(L, lua_tostring(L, -1));
	lua_remove(L, -2);
	lua_setfield(L, -2, "headers");
	return 1;
}

/* --------------------------------------------------------------- DNS */

static int l_dns(lua_State *L)
{
	struct dl_state *st = dl_get(L);
	struct ah_dns_query q = {0};
	struct ah_dns_answer *ans = NULL;
	int r;

	if (!AH_HAS_MEMBER(st->host, struct ah_host, dns_answer_free))
		return luaL_error(L, "acme.dns: this acmehook is too old (needs plugin ABI 1.1)");
	luaL_checktype(L, 1, LUA_TTABLE);
	q.struct_size = sizeof(q);
	q.name = opt_string(L, 1, "name", NULL);
	q.type = opt_string(L, 1, "type", NULL);
	q.server = opt_string(L, 1, "server", NULL);
	if (!q.name)
		return luaL_error(L, "acme.dns: name is missing");
	if (!q.type)
		q.type = "TXT";
	q.timeout_seconds = timeout_arg(L, st, 1, 5);
	r = st->host->dns_query(st->host->ctx, &q, &ans);
	if (r != AH_OK || !ans)
		return dl_host_error(L, "acme.dns: %s %s query failed", q.name, q.type);
	/* Copy into Lua with the answer held only by C: a memory error while
	 * copying would leak it, so copy into a string buffer first. */
	lua_createtable(L, 0, 3);
	lua_pushinteger(L, ans->rcode);
	lua_setfield(L, -2, "rcode");
	if (!lua_checkstack(L, 4)) {
		st->host->dns_answer_free(st->host->ctx, ans);
		return luaL_error(L, "acme.dns: stack overflow");
	}
	{
		size_t n = ans->n;
		/* lua_createtable/pushstring can only fail by memory; the leak
		 * is bounded by one answer and the state is then near dead. */
		lua_createtable(L, (int)n, 0);
		lua_createtable(L, (int)n, 0);
		for (size_t i = 0; i < n; i++) {
			lua_pushstring(L, ans->values && ans->values[i] ? ans->values[i] : "");
			lua_rawseti(L, -3, (lua_Integer)i + 1);
			lua_pushstring(L, ans->owners && ans->owners[i] ? ans->owners[i] : "");
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
	}
	st->host->dns_answer_free(st->host->ctx, ans);
	lua_setfield(L, -3, "owners");
	lua_setfield(L, -2, "values");
	return 1;
}

static int l_zone_of(lua_State *L)
{
	struct dl_state *st = dl_get(L);
	const char *name = luaL_checkstring(L, 1);
	const char *server = luaL_optstring(L, 2, NULL);
	char *zone = NULL;
	int r;

	if (!AH_HAS_MEMBER(st->host, struct ah_host, string_free))
		return luaL_error(L, "acme.zone_of: this acmehook is too old (needs plugin ABI 1.1)");
	if (dl_remaining(st) <= 0)
		return dl_timeout_error(L);
	r = st->host->dns_zone_of(st->host->ctx, name, server, &zone);
	if (r != AH_OK || !zone)
		return dl_host_error(L, "acme.zone_of: cannot find the zone of %s", name);
	lua_pushstring(L, zone);
	st->host->string_free(st->host->ctx, zone);
	return 1;
}

/* ------------------------------------------------------------ sandbox */

static int l_unavailable(lua_State *L)
{
	return luaL_error(L, "%s is not available in acmehook scripts (the sandbox opens only "
	                  "base, string, table, math and utf8; see docs/lua-api.md)",
	                  lua_tostring(L, lua_upvalueindex(1)));
}

/* __index of the stand-ins for os, io, package and debug: any field is an
 * error naming it, so os.execute fails with a message rather than "attempt
 * to index a nil value". */
static int l_unavailable_index(lua_State *L)
{
	const char *lib = lua_tostring(L, lua_upvalueindex(1));
	const char *key = lua_tostring(L, 2);

	return luaL_error(L, "%s.%s is not available in acmehook scripts (the sandbox opens only "
	                  "base, string, table, math and utf8; %s)", lib, key ? key : "?",
	                  strcmp(lib, "os") == 0 || strcmp(lib, "io") == 0
	                          ? "use acme.time, acme.run or acme.write_file instead"
	                          : "see docs/lua-api.md");
}

static void deny_function(lua_State *L, const char *name)
{
	lua_pushstring(L, name);
	lua_pushcclosure(L, l_unavailable, 1);
	lua_setglobal(L, name);
}

static void deny_library(lua_State *L, const char *name)
{
	lua_newtable(L);
	lua_newtable(L);
	lua_pushstring(L, name);
	lua_pushcclosure(L, l_unavailable_index, 1);
	lua_setfield(L, -2, "__index");
	lua_pushstring(L, name);
	lua_pushcclosure(L, l_unavailable_index, 1);
	lua_setfield(L, -2, "__newindex");
	lua_pushliteral(L, "unavailable");
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, -2);
	lua_setglobal(L, name);
}

/* load(chunk [, chunkname [, mode [, env]]]) with the mode forced to text:
 * bytecode can crash the VM, so it never loads. Upvalue 1 is the real load. */
static int l_load(lua_State *L)
{
	const char *mode = luaL_optstring(L, 3, "t");

	if (strchr(mode, 'b'))
		return luaL_error(L, "load: binary chunks are not allowed in acmehook scripts "
		                  "(mode \"%s\" asked)", mode);
	lua_settop(L, 4);
	lua_pushliteral(L, "t");
	lua_replace(L, 3);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, 4, LUA_MULTRET);
	return lua_gettop(L);
}

/* pcall/xpcall that do not swallow the time limit: once the deadline has
 * passed, the error goes on up whatever the script catches. Any other
 * error they caught is the script's business now. Upvalue 1 is the real
 * function. */
static int l_pcall_guard(lua_State *L)
{
	struct dl_state *st = dl_get(L);
	int n = lua_gettop(L);

	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, n, LUA_MULTRET);
	dl_caught(L);
	if (st->timed_out)
		return dl_timeout_error(L);
	return lua_gettop(L);
}

static void wrap_global(lua_State *L, const char *name, lua_CFunction f)
{
	lua_getglobal(L, name);
	lua_pushcclosure(L, f, 1);
	lua_setglobal(L, name);
}

int dl_open_api(lua_State *L)
{
	static const luaL_Reg fns[] = {
		{"http", l_http},
		{"dns", l_dns},
		{"zone_of", l_zone_of},
		{"secret", l_secret},
		{"log", l_log},
		{"time", l_time},
		{"sleep", l_sleep},
		{"base64_encode", l_base64_encode},
		{"base64_decode", l_base64_decode},
		{"base64url_encode", l_base64url_encode},
		{"base64url_decode", l_base64url_decode},
		{"hex_encode", l_hex_encode},
		{"hex_decode", l_hex_decode},
		{"sha256", l_sha256},
		{"sha512", l_sha512},
		{"hmac_sha1", l_hmac_sha1},
		{"hmac_sha256", l_hmac_sha256},
		{"hmac_sha512", l_hmac_sha512},
		{NULL, NULL},
	};
	int acme;

	wrap_global(L, "load", l_load);
	wrap_global(L, "pcall", l_pcall_guard);
	wrap_global(L, "xpcall", l_pcall_guard);
	lua_pushcfunction(L, l_print);
	lua_setglobal(L, "print");
	deny_function(L, "dofile");
	deny_function(L, "loadfile");
	deny_function(L, "require");
	deny_library(L, "os");
	deny_library(L, "io");
	deny_library(L, "package");
	deny_library(L, "debug");
	deny_library(L, "coroutine");

	luaL_newlib(L, fns);
	acme = lua_gettop(L);
	dl_json_register(L, acme);
	dl_proc_register(L, acme);
	lua_pushliteral(L, "1.0.0");
	lua_setfield(L, acme, "version");
	lua_setglobal(L, "acme");
	return 0;
}
