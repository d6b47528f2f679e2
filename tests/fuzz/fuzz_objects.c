/* The CA's objects (acme/objects.h). The first byte picks the parser
 * (directory, account, order, order list, authorization, challenge), the
 * rest is the JSON text. A parsed object must hold only what the parser
 * promises: https URLs, tokens of 22 to 256 base64url characters, at
 * least one identifier per order, and an order must match its own dns
 * names; a refused one gets a one-line message. The raw-text NUL scan
 * (obj_json_has_nul) runs on every input too. */
#include <cjson/cJSON.h>

#include "acme/objects.h"
#include "base/b64.h"
#include "base/ident.h"
#include "fuzz_util.h"

static void url_ok(const char *u)
{
	if (u && strncmp(u, "https://", 8) != 0)
		abort();
}

static void msg_ok(const struct error *e)
{
	if (!e->msg[0] || strchr(e->msg, '\n') || e->exit_code == 0)
		abort();
}

static void challenge_ok(const struct obj_challenge *c)
{
	url_ok(c->url);
	if (!c->url || !c->type)
		abort();
	if (c->token && (strlen(c->token) < OBJ_TOKEN_MIN || !b64url_valid(c->token, OBJ_TOKEN_MAX)))
		abort();
}

static void order_ok(const struct obj_order *o)
{
	const char **names = calloc(o->n_ids + 1, sizeof(*names));
	bool all_known = true;

	if (!names || o->n_ids < 1 || !o->finalize)
		abort();
	url_ok(o->finalize);
	url_ok(o->certificate);
	for (size_t i = 0; i < o->n_authzs; i++)
		url_ok(o->authzs[i]);
	for (size_t i = 0; i < o->n_ids; i++) {
		names[i] = o->ids[i].value;
		/* An order is for its own identifiers when each is a DNS name
		 * or an address (RFC 8738) of the type it says it is. */
		all_known = all_known &&
		            ((strcmp(o->ids[i].type, "dns") == 0 && !ident_is_ip(o->ids[i].value)) ||
		             (strcmp(o->ids[i].type, "ip") == 0 && ident_is_ip(o->ids[i].value)));
	}
	if (all_known != obj_order_for(o, names, o->n_ids))
		abort();
	free(names);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct error e = {0};
	const char *text = (const char *)data + 1;
	size_t len = size ? size - 1 : 0;
	cJSON *j;
	int rc = 0;

	if (size < 1)
		return 0;
	(void)obj_json_has_nul(text, len);
	j = cJSON_ParseWithLength(text, len);
	switch (data[0] % 6) {
	case 0: {
		struct obj_directory d = {0};
		if ((rc = obj_directory_parse(j, "https://ca.test/dir", &d, &e)) == 0) {
			url_ok(d.new_nonce);
			url_ok(d.new_account);
			url_ok(d.new_order);
			url_ok(d.revoke_cert);
			url_ok(d.key_change);
			if (!d.new_nonce || !d.new_account || !d.new_order ||
			    obj_directory_url(&d, "newOrder") != d.new_order)
				abort();
		}
		obj_directory_free(&d);
		break;
	}
	case 1: {
		struct obj_account a = {0};
		if ((rc = obj_account_parse(j, "https://ca.test/acct/1", &a, &e)) == 0)
			url_ok(a.orders);
		obj_account_free(&a);
		break;
	}
	case 2: {
		struct obj_order o = {0};
		if ((rc = obj_order_parse(j, "https://ca.test/order/1", &o, &e)) == 0)
			order_ok(&o);
		obj_order_free(&o);
		break;
	}
	case 3: {
		struct obj_order_list l = {0};
		if ((rc = obj_order_list_parse(j, "https://ca.test/list/1", &l, &e)) == 0)
			for (size_t i = 0; i < l.n; i++)
				url_ok(l.urls[i]);
		obj_order_list_free(&l);
		break;
	}
	case 4: {
		struct obj_authz z = {0};
		if ((rc = obj_authz_parse(j, "https://ca.test/authz/1", &z, &e)) == 0) {
			if (!z.id.value || !z.id.type)
				abort();
			for (size_t i = 0; i < z.n_challs; i++) {
				challenge_ok(&z.challs[i]);
				if (obj_authz_challenge(&z, z.challs[i].type) == NULL)
					abort();
			}
		}
		obj_authz_free(&z);
		break;
	}
	default: {
		struct obj_challenge c = {0};
		if ((rc = obj_challenge_parse(j, "https://ca.test/chall/1", &c, &e)) == 0)
			challenge_ok(&c);
		obj_challenge_free(&c);
		break;
	}
	}
	if (rc < 0)
		msg_ok(&e);
	cJSON_Delete(j);
	return 0;
}
