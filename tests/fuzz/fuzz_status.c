/* The status record (store/status.h): whatever the file holds, parsing
 * either refuses it with a message or yields a record; facts it accepts
 * format and parse again to the same facts, and facts it refuses are
 * absent, never half-filled. */
#include "fuzz_util.h"
#include "store/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size), *again = NULL;
	struct lineage_status st = {0}, st2 = {0};
	struct lineage_facts f = {0}, back = {0};
	struct error e = {0};

	if (status_parse(text, "fuzz", &st, &f, &e) < 0) {
		if (!e.msg[0])
			abort();
		goto out;
	}
	if (f.version == 0) {
		if (f.names || f.cert_mark[0])
			abort();
		goto out;
	}
	again = status_format(&st, &f);
	if (!again || status_parse(again, "again", &st2, &back, &e) < 0 || back.version != f.version ||
	    back.not_after != f.not_after || back.not_before != f.not_before ||
	    strcmp(back.cert_mark, f.cert_mark) != 0 || strcmp(back.server, f.server) != 0 ||
	    back.no_ari_until != f.no_ari_until || st2.deploy_pending != st.deploy_pending ||
	    st2.next_attempt != st.next_attempt)
		abort();
	for (size_t i = 0; f.names[i]; i++)
		if (!back.names[i] || strcmp(back.names[i], f.names[i]) != 0)
			abort();
out:
	status_facts_free(&f);
	status_facts_free(&back);
	free(again);
	free(text);
	return 0;
}
