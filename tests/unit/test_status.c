/* Status records (store/status.h): the facts of the live certificate
 * written and read back, kept apart from the deploy and attempt fields,
 * malformed facts treated as absent rather than trusted, a corrupt record
 * an error for readers but replaced when facts are written, and a renewal
 * window dropped once another certificate is live. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "store/status.h"
#include "store/store.h"
#include "testutil.h"

static char *names2[] = {"example.test", "www.example.test", NULL};

static struct lineage_facts sample(void)
{
	struct lineage_facts f = {.version = 3, .not_before = 1767225600, .not_after = 1775001600};

	f.names = names2;
	snprintf(f.key_type, sizeof(f.key_type), "ecdsa secp256r1");
	snprintf(f.issuer, sizeof(f.issuer), "Example Issuing CA");
	snprintf(f.profile, sizeof(f.profile), "shortlived");
	snprintf(f.serial, sizeof(f.serial), "3a1f");
	snprintf(f.ari_id, sizeof(f.ari_id), "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
	snprintf(f.cert_mark, sizeof(f.cert_mark), "1:2:3:4.000000005");
	snprintf(f.renewal_mark, sizeof(f.renewal_mark), "1:9:300:4.000000006");
	snprintf(f.server, sizeof(f.server), "https://ca.example.test/dir");
	f.no_ari_until = 1767312000;
	return f;
}

static bool same_facts(const struct lineage_facts *a, const struct lineage_facts *b)
{
	size_t i = 0;

	for (; a->names && a->names[i]; i++)
		if (!b->names || !b->names[i] || strcmp(a->names[i], b->names[i]) != 0)
			return false;
	return (!b->names || !b->names[i]) && a->version == b->version &&
	       a->not_before == b->not_before && a->not_after == b->not_after &&
	       a->no_ari_until == b->no_ari_until && strcmp(a->key_type, b->key_type) == 0 &&
	       strcmp(a->issuer, b->issuer) == 0 && strcmp(a->profile, b->profile) == 0 &&
	       strcmp(a->serial, b->serial) == 0 && strcmp(a->ari_id, b->ari_id) == 0 &&
	       strcmp(a->cert_mark, b->cert_mark) == 0 &&
	       strcmp(a->renewal_mark, b->renewal_mark) == 0 && strcmp(a->server, b->server) == 0;
}

/* The facts of TEXT (version 0 when absent or refused). */
static struct lineage_facts parsed(const char *text)
{
	struct lineage_status st;
	struct lineage_facts f = {.version = -1};
	struct error e = {0};

	if (status_parse(text, "test", &st, &f, &e) < 0)
		f.version = -1;
	return f;
}

