/* The dns-lua plugin's parsers of provider responses, driven as a script
 * sees them: the fuzz input is the body (and, up to its first NUL, the
 * header block) of the one HTTP response a fake host gives to acme.http.
 * A fixed script then runs acme.json_decode on the body and the
 * base64/base64url/hex decoders on the body and on every decoded string,
 * under pcall, and checks what the documentation promises:
 *
 * - a decoded document encodes again unless it holds an infinity, and that
 *   encoding decodes to an equal value (types, integer/float, [] vs {});
 * - each codec accepts exactly the strings of its alphabet and length
 *   rules, and what it accepts round-trips through its encoder;
 * - response headers become lower-case names without ':' or line breaks.
 *
 * A decode error is a normal outcome. A broken property makes present()
 * return false with a message starting "property:", and the harness aborts
 * so that the fuzzer reports it like a memory error.
 *
 * The plugin links nothing of the host and exports only its entry symbol,
 * so its sources are compiled into this harness (see CMakeLists.txt) and
 * its descriptor is called directly, a fresh instance per input so that
 * each input replays alone. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <acmehook/plugin.h>

#include "fuzz_util.h"

static const char script_text[] =
	"local function has_inf(v)\n"
	"  if type(v) == 'number' then return v == math.huge or v == -math.huge end\n"
	"  if type(v) ~= 'table' then return false end\n"
	"  for _, x in pairs(v) do if has_inf(x) then return true end end\n"
	"  return false\n"
	"end\n"
	"\n"
	"-- cJSON prints a number with 15 significant digits whenever that reads\n"
	"-- back within DBL_EPSILON (relative) of it, so 9007199254740991 comes back\n"
	"-- as 9007199254740990 and 1234567890123456.7 as an integer. Known, and\n"
	"-- reported; anything further off is a bug.\n"
	"local EPS = 2.0 ^ -52\n"
	"local function same_number(a, b)\n"
	"  if a == b and math.type(a) == math.type(b) then return true end\n"
	"  return math.abs(a - b) <= math.max(math.abs(a), math.abs(b)) * EPS\n"
	"end\n"
	"\n"
	"local function same(a, b)\n"
	"  if type(a) ~= type(b) then return false end\n"
	"  if type(a) == 'number' then return same_number(a, b) end\n"
	"  if type(a) ~= 'table' then return a == b end\n"
	"  if getmetatable(a) ~= getmetatable(b) then return false end\n"
	"  for k, v in pairs(a) do if not same(v, b[k]) then return false end end\n"
	"  for k in pairs(b) do if a[k] == nil then return false end end\n"
	"  return true\n"
	"end\n"
	"\n"
	"local codecs = {\n"
	"  {'base64', acme.base64_decode, acme.base64_encode, '[^A-Za-z0-9+/]'},\n"
	"  {'base64url', acme.base64url_decode, acme.base64url_encode, '[^A-Za-z0-9%-_]'},\n"
	"}\n"
	"\n"
	"local function check_codecs(s)\n"
	"  local ok, d = pcall(acme.hex_decode, s)\n"
	"  local valid = #s % 2 == 0 and not s:find('[^0-9a-fA-F]')\n"
	"  if ok ~= valid then return 'hex_decode ' .. (ok and 'accepted' or 'refused') .. ' ' .. #s .. ' bytes' end\n"
	"  if ok and (#d * 2 ~= #s or acme.hex_encode(d) ~= s:lower()) then return 'hex round trip' end\n"
	"  for _, c in ipairs(codecs) do\n"
	"    local name, dec, enc, bad = c[1], c[2], c[3], c[4]\n"
	"    -- The decoder strips up to two '=' and wants them to complete a quantum.\n"
	"    local core, pad = s:match('^(.-)(=?=?)$')\n"
	"    valid = not core:find(bad) and #core % 4 ~= 1 and (#pad == 0 or (#core + #pad) % 4 == 0)\n"
	"    ok, d = pcall(dec, s)\n"
	"    if ok ~= valid then return name .. '_decode ' .. (ok and 'accepted' or 'refused') .. ' ' .. #s .. ' bytes' end\n"
	"    if ok then\n"
	"      if #d ~= #core * 6 // 8 then return name .. '_decode gave ' .. #d .. ' bytes' end\n"
	"      if dec(enc(d)) ~= d then return name .. ' round trip' end\n"
	"    end\n"
	"  end\n"
	"end\n"
	"\n"
	"-- Every string of a decoded document (at most 64) through the codecs too:\n"
	"-- providers put base64 and hex inside their JSON.\n"
	"local function walk(v, seen)\n"
	"  if seen.n >= 64 then return end\n"
	"  if type(v) == 'string' then\n"
	"    seen.n = seen.n + 1\n"
	"    return check_codecs(v)\n"
	"  elseif type(v) == 'table' then\n"
	"    for k, x in pairs(v) do\n"
	"      local e = walk(k, seen) or walk(x, seen)\n"
	"      if e then return e end\n"
	"    end\n"
	"  end\n"
	"end\n"
	"\n"
	"local function check(r)\n"
	"  for k, v in pairs(r.headers) do\n"
	"    if type(k) ~= 'string' or k == '' or k:find('[A-Z:\\r\\n]') then return 'header name ' .. string.format('%q', k) end\n"
	"    if type(v) ~= 'string' or v:find('[\\r\\n]') then return 'header value of ' .. k end\n"
	"  end\n"
	"  local body = r.body\n"
	"  local e = check_codecs(body)\n"
	"  if e then return e end\n"
	"  local ok, doc = pcall(acme.json_decode, body)\n"
	"  if not ok then\n"
	"    if type(doc) ~= 'string' or not doc:find('acme.json_decode', 1, true) then return 'decode error ' .. tostring(doc) end\n"
	"    return\n"
	"  end\n"
	"  local ok2, text = pcall(acme.json_encode, doc)\n"
	"  if not ok2 then\n"
	"    if has_inf(doc) then return end\n"
	"    return 'cannot encode a decoded document: ' .. tostring(text)\n"
	"  end\n"
	"  local ok3, again = pcall(acme.json_decode, text)\n"
	"  if not ok3 then return 'cannot decode ' .. text .. ': ' .. tostring(again) end\n"
	"  if not same(doc, again) then return 'decode(encode(doc)) differs: ' .. text end\n"
	"  return walk(doc, {n = 0})\n"
	"end\n"
	"\n"
	"function present(ch)\n"
	"  local r = acme.http{url = 'https://fuzz.invalid/'}\n"
	"  local e = check(r)\n"
	"  if e then return false, 'property: ' .. e end\n"
	"  return true\n"
	"end\n"
	"\n"
	"function cleanup(ch) end\n";

struct fz_host {
	struct ah_host host;
	const uint8_t *data;
	size_t size;
	char error[1024];
	int outstanding;        /* responses not yet released */
};

