/* The parsers of the CA's objects: valid objects give their fields, and
 * every wrong type or missing field is a one-line error naming the URL. */
#include <stdlib.h>
#include <string.h>

#include "acme/objects.h"
#include "check.h"

#define URL "https://ca.test/x/1"
#define TOKEN "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"

/* Parse TEXT with PARSE into a struct of SIZE bytes and expect failure with
 * a one-line message holding URL and WANT. */
#define BAD(parse, type, freefn, text, want)                                     \
	do {                                                                      \
		struct error e_ = {0};                                            \
		type out_;                                                        \
		cJSON *j_ = cJSON_Parse(text);                                    \
		memset(&out_, 0, sizeof(out_));                                   \
		CHECK(parse(j_, URL, &out_, &e_) < 0);                            \
		CHECK(strstr(e_.msg, URL) != NULL);                               \
		CHECK(strstr(e_.msg, want) != NULL);                              \
		CHECK(strchr(e_.msg, '\n') == NULL);                              \
		CHECK(e_.exit_code == 1);                                         \
		if (!strstr(e_.msg, want))                                        \
			fprintf(stderr, "  got: %s\n", e_.msg);                   \
		freefn(&out_);                                                    \
		cJSON_Delete(j_);                                                 \
	} while (0)

static void directory(void)
{
	struct obj_directory d = {0};
	struct error e = {0};
	cJSON *j = cJSON_Parse("{\"newNonce\":\"https://ca.test/n\",\"newAccount\":\"https://ca.test/a\","
	                       "\"newOrder\":\"https://ca.test/o\",\"revokeCert\":\"https://ca.test/r\","
	                       "\"meta\":{\"termsOfService\":\"https://ca.test/tos\","
	                       "\"externalAccountRequired\":true}}");

	CHECK(obj_directory_parse(j, URL, &d, &e) == 0);
	CHECK_STR(obj_directory_url(&d, "newOrder"), "https://ca.test/o");
	CHECK_STR(obj_directory_url(&d, "revokeCert"), "https://ca.test/r");
	CHECK(obj_directory_url(&d, "keyChange") == NULL);
	CHECK_STR(d.terms, "https://ca.test/tos");
	CHECK(d.eab_required);
	obj_directory_free(&d);
	obj_directory_free(NULL);
	cJSON_Delete(j);

	BAD(obj_directory_parse, struct obj_directory, obj_directory_free, "[]", "not a JSON object");
	BAD(obj_directory_parse, struct obj_directory, obj_directory_free,
	    "{\"newNonce\":\"https://ca.test/n\",\"newAccount\":\"https://ca.test/a\"}",
	    "\"newOrder\" is missing");
	BAD(obj_directory_parse, struct obj_directory, obj_directory_free,
	    "{\"newNonce\":\"http://ca.test/n\",\"newAccount\":\"https://ca.test/a\","
	    "\"newOrder\":\"https://ca.test/o\"}",
	    "\"newNonce\" is not an https URL");
	BAD(obj_directory_parse, struct obj_directory, obj_directory_free,
	    "{\"newNonce\":\"https://ca.test/n\",\"newAccount\":5,\"newOrder\":\"https://ca.test/o\"}",
	    "\"newAccount\" is not an https URL");
	BAD(obj_directory_parse, struct obj_directory, obj_directory_free,
	    "{\"newNonce\":\"https://ca.test/n\",\"newAccount\":\"https://ca.test/a\","
	    "\"newOrder\":\"https://ca.test/o\",\"meta\":{\"externalAccountRequired\":\"yes\"}}",
	    "\"meta.externalAccountRequired\" is not a boolean");
	BAD(obj_directory_parse, struct obj_directory, obj_directory_free,
	    "{\"newNonce\":\"https://ca.test/n\",\"newAccount\":\"https://ca.test/a\","
	    "\"newOrder\":\"https://ca.test/o\",\"meta\":[]}", "\"meta\" is not an object");
}

static void account(void)
{
	struct obj_account a = {0};
	struct error e = {0};
	cJSON *j = cJSON_Parse("{\"status\":\"valid\",\"orders\":\"https://ca.test/list/1\"}");

	CHECK(obj_account_parse(j, URL, &a, &e) == 0);
	CHECK(a.status == OBJ_ST_VALID);
	CHECK_STR(a.orders, "https://ca.test/list/1");
	obj_account_free(&a);
	cJSON_Delete(j);
	j = cJSON_Parse("{\"status\":\"valid\"}");
	CHECK(obj_account_parse(j, URL, &a, &e) == 0 && a.orders == NULL);
	obj_account_free(&a);
	cJSON_Delete(j);

	BAD(obj_account_parse, struct obj_account, obj_account_free, "{}", "\"status\" is missing");
	BAD(obj_account_parse, struct obj_account, obj_account_free, "{\"status\":\"pending\"}",
	    "\"status\" \"pending\" is not one of its statuses");
	BAD(obj_account_parse, struct obj_account, obj_account_free,
	    "{\"status\":\"valid\",\"orders\":[]}", "\"orders\" is not an https URL");
}

