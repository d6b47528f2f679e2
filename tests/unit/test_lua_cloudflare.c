/* examples/lua/providers/cloudflare.lua through a fake host: the requests
 * it sends (method, URL, bearer token, JSON body of a TXT record), zone
 * lookup by name, and a cleanup that deletes only the record holding our
 * value. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "check.h"
#include "test_lua_fakehost.h"

#define CF "https://api.cloudflare.com/client/v4"
#define TOKEN "cf-token-0123456789"

int main(void)
{
	const struct ah_plugin *P = fh_load_plugin();
	char *tmp, *script;
	struct fake_host h;
	void *st = NULL;
	int rc;

	CHECK(P != NULL);
	if (!P)
		return check_done();
	tmp = fh_tmpdir();
	script = fh_stage_example(tmp, "providers/cloudflare.lua", NULL);
	CHECK(script != NULL);
	if (!script)
		return check_done();
	const char *opts[] = {"script", script, NULL};
	const char *secrets[] = {"api_token", TOKEN, NULL};

	fh_init(&h, opts, secrets);
	rc = P->init(&h.host, &st);
	CHECK(rc == AH_OK);
	if (rc != AH_OK) {
		fprintf(stderr, "init: %s\n", h.error);
		return check_done();
	}

	/* present */
	{
		const struct fh_route routes[] = {
			{"GET", CF "/zones?name=example.test&", 200, NULL,
			 "{\"success\":true,\"errors\":[],\"result\":[{\"id\":\"zone123\",\"name\":\"example.test\"}]}"},
			{"GET", CF "/zones?name=", 200, NULL, "{\"success\":true,\"errors\":[],\"result\":[]}"},
			{"POST", CF "/zones/zone123/dns_records", 200, NULL,
			 "{\"success\":true,\"errors\":[],\"result\":{\"id\":\"rec456\",\"type\":\"TXT\"}}"},
			{NULL, NULL, 0, NULL, NULL},
		};
		struct ah_challenge ch;
		cJSON *body;

		h.routes = routes;
		h.n_req = 0;
		fh_challenge(&ch, "example.test");
		ch.zone = NULL;    /* found by name: walk down from the record name */
		rc = P->present(st, &ch);
		CHECK(rc == AH_OK);
		if (rc != AH_OK)
			fprintf(stderr, "present: %s\n", h.error);
		CHECK(h.n_req == 3);
		CHECK_STR(h.req[0].url, CF "/zones?name=_acme-challenge.example.test&status=active");
		CHECK_STR(h.req[1].url, CF "/zones?name=example.test&status=active");
		CHECK_STR(h.req[2].method, "POST");
		CHECK_STR(h.req[2].url, CF "/zones/zone123/dns_records");
		for (int i = 0; i < h.n_req; i++)
			CHECK(strstr(h.req[i].headers, "Authorization: Bearer " TOKEN "\n") != NULL);
		CHECK(strstr(h.req[2].headers, "Content-Type: application/json\n") != NULL);
		body = cJSON_Parse(h.req[2].body);
		CHECK(body != NULL);
		if (body) {
			cJSON *t = cJSON_GetObjectItemCaseSensitive(body, "type");
			cJSON *n = cJSON_GetObjectItemCaseSensitive(body, "name");
			cJSON *c = cJSON_GetObjectItemCaseSensitive(body, "content");
			cJSON *ttl = cJSON_GetObjectItemCaseSensitive(body, "ttl");
			CHECK(cJSON_IsString(t) && strcmp(t->valuestring, "TXT") == 0);
			CHECK(cJSON_IsString(n) && strcmp(n->valuestring, "_acme-challenge.example.test") == 0);
			CHECK(cJSON_IsString(c) && strcmp(c->valuestring, "txt-value-1") == 0);
			CHECK(cJSON_IsNumber(ttl) && ttl->valueint == 120);
			cJSON_Delete(body);
		}
		CHECK(fh_logged(&h, "created TXT record rec456"));
		CHECK(!fh_logged(&h, TOKEN));
	}

	/* cleanup: find by name and type, delete only the record with our
	 * content (Cloudflare may return it quoted). */
	{
		const struct fh_route routes[] = {
			{"GET", CF "/zones?name=example.test&", 200, NULL,
			 "{\"success\":true,\"result\":[{\"id\":\"zone123\"}]}"},
			{"GET", CF "/zones/zone123/dns_records?type=TXT&name=_acme-challenge.example.test&", 200, NULL,
			 "{\"success\":true,\"result\":[{\"id\":\"recOTHER\",\"content\":\"someone-else\"},"
			 "{\"id\":\"rec456\",\"content\":\"\\\"txt-value-1\\\"\"}]}"},
			{"DELETE", CF "/zones/zone123/dns_records/rec456", 200, NULL,
			 "{\"success\":true,\"result\":{\"id\":\"rec456\"}}"},
			{NULL, NULL, 0, NULL, NULL},
		};
		struct ah_challenge ch;

		h.routes = routes;
		h.n_req = 0;
		fh_challenge(&ch, "example.test");  /* zone known: asked first */
		rc = P->cleanup(st, &ch);
		CHECK(rc == AH_OK);
		if (rc != AH_OK)
			fprintf(stderr, "cleanup: %s\n", h.error);
		CHECK(h.n_req == 3);
		CHECK_STR(h.req[0].url, CF "/zones?name=example.test&status=active");
		CHECK_STR(h.req[1].method, "GET");
		CHECK_STR(h.req[2].method, "DELETE");
		CHECK_STR(h.req[2].url, CF "/zones/zone123/dns_records/rec456");
	}

	/* Cloudflare's error text comes through. */
	{
		const struct fh_route routes[] = {
			{NULL, CF "/", 403, NULL,
			 "{\"success\":false,\"errors\":[{\"code\":10000,\"message\":\"Authentication error\"}]}"},
			{NULL, NULL, 0, NULL, NULL},
		};
		struct ah_challenge ch;

		h.routes = routes;
		fh_challenge(&ch, "example.test");
		CHECK(P->present(st, &ch) == AH_FAIL);
		CHECK(strstr(h.error, "HTTP 403: 10000 Authentication error") != NULL);
		CHECK(strstr(h.error, "cloudflare.lua:") != NULL);
		if (!strstr(h.error, "HTTP 403"))
			fprintf(stderr, "error: %s\n", h.error);
	}
	P->fini(st);
	CHECK(h.outstanding == 0);
	fh_free(&h);
	free(script);
	rm_rf(tmp);
	free(tmp);
	return check_done();
}
