/* A well-formed plugin for test_plugin_loader. It records each call as one
 * line in the file named by option "record", so the test can see what the
 * host called and with what, and exercises every host service:
 *   option "greeting"      echoed into each present line (config_get)
 *   secret "api-token"     logged in clear by init (the host must redact it)
 *   option "init-fail"     "config" or "fail": init refuses with that status
 *   token  "failme"        present fails with set_error text "boom: failme"
 *   identifier "decline.example"  present declines
 *   identifier "tsig.example"     present calls dns_update with a TSIG key
 *                          whose struct_size is too small, and fails
 *                          without a word of its own
 *   install                tries an HTTP request and records its outcome */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <acmehook/plugin.h>

struct testgood {
	const struct ah_host *host;
	char *record;
};

static void record(struct testgood *t, const char *line)
{
	FILE *f;

	if (!t->record)
		return;
	f = fopen(t->record, "a");
	if (!f)
		return;
	fprintf(f, "%s\n", line);
	fclose(f);
}

static int tg_init(const struct ah_host *host, void **state)
{
	struct testgood *t = NULL;
	const char *rec, *fail;
	char *secret = NULL, line[512];
	int st, ret = AH_FAIL;

	fail = host->config_get(host->ctx, "init-fail");
	if (fail) {
		host->set_error(host->ctx, "init told to fail by option init-fail");
		return strcmp(fail, "config") == 0 ? AH_CONFIG : AH_FAIL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		goto out;
	t->host = host;
	rec = host->config_get(host->ctx, "record");
	if (rec && !(t->record = strdup(rec)))
		goto out;
	st = host->secret_get(host->ctx, "api-token", &secret);
	if (st == AH_OK) {
		snprintf(line, sizeof(line), "the token is %s", secret);
		host->log(host->ctx, AH_LOG_WARN, line);
		host->secret_free(host->ctx, secret);
	}
	st = host->secret_get(host->ctx, "no-such-secret", &secret);
	snprintf(line, sizeof(line), "init missing-secret=%d now-ok=%d", st,
	         host->now(host->ctx) > 1600000000);
	record(t, line);
	*state = t;
	t = NULL;
	ret = AH_OK;
out:
	if (t)
		free(t->record);
	free(t);
	return ret;
}

static int tg_present(void *state, const struct ah_challenge *ch)
{
	struct testgood *t = state;
	const char *greeting = t->host->config_get(t->host->ctx, "greeting");
	char line[512];

	if (strcmp(ch->identifier, "decline.example") == 0)
		return AH_DECLINE;
	if (strcmp(ch->identifier, "tsig.example") == 0) {
		struct ah_tsig_key key = {.struct_size = sizeof(size_t)};
		struct ah_dns_update u = {
			.struct_size = sizeof(u),
			.server = "127.0.0.1",
			.name = "_acme-challenge.tsig.example",
			.txt = "value",
			.add = 1,
			.key = &key,
		};

		return t->host->dns_update(t->host->ctx, &u) == AH_OK ? AH_OK : AH_FAIL;
	}
	if (strcmp(ch->token, "failme") == 0) {
		t->host->set_error(t->host->ctx, "boom: failme");
		return AH_FAIL;
	}
	snprintf(line, sizeof(line), "present %s %s %s %s", ch->type, ch->identifier,
	         ch->token, greeting ? greeting : "-");
	record(t, line);
	return AH_OK;
}

static int tg_cleanup(void *state, const struct ah_challenge *ch)
{
	struct testgood *t = state;
	char line[512];

	snprintf(line, sizeof(line), "cleanup %s %s", ch->identifier, ch->token);
	record(t, line);
	return AH_OK;
}

static int tg_install(void *state, const struct ah_certificate *c)
{
	struct testgood *t = state;
	struct ah_http_request req = {
		.struct_size = sizeof(req),
		.method = "GET",
		.url = "https://example.invalid/",
	};
	struct ah_http_response *resp = NULL;
	char line[512];
	int st;

	st = t->host->http_request(t->host->ctx, &req, &resp);
	if (st == AH_OK)
		t->host->http_response_free(t->host->ctx, resp);
	snprintf(line, sizeof(line), "install %s http=%d", c->lineage, st);
	record(t, line);
	return st == AH_OK ? AH_OK : AH_FAIL;
}

static void tg_fini(void *state)
{
	struct testgood *t = state;

	if (!t)
		return;
	record(t, "fini");
	free(t->record);
	free(t);
}

static const struct ah_plugin testgood_plugin = {
	.magic = AH_PLUGIN_MAGIC,
	.abi_major = AH_ABI_MAJOR,
	.abi_minor = AH_ABI_MINOR,
	.struct_size = sizeof(struct ah_plugin),
	.name = "testgood",
	.version = "1.2.3",
	.description = "records calls for the loader tests",
	.roles = AH_ROLE_AUTHENTICATOR | AH_ROLE_INSTALLER,
	.challenges = AH_CHALLENGE_HTTP_01 | AH_CHALLENGE_DNS_01,
	.init = tg_init,
	.present = tg_present,
	.cleanup = tg_cleanup,
	.install = tg_install,
	.fini = tg_fini,
};

AH_EXPORT const struct ah_plugin *acmehook_plugin_v1(void)
{
	return &testgood_plugin;
}
