/* The DNS client against a real BIND 9 `named` started on a loopback port in
 * a temporary directory: queries, TCP fallback, zone finding, CNAME and
 * DNAME following, TSIG-signed UPDATEs (and their refusals), nameserver
 * discovery and propagation waits. When named is not installed, the tests
 * that need no server still run and the rest is reported to ctest as
 * skipped (exit status 77), never as passed. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "base/b64.h"
#include "check.h"
#include "dns/wire.h"
#include "dns/client.h"
#include "dns/propagation.h"
#include "dns/update.h"
#include "base/log.h"

struct named {
	char dir[64];
	char conf[128];
	char server[32];
	char secret[64];
	char marker[40];
	uint16_t port;
	pid_t pid;
};

static const char *named_path(void)
{
	static const char *const cands[] = {"/usr/sbin/named", "/usr/local/sbin/named",
					    "/usr/bin/named"};

	for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]); i++)
		if (access(cands[i], X_OK) == 0)
			return cands[i];
	return NULL;
}

/* A port free for both UDP and TCP on 127.0.0.1. named binds with
 * SO_REUSEPORT, so binding without it here also detects another named. */
static uint16_t free_port(void)
{
	unsigned char r[2];

	for (int tries = 0; tries < 200; tries++) {
		struct sockaddr_in sin = {.sin_family = AF_INET};
		int u, t, ok;
		uint16_t p;

		if (RAND_bytes(r, 2) != 1)
			return 0;
		p = (uint16_t)(20000 + ((r[0] << 8) | r[1]) % 10000);
		sin.sin_port = htons(p);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		u = socket(AF_INET, SOCK_DGRAM, 0);
		t = socket(AF_INET, SOCK_STREAM, 0);
		ok = u >= 0 && t >= 0 && bind(u, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
		     bind(t, (struct sockaddr *)&sin, sizeof(sin)) == 0;
		if (u >= 0)
			close(u);
		if (t >= 0)
			close(t);
		if (ok)
			return p;
	}
	return 0;
}

static int write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void named_stop(struct named *n)
{
	if (n->pid > 0) {
		int status;

		kill(n->pid, SIGTERM);
		waitpid(n->pid, &status, 0);
		n->pid = 0;
	}
}

static void show_log(const struct named *n)
{
	char path[256], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/named.log", n->dir);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		fprintf(stderr, "named: %s", line);
	if (f)
		fclose(f);
}

static int named_config(struct named *n)
{
	char text[8192], big[6000];
	unsigned char key[32], mk[12];
	char *s;
	size_t o = 0;

	if (RAND_bytes(key, sizeof(key)) != 1 || RAND_bytes(mk, sizeof(mk)) != 1)
		return -1;
	s = b64_encode(key, sizeof(key));
	snprintf(n->secret, sizeof(n->secret), "%s", s);
	free(s);
	s = b64url_encode(mk, sizeof(mk));
	snprintf(n->marker, sizeof(n->marker), "%s", s);
	free(s);
	snprintf(n->conf, sizeof(n->conf), "%s/named.conf", n->dir);
	snprintf(n->server, sizeof(n->server), "127.0.0.1:%u", (unsigned)n->port);
	snprintf(text, sizeof(text),
		 "key \"k\" { algorithm hmac-sha256; secret \"%s\"; };\n"
		 "controls { };\n"
		 "options {\n"
		 "  directory \"%s\";\n"
		 "  pid-file none;\n"
		 "  listen-on port %u { 127.0.0.1; };\n"
		 "  listen-on-v6 { none; };\n"
		 "  recursion no;\n"
		 "  dnssec-validation no;\n"
		 "  notify no;\n"
		 "  session-keyfile \"%s/session.key\";\n"
		 "  managed-keys-directory \"%s\";\n"
		 "};\n"
		 "zone \"a.test\" { type primary; file \"a.test.zone\"; allow-update { key k; }; };\n"
		 "zone \"delegated.test\" { type primary; file \"delegated.test.zone\";"
		 " allow-update { key k; }; };\n",
		 n->secret, n->dir, (unsigned)n->port, n->dir, n->dir);
	if (write_file(n->dir, "named.conf", text) < 0)
		return -1;
	/* Twenty 200-byte TXT records make an answer over 4096 bytes, so the
	 * UDP reply is truncated and the client must retry over TCP. */
	for (int i = 0; i < 24; i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o, "big TXT \"%02d%0198d\"\n", i, 0);
	snprintf(text, sizeof(text),
		 "$TTL 60\n"
		 "@ SOA ns1.a.test. hostmaster.a.test. 1 3600 600 86400 60\n"
		 "@ NS ns1.a.test.\n"
		 "ns1 A 127.0.0.1\n"
		 "marker TXT \"%s\"\n"
		 "_acme-challenge.cname CNAME _acme-challenge.target.delegated.test.\n"
		 "loop1 CNAME loop2.a.test.\n"
		 "loop2 CNAME loop1.a.test.\n"
		 "dn DNAME delegated.test.\n"
		 "sub NS ns1.a.test.\n"
		 "%s",
		 n->marker, big);
	if (write_file(n->dir, "a.test.zone", text) < 0)
		return -1;
	return write_file(n->dir, "delegated.test.zone",
			  "$TTL 60\n"
			  "@ SOA ns1.a.test. hostmaster.a.test. 1 3600 600 86400 60\n"
			  "@ NS ns1.a.test.\n");
}

/* Start named and wait until it serves our marker (so the port is ours). */
static int named_start(struct named *n, const char *bin)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		struct dns_client c;
		struct error e = {0};
		const char *res[2];
		char logpath[256];
		bool up = false;

		n->port = free_port();
		if (!n->port || named_config(n) < 0)
			return -1;
		snprintf(logpath, sizeof(logpath), "%s/named.log", n->dir);
		n->pid = fork();
		if (n->pid < 0)
			return -1;
		if (n->pid == 0) {
			int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);

			if (fd >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
			}
			/* If the test crashes, named must not outlive it. */
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			execl(bin, "named", "-g", "-c", n->conf, (char *)NULL);
			_exit(127);
		}
		res[0] = n->server;
		res[1] = NULL;
		if (dns_client_init(&c, res, n->port, NULL, &e) < 0)
			return -1;
		c.timeout_seconds = 1;
		for (int i = 0; i < 50 && !up; i++) {
			struct dns_answer a = {0};
			int status;

			if (waitpid(n->pid, &status, WNOHANG) == n->pid) {
				n->pid = 0;
				break;
			}
			err_clear(&e);
			if (dns_query(&c, NULL, "marker.a.test", "TXT", &a, &e) == 0 && a.n == 1 &&
			    strcmp(a.values[0], n->marker) == 0)
				up = true;
			dns_answer_free(&a);
			if (!up)
				usleep(200000);
		}
		dns_client_free(&c);
		if (up)
			return 0;
		show_log(n);
		named_stop(n);
	}
	return -1;
}