static char script_dir[64];
static char script_path[128];

static void fz_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "log %d: %s\n", level, msg);
}

static void fz_set_error(void *ctx, const char *msg)
{
	struct fz_host *h = ctx;

	snprintf(h->error, sizeof(h->error), "%s", msg ? msg : "");
}

static const char *fz_config_get(void *ctx, const char *key)
{
	(void)ctx;
	if (strcmp(key, "script") == 0)
		return script_path;
	if (strcmp(key, "time-limit-seconds") == 0)
		return "20";
	return NULL;
}

static int fz_secret_get(void *ctx, const char *key, char **value)
{
	(void)ctx;
	(void)key;
	(void)value;
	return AH_DECLINE;
}

static void fz_secret_free(void *ctx, char *value)
{
	(void)ctx;
	free(value);
}

static int fz_http_request(void *ctx, const struct ah_http_request *req,
                           struct ah_http_response **resp)
{
	struct fz_host *h = ctx;
	struct ah_http_response *r = calloc(1, sizeof(*r));

	(void)req;
	if (!r)
		abort();
	r->struct_size = sizeof(*r);
	r->status = 200;
	/* The body as the host hands it over: body_len bytes plus a NUL. */
	r->body = malloc(h->size + 1);
	r->headers = fuzz_cstr(h->data, h->size);
	if (!r->body)
		abort();
	if (h->size)
		memcpy(r->body, h->data, h->size);
	r->body[h->size] = '\0';
	r->body_len = h->size;
	h->outstanding++;
	*resp = r;
	return AH_OK;
}

