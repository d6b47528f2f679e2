/* The plugin loader: every refusal names its reason and the file, the good
 * test plugin loads and its instance reaches every host service, and the
 * real http-webroot plugin passes the same checks. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <acmehook/plugin.h>

#include "check.h"
#include "testutil.h"
#include "base/err.h"
#include "base/log.h"
#include "host/instance.h"

static char broken_dir[PATH_MAX];

/* A fresh 0755 directory holding copies (0644) of the named test plugins. */
static char *dir_with(const char *const *files)
{
	char tmpl[] = "/tmp/ah-plugtest.XXXXXX";
	char src[PATH_MAX], dst[PATH_MAX];
	char *d = mkdtemp(tmpl);

	if (!d || chmod(d, 0755) < 0)
		return NULL;
	for (size_t i = 0; files && files[i]; i++) {
		pathf(src, sizeof(src), "%s/%s", broken_dir, files[i]);
		pathf(dst, sizeof(dst), "%s/%s", d, files[i]);
		if (copy_file(src, dst, 0644) < 0) {
			fprintf(stderr, "cannot copy %s: %s\n", src, strerror(errno));
			return NULL;
		}
	}
	return strdup(d);
}

/* Load DIR expecting a refusal whose message holds WORD and WORD2. */
static void expect_refused_dir(const char *dir, const char *word, const char *word2)
{
	struct plugin_registry r = {0};
	struct error e = {0};

	CHECK(plugin_registry_load_dir(&r, dir, &e) < 0);
	CHECK(e.exit_code == EXIT_USAGE);
	CHECK(r.n == 0);
	printf("refused as expected: %s\n", e.msg);
	if (!strstr(e.msg, word) || (word2 && !strstr(e.msg, word2))) {
		fprintf(stderr, "message lacks \"%s\"/\"%s\": %s\n", word, word2 ? word2 : "",
		        e.msg);
		CHECK(!"refusal message names reason and file");
	} else {
		CHECK(1);
	}
	plugin_registry_free(&r);
}

static void expect_refused(const char *file, const char *word)
{
	const char *files[] = {file, NULL};
	char *d = dir_with(files);

	CHECK(d != NULL);
	if (!d)
		return;
	expect_refused_dir(d, word, file);
	rm_rf(d);
	free(d);
}

static void test_broken(void)
{
	expect_refused("bad-magic.so", "magic");
	expect_refused("abi2.so", "ABI major 2");
	expect_refused("no-entry.so", "acmehook_plugin_v1");
	expect_refused("null-entry.so", "NULL");
	expect_refused("no-init.so", "init");
	expect_refused("bad-name.so", "Bad_Name");
	expect_refused("small-size.so", "struct_size");
	expect_refused("no-cleanup.so", "cleanup");
}

static void test_dup(void)
{
	const char *files[] = {"dup-a.so", "dup-b.so", NULL};
	char *d = dir_with(files);

	CHECK(d != NULL);
	if (!d)
		return;
	expect_refused_dir(d, "dup-a.so", "dup-b.so");
	expect_refused_dir(d, "already loaded", NULL);
	rm_rf(d);
	free(d);
}