/* The TXT values at NAME, joined with "|", sorted as served. */
static void txt_at(struct dns_client *c, const char *name, char *out, size_t cap)
{
	struct dns_answer a = {0};
	struct error e = {0};

	out[0] = '\0';
	if (dns_query(c, NULL, name, "TXT", &a, &e) < 0) {
		snprintf(out, cap, "error: %s", e.msg);
		return;
	}
	for (size_t i = 0; i < a.n; i++)
		snprintf(out + strlen(out), cap - strlen(out), "%s%s", i ? "|" : "", a.values[i]);
	dns_answer_free(&a);
}

static void test_init(void)
{
	struct dns_client c;
	struct error e = {0};
	const char *good[] = {"127.0.0.1", "[::1]:5353", "::1", "10.0.0.1:53", "127.0.0.1", NULL};
	const char *bad[] = {"127.0.0.1", "300.1.1.1", NULL};
	const char *bad_port[] = {"127.0.0.1:0", NULL};
	const char *name[] = {"ns1.example", NULL};

	CHECK(dns_client_init(&c, good, 0, NULL, &e) == 0);
	CHECK_STR(c.resolvers[0], "127.0.0.1:53");
	CHECK_STR(c.resolvers[1], "[::1]:5353");
	CHECK_STR(c.resolvers[2], "[::1]:53");
	CHECK_STR(c.resolvers[3], "10.0.0.1:53");
	CHECK(c.resolvers[4] == NULL); /* the duplicate is dropped */
	CHECK(c.ns_port == 53 && c.timeout_seconds == 5);
	dns_client_free(&c);
	CHECK(dns_client_init(&c, bad, 0, NULL, &e) < 0);
	CHECK(e.exit_code == EXIT_USAGE && strstr(e.msg, "300.1.1.1") != NULL);
	err_clear(&e);
	CHECK(dns_client_init(&c, bad_port, 0, NULL, &e) < 0 && strstr(e.msg, "127.0.0.1:0"));
	err_clear(&e);
	CHECK(dns_client_init(&c, name, 0, NULL, &e) < 0 && strstr(e.msg, "ns1.example"));
	err_clear(&e);
	CHECK(dns_client_init(&c, NULL, 0, NULL, &e) == 0 && c.resolvers && c.resolvers[0]);
	dns_client_free(&c);
	dns_client_free(NULL);
	dns_answer_free(NULL);
	dns_strv_free(NULL);
}