static void order(void)
{
	static const char *const names[] = {"a.test", "B.test"};
	static const char *const other[] = {"a.test"};
	struct obj_order o = {0};
	struct obj_order_list l = {0};
	struct error e = {0};
	cJSON *j = cJSON_Parse("{\"status\":\"ready\",\"identifiers\":[{\"type\":\"dns\",\"value\":"
	                       "\"b.test\"},{\"type\":\"dns\",\"value\":\"a.test\"}],"
	                       "\"authorizations\":[\"https://ca.test/z/1\",\"https://ca.test/z/2\"],"
	                       "\"finalize\":\"https://ca.test/f/1\"}");

	CHECK(obj_order_parse(j, URL, &o, &e) == 0);
	CHECK(o.status == OBJ_ST_READY && o.n_ids == 2 && o.n_authzs == 2);
	CHECK_STR(o.finalize, "https://ca.test/f/1");
	CHECK(o.certificate == NULL);
	CHECK(obj_order_for(&o, names, 2));
	CHECK(!obj_order_for(&o, other, 1));
	obj_order_free(&o);
	cJSON_Delete(j);

	BAD(obj_order_parse, struct obj_order, obj_order_free, "\"order\"", "not a JSON object");
	BAD(obj_order_parse, struct obj_order, obj_order_free, "{\"status\":7}",
	    "\"status\" is missing or not a string");
	BAD(obj_order_parse, struct obj_order, obj_order_free, "{\"status\":\"expired\"}",
	    "\"status\" \"expired\" is not one of its statuses");
	BAD(obj_order_parse, struct obj_order, obj_order_free, "{\"status\":\"pending\"}",
	    "\"identifiers\" is missing");
	BAD(obj_order_parse, struct obj_order, obj_order_free,
	    "{\"status\":\"pending\",\"identifiers\":[]}", "\"identifiers\" is of a wrong size");
	BAD(obj_order_parse, struct obj_order, obj_order_free,
	    "{\"status\":\"pending\",\"identifiers\":[{\"type\":\"dns\"}],\"authorizations\":[]}",
	    "an identifier lacks a \"type\" or \"value\" string");
	BAD(obj_order_parse, struct obj_order, obj_order_free,
	    "{\"status\":\"pending\",\"identifiers\":[{\"type\":\"dns\",\"value\":\"a.test\"}],"
	    "\"authorizations\":{}}", "\"authorizations\" is not an array");
	BAD(obj_order_parse, struct obj_order, obj_order_free,
	    "{\"status\":\"pending\",\"identifiers\":[{\"type\":\"dns\",\"value\":\"a.test\"}],"
	    "\"authorizations\":[\"file:///etc/passwd\"],\"finalize\":\"https://ca.test/f\"}",
	    "an element of \"authorizations\" is not an https URL");
	BAD(obj_order_parse, struct obj_order, obj_order_free,
	    "{\"status\":\"pending\",\"identifiers\":[{\"type\":\"dns\",\"value\":\"a.test\"}],"
	    "\"authorizations\":[]}", "\"finalize\" is missing");
	BAD(obj_order_parse, struct obj_order, obj_order_free,
	    "{\"status\":\"valid\",\"identifiers\":[{\"type\":\"dns\",\"value\":\"a.test\"}],"
	    "\"authorizations\":[],\"finalize\":\"https://ca.test/f\",\"certificate\":\"https://\"}",
	    "\"certificate\" is not an https URL");

	j = cJSON_Parse("{\"orders\":[\"https://ca.test/o/1\",\"https://ca.test/o/2\"]}");
	CHECK(obj_order_list_parse(j, URL, &l, &e) == 0 && l.n == 2);
	if (l.n == 2)
		CHECK_STR(l.urls[1], "https://ca.test/o/2");
	obj_order_list_free(&l);
	cJSON_Delete(j);
	BAD(obj_order_list_parse, struct obj_order_list, obj_order_list_free, "{}",
	    "\"orders\" is missing");
	BAD(obj_order_list_parse, struct obj_order_list, obj_order_list_free,
	    "{\"orders\":[\"https://ca.test/o/1\",null]}",
	    "an element of \"orders\" is not an https URL");
}

