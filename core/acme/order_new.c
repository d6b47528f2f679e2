/* The newOrder request: its payload, and the CA's refusal of a
 * replacement. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "acme/order_new.h"
#include "base/ident.h"
#include "host/route.h"

/* The newOrder payload: the identifiers, the profile chosen, and the
 * certificate this order replaces (REPLACES, or NULL). */
char *order_new_payload(const struct routed_name *names, size_t n, const char *profile,
                        const char *replaces)
{
	cJSON *o = cJSON_CreateObject(), *ids = cJSON_AddArrayToObject(o, "identifiers");
	char *text = NULL;

	if (!o || !ids || (profile && !cJSON_AddStringToObject(o, "profile", profile)) ||
	    (replaces && !cJSON_AddStringToObject(o, "replaces", replaces)))
		goto out;
	for (size_t i = 0; i < n; i++) {
		cJSON *id = cJSON_CreateObject();
		if (!id || !cJSON_AddItemToArray(ids, id) ||
		    !cJSON_AddStringToObject(id, "type", ident_type(names[i].name)) ||
		    !cJSON_AddStringToObject(id, "value", names[i].name))
			goto out;
	}
	text = cJSON_PrintUnformatted(o);
out:
	cJSON_Delete(o);
	return text;
}

/* True when the CA refused newOrder because of its "replaces": RFC 9773
 * §5 has a CA answer a replaces it will not honour (an unknown
 * certificate, one replaced already) with malformed or conflict, and a
 * CA that does not know the field at all says malformed. */
bool order_new_replaces_refused(const struct error *e)
{
	return e->kind == ERR_ACME && (strcmp(e->problem_type, "malformed") == 0 ||
	                               strcmp(e->problem_type, "conflict") == 0 ||
	                               strcmp(e->problem_type, "alreadyReplaced") == 0);
}
