/* The manual plugin, loaded through the real loader: server data reaches
 * the hooks only through the environment, never a shell (a hostile name
 * and TXT value come out byte for byte and run nothing); the order's
 * names and the remaining count; the auth hook's output in cleanup; a
 * stale CERTBOT_TOKEN of our own environment is not passed on; a hook
 * that outlives its timeout is killed; cleanup runs after a failed auth
 * hook. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "testutil.h"
#include "base/err.h"
#include "base/log.h"
#include "host/instance.h"

struct fixture {
	struct plugin_registry reg;
	struct log lg;
	struct host_clients svc;
	char *dir;
};

static struct host_instance *manual(struct fixture *fx, const char *auth, const char *cleanup,
                                    const char *timeout, struct error *e)
{
	const char *opts[7] = {"manual_auth_hook", auth};
	size_t n = 2;

	if (cleanup) {
		opts[n++] = "manual_cleanup_hook";
		opts[n++] = cleanup;
	}
	if (timeout) {
		opts[n++] = "manual_hook_timeout";
		opts[n++] = timeout;
	}
	return host_instance_new(&fx->reg, "manual", NULL, opts, NULL, &fx->svc, e);
}

/* The file DIR/NAME's content, or "" when missing. Caller frees. */
static char *read_in(const char *dir, const char *name)
{
	char p[PATH_MAX];
	char *s;

	pathf(p, sizeof(p), "%s/%s", dir, name);
	s = slurp(p);
	return s ? s : strdup("");
}

static void test_env_not_shell(struct fixture *fx)
{
	char auth[PATH_MAX * 2], cleanup[PATH_MAX * 2], canary[PATH_MAX];
	const char *hostile_name = "x.example;touch${IFS}canary1";
	const char *hostile_txt = "$(touch canary2)`touch canary3`'\"";
	const char *names[] = {"a.example", hostile_name, "c.example"};
	struct challenge_desc ch = {
		.identifier = hostile_name,
		.type = CHALLENGE_DNS_01,
		.token = "tokD",
		.key_authorization = "tokD.t",
		.record_name = "_acme-challenge.x.example",
		.txt_value = hostile_txt,
		.order_names = names,
		.n_order_names = 3,
		.remaining = 1,
	};
	struct error e = {0};
	struct host_instance *hi;
	char *s;

	/* Fixed hook commands: what they print comes from the environment. */
	snprintf(auth, sizeof(auth),
	         "cd %s && printf '%%s' \"$CERTBOT_DOMAIN\" >domain && printf '%%s' "
	         "\"$CERTBOT_VALIDATION\" >validation && printf '%%s|%%s|%%s' "
	         "\"$CERTBOT_ALL_DOMAINS\" \"$CERTBOT_REMAINING_CHALLENGES\" "
	         "\"${CERTBOT_TOKEN-unset}\" >rest && echo '  printed by auth  '",
	         fx->dir);
	snprintf(cleanup, sizeof(cleanup),
	         "cd %s && printf '%%s' \"$CERTBOT_AUTH_OUTPUT\" >output", fx->dir);
	setenv("CERTBOT_TOKEN", "stale-from-our-environment", 1);
	hi = manual(fx, auth, cleanup, NULL, &e);
	CHECK(hi != NULL);
	if (!hi)
		goto out;
	CHECK(host_instance_present(hi, &ch, &e) == 0);
	CHECK(!err_isset(&e));
	s = read_in(fx->dir, "domain");
	CHECK_STR(s, hostile_name);
	free(s);
	s = read_in(fx->dir, "validation");
	CHECK_STR(s, hostile_txt);
	free(s);
	s = read_in(fx->dir, "rest");
	CHECK_STR(s, "a.example,x.example;touch${IFS}canary1,c.example|1|unset");
	free(s);
	for (int i = 1; i <= 3; i++) {
		pathf(canary, sizeof(canary), "%s/canary%d", fx->dir, i);
		CHECK(access(canary, F_OK) != 0);
	}
	CHECK(host_instance_cleanup(hi, &ch, &e) == 0);
	s = read_in(fx->dir, "output");
	CHECK_STR(s, "printed by auth");
	free(s);
out:
	unsetenv("CERTBOT_TOKEN");
	host_instance_free(hi);
}