static void authz(void)
{
	struct obj_authz z = {0};
	struct error e = {0};
	const struct obj_challenge *c;
	cJSON *j = cJSON_Parse("{\"status\":\"pending\",\"identifier\":{\"type\":\"dns\",\"value\":"
	                       "\"a.test\"},\"wildcard\":true,\"challenges\":[{\"type\":\"http-01\","
	                       "\"url\":\"https://ca.test/c/1\",\"status\":\"pending\",\"token\":\""
	                       TOKEN "\"},{\"type\":\"x-future-01\",\"url\":\"https://ca.test/c/2\","
	                       "\"status\":\"pending\",\"token\":\"?/..\"}]}");

	CHECK(obj_authz_parse(j, URL, &z, &e) == 0);
	CHECK(z.status == OBJ_ST_PENDING && z.wildcard && z.n_challs == 2);
	CHECK_STR(z.id.value, "a.test");
	c = obj_authz_challenge(&z, "http-01");
	CHECK(c && c->token && strcmp(c->token, TOKEN) == 0);
	c = obj_authz_challenge(&z, "x-future-01");
	CHECK(c && c->token == NULL);
	CHECK(obj_authz_challenge(&z, "dns-01") == NULL);
	obj_authz_free(&z);
	cJSON_Delete(j);

#define AZ(chall) "{\"status\":\"pending\",\"identifier\":{\"type\":\"dns\",\"value\":\"a.test\"}," \
	          "\"challenges\":[" chall "]}"
	BAD(obj_authz_parse, struct obj_authz, obj_authz_free, "{\"status\":\"ready\"}",
	    "\"status\" \"ready\" is not one of its statuses");
	BAD(obj_authz_parse, struct obj_authz, obj_authz_free,
	    "{\"status\":\"pending\",\"identifier\":{\"type\":\"dns\",\"value\":\"a.t\\nest\"},"
	    "\"challenges\":[{}]}", "an identifier has a control character");
	BAD(obj_authz_parse, struct obj_authz, obj_authz_free,
	    "{\"status\":\"pending\",\"identifier\":\"a.test\"}",
	    "an identifier lacks a \"type\" or \"value\" string");
	BAD(obj_authz_parse, struct obj_authz, obj_authz_free,
	    "{\"status\":\"pending\",\"identifier\":{\"type\":\"dns\",\"value\":\"a.test\"},"
	    "\"wildcard\":1,\"challenges\":[]}", "\"wildcard\" is not a boolean");
	BAD(obj_authz_parse, struct obj_authz, obj_authz_free,
	    "{\"status\":\"pending\",\"identifier\":{\"type\":\"dns\",\"value\":\"a.test\"}}",
	    "\"challenges\" is missing");
	BAD(obj_authz_parse, struct obj_authz, obj_authz_free, AZ("{\"url\":\"https://ca.test/c\"}"),
	    "\"type\" is missing or not a string");
	BAD(obj_authz_parse, struct obj_authz, obj_authz_free,
	    AZ("{\"type\":\"http-01\",\"status\":\"pending\",\"token\":\"" TOKEN "\"}"),
	    "\"url\" is missing");
	BAD(obj_authz_parse, struct obj_authz, obj_authz_free,
	    AZ("{\"type\":\"http-01\",\"url\":\"https://ca.test/c\",\"status\":\"pending\"}"),
	    "the http-01 token is missing; refusing it");
	BAD(obj_authz_parse, struct obj_authz, obj_authz_free,
	    AZ("{\"type\":\"http-01\",\"url\":\"https://ca.test/c\",\"status\":\"pending\","
	       "\"token\":\"abcdefghij0123456789_\"}"),
	    "the http-01 token is not 22 to 256 base64url characters");
	BAD(obj_authz_parse, struct obj_authz, obj_authz_free,
	    AZ("{\"type\":\"dns-01\",\"url\":\"https://ca.test/c\",\"status\":\"pending\","
	       "\"token\":\"../../../../etc/passwd-aaaaaaaaaaaa\"}"),
	    "the dns-01 token is not 22 to 256 base64url characters");
	BAD(obj_authz_parse, struct obj_authz, obj_authz_free,
	    AZ("{\"type\":\"http-01\",\"url\":\"https://ca.test/c\",\"status\":\"ready\","
	       "\"token\":\"" TOKEN "\"}"),
	    "\"status\" \"ready\" is not one of its statuses");
}

static void nul_scan(void)
{
	static const char yes[] = "{\"token\":\"abc\\u0000def\"}";
	static const char esc[] = "{\"t\":\"abc\\\\u0000def\"}";    /* an escaped backslash */
	static const char key[] = "{\"a\\u0000\":1}";
	static const char other[] = "{\"t\":\"\\u00001\\\"\\u0001\"}";

	CHECK(obj_json_has_nul(yes, strlen(yes)));
	CHECK(!obj_json_has_nul(esc, strlen(esc)));
	CHECK(obj_json_has_nul(key, strlen(key)));
	CHECK(obj_json_has_nul(other, strlen(other)));
	CHECK(!obj_json_has_nul(yes, 12));  /* cut before the escape is complete */
	CHECK(!obj_json_has_nul("{\"t\":\"\\u0001\"}", 14));
	CHECK(!obj_json_has_nul("\\u0000", 6)); /* outside a string */
}

int main(void)
{
	directory();
	account();
	order();
	authz();
	nul_scan();
	CHECK_STR(obj_status_name(OBJ_ST_PROCESSING), "processing");
	return check_done();
}