static void test_good_and_permissions(void)
{
	const char *files[] = {"testgood.so", NULL};
	struct plugin_registry r = {0};
	struct error e = {0};
	const struct plugin_module *m;
	char *d = dir_with(files), path[PATH_MAX], other[PATH_MAX];
	char *d2 = NULL;

	CHECK(d != NULL);
	if (!d)
		return;
	pathf(path, sizeof(path), "%s/testgood.so", d);

	/* Files that are not plugins are ignored. */
	pathf(other, sizeof(other), "%s/README", d);
	CHECK(copy_file(path, other, 0644) == 0);
	pathf(other, sizeof(other), "%s/.hidden.so", d);
	CHECK(copy_file(path, other, 0644) == 0);

	CHECK(plugin_registry_load_dir(&r, d, &e) == 0);
	CHECK(r.n == 1);
	m = plugin_registry_find(&r, "testgood");
	CHECK(m != NULL);
	if (m) {
		CHECK_STR(m->version, "1.2.3");
		CHECK_STR(m->path, path);
		CHECK(m->authenticator && m->installer);
		CHECK(m->http01 && m->dns01);
		CHECK(m->abi_major == AH_ABI_MAJOR);
	}
	CHECK(plugin_registry_find(&r, "nosuch") == NULL);
	plugin_registry_free(&r);
	plugin_registry_free(&r); /* a freed registry can be freed again */

	CHECK(chmod(path, 0664) == 0);
	expect_refused_dir(d, "writable", "testgood.so");
	CHECK(chmod(path, 0646) == 0);
	expect_refused_dir(d, "writable", "testgood.so");
	CHECK(chmod(path, 0644) == 0);

	CHECK(chmod(d, 0775) == 0);
	expect_refused_dir(d, "writable", d);
	CHECK(chmod(d, 0757) == 0);
	expect_refused_dir(d, "writable", d);
	CHECK(chmod(d, 0755) == 0);

	if (geteuid() == 0) {
		CHECK(chown(path, 65534, 65534) == 0);
		expect_refused_dir(d, "owned by uid 65534", "testgood.so");
		CHECK(chown(path, 0, 0) == 0);
		CHECK(chown(d, 65534, 65534) == 0);
		expect_refused_dir(d, "owned by uid 65534", d);
		CHECK(chown(d, 0, 0) == 0);
	} else {
		printf("note: not root, skipping the owned-by-another-user checks\n");
	}

	/* A symlink is judged by its target and the target's directory. */
	d2 = dir_with(NULL);
	CHECK(d2 != NULL);
	if (d2) {
		char link[PATH_MAX];

		pathf(other, sizeof(other), "%s/real.so.bin", d2);
		CHECK(rename(path, other) == 0);
		pathf(link, sizeof(link), "%s/testgood.so", d);
		CHECK(symlink(other, link) == 0);
		CHECK(plugin_registry_load_dir(&r, d, &e) == 0);
		CHECK(r.n == 1);
		plugin_registry_free(&r);
		CHECK(chmod(d2, 0777) == 0);
		expect_refused_dir(d, "symlink target", d2);
		CHECK(chmod(d2, 0755) == 0);
		CHECK(chmod(other, 0666) == 0);
		expect_refused_dir(d, "symlink target", "real.so.bin");
		CHECK(chmod(other, 0644) == 0);
		unlink(link);
		CHECK(rename(other, path) == 0);
	}

	/* Not a regular file. */
	pathf(other, sizeof(other), "%s/adir.so", d);
	CHECK(mkdir(other, 0755) == 0);
	expect_refused_dir(d, "not a regular file", "adir.so");
	rmdir(other);

	/* A missing directory is simply empty. */
	pathf(other, sizeof(other), "%s/missing", d);
	err_clear(&e);
	CHECK(plugin_registry_load_dir(&r, other, &e) == 0);
	CHECK(r.n == 0 && !err_isset(&e));

	rm_rf(d);
	free(d);
	if (d2)
		rm_rf(d2);
	free(d2);
}

/* Earlier directories shadow later ones by file name; two files with one
 * plugin name are still refused. */
static void test_load_dirs(void)
{
	const char *files[] = {"testgood.so", NULL};
	char *a = dir_with(files), *b = dir_with(files);
	char *dirs[] = {a, b, NULL};
	char from[PATH_MAX], to[PATH_MAX];
	struct plugin_registry r = {0};
	struct error e = {0};
	const struct plugin_module *m;

	CHECK(a && b);
	if (!a || !b)
		goto out;
	CHECK(plugin_registry_load_dirs(&r, dirs, &e) == 0);
	CHECK(r.n == 1);
	m = plugin_registry_find(&r, "testgood");
	CHECK(m && strncmp(m->path, a, strlen(a)) == 0);
	plugin_registry_free(&r);

	pathf(from, sizeof(from), "%s/testgood.so", b);
	pathf(to, sizeof(to), "%s/renamed.so", b);
	CHECK(rename(from, to) == 0);
	CHECK(plugin_registry_load_dirs(&r, dirs, &e) < 0);
	CHECK(strstr(e.msg, "renamed.so") && strstr(e.msg, a));
	CHECK(r.n == 1); /* what loaded from the first directory stays */
	plugin_registry_free(&r);
out:
	if (a)
		rm_rf(a);
	if (b)
		rm_rf(b);
	free(a);
	free(b);
}