/* A UDP server that never answers: the query must time out and say where. */
static void test_timeout(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	char server[32];
	const char *res[2] = {server, NULL};
	struct dns_client c;
	struct dns_answer a = {0};
	struct error e = {0};
	time_t t0;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	CHECK(getsockname(fd, (struct sockaddr *)&sin, &sl) == 0);
	snprintf(server, sizeof(server), "127.0.0.1:%u", (unsigned)ntohs(sin.sin_port));
	CHECK(dns_client_init(&c, res, 0, NULL, &e) == 0);
	c.timeout_seconds = 1;
	t0 = time(NULL);
	CHECK(dns_query(&c, NULL, "a.test", "TXT", &a, &e) < 0);
	CHECK(strstr(e.msg, "timed out") != NULL && strstr(e.msg, server) != NULL);
	CHECK(e.kind == ERR_TIMEOUT && e.exit_code == EXIT_OP);
	CHECK(time(NULL) - t0 <= 3);
	err_clear(&e);
	/* A timeout for one call leaves the client's own untouched. */
	c.timeout_seconds = 30;
	t0 = time(NULL);
	CHECK(dns_query_opt(&c, server, "a.test", "TXT", 1, &a, &e) < 0);
	CHECK(e.kind == ERR_TIMEOUT && strstr(e.msg, "after 1s") != NULL);
	CHECK(time(NULL) - t0 <= 3);
	CHECK(c.timeout_seconds == 30);
	c.timeout_seconds = 1;
	err_clear(&e);
	CHECK(dns_query(&c, NULL, "a.test", "MX", &a, &e) < 0 && e.exit_code == EXIT_USAGE);
	err_clear(&e);
	/* Nothing listens on TCP there: the UPDATE fails at once, naming it. */
	{
		struct dns_update_req u = {.server = server, .zone = "a.test", .name = "x.a.test",
					   .txt = "v", .add = true};

		t0 = time(NULL);
		CHECK(dns_update_txt(&c, &u, &e) < 0);
		CHECK(strstr(e.msg, server) != NULL && strstr(e.msg, "x.a.test") != NULL);
		CHECK(e.kind == ERR_NETWORK);
		CHECK(time(NULL) - t0 <= 2);
		err_clear(&e);
	}
	dns_client_free(&c);
	close(fd);
}

