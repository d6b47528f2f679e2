/* standalone: answer http-01 challenges by serving
 * /.well-known/acme-challenge/TOKEN ourselves, for machines with no web
 * server (certbot's --standalone).
 *
 * Options (certbot's renewal-file names):
 *   http01_port     the port to listen on (80)
 *   http01_address  the address to listen on (every IPv4 and IPv6 one)
 *
 * The port is bound at the first present of an order and released at the
 * cleanup of its last challenge, so nothing listens between orders. Only
 * the tokens presented are answered; anything else gets 404. The server
 * runs in a thread of its own (server.c), which calls nothing of the host.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <acmehook/plugin.h>

#include "request.h"
#include "server.h"

#define STANDALONE_VERSION "1.0.0"

struct standalone {
	const struct ah_host *host;  /* borrowed until fini */
	char *address;               /* NULL: every address */
	unsigned port;
	struct server *server;       /* NULL: not listening */
};

static int fail(struct standalone *sa, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct standalone *sa, int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sa->host->set_error(sa->host->ctx, msg);
	return status;
}

static void say(struct standalone *sa, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(struct standalone *sa, int level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sa->host->log(sa->host->ctx, level, msg);
}

/* The host promises base64url tokens; the server compares them with what
 * it parsed, which can only be base64url of at most REQ_TOKEN_MAX. */
static bool token_ok(const char *t)
{
	size_t n = 0;

	for (; t && t[n]; n++) {
		char c = t[n];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return n > 0 && n <= REQ_TOKEN_MAX;
}

static bool is_http01(const struct ah_challenge *ch)
{
	return ch && ch->type && strcmp(ch->type, "http-01") == 0;
}

static const char *shown_address(const struct standalone *sa)
{
	return sa->address ? sa->address : "every address";
}

static int standalone_present(void *state, const struct ah_challenge *ch)
{
	struct standalone *sa = state;
	char why[400];

	if (!is_http01(ch))
		return AH_DECLINE;
	if (!token_ok(ch->token) || !ch->key_authorization)
		return fail(sa, AH_FAIL, "refusing the challenge for %s: its token is not 1 to %d "
		            "base64url characters", ch->identifier ? ch->identifier : "(unknown)",
		            REQ_TOKEN_MAX);
	if (!sa->server) {
		if (server_start(sa->address, sa->port, &sa->server, why, sizeof(why)) < 0)
			return fail(sa, AH_FAIL, "%s", why);
		say(sa, AH_LOG_INFO, "serving http-01 on port %u of %s", sa->port,
		    shown_address(sa));
	}
	if (server_add(sa->server, ch->token, ch->key_authorization) < 0) {
		/* Nothing of ours is served any more when this was the first. */
		if (server_remove(sa->server, ch->token) == 0) {
			server_stop(sa->server);
			sa->server = NULL;
		}
		return fail(sa, AH_FAIL, "out of memory");
	}
	say(sa, AH_LOG_DEBUG, "serving the token for %s", ch->identifier);
	return AH_OK;
}

static int standalone_cleanup(void *state, const struct ah_challenge *ch)
{
	struct standalone *sa = state;

	if (!is_http01(ch))
		return AH_DECLINE;
	if (!sa->server || !ch->token)
		return AH_OK;
	if (server_remove(sa->server, ch->token) == 0) {
		server_stop(sa->server);
		sa->server = NULL;
		say(sa, AH_LOG_INFO, "stopped serving on port %u of %s", sa->port,
		    shown_address(sa));
	}
	return AH_OK;
}

static int standalone_init(const struct ah_host *host, void **state)
{
	struct standalone *sa = NULL;
	const char *port, *address;
	int ret = AH_FAIL;

	if (!host || !AH_HAS_MEMBER(host, struct ah_host, now))
		return AH_FAIL;
	sa = calloc(1, sizeof(*sa));
	if (!sa) {
		host->set_error(host->ctx, "out of memory");
		goto out;
	}
	sa->host = host;
	sa->port = 80;
	port = host->config_get(host->ctx, "http01_port");
	address = host->config_get(host->ctx, "http01_address");
	if (port && *port) {
		char *end = NULL;
		long n;

		errno = 0;
		n = strtol(port, &end, 10);
		if (errno || end == port || *end || n < 1 || n > 65535) {
			ret = fail(sa, AH_CONFIG, "--http-01-port \"%s\" is not a port (1 to 65535)",
			           port);
			goto out;
		}
		sa->port = (unsigned)n;
	}
	if (address && *address) {
		unsigned char bin[16];
		char ip[64];
		size_t n = strlen(address);
		bool bracketed = n > 2 && address[0] == '[' && address[n - 1] == ']';

		snprintf(ip, sizeof(ip), "%.*s", bracketed ? (int)n - 2 : (int)n,
		         bracketed ? address + 1 : address);
		if (n >= sizeof(ip) || (inet_pton(AF_INET, ip, bin) != 1 &&
		                        inet_pton(AF_INET6, ip, bin) != 1)) {
			ret = fail(sa, AH_CONFIG, "--http-01-address \"%s\" is not an IPv4 or IPv6 "
			           "address", address);
			goto out;
		}
	}
	if (address && *address && !(sa->address = strdup(address))) {
		ret = fail(sa, AH_FAIL, "out of memory");
		goto out;
	}
	*state = sa;
	sa = NULL;
	ret = AH_OK;
out:
	if (sa)
		free(sa->address);
	free(sa);
	return ret;
}

static void standalone_fini(void *state)
{
	struct standalone *sa = state;

	if (!sa)
		return;
	server_stop(sa->server);
	free(sa->address);
	free(sa);
}

static const struct ah_plugin standalone_plugin = {
	.magic = AH_PLUGIN_MAGIC,
	.abi_major = AH_ABI_MAJOR,
	.abi_minor = AH_ABI_MINOR,
	.struct_size = sizeof(struct ah_plugin),
	.name = "standalone",
	.version = STANDALONE_VERSION,
	.description = "http-01 served by a built-in web server while the order runs",
	.roles = AH_ROLE_AUTHENTICATOR,
	.challenges = AH_CHALLENGE_HTTP_01,
	.init = standalone_init,
	.present = standalone_present,
	.cleanup = standalone_cleanup,
	.install = NULL,
	.fini = standalone_fini,
};

AH_EXPORT const struct ah_plugin *acmehook_plugin_v1(void)
{
	return &standalone_plugin;
}