/* A registry opened on demand: a lookup opens the file named after the
 * plugin and nothing else, so files it does not reach are never judged; a
 * lookup no file name answers opens the rest in order, refusing the first
 * bad one; load_all refuses what an eager load refuses. */
static void test_lazy(void)
{
	const char *files[] = {"bad-magic.so", "dup-a.so", "dup-b.so", "testgood.so", NULL};
	const char *one[] = {"testgood.so", NULL};
	char *d = dir_with(files), *a = dir_with(one), *b = dir_with(one);
	char *dirs[] = {d, NULL}, *ab[] = {a, b, NULL};
	char from[PATH_MAX], to[PATH_MAX];
	struct plugin_registry r = {0}, copy;
	struct error e = {0};
	const struct plugin_module *m, *again;

	CHECK(d && a && b);
	if (!d || !a || !b)
		goto out;
	CHECK(plugin_registry_open(&r, dirs, &e) == 0);
	m = plugin_registry_get(&r, "testgood", &e);
	CHECK(m && !err_isset(&e) && strstr(m->path, "/testgood.so"));
	/* A copy of the struct (a worker's) shares the loaded module. */
	copy = r;
	again = plugin_registry_get(&copy, "testgood", &e);
	CHECK(again == m);
	CHECK(plugin_registry_get(&r, "Not_A_Name", &e) == NULL && !err_isset(&e));
	CHECK(plugin_registry_get(&r, "nosuch", &e) == NULL);
	CHECK(err_isset(&e) && strstr(e.msg, "bad-magic.so") && strstr(e.msg, "magic"));
	err_clear(&e);
	CHECK(plugin_registry_find(&r, "testgood") == m);
	CHECK(plugin_registry_load_all(&r, &e) < 0 && strstr(e.msg, "bad-magic.so"));
	err_clear(&e);
	plugin_registry_free(&r);

	/* Without the bad file, load_all meets the duplicate name. */
	pathf(from, sizeof(from), "%s/bad-magic.so", d);
	CHECK(unlink(from) == 0);
	CHECK(plugin_registry_open(&r, dirs, &e) == 0);
	m = plugin_registry_get(&r, "dup", &e);
	CHECK(m && strstr(m->path, "/dup-a.so"));
	CHECK(plugin_registry_load_all(&r, &e) < 0);
	CHECK(strstr(e.msg, "dup-b.so") && strstr(e.msg, "already loaded"));
	err_clear(&e);
	plugin_registry_free(&r);

	/* The earlier directory shadows the later one. */
	CHECK(plugin_registry_open(&r, ab, &e) == 0);
	m = plugin_registry_get(&r, "testgood", &e);
	CHECK(m && strncmp(m->path, a, strlen(a)) == 0);
	plugin_registry_free(&r);

	/* A file named otherwise is found by opening the others, after the
	 * files named after the plugin, wherever they are. */
	pathf(from, sizeof(from), "%s/testgood.so", a);
	pathf(to, sizeof(to), "%s/renamed.so", a);
	CHECK(rename(from, to) == 0);
	CHECK(plugin_registry_open(&r, ab, &e) == 0);
	m = plugin_registry_get(&r, "testgood", &e);
	CHECK(m && strncmp(m->path, b, strlen(b)) == 0);
	plugin_registry_free(&r);
	ab[1] = NULL;
	CHECK(plugin_registry_open(&r, ab, &e) == 0);
	m = plugin_registry_get(&r, "testgood", &e);
	CHECK(m && strstr(m->path, "/renamed.so"));
	CHECK(plugin_registry_load_all(&r, &e) == 0 && r.n == 1 && &r.mods[0] == m);
	plugin_registry_free(&r);
out:
	for (char **p = (char *[]){d, a, b, NULL}; *p; p++) {
		rm_rf(*p);
		free(*p);
	}
}

