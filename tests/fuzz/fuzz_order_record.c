/* The order record read back from the work dir (store/orders.h): whatever
 * the file holds, parsing either refuses it with a message or yields a
 * record that formats and parses again to the same record. */
#include "fuzz_util.h"
#include "store/orders.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size), *again = NULL;
	struct order_record r = {0}, back = {0};
	struct error e = {0};

	if (store_order_parse(text, &r, &e) < 0) {
		if (!e.msg[0])
			abort();
		goto out;
	}
	again = store_order_format(&r);
	if (!again || store_order_parse(again, &back, &e) < 0 ||
	    strcmp(back.order, r.order) != 0 || back.n_identifiers != r.n_identifiers ||
	    back.created != r.created)
		abort();
	for (size_t i = 0; i < r.n_identifiers; i++)
		if (strcmp(back.identifiers[i], r.identifiers[i]) != 0)
			abort();
	(void)store_order_matches(&r, r.server, r.account, (const char *const *)r.identifiers,
	                          r.n_identifiers, (time_t)r.created);
out:
	store_order_free(&r);
	store_order_free(&back);
	free(again);
	free(text);
	return 0;
}
