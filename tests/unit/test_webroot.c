/* The http-webroot plugin, loaded through the real loader: token files
 * appear where the CA fetches them, cleanup removes exactly what present
 * added, and nothing escapes the webroot. */
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

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/ah-webroot.XXXXXX";
	char *d = mkdtemp(tmpl);

	if (!d || chmod(d, 0755) < 0)
		abort();
	return strdup(d);
}

/* ROOT/www, made inside a fresh ROOT: a token that escaped the webroot
 * with "../x" would land in ROOT, which no other program shares. */
static char *webroot_in(const char *root)
{
	char p[PATH_MAX];

	pathf(p, sizeof(p), "%s/www", root);
	if (mkdir(p, 0755) < 0)
		abort();
	return strdup(p);
}

static int exists(const char *root, const char *rel)
{
	char p[PATH_MAX];
	struct stat st;

	pathf(p, sizeof(p), "%s/%s", root, rel);
	return lstat(p, &st) == 0;
}

static mode_t mode_in(const char *root, const char *rel)
{
	char p[PATH_MAX];
	struct stat st;

	pathf(p, sizeof(p), "%s/%s", root, rel);
	return lstat(p, &st) == 0 ? (st.st_mode & 07777) : 0;
}

static int check_content(const char *root, const char *token, const char *want)
{
	char p[PATH_MAX];
	char *got;
	int ok;

	pathf(p, sizeof(p), "%s/.well-known/acme-challenge/%s", root, token);
	got = slurp(p);
	ok = got && strcmp(got, want) == 0;
	free(got);
	return ok;
}

struct fixture {
	struct plugin_registry reg;
	struct log lg;
	struct host_clients svc;
	char *plugdir;
};

static struct host_instance *webroot(struct fixture *fx, const char *root, struct error *e)
{
	const char *opts[] = {"webroot-path", root, NULL};

	return host_instance_new(&fx->reg, "webroot", root, opts, NULL, &fx->svc, e);
}

static struct challenge_desc http01(const char *token, const char *keyauth)
{
	struct challenge_desc ch = {
		.identifier = "www.example",
		.type = CHALLENGE_HTTP_01,
		.token = token,
		.key_authorization = keyauth,
	};
	return ch;
}

/* A fresh webroot: present creates both directories (0755 despite the
 * test's umask of 077) and a 0644 file; cleanup removes all three. */
static void test_fresh_root(struct fixture *fx)
{
	char *root = tmpdir();
	struct error e = {0};
	struct host_instance *pi = webroot(fx, root, &e);
	struct challenge_desc ch = http01("tok_A-1", "tok_A-1.thumbprint");

	CHECK(pi != NULL);
	if (!pi)
		goto out;
	CHECK(strncmp(host_instance_name(pi), "webroot[/tmp/", 13) == 0);
	CHECK(host_instance_present(pi, &ch, &e) == 0);
	CHECK(check_content(root, "tok_A-1", "tok_A-1.thumbprint"));
	CHECK(mode_in(root, ".well-known") == 0755);
	CHECK(mode_in(root, ".well-known/acme-challenge") == 0755);
	CHECK(mode_in(root, ".well-known/acme-challenge/tok_A-1") == 0644);

	/* Presenting again replaces the file whole. */
	ch.key_authorization = "tok_A-1.other";
	CHECK(host_instance_present(pi, &ch, &e) == 0);
	CHECK(check_content(root, "tok_A-1", "tok_A-1.other"));

	CHECK(host_instance_cleanup(pi, &ch, &e) == 0);
	CHECK(!exists(root, ".well-known"));
	CHECK(exists(root, "."));
	/* A second cleanup finds nothing to do and is not an error. */
	CHECK(host_instance_cleanup(pi, &ch, &e) == 0);
	CHECK(!err_isset(&e));
out:
	host_instance_free(pi);
	rm_rf(root);
	free(root);
}