static void test_default_dirs(const char *build)
{
	char **v;
	char want[PATH_MAX], *rw = NULL, *rg = NULL;

	setenv("ACMEHOOK_PLUGIN_PATH", "/one::/two:", 1);
	v = plugin_default_dirs();
	CHECK(v && v[0] && v[1] && !v[2]);
	if (v && v[0] && v[1]) {
		CHECK_STR(v[0], "/one");
		CHECK_STR(v[1], "/two");
	}
	plugin_dirs_free(v);

	unsetenv("ACMEHOOK_PLUGIN_PATH");
	v = plugin_default_dirs();
	CHECK(v && v[0]);
	if (v && v[0]) {
		/* This test runs from build/tests/, so ../lib/... is the
		 * build tree's plugin directory. */
		pathf(want, sizeof(want), "%s/lib/acmehook/plugins", build);
		rw = realpath(want, NULL);
		rg = realpath(v[0], NULL);
		CHECK(rw && rg && strcmp(rw, rg) == 0);
		CHECK(v[1] && v[1][0] == '/');
	}
	free(rw);
	free(rg);
	plugin_dirs_free(v);
	plugin_dirs_free(NULL);
}

static void test_instance(void)
{
	const char *files[] = {"testgood.so", NULL};
	char *d = dir_with(files), rec[PATH_MAX], *text = NULL, *logtext = NULL;
	size_t loglen = 0;
	FILE *logf = open_memstream(&logtext, &loglen);
	struct plugin_registry r = {0};
	struct error e = {0};
	struct log lg;
	struct host_clients svc = {0};
	struct host_instance *pi = NULL, *p2 = NULL;
	struct challenge_desc ch = {
		.identifier = "a.example",
		.type = CHALLENGE_HTTP_01,
		.token = "tok1",
		.key_authorization = "tok1.thumb",
	};
	struct cert_desc cert = {.lineage = "lin"};
	char recopt[PATH_MAX];
	const char *opts[] = {"record", recopt, "greeting", "hello", NULL};
	const char *secrets[] = {"api-token", "s3cr3t-value", NULL};
	const char *failopts[] = {"init-fail", "config", NULL};
	const char *failopts2[] = {"init-fail", "yes", NULL};
	const char *odd[] = {"record", NULL};

	log_init(&lg, LVL_DEBUG);
	lg.out = logf;
	svc.log = &lg;
	CHECK(d && logf);
	if (!d || !logf)
		goto out;
	pathf(rec, sizeof(rec), "%s/record.txt", d);
	pathf(recopt, sizeof(recopt), "%s", rec);
	CHECK(plugin_registry_load_dir(&r, d, &e) == 0);

	pi = host_instance_new(&r, "testgood", "one", opts, secrets, &svc, &e);
	CHECK(pi != NULL);
	if (!pi) {
		fprintf(stderr, "instance: %s\n", e.msg);
		goto out;
	}
	CHECK_STR(host_instance_name(pi), "testgood[one]");

	/* The secret was registered before init logged it. */
	fflush(logf);
	CHECK(strstr(logtext, "testgood[one]: the token is [redacted]") != NULL);
	CHECK(strstr(logtext, "s3cr3t-value") == NULL);

	CHECK(host_instance_present(pi, &ch, &e) == 0);
	CHECK(!err_isset(&e));

	ch.token = "failme";
	CHECK(host_instance_present(pi, &ch, &e) == -1);
	CHECK(e.exit_code == EXIT_OP);
	CHECK_STR(e.msg, "testgood[one]: boom: failme");
	err_clear(&e);

	ch.token = "tok2";
	ch.identifier = "decline.example";
	CHECK(host_instance_present(pi, &ch, &e) == HOST_DECLINED);
	CHECK(!err_isset(&e));

	/* A TSIG key struct too small for its members is refused by the host
	 * before it reads them (and before it looks for a DNS client). */
	ch.identifier = "tsig.example";
	ch.type = CHALLENGE_DNS_01;
	CHECK(host_instance_present(pi, &ch, &e) == -1);
	CHECK(strstr(e.msg, "testgood[one]: dns_update: malformed TSIG key") == e.msg);
	err_clear(&e);
	ch.type = CHALLENGE_HTTP_01;

	/* The host refuses tokens the ABI promises are base64url. */
	ch.identifier = "a.example";
	ch.token = "../x";
	CHECK(host_instance_present(pi, &ch, &e) == -1);
	CHECK(strstr(e.msg, "../x") != NULL);
	err_clear(&e);

	ch.token = "tok1";
	CHECK(host_instance_cleanup(pi, &ch, &e) == 0);

	/* Without an HTTP client the request fails cleanly, and the host's
	 * text explains it when the plugin says nothing itself. */
	CHECK(host_instance_install(pi, &cert, &e) == -1);
	CHECK(e.exit_code == EXIT_OP);
	CHECK(strstr(e.msg, "testgood[one]: ") == e.msg);
	CHECK(strstr(e.msg, "no HTTP client") != NULL);
	err_clear(&e);

	p2 = host_instance_new(&r, "testgood", NULL, NULL, NULL, &svc, &e);
	CHECK(p2 != NULL);
	CHECK_STR(host_instance_name(p2), "testgood");
	host_instance_free(p2);
	p2 = NULL;

	host_instance_free(pi);
	pi = NULL;
	host_instance_free(NULL);
	text = slurp(rec);
	CHECK_STR(text, "init missing-secret=1 now-ok=1\n"
	                "present http-01 a.example tok1 hello\n"
	                "cleanup a.example tok1\n"
	                "install lin http=2\n"
	                "fini\n");

	CHECK(host_instance_new(&r, "testgood", "x", failopts, NULL, &svc, &e) == NULL);
	CHECK(e.exit_code == EXIT_USAGE);
	CHECK(strstr(e.msg, "testgood[x]: init told to fail") == e.msg);
	err_clear(&e);
	CHECK(host_instance_new(&r, "testgood", "x", failopts2, NULL, &svc, &e) == NULL);
	CHECK(e.exit_code == EXIT_OP);
	err_clear(&e);
	CHECK(host_instance_new(&r, "nosuch", "x", NULL, NULL, &svc, &e) == NULL);
	CHECK(e.exit_code == EXIT_USAGE && strstr(e.msg, "\"nosuch\""));
	err_clear(&e);
	CHECK(host_instance_new(&r, "testgood", "x", odd, NULL, &svc, &e) == NULL);
	CHECK(e.exit_code == EXIT_USAGE && strstr(e.msg, "record"));
	err_clear(&e);
out:
	host_instance_free(pi);
	plugin_registry_free(&r);
	log_free(&lg);
	if (logf)
		fclose(logf);
	free(logtext);
	free(text);
	if (d)
		rm_rf(d);
	free(d);
}

