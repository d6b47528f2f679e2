/* The order record in the work dir: its format round-trips, it matches only
 * its own server, account and names, and a record that is malformed or has
 * lost its key is discarded (with its key), never a failure. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "store/orders.h"
#include "store/store.h"
#include "testutil.h"

#define SERVER "https://ca.example/dir"
#define ACCOUNT "https://ca.example/acct/1"
#define ORDER "https://ca.example/order/7"

static void test_format(void)
{
	const char *names[] = {"www.Example.com", "example.com", "*.example.com"};
	struct order_record r = {0}, back = {0};
	struct error e = {0};
	char *text = NULL;
	time_t now = time(NULL);

	CHECK(store_order_make(SERVER, ACCOUNT, ORDER, names, 3, now, &r, &e) == 0);
	CHECK(r.n_identifiers == 3);
	CHECK_STR(r.identifiers[0], "*.example.com");
	CHECK_STR(r.identifiers[1], "example.com");
	CHECK_STR(r.identifiers[2], "www.example.com");
	text = store_order_format(&r);
	CHECK(text != NULL);
	CHECK(text && strstr(text, "\"order\":\t\"" ORDER "\"") != NULL);
	CHECK(text && store_order_parse(text, &back, &e) == 0);
	CHECK_STR(back.server, SERVER);
	CHECK_STR(back.account, ACCOUNT);
	CHECK_STR(back.order, ORDER);
	CHECK(back.n_identifiers == 3 && back.created == (long long)now);

	/* A match needs the same server, account and set of names. */
	{
		const char *same[] = {"EXAMPLE.com", "*.example.com", "www.example.com"};
		const char *fewer[] = {"example.com", "www.example.com"};
		const char *other[] = {"example.com", "www.example.com", "mail.example.com"};
		CHECK(store_order_matches(&back, SERVER, ACCOUNT, same, 3, now));
		CHECK(!store_order_matches(&back, "https://other.example/dir", ACCOUNT, same, 3, now));
		CHECK(!store_order_matches(&back, SERVER, "https://ca.example/acct/2", same, 3, now));
		CHECK(!store_order_matches(&back, SERVER, NULL, same, 3, now));
		CHECK(!store_order_matches(&back, SERVER, ACCOUNT, fewer, 2, now));
		CHECK(!store_order_matches(&back, SERVER, ACCOUNT, other, 3, now));
		CHECK(!store_order_matches(&back, SERVER, ACCOUNT, same, 3,
		                           now + STORE_ORDER_MAX_AGE + 1));
	}
	store_order_free(&back);
	store_order_free(&r);
	store_order_free(NULL);
	free(text);
}

static void test_malformed(void)
{
	static const char *const bad[] = {
		"",
		"not json",
		"[]",
		"{}",
		"{\"server\":\"https://a/d\",\"account\":\"https://a/a\",\"order\":\"https://a/o\","
		"\"identifiers\":[\"a.example\"]}",
		"{\"server\":\"http://a/d\",\"account\":\"https://a/a\",\"order\":\"https://a/o\","
		"\"identifiers\":[\"a.example\"],\"created\":1}",
		"{\"server\":\"https://a/d\",\"account\":1,\"order\":\"https://a/o\","
		"\"identifiers\":[\"a.example\"],\"created\":1}",
		"{\"server\":\"https://a/d\",\"account\":\"https://a/a\",\"order\":\"https://a/o\","
		"\"identifiers\":[],\"created\":1}",
		"{\"server\":\"https://a/d\",\"account\":\"https://a/a\",\"order\":\"https://a/o\","
		"\"identifiers\":\"a.example\",\"created\":1}",
		"{\"server\":\"https://a/d\",\"account\":\"https://a/a\",\"order\":\"https://a/o\","
		"\"identifiers\":[\"b.example\",\"a.example\"],\"created\":1}",
		"{\"server\":\"https://a/d\",\"account\":\"https://a/a\",\"order\":\"https://a/o\","
		"\"identifiers\":[\"a.example\",\"a.example\"],\"created\":1}",
		"{\"server\":\"https://a/d\",\"account\":\"https://a/a\",\"order\":\"https://a/o\","
		"\"identifiers\":[\"A.example\"],\"created\":1}",
		"{\"server\":\"https://a/d\",\"account\":\"https://a/a\",\"order\":\"https://a/o\","
		"\"identifiers\":[\"a example\"],\"created\":1}",
		"{\"server\":\"https://a/d\",\"account\":\"https://a/a\",\"order\":\"https://a/o\","
		"\"identifiers\":[7],\"created\":1}",
		"{\"server\":\"https://a/d\",\"account\":\"https://a/a\",\"order\":\"https://a/o\","
		"\"identifiers\":[\"a.example\"],\"created\":-5}",
		"{\"server\":\"https://a/d\",\"account\":\"https://a/a\",\"order\":\"https://a/o\","
		"\"identifiers\":[\"a.example\"],\"created\":\"today\"}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct order_record r = {0};
		struct error e = {0};
		int rc = store_order_parse(bad[i], &r, &e);
		CHECK(rc < 0);
		CHECK(e.msg[0] != '\0');
		CHECK(r.order == NULL);
		if (rc == 0) {
			fprintf(stderr, "accepted: %s\n", bad[i]);
			store_order_free(&r);
		}
	}
}