/* A failing auth hook: its stderr's end in the error, and the cleanup
 * hook runs for it; a hook past its timeout is killed. */
static void test_failures(struct fixture *fx)
{
	char auth[PATH_MAX * 2], cleanup[PATH_MAX * 2];
	struct challenge_desc ch = {
		.identifier = "www.example",
		.type = CHALLENGE_HTTP_01,
		.token = "tokH",
		.key_authorization = "tokH.t",
	};
	struct error e = {0};
	struct host_instance *hi;
	char *s;

	snprintf(auth, sizeof(auth), "echo partial >&2; echo 'no API key' >&2; exit 4");
	snprintf(cleanup, sizeof(cleanup), "printf '%%s' \"$CERTBOT_TOKEN\" >%s/cleaned", fx->dir);
	hi = manual(fx, auth, cleanup, NULL, &e);
	CHECK(hi != NULL);
	if (!hi)
		return;
	CHECK(host_instance_present(hi, &ch, &e) == -1);
	CHECK(e.exit_code == EXIT_OP);
	CHECK(strstr(e.msg, "auth hook for www.example failed with exit status 4: partial; "
	                    "no API key") != NULL);
	s = read_in(fx->dir, "cleaned");
	CHECK_STR(s, "tokH");
	free(s);
	host_instance_free(hi);
	err_clear(&e);

	hi = manual(fx, "sleep 30", NULL, "1", &e);
	CHECK(hi != NULL);
	if (!hi)
		return;
	CHECK(host_instance_present(hi, &ch, &e) == -1);
	CHECK(strstr(e.msg, "did not finish within 1 s and was killed") != NULL);
	host_instance_free(hi);
	err_clear(&e);

	CHECK(manual(fx, "", NULL, NULL, &e) == NULL);
	CHECK(e.exit_code == EXIT_USAGE);
	err_clear(&e);
	CHECK(manual(fx, "true", NULL, "0", &e) == NULL);
	CHECK(e.exit_code == EXIT_USAGE && strstr(e.msg, "manual_hook_timeout") != NULL);
}

int main(void)
{
	const char *build = getenv("AH_BUILD_DIR");
	struct fixture fx = {0};
	struct error e = {0};
	char src[PATH_MAX], dst[PATH_MAX], tmpl[] = "/tmp/ah-manual.XXXXXX";
	char *plugdir = NULL;
	FILE *devnull = fopen("/dev/null", "w");

	if (!build) {
		fprintf(stderr, "AH_BUILD_DIR is not set\n");
		return 1;
	}
	log_init(&fx.lg, LVL_DEBUG);
	fx.lg.out = devnull;
	fx.svc.log = &fx.lg;
	fx.dir = strdup(mkdtemp(tmpl));
	pathf(src, sizeof(src), "%s/plugins", fx.dir);
	plugdir = strdup(src);
	CHECK(mkdir(plugdir, 0755) == 0);
	chmod(fx.dir, 0755);
	pathf(src, sizeof(src), "%s/lib/acmehook/plugins/manual.so", build);
	pathf(dst, sizeof(dst), "%s/manual.so", plugdir);
	CHECK(copy_file(src, dst, 0644) == 0);
	CHECK(plugin_registry_load_dir(&fx.reg, plugdir, &e) == 0);
	if (err_isset(&e) || !plugin_registry_find(&fx.reg, "manual")) {
		fprintf(stderr, "cannot load %s: %s\n", src, e.msg);
		goto out;
	}
	test_env_not_shell(&fx);
	test_failures(&fx);
out:
	plugin_registry_free(&fx.reg);
	log_free(&fx.lg);
	if (devnull)
		fclose(devnull);
	rm_rf(fx.dir);
	free(fx.dir);
	free(plugdir);
	return check_done();
}
