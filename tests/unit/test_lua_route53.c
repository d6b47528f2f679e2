/* examples/lua/providers/route53.lua: its Signature Version 4 against
 * AWS's published test suite (aws-sig-v4-test-suite: get-vanilla,
 * get-vanilla-query-order-key-case, post-vanilla,
 * post-x-www-form-urlencoded), its UTC date formatting, and the shape of
 * the requests present() and cleanup() send, through a fake host.
 *
 * The vectors run inside the plugin: the script is staged with a deploy()
 * appended that calls the script's global sigv4_sign and raises an error
 * naming the first mismatch. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "test_lua_fakehost.h"

static const char HARNESS[] =
	"-- appended by test_lua_route53.c\n"
	"local SUITE = {access_key = 'AKIDEXAMPLE',\n"
	"               secret_key = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',\n"
	"               region = 'us-east-1', service = 'service', amz_date = '20150830T123600Z'}\n"
	"local VECTORS = {\n"
	"  {name = 'get-vanilla', method = 'GET', url = 'https://example.amazonaws.com/',\n"
	"   headers = {}, body = '', signed = 'host;x-amz-date',\n"
	"   sts = 'AWS4-HMAC-SHA256\\n20150830T123600Z\\n20150830/us-east-1/service/aws4_request\\n'\n"
	"      .. 'bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63',\n"
	"   want = '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'},\n"
	"  {name = 'get-vanilla-query-order-key-case', method = 'GET',\n"
	"   url = 'https://example.amazonaws.com/?Param2=value2&Param1=value1',\n"
	"   headers = {}, body = '', signed = 'host;x-amz-date',\n"
	"   want = 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500'},\n"
	"  {name = 'post-vanilla', method = 'POST', url = 'https://example.amazonaws.com/',\n"
	"   headers = {}, body = '', signed = 'host;x-amz-date',\n"
	"   want = '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b'},\n"
	"  {name = 'post-x-www-form-urlencoded', method = 'POST', url = 'https://example.amazonaws.com/',\n"
	"   headers = {['Content-Type'] = 'application/x-www-form-urlencoded'}, body = 'Param1=value1',\n"
	"   signed = 'content-type;host;x-amz-date',\n"
	"   creq = 'POST\\n/\\n\\ncontent-type:application/x-www-form-urlencoded\\n'\n"
	"      .. 'host:example.amazonaws.com\\nx-amz-date:20150830T123600Z\\n\\n'\n"
	"      .. 'content-type;host;x-amz-date\\n'\n"
	"      .. '9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e',\n"
	"   want = 'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a'},\n"
	"}\n"
	"function deploy(cert)\n"
	"  for _, v in ipairs(VECTORS) do\n"
	"    local req = {method = v.method, url = v.url, headers = v.headers, body = v.body}\n"
	"    for k, x in pairs(SUITE) do req[k] = x end\n"
	"    local h, dbg = sigv4_sign(req)\n"
	"    if v.creq and dbg.canonical_request ~= v.creq then\n"
	"      error(v.name .. ': canonical request\\n' .. dbg.canonical_request)\n"
	"    end\n"
	"    if v.sts and dbg.string_to_sign ~= v.sts then\n"
	"      error(v.name .. ': string to sign\\n' .. dbg.string_to_sign)\n"
	"    end\n"
	"    if dbg.signature ~= v.want then error(v.name .. ': signature ' .. dbg.signature) end\n"
	"    local authz = 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/'\n"
	"      .. 'aws4_request, SignedHeaders=' .. v.signed .. ', Signature=' .. v.want\n"
	"    if h.Authorization ~= authz then error(v.name .. ': ' .. h.Authorization) end\n"
	"    if h['X-Amz-Date'] ~= '20150830T123600Z' then error(v.name .. ': X-Amz-Date') end\n"
	"  end\n"
	"  local dates = {[0] = '19700101T000000Z', [1440938160] = '20150830T123600Z',\n"
	"                 [951868799] = '20000229T235959Z', [4107542400] = '21000301T000000Z'}\n"
	"  for t, want in pairs(dates) do\n"
	"    if amz_date(t) ~= want then error('amz_date(' .. t .. ') = ' .. amz_date(t)) end\n"
	"  end\n"
	"  acme.log('info', 'sigv4 vectors ok')\n"
	"end\n";

#define EP "https://route53.example.test"

static const char ZONE_XML[] =
	"<?xml version=\"1.0\"?>\n<ListHostedZonesByNameResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">"
	"<HostedZones><HostedZone><Id>/hostedzone/Z0123TEST</Id><Name>example.test.</Name>"
	"<CallerReference>x</CallerReference><Config><PrivateZone>false</PrivateZone></Config>"
	"<ResourceRecordSetCount>3</ResourceRecordSetCount></HostedZone></HostedZones>"
	"<DNSName>example.test.</DNSName><IsTruncated>false</IsTruncated><MaxItems>1</MaxItems>"
	"</ListHostedZonesByNameResponse>";
/* What Route 53 answers for a name with no zone: the next zone in order. */
static const char OTHER_ZONE_XML[] =
	"<ListHostedZonesByNameResponse><HostedZones><HostedZone><Id>/hostedzone/ZOTHER</Id>"
	"<Name>zzz.test.</Name><Config><PrivateZone>false</PrivateZone></Config></HostedZone>"
	"</HostedZones></ListHostedZonesByNameResponse>";
