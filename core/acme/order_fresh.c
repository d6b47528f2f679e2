/* Deactivating the authorizations a CA reused in a new order. */
#include <stdbool.h>

#include "acme/acme.h"
#include "acme/objects.h"
#include "acme/order_fresh.h"
#include "base/log.h"

/* Deactivate the authorization at URL for IDENT (RFC 8555 §7.5.2): the
 * CA's answer must be the authorization, deactivated. */
static int deactivate_one(struct acme *a, const char *url, const char *ident, struct error *e)
{
	struct acme_reply r = {0};
	enum obj_status st = OBJ_ST_NONE;
	int ret = -1;

	if (acme_post(a, "deactivating an authorization", url, "{\"status\":\"deactivated\"}", &r,
	              e) < 0 ||
	    obj_status_of(r.json, "authorization", url, &st, e) < 0)
		goto out;
	if (st != OBJ_ST_DEACTIVATED) {
		err_set(e, EXIT_OP, "the CA left the authorization for %s at %s %s, not deactivated",
		        ident, url, obj_status_name(st));
		goto out;
	}
	ret = 0;
out:
	acme_reply_free(&r);
	return ret;
}

int order_deactivate_reused(struct acme *a, struct log *log, const struct obj_order *ord,
                            bool deactivate, struct error *e)
{
	int count = 0;

	for (size_t i = 0; i < ord->n_authzs; i++) {
		struct acme_reply r = {0};
		struct obj_authz az = {0};
		const char *url = ord->authzs[i];
		int rc = -1;

		if (acme_post(a, "fetching an authorization", url, NULL, &r, e) < 0 ||
		    obj_authz_parse(r.json, url, &az, e) < 0)
			goto next;
		rc = 0;
		if (az.status == OBJ_ST_VALID) {
			count++;
			if (deactivate && (rc = deactivate_one(a, url, az.id.value, e)) == 0)
				log_msg(log, LVL_INFO, "Deactivated the CA's valid authorization for "
				        "%s%s, so that it is validated again", az.wildcard ? "*." : "",
				        az.id.value);
		}
next:
		obj_authz_free(&az);
		acme_reply_free(&r);
		if (rc < 0)
			return -1;
	}
	return count;
}
