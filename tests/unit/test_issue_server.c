/* Which directory a run asks: the --server preset or URL, except that a
 * dry run against Let's Encrypt goes to its staging server, as certbot's. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cli/issue.h"
#include "conf/settings.h"

static const char *url_for(const char *server, int dry_run)
{
	static char got[256];
	struct settings s;

	settings_init(&s);
	s.server = strdup(server);
	s.dry_run = dry_run;
	snprintf(got, sizeof(got), "%s", issue_server_url(&s));
	settings_free(&s);
	return got;
}

int main(void)
{
	const char *prod = config_server_url("letsencrypt");
	const char *staging = config_server_url("letsencrypt-staging");

	CHECK(strstr(prod, "acme-v02") != NULL);
	CHECK(strstr(staging, "acme-staging-v02") != NULL);
	CHECK_STR(url_for("letsencrypt", 0), prod);
	CHECK_STR(url_for("letsencrypt", 1), staging);
	/* The production URL written out counts as the preset. */
	CHECK_STR(url_for(prod, 1), staging);
	CHECK_STR(url_for("letsencrypt-staging", 1), staging);
	CHECK_STR(url_for("globalsign", 1), config_server_url("globalsign"));
	CHECK_STR(url_for("https://ca.example/dir", 1), "https://ca.example/dir");
	CHECK_STR(url_for("https://ca.example/dir", 0), "https://ca.example/dir");
	return check_done();
}
