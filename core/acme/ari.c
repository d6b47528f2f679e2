/* ACME Renewal Information (RFC 9773). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "acme/acme.h"
#include "acme/ari.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/retry.h"

/* Digits of TEXT from *I, exactly N of them. */
static int digits(const char *text, size_t *i, int n, int *out)
{
	int v = 0;

	for (int k = 0; k < n; k++, (*i)++) {
		if (!isdigit((unsigned char)text[*i]))
			return -1;
		v = v * 10 + (text[*i] - '0');
	}
	*out = v;
	return 0;
}

int ari_time_parse(const char *text, time_t *out)
{
	struct tm tm = {0};
	size_t i = 0;
	int y, mo, d, h, mi, s, oh = 0, om = 0, sign = 0;
	time_t t;

	if (digits(text, &i, 4, &y) < 0 || text[i++] != '-' || digits(text, &i, 2, &mo) < 0 ||
	    text[i++] != '-' || digits(text, &i, 2, &d) < 0 || (text[i] != 'T' && text[i] != 't'))
		return -1;
	i++;
	if (digits(text, &i, 2, &h) < 0 || text[i++] != ':' || digits(text, &i, 2, &mi) < 0 ||
	    text[i++] != ':' || digits(text, &i, 2, &s) < 0)
		return -1;
	if (text[i] == '.') {
		size_t from = ++i;
		while (isdigit((unsigned char)text[i]))
			i++;
		if (i == from)
			return -1;
	}
	if (text[i] == 'Z' || text[i] == 'z') {
		i++;
	} else if (text[i] == '+' || text[i] == '-') {
		sign = text[i++] == '+' ? 1 : -1;
		if (digits(text, &i, 2, &oh) < 0 || text[i++] != ':' || digits(text, &i, 2, &om) < 0 ||
		    oh > 23 || om > 59)
			return -1;
	} else {
		return -1;
	}
	if (text[i] != '\0' || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || s > 60)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = t - sign * (oh * 3600 + om * 60);
	return 0;
}

void ari_window_free(struct ari_window *w)
{
	if (!w)
		return;
	free(w->explanation);
	memset(w, 0, sizeof(*w));
}

int ari_window_parse(const char *text, size_t len, const char *url, struct ari_window *out,
                     struct error *e)
{
	struct ari_window w = {0};
	cJSON *doc = cJSON_ParseWithLength(text ? text : "", len);
	const cJSON *win, *start, *end, *expl;
	int ret = -1;

	if (!cJSON_IsObject(doc)) {
		err_set(e, EXIT_OP, "the renewal information at %s is not a JSON object", url);
		goto out;
	}
	win = cJSON_GetObjectItemCaseSensitive(doc, "suggestedWindow");
	start = cJSON_GetObjectItemCaseSensitive(win, "start");
	end = cJSON_GetObjectItemCaseSensitive(win, "end");
	if (!cJSON_IsObject(win) || !cJSON_IsString(start) || !cJSON_IsString(end)) {
		err_set(e, EXIT_OP, "the renewal information at %s has no suggestedWindow with a "
		                    "start and an end", url);
		goto out;
	}
	if (ari_time_parse(start->valuestring, &w.start) < 0 ||
	    ari_time_parse(end->valuestring, &w.end) < 0) {
		err_set(e, EXIT_OP, "the renewal information at %s has a window date that is not "
		                    "an RFC 3339 time (\"%.40s\" to \"%.40s\")", url,
		        start->valuestring, end->valuestring);
		goto out;
	}
	if (w.end < w.start) {
		err_set(e, EXIT_OP, "the renewal information at %s has a window that ends (%.40s) "
		                    "before it starts (%.40s)", url, end->valuestring,
		        start->valuestring);
		goto out;
	}
	expl = cJSON_GetObjectItemCaseSensitive(doc, "explanationURL");
	if (cJSON_IsString(expl) && strncmp(expl->valuestring, "https://", 8) == 0 &&
	    !(w.explanation = strdup(expl->valuestring))) {
		err_nomem(e);
		goto out;
	}
	*out = w;
	memset(&w, 0, sizeof(w));
	ret = 0;
out:
	ari_window_free(&w);
	cJSON_Delete(doc);
	return ret;
}

bool ari_window_due(const struct ari_window *w, time_t now, unsigned long random, time_t *at)
{
	unsigned long long span = (unsigned long long)(w->end - w->start);
	time_t pick = w->start + (time_t)(span ? random % (span + 1) : 0);

	*at = pick;
	return now >= pick;
}

int ari_fetch(struct acme *a, const char *cert_id, struct ari_window *out, struct error *e)
{
	const char *base = acme_resource(a, "renewalInfo");
	struct http_response hr = {0};
	struct retry rt;
	struct buf url = {0};
	struct ari_window w = {0};
	char *after = NULL;
	int ret = -1;

	if (!base) {
		err_set(e, EXIT_OP, "the CA offers no renewal information");
		goto out;
	}
	if (buf_printf(&url, "%s%s%s", base, base[strlen(base) - 1] == '/' ? "" : "/",
	               cert_id) < 0) {
		err_nomem(e);
		goto out;
	}
	retry_init(&rt, a->log, "fetching renewal information", a->deadline);
	if (retry_request(&rt, a->http, "GET", url.data, NULL, &hr, e) < 0)
		goto out;
	if (hr.status != 200) {
		err_set_kind(e, EXIT_OP, ERR_HTTP, "the renewal information at %s answered HTTP %ld",
		             url.data, hr.status);
		goto out;
	}
	if (ari_window_parse(hr.body.data, hr.body.len, url.data, &w, e) < 0)
		goto out;
	after = http_header(&hr, "Retry-After");
	if (after && retry_after_parse(after, time(NULL), &w.next_check) < 0)
		log_msg(a->log, LVL_WARN, "the renewal information at %s has a Retry-After that is "
		        "neither seconds nor a date (\"%.40s\"); ignoring it", url.data, after);
	*out = w;
	memset(&w, 0, sizeof(w));
	ret = 0;
out:
	free(after);
	ari_window_free(&w);
	http_response_free(&hr);
	buf_free(&url);
	return ret;
}