static const char EMPTY_RRSET_XML[] =
	"<ListResourceRecordSetsResponse><ResourceRecordSets><ResourceRecordSet>"
	"<Name>example.test.</Name><Type>A</Type><TTL>60</TTL><ResourceRecords><ResourceRecord>"
	"<Value>127.0.0.1</Value></ResourceRecord></ResourceRecords></ResourceRecordSet>"
	"</ResourceRecordSets><IsTruncated>false</IsTruncated></ListResourceRecordSetsResponse>";
static const char TWO_VALUES_XML[] =
	"<ListResourceRecordSetsResponse><ResourceRecordSets><ResourceRecordSet>"
	"<Name>_acme-challenge.example.test.</Name><Type>TXT</Type><TTL>300</TTL><ResourceRecords>"
	"<ResourceRecord><Value>\"other-value\"</Value></ResourceRecord>"
	"<ResourceRecord><Value>\"txt-value-1\"</Value></ResourceRecord>"
	"</ResourceRecords></ResourceRecordSet></ResourceRecordSets></ListResourceRecordSetsResponse>";
static const char ONE_VALUE_XML[] =
	"<ListResourceRecordSetsResponse><ResourceRecordSets><ResourceRecordSet>"
	"<Name>_acme-challenge.example.test.</Name><Type>TXT</Type><TTL>60</TTL><ResourceRecords>"
	"<ResourceRecord><Value>\"txt-value-1\"</Value></ResourceRecord>"
	"</ResourceRecords></ResourceRecordSet></ResourceRecordSets></ListResourceRecordSetsResponse>";
static const char CHANGE_XML[] =
	"<ChangeResourceRecordSetsResponse><ChangeInfo><Id>/change/C1</Id><Status>INSYNC</Status>"
	"<SubmittedAt>2024-01-01T00:00:00Z</SubmittedAt></ChangeInfo></ChangeResourceRecordSetsResponse>";