/* A closed UDP port: the refusal is a network error, reported at once. */
static void test_refused(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	char server[32];
	const char *res[2] = {server, NULL};
	struct dns_client c;
	struct dns_answer a = {0};
	struct error e = {0};
	time_t t0;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	CHECK(getsockname(fd, (struct sockaddr *)&sin, &sl) == 0);
	snprintf(server, sizeof(server), "127.0.0.1:%u", (unsigned)ntohs(sin.sin_port));
	close(fd);
	CHECK(dns_client_init(&c, res, 0, NULL, &e) == 0);
	t0 = time(NULL);
	CHECK(dns_query(&c, NULL, "a.test", "TXT", &a, &e) < 0);
	CHECK(e.kind == ERR_NETWORK && strstr(e.msg, server) != NULL);
	CHECK(time(NULL) - t0 <= 2);
	err_clear(&e);
	dns_client_free(&c);
}

static void test_queries(struct dns_client *c, const struct named *n)
{
	struct dns_answer a = {0};
	struct error e = {0};
	char *s = NULL;

	CHECK(dns_query(c, NULL, "a.test", "SOA", &a, &e) == 0);
	CHECK(a.rcode == 0 && a.authoritative && a.n == 1);
	CHECK(a.n == 1 && strcmp(a.values[0], "ns1.a.test hostmaster.a.test 1 3600 600 86400 60") == 0);
	CHECK(a.n == 1 && strcmp(a.owners[0], "a.test") == 0);
	dns_answer_free(&a);

	CHECK(dns_query(c, n->server, "A.TEST.", "NS", &a, &e) == 0);
	CHECK(a.n == 1 && strcmp(a.values[0], "ns1.a.test") == 0);
	dns_answer_free(&a);

	CHECK(dns_query(c, NULL, "ns1.a.test", "A", &a, &e) == 0);
	CHECK(a.n == 1 && strcmp(a.values[0], "127.0.0.1") == 0);
	dns_answer_free(&a);

	CHECK(dns_query(c, NULL, "nx.a.test", "TXT", &a, &e) == 0);
	CHECK(a.rcode == 3 && a.n == 0 && a.soa_owner && strcmp(a.soa_owner, "a.test") == 0);
	dns_answer_free(&a);

	/* Not our zone: REFUSED is an answer, not an error. */
	CHECK(dns_query(c, NULL, "example.com", "TXT", &a, &e) == 0 && a.rcode == 5);
	dns_answer_free(&a);

	/* Over 4096 bytes: truncated over UDP, complete over TCP. */
	CHECK(dns_query(c, NULL, "big.a.test", "TXT", &a, &e) == 0);
	CHECK(a.n == 24);
	CHECK(a.n == 24 && strlen(a.values[0]) == 200);
	dns_answer_free(&a);
	if (e.exit_code)
		fprintf(stderr, "error: %s\n", e.msg);
	err_clear(&e);

	/* Zone finding, also through an alias and into the second zone. */
	CHECK(dns_zone_of(c, "_acme-challenge.x.a.test", NULL, &s, &e) == 0);
	CHECK_STR(s, "a.test");
	free(s);
	s = NULL;
	CHECK(dns_zone_of(c, "_acme-challenge.cname.a.test.", n->server, &s, &e) == 0);
	CHECK_STR(s, "a.test");
	free(s);
	s = NULL;
	CHECK(dns_zone_of(c, "_acme-challenge.target.delegated.test", NULL, &s, &e) == 0);
	CHECK_STR(s, "delegated.test");
	free(s);
	s = NULL;
	CHECK(dns_zone_of(c, "a.test", NULL, &s, &e) == 0);
	CHECK_STR(s, "a.test");
	free(s);
	s = NULL;
	/* A delegation without the child zone here: the referral's NS owner. */
	CHECK(dns_zone_of(c, "_acme-challenge.x.sub.a.test", n->server, &s, &e) == 0);
	CHECK_STR(s, "sub.a.test");
	free(s);
	s = NULL;
	CHECK(dns_zone_of(c, "www.example.com", NULL, &s, &e) < 0);
	CHECK(strstr(e.msg, "www.example.com") != NULL);
	err_clear(&e);

	/* Alias following. */
	CHECK(dns_follow(c, "_acme-challenge.cname.a.test", &s, &e) == 0);
	CHECK_STR(s, "_acme-challenge.target.delegated.test");
	free(s);
	s = NULL;
	CHECK(dns_follow(c, "_acme-challenge.Plain.a.test.", &s, &e) == 0);
	CHECK_STR(s, "_acme-challenge.plain.a.test");
	free(s);
	s = NULL;
	CHECK(dns_follow(c, "_acme-challenge.x.dn.a.test", &s, &e) == 0);
	CHECK_STR(s, "_acme-challenge.x.delegated.test");
	free(s);
	s = NULL;
	CHECK(dns_follow(c, "loop1.a.test", &s, &e) < 0);
	CHECK(strstr(e.msg, "loop") != NULL && strstr(e.msg, "loop1.a.test") != NULL &&
	      strstr(e.msg, "loop2.a.test") != NULL);
	CHECK(s == NULL);
	err_clear(&e);

	/* Nameserver discovery, on the test's port. */
	{
		char **v = NULL;

		CHECK(dns_zone_servers(c, "a.test", &v, &e) == 0);
		CHECK(v && v[0] && strcmp(v[0], n->server) == 0 && v[1] == NULL);
		dns_strv_free(v);
		v = NULL;
		CHECK(dns_zone_servers(c, "nothing.test", &v, &e) < 0 && v == NULL);
		CHECK(strstr(e.msg, "nothing.test") != NULL);
		err_clear(&e);
	}
}

