/* A plugin with the batch calls of ABI 1.2, for test_host_batch. Each call
 * is recorded as one line in the file named by option "record":
 * "present_batch ID..." and "cleanup_batch ID..." for the batch calls,
 * "present ID" and "cleanup ID" for the single ones. Option "batch":
 *   "decline"  both batch calls decline: the host must call one at a time
 *   "fail"     present_batch fails as a whole, having done nothing
 * Per challenge of a batch, by identifier:
 *   "fail.example"     AH_FAIL, with set_error "boom: fail.example"
 *   "decline.example"  AH_DECLINE
 *   "silent.example"   no status written: what the host set stays
 * Built a second time with TESTBATCH_V11 as "testbatch11", whose
 * struct_size ends where ABI 1.1's descriptor ended: the host must not
 * touch the batch members past it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <acmehook/plugin.h>

#ifdef TESTBATCH_V11
#define TB_NAME "testbatch11"
#define TB_SIZE offsetof(struct ah_plugin, present_batch)
#else
#define TB_NAME "testbatch"
#define TB_SIZE sizeof(struct ah_plugin)
#endif

struct testbatch {
	const struct ah_host *host;
	char *record;
	char mode[16];
};

static void record(const struct testbatch *t, const char *line)
{
	FILE *f = t->record ? fopen(t->record, "a") : NULL;

	if (!f)
		return;
	fprintf(f, "%s\n", line);
	fclose(f);
}

static int tb_init(const struct ah_host *host, void **state)
{
	struct testbatch *t = calloc(1, sizeof(*t));
	const char *rec = host->config_get(host->ctx, "record");
	const char *mode = host->config_get(host->ctx, "batch");

	if (!t)
		return AH_FAIL;
	t->host = host;
	snprintf(t->mode, sizeof(t->mode), "%s", mode ? mode : "");
	if (rec && !(t->record = strdup(rec))) {
		free(t);
		return AH_FAIL;
	}
	*state = t;
	return AH_OK;
}

static int single(void *state, const struct ah_challenge *ch, const char *what)
{
	char line[512];

	snprintf(line, sizeof(line), "%s %s", what, ch->identifier);
	record(state, line);
	return AH_OK;
}

static int tb_present(void *state, const struct ah_challenge *ch)
{
	return single(state, ch, "present");
}

static int tb_cleanup(void *state, const struct ah_challenge *ch)
{
	return single(state, ch, "cleanup");
}

static int batch(struct testbatch *t, const struct ah_challenge *const *chs, size_t n,
                 int *statuses, const char *what)
{
	char line[1024];
	size_t len;

	if (strcmp(t->mode, "decline") == 0)
		return AH_DECLINE;
	if (strcmp(what, "present_batch") == 0 && strcmp(t->mode, "fail") == 0) {
		t->host->set_error(t->host->ctx, "the whole batch failed");
		return AH_FAIL;
	}
	len = (size_t)snprintf(line, sizeof(line), "%s", what);
	for (size_t i = 0; i < n; i++) {
		const char *id = chs[i]->identifier;

		if (len < sizeof(line))
			len += (size_t)snprintf(line + len, sizeof(line) - len, " %s", id);
		if (strcmp(id, "silent.example") == 0)
			continue;
		if (strcmp(id, "fail.example") == 0) {
			t->host->set_error(t->host->ctx, "boom: fail.example");
			statuses[i] = AH_FAIL;
		} else {
			statuses[i] = strcmp(id, "decline.example") == 0 ? AH_DECLINE : AH_OK;
		}
	}
	record(t, line);
	return AH_OK;
}

static int tb_present_batch(void *state, const struct ah_challenge *const *chs, size_t n,
                            int *statuses)
{
	return batch(state, chs, n, statuses, "present_batch");
}

static int tb_cleanup_batch(void *state, const struct ah_challenge *const *chs, size_t n,
                            int *statuses)
{
	return batch(state, chs, n, statuses, "cleanup_batch");
}

static void tb_fini(void *state)
{
	struct testbatch *t = state;

	if (!t)
		return;
	free(t->record);
	free(t);
}

static const struct ah_plugin testbatch_plugin = {
	.magic = AH_PLUGIN_MAGIC,
	.abi_major = AH_ABI_MAJOR,
	.abi_minor = AH_ABI_MINOR,
	.struct_size = TB_SIZE,
	.name = TB_NAME,
	.version = "1.0.0",
	.description = "records batch calls for the host tests",
	.roles = AH_ROLE_AUTHENTICATOR,
	.challenges = AH_CHALLENGE_HTTP_01 | AH_CHALLENGE_DNS_01,
	.init = tb_init,
	.present = tb_present,
	.cleanup = tb_cleanup,
	.fini = tb_fini,
	.present_batch = tb_present_batch,
	.cleanup_batch = tb_cleanup_batch,
};

AH_EXPORT const struct ah_plugin *acmehook_plugin_v1(void)
{
	return &testbatch_plugin;
}