static bool is_hex64(const char *s)
{
	for (int i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[64] == '\n' || s[64] == '\0';
}

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
	script = fh_stage_example(tmp, "providers/route53.lua", HARNESS);
	CHECK(script != NULL);
	if (!script)
		return check_done();

	const char *opts[] = {"script", script, NULL};
	const char *secrets[] = {"access_key_id", "AKIDTEST", "secret_access_key", "SECRETTEST",
	                         "endpoint", EP, NULL};

	/* The vectors. */
	fh_init(&h, opts, secrets);
	rc = P->init(&h.host, &st);
	CHECK(rc == AH_OK);
	if (rc != AH_OK) {
		fprintf(stderr, "init: %s\n", h.error);
		return check_done();
	}
	{
		struct ah_certificate c = {.struct_size = sizeof(c), .lineage = "x"};
		rc = P->install(st, &c);
		CHECK(rc == AH_OK);
		if (rc != AH_OK)
			fprintf(stderr, "vectors: %s\n", h.error);
		CHECK(fh_logged(&h, "sigv4 vectors ok"));
	}

	/* present: zone by name, read the rrset, UPSERT with our value. */
	{
		const struct fh_route routes[] = {
			{"GET", EP "/2013-04-01/hostedzonesbyname?dnsname=example.test.", 200, NULL, ZONE_XML},
			{"GET", EP "/2013-04-01/hostedzonesbyname?dnsname=", 200, NULL, OTHER_ZONE_XML},
			{"GET", EP "/2013-04-01/hostedzone/Z0123TEST/rrset?", 200, NULL, EMPTY_RRSET_XML},
			{"POST", EP "/2013-04-01/hostedzone/Z0123TEST/rrset", 200, NULL, CHANGE_XML},
			{NULL, NULL, 0, NULL, NULL},
		};
		struct ah_challenge ch;
		struct fh_request *post = NULL;

		h.routes = routes;
		h.n_req = 0;
		fh_challenge(&ch, "example.test");
		rc = P->present(st, &ch);
		CHECK(rc == AH_OK);
		if (rc != AH_OK)
			fprintf(stderr, "present: %s\n", h.error);
		/* _acme-challenge.example.test. is not a zone, example.test. is. */
		CHECK(h.n_req == 4);
		CHECK_STR(h.req[0].url, EP "/2013-04-01/hostedzonesbyname?dnsname=_acme-challenge.example.test.&maxitems=1");
		CHECK_STR(h.req[1].url, EP "/2013-04-01/hostedzonesbyname?dnsname=example.test.&maxitems=1");
		CHECK_STR(h.req[2].url, EP "/2013-04-01/hostedzone/Z0123TEST/rrset?name=_acme-challenge.example.test.&type=TXT&maxitems=1");
		post = &h.req[3];
		CHECK_STR(post->method, "POST");
		CHECK_STR(post->url, EP "/2013-04-01/hostedzone/Z0123TEST/rrset");
		CHECK(strstr(post->body, "<Action>UPSERT</Action>") != NULL);
		CHECK(strstr(post->body, "<Name>_acme-challenge.example.test.</Name><Type>TXT</Type><TTL>60</TTL>") != NULL);
		CHECK(strstr(post->body, "<ResourceRecords><ResourceRecord><Value>\"txt-value-1\"</Value></ResourceRecord></ResourceRecords>") != NULL);
		CHECK(strstr(post->body, "xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"") != NULL);
		CHECK(strstr(post->headers, "Content-Type: text/xml\n") != NULL);
		CHECK(strstr(post->headers, "X-Amz-Date: ") != NULL);
		{
			const char *a = strstr(post->headers, "Authorization: AWS4-HMAC-SHA256 Credential=AKIDTEST/");
			const char *sig = a ? strstr(a, "/us-east-1/route53/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=") : NULL;
			CHECK(a != NULL && sig != NULL);
			if (sig)
				CHECK(is_hex64(strstr(sig, "Signature=") + 10));
		}
		/* The secret key never travels. */
		for (int i = 0; i < h.n_req; i++)
			CHECK(strstr(h.req[i].headers, "SECRETTEST") == NULL && strstr(h.req[i].body, "SECRETTEST") == NULL);
		CHECK(!fh_logged(&h, "SECRETTEST"));
	}

	/* cleanup with another value present: UPSERT the rest, same TTL. */
	{
		const struct fh_route routes[] = {
			{"GET", EP "/2013-04-01/hostedzonesbyname?dnsname=example.test.", 200, NULL, ZONE_XML},
			{"GET", EP "/2013-04-01/hostedzonesbyname?dnsname=", 200, NULL, OTHER_ZONE_XML},
			{"GET", EP "/2013-04-01/hostedzone/Z0123TEST/rrset?", 200, NULL, TWO_VALUES_XML},
			{"POST", EP "/2013-04-01/hostedzone/Z0123TEST/rrset", 200, NULL, CHANGE_XML},
			{NULL, NULL, 0, NULL, NULL},
		};
		struct ah_challenge ch;

		h.routes = routes;
		h.n_req = 0;
		fh_challenge(&ch, "example.test");
		rc = P->cleanup(st, &ch);
		CHECK(rc == AH_OK);
		if (rc != AH_OK)
			fprintf(stderr, "cleanup: %s\n", h.error);
		CHECK(h.n_req == 4);
		CHECK(strstr(h.req[3].body, "<Action>UPSERT</Action>") != NULL);
		CHECK(strstr(h.req[3].body, "<TTL>300</TTL><ResourceRecords><ResourceRecord><Value>\"other-value\"</Value></ResourceRecord></ResourceRecords>") != NULL);
	}
	/* cleanup of the last value: DELETE with the exact current rrset. */
	{
		const struct fh_route routes[] = {
			{"GET", EP "/2013-04-01/hostedzonesbyname?dnsname=example.test.", 200, NULL, ZONE_XML},
			{"GET", EP "/2013-04-01/hostedzonesbyname?dnsname=", 200, NULL, OTHER_ZONE_XML},
			{"GET", EP "/2013-04-01/hostedzone/Z0123TEST/rrset?", 200, NULL, ONE_VALUE_XML},
			{"POST", EP "/2013-04-01/hostedzone/Z0123TEST/rrset", 200, NULL, CHANGE_XML},
			{NULL, NULL, 0, NULL, NULL},
		};
		struct ah_challenge ch;

		h.routes = routes;
		h.n_req = 0;
		fh_challenge(&ch, "example.test");
		rc = P->cleanup(st, &ch);
		CHECK(rc == AH_OK);
		CHECK(h.n_req == 4);
		CHECK(strstr(h.req[3].body, "<Action>DELETE</Action>") != NULL);
		CHECK(strstr(h.req[3].body, "<Value>\"txt-value-1\"</Value>") != NULL);
	}
	/* An AWS error names the code and message. */
	{
		const struct fh_route routes[] = {
			{NULL, EP "/", 403, NULL,
			 "<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code>"
			 "<Message>The request signature we calculated does not match</Message></Error></ErrorResponse>"},
			{NULL, NULL, 0, NULL, NULL},
		};
		struct ah_challenge ch;

		h.routes = routes;
		fh_challenge(&ch, "example.test");
		CHECK(P->present(st, &ch) == AH_FAIL);
		CHECK(strstr(h.error, "HTTP 403 SignatureDoesNotMatch: The request signature") != NULL);
		CHECK(strstr(h.error, "route53.lua:") != NULL);
	}
	P->fini(st);
	CHECK(h.outstanding == 0);
	fh_free(&h);
	free(script);
	rm_rf(tmp);
	free(tmp);
	return check_done();
}
