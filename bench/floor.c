/* The least any libcurl-based ACME client does: start, initialise
 * libcurl (and through it OpenSSL), open one TLS connection to the CA
 * (trusting CA_FILE) and GET its directory. compare.sh times it beside
 * the clients as a floor for their CPU time and peak RSS.
 * Usage: floor DIRECTORY_URL CA_FILE */
#include <stdio.h>

#include <curl/curl.h>

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return size * n;
}

int main(int argc, char **argv)
{
	CURL *h;
	CURLcode rc;
	long status = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: floor DIRECTORY_URL CA_FILE\n");
		return 2;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(h = curl_easy_init()))
		return 1;
	curl_easy_setopt(h, CURLOPT_URL, argv[1]);
	curl_easy_setopt(h, CURLOPT_CAINFO, argv[2]);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	rc = curl_easy_perform(h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	else
		fprintf(stderr, "floor: %s\n", curl_easy_strerror(rc));
	curl_easy_cleanup(h);
	curl_global_cleanup();
	return rc == CURLE_OK && status == 200 ? 0 : 1;
}
