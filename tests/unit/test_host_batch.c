/* Presenting and cleaning up in batches (ABI 1.2): per-challenge results
 * from a plugin's batch call, the fallback to one call each for a plugin
 * without batch members, with a 1.1-sized descriptor, or that declines the
 * batch, and host_present_all / host_cleanup_all grouping an order's
 * challenges by instance, stopping at a failure and cleaning up exactly
 * what was presented. The test plugin (tests/unit/plugins/testbatch.c)
 * records every call it gets. */
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
#include "host/batch.h"
#include "host/instance.h"

static char plugin_dir[PATH_MAX], rec[PATH_MAX];

/* A fresh 0755 directory with copies of the test plugins. */
static char *load_dir(struct plugin_registry *r)
{
	static const char *const files[] = {"testbatch.so", "testbatch11.so", "testgood.so"};
	char tmpl[] = "/tmp/ah-batchtest.XXXXXX", src[PATH_MAX], dst[PATH_MAX];
	char *d = mkdtemp(tmpl);
	struct error e = {0};

	if (!d || chmod(d, 0755) < 0)
		return NULL;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		pathf(src, sizeof(src), "%s/%s", plugin_dir, files[i]);
		pathf(dst, sizeof(dst), "%s/%s", d, files[i]);
		if (copy_file(src, dst, 0644) < 0)
			return NULL;
	}
	if (plugin_registry_load_dir(r, d, &e) < 0) {
		fprintf(stderr, "load: %s\n", e.msg);
		return NULL;
	}
	return strdup(d);
}

static struct host_instance *instance(const struct plugin_registry *r, const char *plugin,
                                      const char *name, const char *mode)
{
	const char *opts[] = {"record", rec, "batch", mode ? mode : "", NULL};
	struct host_clients clients = {0};
	struct error e = {0};
	struct host_instance *hi = host_instance_new(r, plugin, name, opts, NULL, &clients, &e);

	if (!hi)
		fprintf(stderr, "instance %s: %s\n", plugin, e.msg);
	return hi;
}

/* What the plugins recorded since the last call; the record starts over. */
static char *recorded(void)
{
	char *text = slurp(rec);

	unlink(rec);
	return text ? text : strdup("");
}

/* Start the record over, unread. */
static void forget(void)
{
	free(recorded());
}

static struct challenge_desc ch(const char *identifier)
{
	struct challenge_desc c = {
		.identifier = identifier,
		.type = CHALLENGE_DNS_01,
		.token = "tok",
		.key_authorization = "tok.thumb",
		.txt_value = "value",
		.record_name = "_acme-challenge.x",
	};
	return c;
}

static void expect_record(const char *want)
{
	char *got = recorded();

	CHECK_STR(got, want);
	free(got);
}

/* The plugin's batch calls: one call, a result per challenge. */
static void test_batch_calls(const struct plugin_registry *r)
{
	struct host_instance *hi = instance(r, "testbatch", "one", NULL);
	struct challenge_desc three[] = {ch("a.example"), ch("fail.example"), ch("b.example")};
	struct challenge_desc two[] = {ch("a.example"), ch("silent.example")};
	struct challenge_desc bad[] = {ch("a.example"), ch("b.example")};
	struct challenge_desc dec[] = {ch("decline.example")};
	int res[3];
	struct error e = {0};

	CHECK(hi != NULL);
	if (!hi)
		return;
	CHECK(host_instance_present_batch(hi, three, 3, res, &e) == -1);
	CHECK(res[0] == 0 && res[1] == -1 && res[2] == 0);
	CHECK_STR(e.msg, "testbatch[one]: boom: fail.example");
	expect_record("present_batch a.example fail.example b.example\n");
	err_clear(&e);

	/* A status the plugin did not write is the host's AH_FAIL: not
	 * presented, so never cleaned up. */
	CHECK(host_instance_present_batch(hi, two, 2, res, &e) == -1);
	CHECK(res[0] == 0 && res[1] == -1);
	CHECK(strstr(e.msg, "testbatch[one]: ") == e.msg);
	err_clear(&e);
	forget();

	CHECK(host_instance_present_batch(hi, dec, 1, res, &e) == -1);
	CHECK(res[0] == HOST_DECLINED && !err_isset(&e));
	forget();

	CHECK(host_instance_cleanup_batch(hi, bad, 2, res, &e) == 0);
	CHECK(res[0] == 0 && res[1] == 0 && !err_isset(&e));
	expect_record("cleanup_batch a.example b.example\n");

	/* A token the ABI forbids never reaches the plugin: presenting stops
	 * before the plugin sees any of the batch, cleaning up goes on with
	 * the others. */
	bad[1].token = "../x";
	CHECK(host_instance_present_batch(hi, bad, 2, res, &e) == -1);
	CHECK(res[0] == -1 && res[1] == -1 && strstr(e.msg, "../x") != NULL);
	expect_record("");
	err_clear(&e);
	CHECK(host_instance_cleanup_batch(hi, bad, 2, res, &e) == -1);
	CHECK(res[0] == 0 && res[1] == -1 && strstr(e.msg, "../x") != NULL);
	expect_record("cleanup_batch a.example\n");
	err_clear(&e);
	bad[0].token = "../y";
	CHECK(host_instance_cleanup_batch(hi, bad, 2, res, &e) == -1);
	CHECK(res[0] == -1 && res[1] == -1);
	expect_record("");
	err_clear(&e);
	host_instance_free(hi);
}