static void test_updates(struct dns_client *c, const struct named *n)
{
	const char *name = "_acme-challenge.target.delegated.test";
	struct dns_update_req u = {
		.server = n->server, .name = name, .txt = "value-one", .add = true,
		.key_name = "k", .key_alg = "HMAC-SHA256.", .key_secret = n->secret,
	};
	struct dns_propagation_cfg cfg = {.mode = DNS_PROP_AUTHORITATIVE, .timeout_seconds = 10,
					  .interval_seconds = 1};
	struct dns_expect ex = {.name = name, .value = "value-two"};
	struct error e = {0};
	char got[512];
	time_t t0;

	CHECK(dns_update_txt(c, &u, &e) == 0);
	u.txt = "value-two";
	u.zone = "delegated.test";
	CHECK(dns_update_txt(c, &u, &e) == 0);
	if (e.exit_code)
		fprintf(stderr, "error: %s\n", e.msg);
	txt_at(c, name, got, sizeof(got));
	CHECK(strcmp(got, "value-one|value-two") == 0 || strcmp(got, "value-two|value-one") == 0);

	/* Propagation: found at once, from the zone's nameservers. */
	CHECK(dns_wait_propagation(c, &cfg, &ex, 1, &e) == 0);
	cfg.mode = DNS_PROP_RESOLVERS;
	CHECK(dns_wait_propagation(c, &cfg, &ex, 1, &e) == 0);
	/* Through the CNAME, as the engine would ask after dns_follow. */
	ex.zone = "delegated.test";
	CHECK(dns_wait_propagation(c, &cfg, &ex, 1, &e) == 0);

	/* Delete exactly one value: the other stays. */
	u.add = false;
	u.txt = "value-one";
	CHECK(dns_update_txt(c, &u, &e) == 0);
	txt_at(c, name, got, sizeof(got));
	CHECK_STR(got, "value-two");
	ex.value = "value-one";
	cfg.mode = DNS_PROP_AUTHORITATIVE;
	CHECK(dns_wait_gone(c, &cfg, &ex, 1, &e) == 0);

	/* A value never added times out, naming the server and the name. */
	{
		struct dns_expect two[2] = {{.name = name, .value = "value-two"},
					    {.name = "_acme-challenge.other.a.test", .value = "never"}};

		cfg.timeout_seconds = 3;
		t0 = time(NULL);
		CHECK(dns_wait_propagation(c, &cfg, two, 2, &e) < 0);
		CHECK(time(NULL) - t0 >= 3 && time(NULL) - t0 <= 8);
		CHECK(strstr(e.msg, n->server) != NULL);
		CHECK(strstr(e.msg, "_acme-challenge.other.a.test") != NULL);
		CHECK(strstr(e.msg, "target.delegated.test") == NULL);
		err_clear(&e);
	}

	/* A wrong secret: named answers NOTAUTH with TSIG error BADSIG. */
	{
		struct dns_update_req w = u;
		unsigned char k[32] = {1, 2, 3};
		char *bad = b64_encode(k, sizeof(k));

		w.add = true;
		w.txt = "forged";
		w.key_secret = bad;
		CHECK(dns_update_txt(c, &w, &e) < 0);
		CHECK(strstr(e.msg, "BADSIG") != NULL && strstr(e.msg, "NOTAUTH") != NULL);
		CHECK(strstr(e.msg, n->server) != NULL && strstr(e.msg, "delegated.test") != NULL);
		CHECK(strstr(e.msg, bad) == NULL && strstr(e.msg, n->secret) == NULL);
		fprintf(stderr, "note: %s\n", e.msg);
		err_clear(&e);
		free(bad);

		/* An unknown key name. */
		w.key_secret = n->secret;
		w.key_name = "no-such-key";
		CHECK(dns_update_txt(c, &w, &e) < 0);
		CHECK(strstr(e.msg, "BADKEY") != NULL && strstr(e.msg, n->server) != NULL);
		fprintf(stderr, "note: %s\n", e.msg);
		err_clear(&e);

		/* The right key with another algorithm. */
		w.key_name = "k";
		w.key_alg = "hmac-sha512";
		CHECK(dns_update_txt(c, &w, &e) < 0 && strstr(e.msg, "BADKEY") != NULL);
		err_clear(&e);

		/* Unsigned: refused by the zone's policy. */
		w.key_name = NULL;
		CHECK(dns_update_txt(c, &w, &e) < 0 && strstr(e.msg, "REFUSED") != NULL);
		fprintf(stderr, "note: %s\n", e.msg);
		err_clear(&e);

		/* A name outside the zone given. */
		w.key_name = "k";
		w.key_alg = NULL;
		w.zone = "a.test";
		CHECK(dns_update_txt(c, &w, &e) < 0 && e.exit_code == EXIT_USAGE);
		err_clear(&e);
		w.zone = NULL;
		w.txt = "x";
		w.key_alg = "hmac-md5";
		CHECK(dns_update_txt(c, &w, &e) < 0 && e.exit_code == EXIT_USAGE);
		err_clear(&e);
		txt_at(c, name, got, sizeof(got));
		CHECK_STR(got, "value-two");
	}

	/* Clean up and see it gone through the resolvers. */
	u.txt = "value-two";
	u.zone = NULL;
	CHECK(dns_update_txt(c, &u, &e) == 0);
	ex.value = "value-two";
	ex.zone = NULL;
	cfg.mode = DNS_PROP_RESOLVERS;
	cfg.timeout_seconds = 10;
	CHECK(dns_wait_gone(c, &cfg, &ex, 1, &e) == 0);
	cfg.mode = DNS_PROP_NONE;
	cfg.fixed_seconds = 0;
	CHECK(dns_wait_propagation(c, &cfg, &ex, 1, &e) == 0);
	if (e.exit_code)
		fprintf(stderr, "error: %s\n", e.msg);
}