int main(void)
{
	char tmpl[] = "/tmp/ah-status-XXXXXX", p[PATH_MAX], *text;
	char *dir = mkdtemp(tmpl);
	struct store s;
	struct error e = {0};
	struct lineage_status st = {0}, got = {0};
	struct lineage_facts f = sample(), back = {0};

	CHECK(dir != NULL);
	CHECK(store_init(&s, dir, dir, dir, &e) == 0);

	/* Written and read back whole, beside the deploy fields. */
	st.version = 3;
	st.deploy_pending = true;
	snprintf(st.deploy_error, sizeof(st.deploy_error), "hook failed");
	CHECK(status_write_issued(&s, "example.test", &st, &f, &e) == 0);
	CHECK(status_read_all(&s, "example.test", &got, &back, &e) == 0);
	CHECK(same_facts(&f, &back));
	CHECK(got.deploy_pending && got.version == 3 && strcmp(got.deploy_error, "hook failed") == 0);
	status_facts_free(&back);

	/* An attempt recorded later keeps the facts. */
	got.last_attempt = 1767225700;
	snprintf(got.last_outcome, sizeof(got.last_outcome), "failed");
	CHECK(status_write_attempt(&s, "example.test", &got, &e) == 0);
	CHECK(status_read_all(&s, "example.test", &got, &back, &e) == 0);
	CHECK(same_facts(&f, &back) && strcmp(got.last_outcome, "failed") == 0);
	status_facts_free(&back);

	/* Failures in a row and renew's pause; a success forgets both. */
	got.failures = 3;
	got.next_attempt = 1767300000;
	got.backoff = true;
	CHECK(status_write_attempt(&s, "example.test", &got, &e) == 0);
	CHECK(status_read(&s, "example.test", &got, &e) == 0 && got.failures == 3 && got.backoff &&
	      got.next_attempt == 1767300000);
	memset(&got, 0, sizeof(got));
	got.last_attempt = 1767225800;
	snprintf(got.last_outcome, sizeof(got.last_outcome), "renewed");
	CHECK(status_write_attempt(&s, "example.test", &got, &e) == 0);
	CHECK(status_read(&s, "example.test", &got, &e) == 0 && got.failures == 0 && !got.backoff &&
	      got.next_attempt == 0);
	CHECK(status_read_all(&s, "example.test", &got, &back, &e) == 0 && same_facts(&f, &back));
	status_facts_free(&back);

	/* Without the renewal facts, the "renewal" key goes. */
	f.renewal_mark[0] = '\0';
	CHECK(status_write_facts(&s, "example.test", &f, &e) == 0);
	CHECK(status_read_all(&s, "example.test", &got, &back, &e) == 0);
	CHECK(back.version == 3 && back.renewal_mark[0] == '\0' && back.server[0] == '\0' &&
	      back.no_ari_until == 0);
	status_facts_free(&back);
	f = sample();

	/* A window asked for one certificate is dropped when another is live,
	 * and kept while the same one is. */
	got.ari_start = 1767225600;
	got.ari_end = 1767398400;
	got.ari_next_check = 1767247200;
	CHECK(status_write_ari(&s, "example.test", &got, &e) == 0);
	CHECK(status_write_facts(&s, "example.test", &f, &e) == 0);
	CHECK(status_read(&s, "example.test", &got, &e) == 0 && got.ari_end == 1767398400);
	snprintf(f.ari_id, sizeof(f.ari_id), "another.id");
	f.version = 4;
	CHECK(status_write_facts(&s, "example.test", &f, &e) == 0);
	CHECK(status_read(&s, "example.test", &got, &e) == 0 && got.ari_end == 0 &&
	      got.ari_next_check == 0);
	f = sample();

	/* A missing record reads as none. */
	CHECK(status_read_all(&s, "none.test", &got, &back, &e) == 0 && got.version == 0 &&
	      back.version == 0 && back.names == NULL);

	/* A corrupt record is an error for readers, naming the file ... */
	CHECK(status_path(&s, "example.test", p, sizeof(p)) == 0);
	CHECK(store_write_atomic(p, "{\"cert\": ", 9, 0644, &e) == 0);
	CHECK(status_read_all(&s, "example.test", &got, &back, &e) < 0 && strstr(e.msg, p));
	err_clear(&e);
	/* ... and replaced when facts are written. */
	CHECK(status_write_facts(&s, "example.test", &f, &e) == 0);
	CHECK(status_read_all(&s, "example.test", &got, &back, &e) == 0 && same_facts(&f, &back));
	status_facts_free(&back);

	/* Facts with any key missing or malformed are not facts. */
	text = status_format(NULL, &f);
	CHECK(text != NULL);
	back = parsed(text);
	CHECK(same_facts(&f, &back));
	status_facts_free(&back);
	free(text);
	static const char *const bad[] = {
		"{\"cert\": {\"version\": 3}}",
		"{\"cert\": {\"version\": 0, \"names\": [\"a\"], \"key_type\": \"k\", \"issuer\": \"i\","
		" \"serial\": \"1\", \"ari_id\": \"\", \"file\": \"m\", \"not_before\": 1, \"not_after\": 2}}",
		"{\"cert\": {\"version\": 1, \"names\": [], \"key_type\": \"k\", \"issuer\": \"i\","
		" \"serial\": \"1\", \"ari_id\": \"\", \"file\": \"m\", \"not_before\": 1, \"not_after\": 2}}",
		"{\"cert\": {\"version\": 1, \"names\": [\"a\", 5], \"key_type\": \"k\", \"issuer\": \"i\","
		" \"serial\": \"1\", \"ari_id\": \"\", \"file\": \"m\", \"not_before\": 1, \"not_after\": 2}}",
		"{\"cert\": {\"version\": 1.5, \"names\": [\"a\"], \"key_type\": \"k\", \"issuer\": \"i\","
		" \"serial\": \"1\", \"ari_id\": \"\", \"file\": \"m\", \"not_before\": 1, \"not_after\": 2}}",
		"{\"cert\": {\"version\": 1, \"names\": [\"a\"], \"key_type\": \"k\", \"issuer\": \"i\","
		" \"serial\": \"1\", \"ari_id\": \"\", \"file\": \"m\", \"not_before\": 3, \"not_after\": 2}}",
		"{\"cert\": {\"version\": 1, \"names\": [\"a\"], \"key_type\": \"k\", \"issuer\": \"i\","
		" \"serial\": \"1\", \"ari_id\": \"\", \"file\": \"\", \"not_before\": 1, \"not_after\": 2}}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		back = parsed(bad[i]);
		CHECK(back.version == 0 && back.names == NULL);
	}
	/* A good "cert" with a malformed "renewal": the renewal facts only
	 * are dropped. */
	back = parsed("{\"cert\": {\"version\": 1, \"names\": [\"a\"], \"key_type\": \"k\", \"issuer\":"
	              " \"i\", \"serial\": \"1\", \"ari_id\": \"\", \"file\": \"m\", \"not_before\": 1,"
	              " \"not_after\": 2}, \"renewal\": {\"file\": \"r\", \"server\": 7}}");
	CHECK(back.version == 1 && back.renewal_mark[0] == '\0' && back.server[0] == '\0');
	status_facts_free(&back);
	/* Not a record at all. */
	CHECK(parsed("[1, 2]").version == -1);
	CHECK(parsed("{\"version\": \"x\"}").version == -1);

	/* A file's identity changes when it is rewritten. */
	{
		char m1[STATUS_MARK_MAX], m2[STATUS_MARK_MAX];
		snprintf(p, sizeof(p), "%s/f", dir);
		CHECK(store_write_atomic(p, "a", 1, 0644, &e) == 0);
		CHECK(status_file_mark(p, m1, sizeof(m1)) == 0);
		CHECK(store_write_atomic(p, "a", 1, 0644, &e) == 0);
		CHECK(status_file_mark(p, m2, sizeof(m2)) == 0 && strcmp(m1, m2) != 0);
		snprintf(p, sizeof(p), "%s/missing", dir);
		CHECK(status_file_mark(p, m1, sizeof(m1)) < 0);
	}

	store_free(&s);
	return check_done();
}