/* Directories that were there before, and the files in them, stay. */
static void test_preexisting(struct fixture *fx)
{
	char *root = tmpdir();
	char p[PATH_MAX];
	struct error e = {0};
	struct host_instance *pi = webroot(fx, root, &e);
	struct challenge_desc a = http01("tokA", "tokA.x"), b = http01("tokB", "tokB.x");

	CHECK(pi != NULL);
	if (!pi)
		goto out;
	pathf(p, sizeof(p), "%s/.well-known", root);
	CHECK(mkdir(p, 0755) == 0);
	pathf(p, sizeof(p), "%s/.well-known/security.txt", root);
	CHECK(write_file(p, "Contact: x\n", 0644) == 0);

	CHECK(host_instance_present(pi, &a, &e) == 0);
	CHECK(host_instance_cleanup(pi, &a, &e) == 0);
	CHECK(exists(root, ".well-known/security.txt"));
	CHECK(!exists(root, ".well-known/acme-challenge"));

	/* acme-challenge exists with someone else's file in it. */
	pathf(p, sizeof(p), "%s/.well-known/acme-challenge", root);
	CHECK(mkdir(p, 0755) == 0);
	pathf(p, sizeof(p), "%s/.well-known/acme-challenge/other", root);
	CHECK(write_file(p, "other", 0644) == 0);
	CHECK(host_instance_present(pi, &a, &e) == 0);
	CHECK(host_instance_cleanup(pi, &a, &e) == 0);
	CHECK(!exists(root, ".well-known/acme-challenge/tokA"));
	CHECK(exists(root, ".well-known/acme-challenge/other"));
	CHECK(exists(root, ".well-known/security.txt"));
	rm_rf(p);
	pathf(p, sizeof(p), "%s/.well-known", root);
	rm_rf(p);

	/* Two challenges at once: the directories stay until the last one
	 * is cleaned up. */
	CHECK(host_instance_present(pi, &a, &e) == 0);
	CHECK(host_instance_present(pi, &b, &e) == 0);
	CHECK(host_instance_cleanup(pi, &a, &e) == 0);
	CHECK(!exists(root, ".well-known/acme-challenge/tokA"));
	CHECK(check_content(root, "tokB", "tokB.x"));
	CHECK(host_instance_cleanup(pi, &b, &e) == 0);
	CHECK(!exists(root, ".well-known"));
	CHECK(!err_isset(&e));
out:
	host_instance_free(pi);
	rm_rf(root);
	free(root);
}

/* Tokens that would leave the directory never reach the file system, and
 * symlinks in the path are refused. */
static void test_refusals(struct fixture *fx)
{
	char *top = tmpdir(), *root = webroot_in(top), *elsewhere = tmpdir();
	char p[PATH_MAX];
	struct error e = {0};
	struct host_instance *pi = webroot(fx, root, &e);
	struct challenge_desc ch = http01("../x", "../x.t");
	struct challenge_desc dns = {
		.identifier = "www.example",
		.type = CHALLENGE_DNS_01,
		.token = "tokD",
		.key_authorization = "tokD.t",
		.record_name = "_acme-challenge.www.example",
		.txt_value = "abc",
	};

	CHECK(pi != NULL);
	if (!pi)
		goto out;
	CHECK(host_instance_present(pi, &ch, &e) == -1);
	CHECK(strstr(e.msg, "../x") != NULL);
	err_clear(&e);
	ch.token = "a/b";
	CHECK(host_instance_present(pi, &ch, &e) == -1);
	err_clear(&e);
	CHECK(!exists(root, ".well-known"));
	CHECK(!exists(top, "x"));

	CHECK(host_instance_present(pi, &dns, &e) == HOST_DECLINED);
	CHECK(!err_isset(&e));
	CHECK(!exists(root, ".well-known"));

	/* .well-known planted as a symlink to another directory. */
	pathf(p, sizeof(p), "%s/.well-known", root);
	CHECK(symlink(elsewhere, p) == 0);
	ch = http01("tokS", "tokS.t");
	CHECK(host_instance_present(pi, &ch, &e) == -1);
	CHECK(e.exit_code == EXIT_OP && strstr(e.msg, "symlink") != NULL);
	err_clear(&e);
	CHECK(!exists(elsewhere, "acme-challenge"));
	unlink(p);

	/* acme-challenge planted as a symlink. */
	CHECK(mkdir(p, 0755) == 0);
	pathf(p, sizeof(p), "%s/.well-known/acme-challenge", root);
	CHECK(symlink(elsewhere, p) == 0);
	CHECK(host_instance_present(pi, &ch, &e) == -1);
	CHECK(strstr(e.msg, "symlink") != NULL);
	err_clear(&e);
	CHECK(!exists(elsewhere, "tokS"));
out:
	host_instance_free(pi);
	rm_rf(top);
	rm_rf(elsewhere);
	free(top);
	free(root);
	free(elsewhere);
}

static void test_config_errors(struct fixture *fx)
{
	char *root = tmpdir();
	char p[PATH_MAX];
	struct error e = {0};

	pathf(p, sizeof(p), "%s/missing", root);
	CHECK(webroot(fx, p, &e) == NULL);
	CHECK(e.exit_code == EXIT_USAGE);
	CHECK(strstr(e.msg, p) != NULL);
	printf("refused as expected: %s\n", e.msg);
	err_clear(&e);

	pathf(p, sizeof(p), "%s/file", root);
	CHECK(write_file(p, "x", 0644) == 0);
	CHECK(webroot(fx, p, &e) == NULL);
	CHECK(e.exit_code == EXIT_USAGE && strstr(e.msg, "not a directory"));
	err_clear(&e);

	CHECK(host_instance_new(&fx->reg, "webroot", "x", NULL, NULL, &fx->svc, &e) == NULL);
	CHECK(e.exit_code == EXIT_USAGE && strstr(e.msg, "webroot-path"));
	printf("refused as expected: %s\n", e.msg);
	err_clear(&e);
	rm_rf(root);
	free(root);
}