/* Without usable batch members the host calls one at a time. */
static void test_fallbacks(const struct plugin_registry *r)
{
	struct challenge_desc two[] = {ch("a.example"), ch("b.example")};
	struct challenge_desc three[] = {ch("a.example"), ch("b.example"), ch("c.example")};
	struct host_instance *dec = instance(r, "testbatch", "dec", "decline");
	struct host_instance *v11 = instance(r, "testbatch11", NULL, NULL);
	struct host_instance *whole = instance(r, "testbatch", "whole", "fail");
	struct host_instance *old = instance(r, "testgood", NULL, NULL);
	int res[3];
	struct error e = {0};

	CHECK(dec && v11 && whole && old);
	if (!dec || !v11 || !whole || !old)
		goto out;
	forget(); /* testgood's init line */
	/* A batch declined: single calls. */
	CHECK(host_instance_present_batch(dec, two, 2, res, &e) == 0);
	CHECK(res[0] == 0 && res[1] == 0);
	expect_record("present a.example\npresent b.example\n");
	CHECK(host_instance_cleanup_batch(dec, two, 2, res, &e) == 0);
	expect_record("cleanup a.example\ncleanup b.example\n");

	/* A 1.1-sized descriptor: its batch members are never read. */
	CHECK(host_instance_present_batch(v11, two, 2, res, &e) == 0);
	expect_record("present a.example\npresent b.example\n");
	CHECK(host_instance_cleanup_batch(v11, two, 2, res, &e) == 0);
	expect_record("cleanup a.example\ncleanup b.example\n");

	/* A batch failed as a whole: nothing presented. */
	CHECK(host_instance_present_batch(whole, two, 2, res, &e) == -1);
	CHECK(res[0] == -1 && res[1] == -1);
	CHECK_STR(e.msg, "testbatch[whole]: the whole batch failed");
	expect_record("");
	err_clear(&e);

	/* No batch members (testgood): one call each, presenting stops at
	 * the first failure and the rest is not tried. */
	three[1].token = "failme";
	CHECK(host_instance_present_batch(old, three, 3, res, &e) == -1);
	CHECK(res[0] == 0 && res[1] == -1 && res[2] == -1);
	CHECK_STR(e.msg, "testgood: boom: failme");
	err_clear(&e);
	expect_record("present dns-01 a.example tok -\n");
	/* Cleaning up goes on past a failure. */
	three[0].token = "../x";
	three[1].token = "tok";
	CHECK(host_instance_cleanup_batch(old, three, 3, res, &e) == -1);
	CHECK(res[0] == -1 && res[1] == 0 && res[2] == 0);
	expect_record("cleanup b.example tok\ncleanup c.example tok\n");
	err_clear(&e);
out:
	host_instance_free(dec);
	host_instance_free(v11);
	host_instance_free(whole);
	host_instance_free(old);
}

/* An order's challenges: one batch per instance, in the order instances
 * first appear; a failure stops presenting, and cleanup takes exactly the
 * challenges presented. */
static void test_all(const struct plugin_registry *r)
{
	struct host_instance *one = instance(r, "testbatch", "one", NULL);
	struct host_instance *two = instance(r, "testbatch", "two", NULL);
	bool p[3] = {false, false, false};
	struct host_challenge hc[3] = {
		{.inst = one, .desc = ch("a.example"), .name = "a.example", .presented = &p[0]},
		{.inst = two, .desc = ch("b.example"), .name = "b.example", .presented = &p[1]},
		{.inst = one, .desc = ch("c.example"), .name = "*.c.example", .presented = &p[2]},
	};
	struct error e = {0};
	struct log lg;

	log_init(&lg, LVL_ERROR);
	CHECK(one && two);
	if (!one || !two)
		goto out;
	forget(); /* testgood's fini line, from the test before */
	CHECK(host_present_all(hc, 3, &lg, &e) == 0);
	CHECK(p[0] && p[1] && p[2]);
	expect_record("present_batch a.example c.example\npresent_batch b.example\n");
	host_cleanup_all(hc, 3, &lg);
	CHECK(!p[0] && !p[1] && !p[2]);
	expect_record("cleanup_batch a.example c.example\ncleanup_batch b.example\n");

	/* fail.example fails in instance one's batch: two is never asked,
	 * and only a.example is cleaned up. */
	hc[2].desc = ch("fail.example");
	hc[2].name = "fail.example";
	CHECK(host_present_all(hc, 3, &lg, &e) == -1);
	CHECK_STR(e.msg, "testbatch[one]: boom: fail.example");
	CHECK(p[0] && !p[1] && !p[2]);
	expect_record("present_batch a.example fail.example\n");
	host_cleanup_all(hc, 3, &lg);
	CHECK(!p[0] && !p[1] && !p[2]);
	expect_record("cleanup_batch a.example\n");
	err_clear(&e);

	/* A decline says so, naming the challenge. */
	hc[0].desc = ch("decline.example");
	hc[0].name = "decline.example";
	CHECK(host_present_all(hc, 1, &lg, &e) == -1);
	CHECK_STR(e.msg, "testbatch[one] declined the dns-01 challenge for decline.example");
	CHECK(!p[0]);
	forget();
	host_cleanup_all(hc, 1, &lg);
	expect_record("");
out:
	host_instance_free(one);
	host_instance_free(two);
	log_free(&lg);
}

int main(void)
{
	const char *build = getenv("AH_BUILD_DIR");
	struct plugin_registry r = {0};
	char *d;

	if (!build) {
		fprintf(stderr, "AH_BUILD_DIR is not set\n");
		return 1;
	}
	umask(022);
	pathf(plugin_dir, sizeof(plugin_dir), "%s/tests/plugins-broken", build);
	d = load_dir(&r);
	CHECK(d != NULL);
	if (d) {
		pathf(rec, sizeof(rec), "%s/record.txt", d);
		test_batch_calls(&r);
		test_fallbacks(&r);
		test_all(&r);
		rm_rf(d);
	}
	free(d);
	plugin_registry_free(&r);
	return check_done();
}