static void test_files(const char *dir)
{
	const char *names[] = {"example.com"};
	struct store s;
	struct error e = {0};
	struct order_record r = {0}, got = {0};
	char rec[PATH_MAX], key[PATH_MAX], odir[PATH_MAX], why[1100], tmp[PATH_MAX];

	CHECK(store_init(&s, dir, dir, dir, &e) == 0);
	pathf(odir, sizeof(odir), "%s/orders", dir);
	pathf(rec, sizeof(rec), "%s/orders/example.com.json", dir);
	pathf(key, sizeof(key), "%s/orders/example.com.key.pem", dir);

	/* None yet. */
	CHECK(store_order_load(&s, "example.com", &got, why, sizeof(why)) == 0);
	CHECK(why[0] == '\0');

	/* Saved: 0600 files in a 0700 directory, loaded back. */
	CHECK(store_order_make(SERVER, ACCOUNT, ORDER, names, 1, time(NULL), &r, &e) == 0);
	CHECK(store_order_save(&s, "example.com", &r, "KEY PEM\n", &e) == 0);
	CHECK(mode_of(odir) == 0700);
	CHECK(mode_of(rec) == 0600);
	CHECK(mode_of(key) == 0600);
	{
		char p[PATH_MAX];
		CHECK(store_order_key_path(&s, "example.com", p, sizeof(p)) == 0);
		CHECK_STR(p, key);
	}
	CHECK(store_order_load(&s, "example.com", &got, why, sizeof(why)) == 1);
	CHECK_STR(got.order, ORDER);
	store_order_free(&got);

	/* Malformed: discarded with its key, with a reason, not an error. */
	CHECK(write_file(rec, "{\"server\": \"https://ca.example/dir\",", 0600) == 0);
	CHECK(store_order_load(&s, "example.com", &got, why, sizeof(why)) == 0);
	CHECK(strstr(why, "example.com.json") != NULL);
	CHECK(access(rec, F_OK) != 0);
	CHECK(access(key, F_OK) != 0);

	/* A record whose key is gone is discarded too. */
	CHECK(store_order_save(&s, "example.com", &r, "KEY PEM\n", &e) == 0);
	unlink(key);
	CHECK(store_order_load(&s, "example.com", &got, why, sizeof(why)) == 0);
	CHECK(strstr(why, "missing") != NULL);
	CHECK(access(rec, F_OK) != 0);

	/* A key without its record (a run stopped between the two writes) is
	 * removed, and so are temporaries of interrupted writes; another
	 * lineage's files stay. */
	CHECK(write_file(key, "KEY PEM\n", 0600) == 0);
	pathf(tmp, sizeof(tmp), "%s.tmp-Ab12Cd", key);
	CHECK(write_file(tmp, "KEY PEM\n", 0600) == 0);
	CHECK(store_order_save(&s, "example.org", &r, "OTHER\n", &e) == 0);
	CHECK(store_order_load(&s, "example.com", &got, why, sizeof(why)) == 0);
	CHECK(why[0] == '\0');
	CHECK(access(key, F_OK) != 0);
	CHECK(access(tmp, F_OK) != 0);
	CHECK(store_order_load(&s, "example.org", &got, why, sizeof(why)) == 1);
	store_order_free(&got);

	/* Removal takes both. */
	store_order_remove(&s, "example.org");
	pathf(tmp, sizeof(tmp), "%s/orders/example.org.json", dir);
	CHECK(access(tmp, F_OK) != 0);
	pathf(tmp, sizeof(tmp), "%s/orders/example.org.key.pem", dir);
	CHECK(access(tmp, F_OK) != 0);

	store_order_free(&r);
	store_free(&s);
}

int main(void)
{
	char tmpl[] = "/tmp/ah-orders-XXXXXX";
	char *dir = mkdtemp(tmpl);

	CHECK(dir != NULL);
	test_format();
	test_malformed();
	if (dir) {
		test_files(dir);
		rm_rf(dir);
	}
	return check_done();
}
