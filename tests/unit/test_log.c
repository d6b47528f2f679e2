/* Logging: registered secrets never reach a line, control bytes are
 * escaped, and only secret-looking credential keys are masked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "base/log.h"

static char *capture(struct log *lg, const char *text)
{
	char *data = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&data, &len);

	lg->out = f;
	log_text(lg, LVL_INFO, text);
	fclose(f);
	lg->out = NULL;
	return data;
}

int main(void)
{
	struct log lg;
	char *out;

	log_init(&lg, LVL_INFO);
	CHECK(log_add_secret(&lg, "s3cr3t-HMAC-value") == 0);
	CHECK(log_add_secret(&lg, "ab") == 0); /* too short to mask: ignored */
	out = capture(&lg, "key=s3cr3t-HMAC-value and again s3cr3t-HMAC-value; ab stays");
	CHECK(out && strstr(out, "s3cr3t") == NULL);
	CHECK(out && strstr(out, "[redacted]") != NULL);
	CHECK(out && strstr(out, "ab stays") != NULL);
	free(out);
	out = capture(&lg, "evil\x1b[31mred\r\n");
	CHECK(out && strchr(out, '\x1b') == NULL && strstr(out, "\\x1b[31mred") != NULL);
	free(out);

	/* log_to_file never writes to the terminal. */
	{
		char *data = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&data, &len);
		lg.out = f;
		log_to_file(&lg, LVL_ERROR, "file only");
		fclose(f);
		lg.out = NULL;
		CHECK(len == 0);
		free(data);
	}

	CHECK(log_secret_key("dns_rfc2136_secret"));
	CHECK(log_secret_key("api_key"));
	CHECK(log_secret_key("API_TOKEN"));
	CHECK(log_secret_key("password"));
	CHECK(log_secret_key("aws_secret_access_key"));
	CHECK(!log_secret_key("dns_rfc2136_server"));
	CHECK(!log_secret_key("dns_rfc2136_port"));
	CHECK(!log_secret_key("dns_rfc2136_name"));
	CHECK(!log_secret_key("tsig_key_name"));
	CHECK(!log_secret_key("aws_access_key_id"));
	CHECK(!log_secret_key("api_url"));
	log_free(&lg);
	return check_done();
}