/* Several records in one UPDATE: all added by one message, all deleted by
 * one, other values at the same owner untouched; a batch too large for one
 * message, or with a name outside its zone, is refused unsent. */
static void test_update_batch(struct dns_client *c, const struct named *n)
{
	const char *names[] = {"_acme-challenge.b1.a.test", "_acme-challenge.b2.a.test",
			       "_acme-challenge.b1.a.test", "_acme-challenge.b3.a.test"};
	const char *txts[] = {"b1-one", "b2", "b1-two", "b3"};
	struct dns_update_req u = {
		.server = n->server, .names = names, .txts = txts, .n = 4, .add = true,
		.key_name = "k", .key_secret = n->secret,
	};
	struct dns_update_req one = {
		.server = n->server, .name = names[0], .txt = "not-in-the-batch", .add = true,
		.key_name = "k", .key_secret = n->secret,
	};
	struct error e = {0};
	char got[512];

	CHECK(dns_update_txt(c, &one, &e) == 0);
	CHECK(dns_update_txt(c, &u, &e) == 0);
	if (e.exit_code)
		fprintf(stderr, "error: %s\n", e.msg);
	txt_at(c, names[0], got, sizeof(got));
	CHECK(strstr(got, "b1-one") && strstr(got, "b1-two") && strstr(got, "not-in-the-batch"));
	txt_at(c, names[1], got, sizeof(got));
	CHECK_STR(got, "b2");
	txt_at(c, names[3], got, sizeof(got));
	CHECK_STR(got, "b3");

	/* A name outside the zone: nothing sent, nothing changed. */
	{
		const char *mixed[] = {"_acme-challenge.b2.a.test", "_acme-challenge.x.delegated.test"};
		struct dns_update_req w = u;

		w.names = mixed;
		w.n = 2;
		w.add = false;
		w.zone = "a.test";
		CHECK(dns_update_txt(c, &w, &e) < 0 && e.exit_code == EXIT_USAGE);
		CHECK(strstr(e.msg, "_acme-challenge.x.delegated.test") != NULL);
		err_clear(&e);
		txt_at(c, names[1], got, sizeof(got));
		CHECK_STR(got, "b2");
	}
	/* Over 64 KiB: refused, never split. */
	{
		enum { MANY = 300 };
		static const char *many_names[MANY], *many_txts[MANY];
		static char value[256];
		struct dns_update_req w = u;

		memset(value, 'v', 255);
		for (size_t i = 0; i < MANY; i++) {
			many_names[i] = "_acme-challenge.big.a.test";
			many_txts[i] = value;
		}
		w.names = many_names;
		w.txts = many_txts;
		w.n = MANY;
		CHECK(dns_update_txt(c, &w, &e) < 0 && e.exit_code == EXIT_USAGE);
		CHECK(strstr(e.msg, "too large") != NULL);
		err_clear(&e);
		txt_at(c, "_acme-challenge.big.a.test", got, sizeof(got));
		CHECK_STR(got, "");
	}

	u.add = false;
	CHECK(dns_update_txt(c, &u, &e) == 0);
	txt_at(c, names[0], got, sizeof(got));
	CHECK_STR(got, "not-in-the-batch");
	txt_at(c, names[1], got, sizeof(got));
	CHECK_STR(got, "");
	one.add = false;
	CHECK(dns_update_txt(c, &one, &e) == 0);
	txt_at(c, names[0], got, sizeof(got));
	CHECK_STR(got, "");
}

