/* The dns-lua plugin's sandbox and API, driven through its descriptor with a
 * fake host: time and memory limits, the libraries that must not be there,
 * what init refuses, error text with SCRIPT:LINE, secrets, deploy-only
 * functions, and the codecs against published vectors
 * (tests/data/lua/cases.lua holds the Lua side). */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "test_lua_fakehost.h"

static const struct ah_plugin *P;
static char *TMP;

#define SECRET "s3cr3t-value-42"

struct inst {
	struct fake_host h;
	void *state;
	int rc;                      /* of init */
};

static void inst_open(struct inst *in, const char *const *opts, const char *const *secrets)
{
	fh_init(&in->h, opts, secrets);
	in->state = NULL;
	in->rc = P->init(&in->h.host, &in->state);
}

static void inst_close(struct inst *in)
{
	if (in->rc == AH_OK)
		P->fini(in->state);
	CHECK(in->h.outstanding == 0);
	fh_free(&in->h);
}

static bool has(const char *hay, const char *needle)
{
	bool yes = hay && strstr(hay, needle);

	if (!yes)
		fprintf(stderr, "  \"%s\" not found in \"%s\"\n", needle, hay ? hay : "(null)");
	return yes;
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run case NAME through present; returns the status, error in in->h.error. */
static int present(struct inst *in, const char *name)
{
	struct ah_challenge ch;

	fh_challenge(&ch, name);
	in->h.error[0] = '\0';
	return P->present(in->state, &ch);
}

static int cleanup(struct inst *in, const char *name)
{
	struct ah_challenge ch;

	fh_challenge(&ch, name);
	in->h.error[0] = '\0';
	return P->cleanup(in->state, &ch);
}

static int deploy(struct inst *in, const char *lineage)
{
	char cert[512], chain[512], full[512], key[512];
	const char *names[] = {"example.test", "www.example.test"};
	struct ah_certificate c = {0};

	snprintf(cert, sizeof(cert), "%s/cert.pem", TMP);
	snprintf(chain, sizeof(chain), "%s/chain.pem", TMP);
	snprintf(full, sizeof(full), "%s/fullchain.pem", TMP);
	snprintf(key, sizeof(key), "%s/privkey.pem", TMP);
	write_data(cert, "CERT\n", 5, 0644);
	write_data(chain, "CHAIN\n", 6, 0644);
	write_data(full, "CERT\nCHAIN\n", 11, 0644);
	write_data(key, "KEY\n", 4, 0600);
	c.struct_size = sizeof(c);
	c.lineage = lineage;
	c.names = names;
	c.n_names = 2;
	c.cert_path = cert;
	c.chain_path = chain;
	c.fullchain_path = full;
	c.key_path = key;
	c.renewed = 1;
	c.issuer_changed = 0;
	in->h.error[0] = '\0';
	return P->install(in->state, &c);
}

static const struct fh_route routes[] = {
	{"POST", "https://api.example.test/v1/echo", 201,
	 "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nX-Multi: a\r\nx-multi: b\r\n\r\n",
	 "{\"ok\":true,\"n\":3}"},
	{NULL, "https://down.example.test/", 0, NULL, NULL},
	{NULL, NULL, 0, NULL, NULL},
};

static void test_cases(const char *script)
{
	const char *opts[] = {"script", script, "time-limit-seconds", "1", "memory-limit-mb", "16",
	                      NULL};
	const char *secrets[] = {"api_key", SECRET, NULL};
	struct inst in;
	double t0;
	int rc;
	char want[600];

	inst_open(&in, opts, secrets);
	CHECK(in.rc == AH_OK);
	if (in.rc != AH_OK) {
		fprintf(stderr, "init: %s\n", in.h.error);
		return;
	}
	CHECK(P->check != NULL);
	in.h.routes = routes;

	/* Time: an endless loop stops at the limit, and cleanup still runs. */
	t0 = mono();
	rc = present(&in, "loop");
	CHECK(rc == AH_FAIL);
	CHECK(has(in.h.error, "time limit of 1 s exceeded"));
	snprintf(want, sizeof(want), "script %s: time limit", script);
	CHECK(has(in.h.error, want));
	CHECK(mono() - t0 < 3.0);
	CHECK(cleanup(&in, "loop") == AH_OK);
	CHECK(fh_logged(&in.h, "cleanup ran for loop _acme-challenge.example.test txt-value-1"));

	rc = present(&in, "loop-pcall");
	CHECK(rc == AH_FAIL);
	CHECK(has(in.h.error, "time limit of 1 s exceeded"));
	rc = present(&in, "sleep");
	CHECK(rc == AH_FAIL);
	CHECK(has(in.h.error, "time limit of 1 s exceeded"));

	/* Memory: doubling a string, one huge string.rep, a growing table. */
	rc = present(&in, "membomb");
	CHECK(rc == AH_FAIL);
	CHECK(has(in.h.error, "memory limit of 16 MiB exceeded"));
	CHECK(cleanup(&in, "membomb") == AH_OK);
	rc = present(&in, "membomb-rep");
	CHECK(rc == AH_FAIL);
	CHECK(has(in.h.error, "memory limit"));
	rc = present(&in, "membomb-table");
	CHECK(rc == AH_FAIL);
	CHECK(has(in.h.error, "memory limit"));
	CHECK(present(&in, "ok") == AH_OK);

	/* What the sandbox leaves out fails with a clear message. */
	CHECK(present(&in, "os") == AH_FAIL);
	CHECK(has(in.h.error, "os.execute is not available"));
	CHECK(access("/tmp/acmehook-sandbox-escaped", F_OK) != 0);
	CHECK(present(&in, "io") == AH_FAIL);
	CHECK(has(in.h.error, "io.open is not available"));
	CHECK(present(&in, "require") == AH_FAIL);
	CHECK(has(in.h.error, "require is not available"));
	CHECK(present(&in, "dofile") == AH_FAIL);
	CHECK(has(in.h.error, "dofile is not available"));
	CHECK(present(&in, "loadfile") == AH_FAIL);
	CHECK(has(in.h.error, "loadfile is not available"));
	CHECK(present(&in, "debug") == AH_FAIL);
	CHECK(has(in.h.error, "debug.getinfo is not available"));
	CHECK(present(&in, "package") == AH_FAIL);
	CHECK(has(in.h.error, "package.loadlib is not available"));
	CHECK(present(&in, "coroutine") == AH_FAIL);
	CHECK(has(in.h.error, "coroutine.create is not available"));
	CHECK(present(&in, "load-bytecode") == AH_FAIL);
	CHECK(has(in.h.error, "binary chunk"));
	CHECK(present(&in, "load-mode-b") == AH_FAIL);
	CHECK(has(in.h.error, "binary chunks are not allowed"));
	CHECK(present(&in, "load-text") == AH_OK);

	/* Errors carry SCRIPT:LINE; results map to statuses. */
	CHECK(present(&in, "error") == AH_FAIL);
	snprintf(want, sizeof(want), "%s:", script);
	CHECK(has(in.h.error, want));
	CHECK(has(in.h.error, ": boom"));
	{
		/* The line of error("boom") in cases.lua. */
		char *text = slurp(script), *p = text ? strstr(text, "error(\"boom\")") : NULL;
		int line = 1;

		for (char *q = text; p && q < p; q++)
			line += *q == '\n';
		snprintf(want, sizeof(want), "%s:%d: boom", script, line);
		CHECK(p && has(in.h.error, want));
		free(text);
	}
	CHECK(present(&in, "error-table") == AH_FAIL);
	CHECK(has(in.h.error, "error object is a table value"));
	CHECK(present(&in, "decline") == AH_DECLINE);
	CHECK(present(&in, "false") == AH_FAIL);
	CHECK(has(in.h.error, "the provider said no"));
	CHECK(present(&in, "fields") == AH_OK);
	if (in.h.error[0])
		fprintf(stderr, "fields: %s\n", in.h.error);

	/* Secrets reach the script but the plugin never logs them. */
	CHECK(present(&in, "secret") == AH_OK);
	CHECK(fh_logged(&in.h, "the key has 15 bytes"));
	CHECK(!fh_logged(&in.h, SECRET));
	CHECK(present(&in, "secret-logged") == AH_OK);
	/* ...unless the script itself does: then it is the host that masks. */
	CHECK(fh_logged(&in.h, "key=" SECRET));

	/* Deploy-only functions are refused in present. */
	CHECK(present(&in, "run") == AH_FAIL);
	CHECK(has(in.h.error, "acme.run is only available inside deploy()"));
	CHECK(present(&in, "write_file") == AH_FAIL);
	CHECK(has(in.h.error, "acme.write_file is only available inside deploy()"));
	CHECK(present(&in, "read_file") == AH_FAIL);
	CHECK(has(in.h.error, "acme.read_file is only available inside deploy()"));
	CHECK(present(&in, "copy_file") == AH_FAIL);
	CHECK(has(in.h.error, "acme.copy_file is only available inside deploy()"));
	CHECK(access("/tmp/acmehook-nope", F_OK) != 0);

	/* Host services. */
	in.h.n_req = 0;
	CHECK(present(&in, "http") == AH_OK);
	if (in.h.error[0])
		fprintf(stderr, "http: %s\n", in.h.error);
	CHECK(in.h.n_req == 1);
	CHECK_STR(in.h.req[0].method, "POST");
	CHECK(has(in.h.req[0].headers, "X-Test: 1\n"));
	CHECK(has(in.h.req[0].headers, "Content-Type: application/json\n"));
	CHECK_STR(in.h.req[0].body, "{\"hello\":\"world\"}");
	/* A transport failure keeps the host's own text. */
	CHECK(present(&in, "http-fail") == AH_FAIL);
	CHECK_STR(in.h.error, "connection refused by the fake host");
	CHECK(fh_logged(&in.h, "acme.http: GET https://down.example.test/ failed"));
	CHECK(present(&in, "http-badheader") == AH_FAIL);
	CHECK(has(in.h.error, "line break"));
	CHECK(present(&in, "dns") == AH_OK);
	if (in.h.error[0])
		fprintf(stderr, "dns: %s\n", in.h.error);
	CHECK(present(&in, "print") == AH_OK);
	CHECK(fh_logged(&in.h, "2 hello\t42\ttrue\n"));
	CHECK(present(&in, "time") == AH_OK);

	/* Codecs, hashes, HMACs, JSON (vectors in cases.lua). */
	rc = present(&in, "selftest");
	CHECK(rc == AH_OK);
	if (rc != AH_OK)
		fprintf(stderr, "selftest: %s\n", in.h.error);

	/* check() without a check function in the script: fine. */
	{
		struct ah_challenge ch;
		fh_challenge(&ch, "ok");
		CHECK(P->check(in.state, &ch) == AH_OK);
	}

	/* Deploy steps. */
	rc = deploy(&in, "run");
	CHECK(rc == AH_OK);
	if (rc != AH_OK)
		fprintf(stderr, "deploy run: %s\n", in.h.error);
	CHECK(deploy(&in, "run-stdin") == AH_OK);
	CHECK(deploy(&in, "run-status") == AH_OK);
	CHECK(deploy(&in, "run-noshell") == AH_OK);
	if (in.h.error[0])
		fprintf(stderr, "deploy run-noshell: %s\n", in.h.error);
	t0 = mono();
	CHECK(deploy(&in, "run-timeout") == AH_FAIL);
	CHECK(has(in.h.error, "time limit") || has(in.h.error, "did not finish"));
	CHECK(mono() - t0 < 3.0);
	rc = deploy(&in, "run-big");
	CHECK(rc == AH_OK);
	if (rc != AH_OK)
		fprintf(stderr, "deploy run-big: %s\n", in.h.error);
	rc = deploy(&in, "files");
	CHECK(rc == AH_OK);
	if (rc != AH_OK)
		fprintf(stderr, "deploy files: %s\n", in.h.error);
	{
		char p[600];
		struct stat sb;
		char *t;

		snprintf(p, sizeof(p), "%s/written.txt", TMP);
		CHECK(stat(p, &sb) == 0 && (sb.st_mode & 07777) == 0600);
		t = slurp(p);
		CHECK_STR(t, "content\n");
		free(t);
		snprintf(p, sizeof(p), "%s/copied.pem", TMP);
		CHECK(stat(p, &sb) == 0 && (sb.st_mode & 07777) == 0640);
		t = slurp(p);
		CHECK_STR(t, "CERT\nCHAIN\n");
		free(t);
		snprintf(p, sizeof(p), "%s/copied-default.pem", TMP);
		CHECK(stat(p, &sb) == 0 && (sb.st_mode & 07777) == 0644);
	}
	/* After all that, the state still answers. */
	CHECK(present(&in, "ok") == AH_OK);
	inst_close(&in);
}

static int init_script(const char *text, size_t len, mode_t mode, const char *const *extra,
                       char *err, size_t errcap)
{
	char path[512];
	const char *opts[12] = {"script", path};
	struct inst in;
	int rc, n = 2;

	snprintf(path, sizeof(path), "%s/s.lua", TMP);
	unlink(path);
	write_data(path, text, len, mode);
	for (size_t i = 0; extra && extra[i]; i++)
		opts[n++] = extra[i];
	opts[n] = NULL;
	inst_open(&in, opts, NULL);
	rc = in.rc;
	snprintf(err, errcap, "%s", in.h.error);
	inst_close(&in);
	return rc;
}

static void test_init(void)
{
	char err[1024], path[512];
	const char *ok = "function present(ch) end\nfunction cleanup(ch) end\n";
	struct inst in;
	int rc;

	CHECK(init_script(ok, strlen(ok), 0644, NULL, err, sizeof(err)) == AH_OK);
	CHECK(init_script(ok, strlen(ok), 0600, NULL, err, sizeof(err)) == AH_OK);

	/* Writable by group or others. */
	CHECK(init_script(ok, strlen(ok), 0664, NULL, err, sizeof(err)) == AH_CONFIG);
	CHECK(has(err, "writable by its group"));
	CHECK(init_script(ok, strlen(ok), 0646, NULL, err, sizeof(err)) == AH_CONFIG);
	CHECK(has(err, "writable by others"));

	/* Precompiled bytecode, whatever follows the signature. */
	{
		static const char bc[] = "\x1bLuaT\x00\x19\x93\r\n\x1a\n\x04\x08\x08";
		CHECK(init_script(bc, sizeof(bc) - 1, 0644, NULL, err, sizeof(err)) == AH_CONFIG);
		CHECK(has(err, "bytecode"));
	}

	/* Not a regular file; missing; no option at all. */
	{
		const char *opts[] = {"script", TMP, NULL};
		inst_open(&in, opts, NULL);
		CHECK(in.rc == AH_CONFIG);
		CHECK(has(in.h.error, "not a regular file"));
		inst_close(&in);
	}
	{
		snprintf(path, sizeof(path), "%s/missing.lua", TMP);
		const char *opts[] = {"script", path, NULL};
		inst_open(&in, opts, NULL);
		CHECK(in.rc == AH_CONFIG);
		CHECK(has(in.h.error, "No such file"));
		inst_close(&in);
	}
	{
		inst_open(&in, NULL, NULL);
		CHECK(in.rc == AH_CONFIG);
		CHECK(has(in.h.error, "option script is missing"));
		inst_close(&in);
	}
	/* A directory others can write into. */
	{
		char d[512];
		snprintf(d, sizeof(d), "%s/open", TMP);
		mkdir(d, 0777);
		chmod(d, 0777);
		snprintf(path, sizeof(path), "%s/open/s.lua", TMP);
		write_data(path, ok, strlen(ok), 0644);
		const char *opts[] = {"script", path, NULL};
		inst_open(&in, opts, NULL);
		CHECK(in.rc == AH_CONFIG);
		CHECK(has(in.h.error, "directory"));
		inst_close(&in);
	}

	/* Syntax errors and main-chunk errors name the line. */
	{
		const char *bad = "function present(ch)\n  x = = 1\nend\n";
		CHECK(init_script(bad, strlen(bad), 0644, NULL, err, sizeof(err)) == AH_CONFIG);
		CHECK(has(err, "s.lua:2:"));
	}
	{
		const char *bad = "local x = nil\nlocal y = x.field\n";
		CHECK(init_script(bad, strlen(bad), 0644, NULL, err, sizeof(err)) == AH_CONFIG);
		CHECK(has(err, "s.lua:2:"));
	}
	{
		const char *loop = "while true do end\n";
		const char *lim[] = {"time-limit-seconds", "1", NULL};
		CHECK(init_script(loop, strlen(loop), 0644, lim, err, sizeof(err)) == AH_CONFIG);
		CHECK(has(err, "time limit of 1 s exceeded"));
		/* The limit's own error reached the top: it names the line. */
		CHECK(has(err, "s.lua:1: script "));
		CHECK(strstr(err, "exceeded in the main chunk") == NULL);
	}
	{
		/* A to-be-closed variable whose __close fails replaces the limit's
		 * error on the way up: the limit is still the reason given. */
		const char *closing = "local guard <close> = setmetatable({}, {__close = function()\n"
		                      "  error(\"closing failed\")\nend})\nwhile true do end\n";
		const char *lim[] = {"time-limit-seconds", "1", NULL};
		CHECK(init_script(closing, strlen(closing), 0644, lim, err, sizeof(err)) == AH_CONFIG);
		CHECK(has(err, "time limit of 1 s exceeded in the main chunk"));
		CHECK(strstr(err, "closing failed") == NULL);
	}
	/* A host service's failure keeps the host's text when it reaches the
	 * top, and not once the script caught it and failed otherwise. */
	{
		const char *uncaught = "acme.http{url = \"https://nowhere.test/\"}\n";
		CHECK(init_script(uncaught, strlen(uncaught), 0644, NULL, err, sizeof(err)) == AH_CONFIG);
		CHECK_STR(err, "fake host: no route");
		const char *caught = "pcall(acme.http, {url = \"https://nowhere.test/\"})\n"
		                     "error(\"failed after the caught one\")\n";
		CHECK(init_script(caught, strlen(caught), 0644, NULL, err, sizeof(err)) == AH_CONFIG);
		CHECK(has(err, "s.lua:2: failed after the caught one"));
	}
	/* Half a provider, or nothing at all. */
	{
		const char *half = "function present(ch) end\n";
		CHECK(init_script(half, strlen(half), 0644, NULL, err, sizeof(err)) == AH_CONFIG);
		CHECK(has(err, "not cleanup()"));
		const char *none = "x = 1\n";
		CHECK(init_script(none, strlen(none), 0644, NULL, err, sizeof(err)) == AH_CONFIG);
		CHECK(has(err, "neither"));
	}
	/* Bad limits. */
	{
		const char *lim[] = {"memory-limit-mb", "lots", NULL};
		CHECK(init_script(ok, strlen(ok), 0644, lim, err, sizeof(err)) == AH_CONFIG);
		CHECK(has(err, "memory-limit-mb"));
	}

	/* A deploy-only script declines challenges; a provider declines
	 * install; neither takes http-01. */
	{
		const char *dep = "function deploy(cert) end\n";
		struct ah_challenge ch;
		snprintf(path, sizeof(path), "%s/d.lua", TMP);
		write_data(path, dep, strlen(dep), 0644);
		const char *opts[] = {"script", path, NULL};
		inst_open(&in, opts, NULL);
		CHECK(in.rc == AH_OK);
		fh_challenge(&ch, "x");
		if (in.rc == AH_OK) {
			CHECK(P->present(in.state, &ch) == AH_DECLINE);
			CHECK(P->cleanup(in.state, &ch) == AH_DECLINE);
			CHECK(deploy(&in, "x") == AH_OK);
		}
		inst_close(&in);
	}
	{
		struct ah_challenge ch;
		snprintf(path, sizeof(path), "%s/p.lua", TMP);
		write_data(path, ok, strlen(ok), 0644);
		const char *opts[] = {"script", path, NULL};
		inst_open(&in, opts, NULL);
		CHECK(in.rc == AH_OK);
		if (in.rc == AH_OK) {
			CHECK(deploy(&in, "x") == AH_DECLINE);
			fh_challenge(&ch, "x");
			ch.type = "http-01";
			CHECK(P->present(in.state, &ch) == AH_DECLINE);
			ch.type = "dns-01";
			CHECK(P->present(in.state, &ch) == AH_OK);
		}
		inst_close(&in);
	}
	/* check(ch) in the script is called before orders. */
	{
		const char *chk = "function present(ch) end\nfunction cleanup(ch) end\n"
		                  "function check(ch)\n  if ch.identifier == 'no.test' then\n"
		                  "    return false, 'not my zone' end\nend\n";
		struct ah_challenge ch;
		snprintf(path, sizeof(path), "%s/c.lua", TMP);
		write_data(path, chk, strlen(chk), 0644);
		const char *opts[] = {"script", path, NULL};
		inst_open(&in, opts, NULL);
		CHECK(in.rc == AH_OK);
		if (in.rc == AH_OK) {
			fh_challenge(&ch, "yes.test");
			CHECK(P->check(in.state, &ch) == AH_OK);
			fh_challenge(&ch, "no.test");
			CHECK(P->check(in.state, &ch) == AH_FAIL);
			CHECK(has(in.h.error, "not my zone"));
		}
		inst_close(&in);
	}
	/* Two instances share nothing. */
	{
		const char *g = "n = 0\nfunction present(ch) n = n + 1; acme.log('info', 'n=' .. n) end\n"
		                "function cleanup(ch) end\n";
		struct inst a, b;
		struct ah_challenge ch;
		snprintf(path, sizeof(path), "%s/g.lua", TMP);
		write_data(path, g, strlen(g), 0644);
		const char *opts[] = {"script", path, NULL};
		inst_open(&a, opts, NULL);
		inst_open(&b, opts, NULL);
		CHECK(a.rc == AH_OK && b.rc == AH_OK);
		fh_challenge(&ch, "x");
		if (a.rc == AH_OK && b.rc == AH_OK) {
			P->present(a.state, &ch);
			P->present(a.state, &ch);
			rc = P->present(b.state, &ch);
			CHECK(rc == AH_OK);
			CHECK(fh_logged(&a.h, "n=2"));
			CHECK(fh_logged(&b.h, "n=1") && !fh_logged(&b.h, "n=2"));
		}
		inst_close(&a);
		inst_close(&b);
	}
}

int main(void)
{
	const char *data = getenv("AH_TEST_DATA");
	char src[1024];
	char *script;

	P = fh_load_plugin();
	CHECK(P != NULL);
	if (!P)
		return check_done();
	CHECK(P->magic == AH_PLUGIN_MAGIC);
	CHECK_STR(P->name, "dns-lua");
	CHECK(P->roles == (AH_ROLE_AUTHENTICATOR | AH_ROLE_INSTALLER));
	CHECK(P->challenges == AH_CHALLENGE_DNS_01);
	CHECK(AH_HAS_MEMBER(P, struct ah_plugin, check));

	TMP = fh_tmpdir();
	snprintf(src, sizeof(src), "%s/lua/cases.lua", data ? data : "tests/data");
	script = fh_stage(TMP, src, "cases.lua", NULL);
	CHECK(script != NULL);
	if (script)
		test_cases(script);
	test_init();
	free(script);
	rm_rf(TMP);
	free(TMP);
	return check_done();
}
