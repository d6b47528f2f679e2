/* Logging: registered secrets never reach a line, control bytes are
 * escaped, and only secret-looking credential keys are masked. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "base/log.h"

static char *capture(struct log *lg, const char *text)
{
	char *data = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&data, &len);

	lg->out = f;
	log_text(lg, LVL_INFO, text);
	fclose(f);
	lg->out = NULL;
	return data;
}

#define THREADS 8
#define LINES 300

struct writer {
	struct log *root;
	int id;
};

/* Each thread logs through a child tagged with its number, naming a
 * secret that another thread registers meanwhile. */
static void *write_lines(void *arg)
{
	struct writer *w = arg;
	struct log child;
	char tag[16];

	snprintf(tag, sizeof(tag), "t%d", w->id);
	log_child(&child, w->root, tag);
	for (int i = 0; i < LINES; i++) {
		log_msg(&child, LVL_INFO, "line %d of %d, key tk-%d-secret", i, w->id, w->id);
		if (i == LINES / 2) {
			char secret[32];
			snprintf(secret, sizeof(secret), "tk-%d-secret", w->id);
			log_add_secret(&child, secret);
		}
	}
	log_free(&child);
	return NULL;
}

/* Lines from several threads come out whole, each with its thread's tag,
 * and secrets registered through a child mask the root's lines. */
static void threaded(void)
{
	struct log lg;
	struct writer w[THREADS];
	pthread_t th[THREADS];
	char *data = NULL, *line, *save = NULL;
	size_t len = 0;
	int seen[THREADS] = {0}, bad = 0, leaked = 0;

	log_init(&lg, LVL_INFO);
	lg.out = open_memstream(&data, &len);
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct writer){.root = &lg, .id = i};
		CHECK(pthread_create(&th[i], NULL, write_lines, &w[i]) == 0);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	fclose(lg.out);
	lg.out = NULL;
	for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int t = -1, t2 = -1, n = -1, end = 0;
		if (sscanf(line, "t%d: line %d of %d, key %n", &t, &n, &t2, &end) != 3 || t != t2 ||
		    t < 0 || t >= THREADS || n != seen[t]) {
			bad++;
			continue;
		}
		seen[t]++;
		if (n > LINES / 2 && strcmp(line + end, "[redacted]") != 0)
			leaked++;
	}
	CHECK(bad == 0);
	CHECK(leaked == 0);
	for (int i = 0; i < THREADS; i++)
		CHECK(seen[i] == LINES);
	/* The secrets went to the root. */
	CHECK(lg.nsecrets == THREADS);
	free(data);
	log_free(&lg);
}

int main(void)
{
	struct log lg;
	char *out;

	log_init(&lg, LVL_INFO);
	CHECK(log_add_secret(&lg, "s3cr3t-HMAC-value") == 0);
	CHECK(log_add_secret(&lg, "ab") == 0); /* too short to mask: ignored */
	out = capture(&lg, "key=s3cr3t-HMAC-value and again s3cr3t-HMAC-value; ab stays");
	CHECK(out && strstr(out, "s3cr3t") == NULL);
	CHECK(out && strstr(out, "[redacted]") != NULL);
	CHECK(out && strstr(out, "ab stays") != NULL);
	free(out);
	out = capture(&lg, "evil\x1b[31mred\r\n");
	CHECK(out && strchr(out, '\x1b') == NULL && strstr(out, "\\x1b[31mred") != NULL);
	free(out);

	/* log_to_file never writes to the terminal. */
	{
		char *data = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&data, &len);
		lg.out = f;
		log_to_file(&lg, LVL_ERROR, "file only");
		fclose(f);
		lg.out = NULL;
		CHECK(len == 0);
		free(data);
	}

	CHECK(log_secret_key("dns_rfc2136_secret"));
	CHECK(log_secret_key("api_key"));
	CHECK(log_secret_key("API_TOKEN"));
	CHECK(log_secret_key("password"));
	CHECK(log_secret_key("aws_secret_access_key"));
	CHECK(!log_secret_key("dns_rfc2136_server"));
	CHECK(!log_secret_key("dns_rfc2136_port"));
	CHECK(!log_secret_key("dns_rfc2136_name"));
	CHECK(!log_secret_key("tsig_key_name"));
	CHECK(!log_secret_key("aws_access_key_id"));
	CHECK(!log_secret_key("api_url"));
	log_free(&lg);
	threaded();
	return check_done();
}