/* How many queries of TYPE the client logged so far. */
static int queries_logged(FILE *f, char *const *text, const char *type)
{
	char pat[32];
	int count = 0;

	fflush(f);
	snprintf(pat, sizeof(pat), "DNS %s ", type);
	for (const char *p = *text; p && (p = strstr(p, pat)) != NULL; p++)
		count++;
	return count;
}

/* Zone, nameserver and alias lookups are asked once a client: the second
 * time sends nothing. The zone of a name is remembered per server asked;
 * a failed lookup is not remembered. */
static void test_cache(const struct named *n)
{
	char *text = NULL, *s = NULL, **v = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct dns_client c;
	struct log lg;
	struct error e = {0};
	const char *res[] = {n->server, NULL};
	struct dns_update_req u = {
		.server = n->server, .name = "_acme-challenge.cache.a.test", .txt = "c",
		.add = true, .key_name = "k", .key_secret = n->secret,
	};

	CHECK(f != NULL);
	if (!f)
		return;
	log_init(&lg, LVL_DEBUG);
	lg.out = f;
	CHECK(dns_client_init(&c, res, n->port, &lg, &e) == 0);
	for (int i = 0; i < 2; i++) {
		CHECK(dns_zone_of(&c, "_acme-challenge.cache.a.test", NULL, &s, &e) == 0);
		CHECK_STR(s, "a.test");
		free(s);
		s = NULL;
	}
	CHECK(queries_logged(f, &text, "SOA") == 1);
	/* Another server (the same one, named differently) is asked anew, then
	 * remembered under its own name; an update needs no lookup of its own. */
	CHECK(dns_zone_of(&c, "_acme-challenge.CACHE.a.test.", n->server, &s, &e) == 0);
	free(s);
	s = NULL;
	CHECK(queries_logged(f, &text, "SOA") == 2);
	CHECK(dns_update_txt(&c, &u, &e) == 0);
	u.add = false;
	CHECK(dns_update_txt(&c, &u, &e) == 0);
	CHECK(queries_logged(f, &text, "SOA") == 2);
	for (int i = 0; i < 2; i++) {
		CHECK(dns_zone_servers(&c, "a.test.", &v, &e) == 0);
		CHECK(v && v[0] && strcmp(v[0], n->server) == 0 && !v[1]);
		dns_strv_free(v);
		v = NULL;
		CHECK(dns_follow(&c, "_acme-challenge.cname.a.test", &s, &e) == 0);
		CHECK_STR(s, "_acme-challenge.target.delegated.test");
		free(s);
		s = NULL;
	}
	CHECK(queries_logged(f, &text, "NS") == 1);
	CHECK(queries_logged(f, &text, "CNAME") == 2); /* the alias, then its target */
	for (int i = 0; i < 2; i++) {
		CHECK(dns_zone_of(&c, "www.example.com", NULL, &s, &e) < 0 && s == NULL);
		err_clear(&e);
	}
	CHECK(queries_logged(f, &text, "SOA") == 2 + 2 * 3);
	dns_client_free(&c);
	log_free(&lg);
	fclose(f);
	free(text);
}

int main(void)
{
	struct named n;
	struct dns_client c;
	struct log lg;
	struct error e = {0};
	const char *bin = named_path();
	const char *res[2];

	memset(&n, 0, sizeof(n));
	test_init();
	test_timeout();
	test_refused();
	if (!bin) {
		int rc = check_done();

		printf("skipped: named (bind9) is not installed, so the live server tests did not run\n");
		return rc ? rc : 77;
	}
	snprintf(n.dir, sizeof(n.dir), "/tmp/acmehook-dns-XXXXXX");
	if (!mkdtemp(n.dir) || named_start(&n, bin) < 0) {
		fprintf(stderr, "could not start named\n");
		CHECK(!"named started");
		goto out;
	}
	log_init(&lg, LVL_WARN);
	res[0] = n.server;
	res[1] = NULL;
	CHECK(dns_client_init(&c, res, n.port, &lg, &e) == 0);
	c.timeout_seconds = 3;
	test_queries(&c, &n);
	test_updates(&c, &n);
	test_update_batch(&c, &n);
	test_cache(&n);
	dns_client_free(&c);
	log_free(&lg);
out:
	named_stop(&n);
	if (n.dir[0] && strstr(n.dir, "acmehook-dns-"))
		nftw(n.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return check_done();
}