static void fz_http_response_free(void *ctx, struct ah_http_response *resp)
{
	struct fz_host *h = ctx;

	if (!resp)
		return;
	free(resp->body);
	free(resp->headers);
	free(resp);
	h->outstanding--;
}

static int64_t fz_now(void *ctx)
{
	(void)ctx;
	return 1700000000;
}

static void remove_script(void)
{
	unlink(script_path);
	rmdir(script_dir);
}

/* The plugin insists on a script file that only we can write, in a
 * directory that only we can write. It reads the file once, in init, so
 * the harness removes both right after: nothing is left behind even when
 * an input aborts. */
static void write_script(void)
{
	FILE *f;

	snprintf(script_dir, sizeof(script_dir), "/tmp/acmehook-fuzz-lua-XXXXXX");
	if (!mkdtemp(script_dir)) {
		perror("fuzz_lua_json: mkdtemp");
		abort();
	}
	snprintf(script_path, sizeof(script_path), "%s/fuzz.lua", script_dir);
	f = fopen(script_path, "w");
	if (!f || fwrite(script_text, 1, sizeof(script_text) - 1, f) != sizeof(script_text) - 1 ||
	    fclose(f) != 0) {
		perror("fuzz_lua_json: writing the script");
		abort();
	}
	chmod(script_path, 0600);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct ah_plugin *p = AH_PLUGIN_ENTRY();
	struct fz_host h = {0};
	struct ah_challenge ch = {0};
	void *state = NULL;
	int r;

	h.host.struct_size = sizeof(h.host);
	h.host.abi_major = AH_ABI_MAJOR;
	h.host.abi_minor = AH_ABI_MINOR;
	h.host.ctx = &h;
	h.host.log = fz_log;
	h.host.set_error = fz_set_error;
	h.host.config_get = fz_config_get;
	h.host.secret_get = fz_secret_get;
	h.host.secret_free = fz_secret_free;
	h.host.http_request = fz_http_request;
	h.host.http_response_free = fz_http_response_free;
	h.host.now = fz_now;
	/* dns_query and later members stay NULL: the script does not use them. */
	h.data = data;
	h.size = size;

	write_script();
	r = p->init(&h.host, &state);
	remove_script();
	if (r != AH_OK) {
		fprintf(stderr, "fuzz_lua_json: init failed: %s\n", h.error);
		abort();
	}
	ch.struct_size = sizeof(ch);
	ch.identifier = "fuzz.example";
	ch.type = "dns-01";
	ch.token = "token";
	ch.key_authorization = "token.thumbprint";
	ch.record_name = "_acme-challenge.fuzz.example";
	ch.txt_value = "value";
	r = p->present(state, &ch);
	p->fini(state);
	if (h.outstanding != 0) {
		fprintf(stderr, "fuzz_lua_json: %d HTTP responses never released\n", h.outstanding);
		abort();
	}
	if (r != AH_OK) {
		/* Running out of the script's own limits is the sandbox working,
		 * not a parser bug; anything else means a broken promise. */
		if (strstr(h.error, "memory limit of") || strstr(h.error, "time limit of"))
			return 0;
		fprintf(stderr, "fuzz_lua_json: present() = %d: %s\n", r, h.error);
		abort();
	}
	return 0;
}