/* The real plugin directory loads as a whole and holds the webroot plugin. */
static void test_real(const char *build)
{
	struct plugin_registry r = {0};
	struct error e = {0};
	const struct plugin_module *m;
	char dir[PATH_MAX];

	pathf(dir, sizeof(dir), "%s/lib/acmehook/plugins", build);
	CHECK(plugin_registry_load_dir(&r, dir, &e) == 0);
	if (err_isset(&e))
		fprintf(stderr, "%s\n", e.msg);
	m = plugin_registry_find(&r, "webroot");
	CHECK(m != NULL);
	if (m) {
		CHECK(strstr(m->path, "http-webroot.so") != NULL);
		CHECK(m->authenticator && !m->installer);
		CHECK(m->http01 && !m->dns01);
		CHECK(m->version[0] != '\0');
	}
	plugin_registry_free(&r);
}

int main(void)
{
	const char *build = getenv("AH_BUILD_DIR");

	if (!build) {
		fprintf(stderr, "AH_BUILD_DIR is not set\n");
		return 1;
	}
	pathf(broken_dir, sizeof(broken_dir), "%s/tests/plugins-broken", build);
	umask(022);
	test_broken();
	test_dup();
	test_good_and_permissions();
	test_load_dirs();
	test_lazy();
	test_default_dirs(build);
	test_instance();
	test_real(build);
	return check_done();
}
