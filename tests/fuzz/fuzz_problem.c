/* RFC 7807 problem documents from the server: the type and the text a
 * user sees, formatted into buffers of several sizes, each allocated to
 * its exact size so a write past the end is caught. */
#include <cjson/cJSON.h>

#include "acme/acme.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t caps[] = {256, 1, 2, 17};
	cJSON *j = cJSON_ParseWithLength((const char *)data, size);

	if (!j)
		return 0;
	(void)acme_problem_type(j);
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		char *dst = malloc(caps[i]);
		if (!dst)
			abort();
		acme_problem_text(j, dst, caps[i]);
		if (!memchr(dst, '\0', caps[i]))
			abort();
		free(dst);
	}
	cJSON_Delete(j);
	return 0;
}