/* Two instances, two roots: each writes and removes only its own. */
static void test_two_instances(struct fixture *fx)
{
	char *r1 = tmpdir(), *r2 = tmpdir();
	struct error e = {0};
	struct host_instance *a = webroot(fx, r1, &e), *b = webroot(fx, r2, &e);
	struct challenge_desc c1 = http01("one", "one.t"), c2 = http01("two", "two.t");

	CHECK(a && b);
	if (!a || !b)
		goto out;
	CHECK(host_instance_present(a, &c1, &e) == 0);
	CHECK(host_instance_present(b, &c2, &e) == 0);
	CHECK(check_content(r1, "one", "one.t") && !exists(r1, ".well-known/acme-challenge/two"));
	CHECK(check_content(r2, "two", "two.t") && !exists(r2, ".well-known/acme-challenge/one"));
	CHECK(host_instance_cleanup(a, &c1, &e) == 0);
	CHECK(!exists(r1, ".well-known") && check_content(r2, "two", "two.t"));
	CHECK(host_instance_cleanup(b, &c2, &e) == 0);
	CHECK(!exists(r2, ".well-known"));
out:
	host_instance_free(a);
	host_instance_free(b);
	rm_rf(r1);
	rm_rf(r2);
	free(r1);
	free(r2);
}

/* The plugin's own token check, reached with a fake host that passes
 * anything through: defence in depth does not rely on the real host. */
struct fake {
	const char *root;
	char err[512];
};

static const char *fake_config(void *ctx, const char *key)
{
	struct fake *f = ctx;

	return strcmp(key, "webroot-path") == 0 ? f->root : NULL;
}

static void fake_set_error(void *ctx, const char *msg)
{
	struct fake *f = ctx;

	snprintf(f->err, sizeof(f->err), "%s", msg);
}

static void fake_log(void *ctx, int level, const char *msg)
{
}

static void test_fake_host(struct fixture *fx)
{
	const struct plugin_module *m = plugin_registry_find(&fx->reg, "webroot");
	char *top = tmpdir(), *root = webroot_in(top);
	struct fake f = {.root = root};
	struct ah_host host = {
		.struct_size = sizeof(host),
		.abi_major = AH_ABI_MAJOR,
		.abi_minor = AH_ABI_MINOR,
		.ctx = &f,
		.log = fake_log,
		.set_error = fake_set_error,
		.config_get = fake_config,
	};
	const char *bad[] = {"../x", "a/b", "", ".", "tok en", NULL};
	void *state = NULL;

	CHECK(m != NULL);
	if (!m)
		goto out;
	CHECK(m->desc->init(&host, &state) == AH_OK);
	for (size_t i = 0; bad[i]; i++) {
		struct ah_challenge ch = {
			.struct_size = sizeof(ch),
			.identifier = "www.example",
			.type = "http-01",
			.token = bad[i],
			.key_authorization = "k",
		};

		f.err[0] = '\0';
		CHECK(m->desc->present(state, &ch) == AH_FAIL);
		CHECK(strstr(f.err, "refusing token") != NULL);
		CHECK(m->desc->cleanup(state, &ch) == AH_FAIL);
	}
	CHECK(!exists(root, ".well-known"));
	CHECK(!exists(top, "x"));
	m->desc->fini(state);
	m->desc->fini(NULL);
out:
	rm_rf(top);
	free(top);
	free(root);
}

int main(void)
{
	const char *build = getenv("AH_BUILD_DIR");
	struct fixture fx = {0};
	struct error e = {0};
	char src[PATH_MAX], dst[PATH_MAX];
	FILE *devnull = fopen("/dev/null", "w");

	if (!build) {
		fprintf(stderr, "AH_BUILD_DIR is not set\n");
		return 1;
	}
	/* Files and directories must come out 0644/0755 whatever the umask. */
	umask(077);
	log_init(&fx.lg, LVL_DEBUG);
	fx.lg.out = devnull;
	fx.svc.log = &fx.lg;

	/* Load the real module alone, so another plugin in the build tree
	 * cannot affect this test. */
	fx.plugdir = tmpdir();
	pathf(src, sizeof(src), "%s/lib/acmehook/plugins/http-webroot.so", build);
	pathf(dst, sizeof(dst), "%s/http-webroot.so", fx.plugdir);
	CHECK(copy_file(src, dst, 0644) == 0);
	CHECK(plugin_registry_load_dir(&fx.reg, fx.plugdir, &e) == 0);
	if (err_isset(&e) || !plugin_registry_find(&fx.reg, "webroot")) {
		fprintf(stderr, "cannot load %s: %s\n", src, e.msg);
		goto out;
	}
	test_fresh_root(&fx);
	test_preexisting(&fx);
	test_refusals(&fx);
	test_config_errors(&fx);
	test_two_instances(&fx);
	test_fake_host(&fx);
out:
	plugin_registry_free(&fx.reg);
	log_free(&fx.lg);
	if (devnull)
		fclose(devnull);
	rm_rf(fx.plugdir);
	free(fx.plugdir);
	return check_done();
}
