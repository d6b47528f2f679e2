/* DNS transport and logic on top of the codec in dns.c: UDP with TCP
 * fallback, zone-cut discovery, alias following, signed UPDATEs and the
 * propagation wait of an order. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "dns/wire.h"
#include "dns/client.h"
#include "base/log.h"
#include "base/sleep.h"

enum {
	MAX_ALIAS_STEPS = 16,
	UDP_RETRANSMIT_MS = 2000,
	LAG_LOG_SECONDS = 10,
};

/* A server address, parsed, with its canonical "IP:PORT" text for messages. */
struct server_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[INET6_ADDRSTRLEN + 16];
};

/* A reply: the bytes and the parsed message, which points into them. */
struct reply {
	uint8_t *wire;
	size_t len;
	struct dns_msg msg;
	bool parsed;
};

static void reply_free(struct reply *r)
{
	if (!r)
		return;
	if (r->parsed)
		dns_msg_free(&r->msg);
	free(r->wire);
	memset(r, 0, sizeof(*r));
}

static const char *const rcode_names[] = {
	[0] = "NOERROR",   [1] = "FORMERR",   [2] = "SERVFAIL", [3] = "NXDOMAIN", [4] = "NOTIMP",
	[5] = "REFUSED",   [6] = "YXDOMAIN",  [7] = "YXRRSET",  [8] = "NXRRSET",  [9] = "NOTAUTH",
	[10] = "NOTZONE",  [11] = "DSOTYPENI", [16] = "BADSIG",  [17] = "BADKEY",  [18] = "BADTIME",
	[19] = "BADMODE",  [20] = "BADNAME",  [21] = "BADALG",  [22] = "BADTRUNC", [23] = "BADCOOKIE",
};

const char *dns_rcode_name(int rcode)
{
	if (rcode >= 0 && (size_t)rcode < sizeof(rcode_names) / sizeof(rcode_names[0]) &&
	    rcode_names[rcode])
		return rcode_names[rcode];
	return "UNKNOWN";
}

/* Log through LG when there is one: the client's log is optional. */
static void dlog(struct log *lg, enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void dlog(struct log *lg, enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if (!lg)
		return;
	va_start(ap, fmt);
	log_vmsg(lg, lvl, fmt, ap);
	va_end(ap);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Parse "IP", "IP:PORT", "[IPv6]:PORT" or a bare IPv6 address. */
static int parse_server(const char *s, uint16_t defport, struct server_addr *out)
{
	char host[INET6_ADDRSTRLEN + 32], port[8], hbuf[NI_MAXHOST];
	const char *p, *colon;
	struct addrinfo hints, *res = NULL;
	unsigned long pv = defport;
	int rc = -1;

	if (!s || !*s || strlen(s) >= sizeof(host))
		goto out;
	if (s[0] == '[') {
		p = strchr(s, ']');
		if (!p || (size_t)(p - s - 1) >= sizeof(host) || p == s + 1)
			goto out;
		memcpy(host, s + 1, (size_t)(p - s - 1));
		host[p - s - 1] = '\0';
		colon = p[1] == ':' ? p + 1 : NULL;
		if (!colon && p[1] != '\0')
			goto out;
	} else {
		colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':'))
			colon = NULL; /* a bare IPv6 address */
		if (colon) {
			memcpy(host, s, (size_t)(colon - s));
			host[colon - s] = '\0';
		} else {
			strcpy(host, s);
		}
	}
	if (colon) {
		char *end = NULL;

		if (colon[1] < '0' || colon[1] > '9')
			goto out;
		errno = 0;
		pv = strtoul(colon + 1, &end, 10);
		if (errno || *end || pv == 0 || pv > 65535)
			goto out;
	}
	snprintf(port, sizeof(port), "%lu", pv);
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_DGRAM;
	if (getaddrinfo(host, port, &hints, &res) != 0 || !res || res->ai_addrlen > sizeof(out->ss))
		goto out;
	memset(out, 0, sizeof(*out));
	memcpy(&out->ss, res->ai_addr, res->ai_addrlen);
	out->len = res->ai_addrlen;
	if (getnameinfo(res->ai_addr, res->ai_addrlen, hbuf, sizeof(hbuf), NULL, 0, NI_NUMERICHOST))
		goto out;
	snprintf(out->text, sizeof(out->text), res->ai_family == AF_INET6 ? "[%s]:%lu" : "%s:%lu",
		 hbuf, pv);
	rc = 0;
out:
	if (res)
		freeaddrinfo(res);
	return rc;
}

void dns_strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

/* Append a copy of S to the NULL-terminated vector *V of *N strings. */
static int strv_push(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(**v));
	char *copy;

	if (!nv)
		return -1;
	*v = nv;
	copy = strdup(s);
	if (!copy) {
		nv[*n] = NULL;
		return -1;
	}
	nv[(*n)++] = copy;
	nv[*n] = NULL;
	return 0;
}

static bool strv_has(char **v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

int dns_client_init(struct dns_client *c, const char *const *resolvers, uint16_t ns_port,
		    struct log *log, struct error *e)
{
	char **v = NULL;
	size_t n = 0;
	FILE *f = NULL;
	struct server_addr sa;
	int rc = -1;

	if (resolvers && resolvers[0]) {
		for (size_t i = 0; resolvers[i]; i++) {
			if (parse_server(resolvers[i], 53, &sa) < 0) {
				err_set(e, EXIT_USAGE,
					"invalid DNS resolver address \"%s\": use IP, IP:PORT or [IPv6]:PORT",
					resolvers[i]);
				goto out;
			}
			if (!strv_has(v, sa.text) && strv_push(&v, &n, sa.text) < 0) {
				err_set(e, EXIT_OP, "out of memory setting up DNS resolvers");
				goto out;
			}
		}
	} else {
		char line[512];

		/* The nameserver lines of resolv.conf are what the system's own
		 * resolver would ask; a missing file means glibc's default. */
		f = fopen("/etc/resolv.conf", "re");
		while (f && fgets(line, sizeof(line), f)) {
			char *save = NULL, *kw = strtok_r(line, " \t\r\n", &save);
			char *addr = kw ? strtok_r(NULL, " \t\r\n", &save) : NULL;

			if (!kw || !addr || strcmp(kw, "nameserver") != 0)
				continue;
			if (parse_server(addr, 53, &sa) < 0) {
				dlog(log, LVL_WARN, "/etc/resolv.conf: ignoring nameserver \"%s\"", addr);
				continue;
			}
			if (!strv_has(v, sa.text) && strv_push(&v, &n, sa.text) < 0) {
				err_set(e, EXIT_OP, "out of memory setting up DNS resolvers");
				goto out;
			}
		}
		if (n == 0 && strv_push(&v, &n, "127.0.0.1:53") < 0) {
			err_set(e, EXIT_OP, "out of memory setting up DNS resolvers");
			goto out;
		}
	}
	memset(c, 0, sizeof(*c));
	c->log = log;
	c->resolvers = v;
	c->timeout_seconds = 5;
	c->ns_port = ns_port ? ns_port : 53;
	v = NULL;
	rc = 0;
out:
	if (f)
		fclose(f);
	dns_strv_free(v);
	return rc;
}

void dns_client_free(struct dns_client *c)
{
	if (!c)
		return;
	dns_strv_free(c->resolvers);
	c->resolvers = NULL;
}

void dns_answer_free(struct dns_answer *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++) {
		free(a->values ? a->values[i] : NULL);
		free(a->owners ? a->owners[i] : NULL);
	}
	free(a->values);
	free(a->owners);
	free(a->soa_owner);
	memset(a, 0, sizeof(*a));
}

static int random_id(uint16_t *id)
{
	unsigned char b[2];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return -1;
	*id = (uint16_t)((b[0] << 8) | b[1]);
	return 0;
}

/* Does the parsed reply R answer the query Q? The ID, QR bit, opcode and
 * question must match; a server may leave out the question only when it
 * reports an error. */
static bool reply_matches(const struct dns_msg *q, const struct dns_msg *r)
{
	if (r->id != q->id || !(r->flags & DNS_F_QR) || r->opcode != q->opcode)
		return false;
	if (!r->has_question)
		return (r->rcode & 0xF) != DNS_R_NOERROR;
	return r->qtype == q->qtype && r->qclass == q->qclass && dns_name_equal(r->qname, q->qname);
}

static int wait_fd(int fd, short events, long deadline)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = events};
		long left = deadline - now_ms();
		int n;

		if (left <= 0)
			return 0;
		n = poll(&p, 1, (int)(left > 1000000 ? 1000000 : left));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n > 0)
			return 1;
	}
}

/* One UDP exchange. Datagrams that do not answer our query (wrong source,
 * ID or question, or unparseable) are dropped: they may be late replies to
 * an earlier query, or spoofing attempts. */
static int udp_exchange(const struct server_addr *sa, const struct dns_msg *qm, const uint8_t *q,
			size_t qlen, long timeout_s, struct reply *out, struct error *e)
{
	int fd = -1, rc = -1;
	long deadline = now_ms() + timeout_s * 1000, last_send;
	uint8_t *buf = NULL;

	buf = malloc(DNS_MAX_MSG);
	if (!buf) {
		err_set(e, EXIT_OP, "out of memory for a DNS reply");
		goto out;
	}
	fd = socket(sa->ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)&sa->ss, sa->len) < 0 ||
	    send(fd, q, qlen, 0) != (ssize_t)qlen) {
		err_set(e, EXIT_OP, "DNS query to %s failed: %s", sa->text, strerror(errno));
		goto out;
	}
	last_send = now_ms();
	for (;;) {
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		long wait_until = last_send + UDP_RETRANSMIT_MS;
		struct dns_msg m;
		struct error pe = {0};
		ssize_t n;
		int w = wait_fd(fd, POLLIN, wait_until < deadline ? wait_until : deadline);

		if (w < 0) {
			err_set(e, EXIT_OP, "DNS query to %s failed: %s", sa->text, strerror(errno));
			goto out;
		}
		if (w == 0) {
			if (now_ms() >= deadline) {
				err_set(e, EXIT_OP, "DNS query for %s to %s timed out after %lds", qm->qname,
					sa->text, timeout_s);
				goto out;
			}
			/* Lost datagrams are normal on UDP: send again, same ID. */
			if (send(fd, q, qlen, 0) != (ssize_t)qlen) {
				err_set(e, EXIT_OP, "DNS query to %s failed: %s", sa->text, strerror(errno));
				goto out;
			}
			last_send = now_ms();
			continue;
		}
		n = recvfrom(fd, buf, DNS_MAX_MSG, 0, (struct sockaddr *)&from, &fromlen);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			err_set(e, EXIT_OP, "DNS query to %s failed: %s", sa->text, strerror(errno));
			goto out;
		}
		if (fromlen != sa->len || memcmp(&from, &sa->ss, sa->len) != 0)
			continue;
		if (dns_parse(buf, (size_t)n, &m, &pe) < 0)
			continue;
		if (!reply_matches(qm, &m)) {
			dns_msg_free(&m);
			continue;
		}
		out->wire = buf;
		out->len = (size_t)n;
		out->msg = m;
		out->msg.wire = buf;
		out->parsed = true;
		buf = NULL;
		rc = 0;
		break;
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

static int tcp_io(int fd, uint8_t *p, size_t n, bool writing, long deadline)
{
	size_t done = 0;

	while (done < n) {
		ssize_t k;
		int w = wait_fd(fd, writing ? POLLOUT : POLLIN, deadline);

		if (w <= 0)
			return w == 0 ? -2 : -1;
		k = writing ? send(fd, p + done, n - done, MSG_NOSIGNAL) : recv(fd, p + done, n - done, 0);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k <= 0) {
			if (k == 0)
				errno = ECONNRESET;
			return -1;
		}
		done += (size_t)k;
	}
	return 0;
}

/* One TCP exchange: a two-byte length, the message, and the same back. The
 * reply can be at most 65535 bytes by construction. */
static int tcp_exchange(const struct server_addr *sa, const struct dns_msg *qm, const uint8_t *q,
			size_t qlen, long timeout_s, struct reply *out, struct error *e)
{
	int fd = -1, rc = -1, r = -1;
	long deadline = now_ms() + timeout_s * 1000;
	uint8_t *buf = NULL, lenbuf[2];
	size_t n = 0;
	struct dns_msg m;
	struct error pe = {0};

	if (qlen > DNS_MAX_MSG) {
		err_set(e, EXIT_OP, "DNS message for %s too long", sa->text);
		goto out;
	}
	buf = malloc(DNS_MAX_MSG + 2);
	if (!buf) {
		err_set(e, EXIT_OP, "out of memory for a DNS reply");
		goto out;
	}
	fd = socket(sa->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd >= 0 && connect(fd, (const struct sockaddr *)&sa->ss, sa->len) == 0) {
		r = 0;
	} else if (fd >= 0 && errno == EINPROGRESS) {
		int err = 0;
		socklen_t el = sizeof(err);

		r = wait_fd(fd, POLLOUT, deadline);
		if (r == 0)
			r = -2;
		else if (r > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0)
			r = 0;
		else {
			if (err)
				errno = err;
			r = -1;
		}
	}
	if (r == 0) {
		buf[0] = (uint8_t)(qlen >> 8);
		buf[1] = (uint8_t)qlen;
		memcpy(buf + 2, q, qlen);
		r = tcp_io(fd, buf, qlen + 2, true, deadline);
	}
	if (r == 0)
		r = tcp_io(fd, lenbuf, 2, false, deadline);
	if (r == 0) {
		n = ((size_t)lenbuf[0] << 8) | lenbuf[1];
		r = tcp_io(fd, buf, n, false, deadline);
	}
	if (r == -2) {
		err_set(e, EXIT_OP, "DNS query for %s to %s over TCP timed out after %lds", qm->qname,
			sa->text, timeout_s);
		goto out;
	}
	if (r < 0) {
		err_set(e, EXIT_OP, "DNS query for %s to %s over TCP failed: %s", qm->qname, sa->text,
			strerror(errno));
		goto out;
	}
	if (dns_parse(buf, n, &m, &pe) < 0) {
		err_set(e, EXIT_OP, "malformed DNS reply from %s: %s", sa->text, pe.msg);
		goto out;
	}
	if (!reply_matches(qm, &m)) {
		dns_msg_free(&m);
		err_set(e, EXIT_OP, "DNS reply from %s does not match the query for %s", sa->text,
			qm->qname);
		goto out;
	}
	out->wire = buf;
	out->len = n;
	out->msg = m;
	out->parsed = true;
	buf = NULL;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

/* Send the message Q (QLEN bytes) to SA and receive the matching reply: UDP
 * first unless TCP_ONLY, then TCP when the UDP reply is truncated. */
static int exchange(const struct server_addr *sa, const uint8_t *q, size_t qlen, bool tcp_only,
		    long timeout_s, struct reply *out, struct error *e)
{
	struct dns_msg qm;
	struct reply r = {0};
	struct error pe = {0};
	int rc = -1;

	if (dns_parse(q, qlen, &qm, &pe) < 0) {
		err_set(e, EXIT_OP, "internal error: built a malformed DNS message: %s", pe.msg);
		return -1;
	}
	if (!tcp_only) {
		if (udp_exchange(sa, &qm, q, qlen, timeout_s, &r, e) < 0)
			goto out;
		if (!(r.msg.flags & DNS_F_TC)) {
			*out = r;
			memset(&r, 0, sizeof(r));
			rc = 0;
			goto out;
		}
		reply_free(&r);
	}
	if (tcp_exchange(sa, &qm, q, qlen, timeout_s, &r, e) < 0)
		goto out;
	*out = r;
	memset(&r, 0, sizeof(r));
	rc = 0;
out:
	reply_free(&r);
	dns_msg_free(&qm);
	return rc;
}

/* Ask one server about NAME/TYPE. */
static int ask_one(struct dns_client *c, const struct server_addr *sa, const char *name, int type,
		   long timeout_s, struct reply *out, struct error *e)
{
	uint8_t q[DNS_MAX_WIRE_NAME + 64];
	uint16_t id;
	int qlen;
	struct reply r = {0};

	if (random_id(&id) < 0)
		return err_set(e, EXIT_OP, "cannot get random bytes for a DNS query ID");
	qlen = dns_build_query(q, sizeof(q), id, name, (uint16_t)type, true, DNS_EDNS_UDP_SIZE);
	if (qlen < 0)
		return err_set(e, EXIT_USAGE, "invalid DNS name \"%s\"", name);
	if (exchange(sa, q, (size_t)qlen, false, timeout_s, &r, e) < 0)
		return -1;
	/* A server that does not know EDNS0 says FORMERR; ask it plainly. */
	if (r.msg.rcode == DNS_R_FORMERR && !r.msg.has_opt) {
		reply_free(&r);
		qlen = dns_build_query(q, sizeof(q), id, name, (uint16_t)type, true, 0);
		if (exchange(sa, q, (size_t)qlen, false, timeout_s, &r, e) < 0)
			return -1;
	}
	dlog(c->log, LVL_DEBUG, "DNS %s %s at %s: %s, %u answers", dns_type_name(type), name,
		sa->text, dns_rcode_name(r.msg.rcode), r.msg.count[DNS_S_ANSWER]);
	*out = r;
	return 0;
}

/* Ask SERVER, or the resolvers in order until one gives an answer that is
 * neither SERVFAIL nor REFUSED. *USED gets the server that answered. */
static int ask_timeout(struct dns_client *c, const char *server, const char *name, int type,
		       long timeout_seconds, struct reply *out, char *used, size_t used_cap,
		       struct error *e)
{
	const char *one[2] = {server, NULL};
	const char *const *list = server ? one : (const char *const *)c->resolvers;
	struct error last = {0};
	struct reply r = {0};
	bool have = false;
	long timeout = timeout_seconds > 0 ? timeout_seconds
					   : (c->timeout_seconds > 0 ? c->timeout_seconds : 5);

	if (!list || !list[0])
		return err_set(e, EXIT_USAGE, "no DNS resolvers configured");
	for (size_t i = 0; list[i]; i++) {
		struct server_addr sa;
		struct reply t = {0};

		if (parse_server(list[i], 53, &sa) < 0)
			return err_set(e, EXIT_USAGE,
				       "invalid DNS server address \"%s\": use IP, IP:PORT or [IPv6]:PORT",
				       list[i]);
		err_clear(&last);
		if (ask_one(c, &sa, name, type, timeout, &t, &last) < 0) {
			if (last.exit_code == EXIT_USAGE)
				break;
			continue;
		}
		reply_free(&r);
		r = t;
		have = true;
		snprintf(used, used_cap, "%s", sa.text);
		if (r.msg.rcode != DNS_R_SERVFAIL && r.msg.rcode != DNS_R_REFUSED)
			break;
	}
	if (!have)
		return err_set(e, last.exit_code ? last.exit_code : EXIT_OP, "%s", last.msg);
	*out = r;
	return 0;
}

/* ask_timeout with the client's own timeout. */
static int ask(struct dns_client *c, const char *server, const char *name, int type,
	       struct reply *out, char *used, size_t used_cap, struct error *e)
{
	return ask_timeout(c, server, name, type, 0, out, used, used_cap, e);
}

/* The owner name of RR, lower case, no final dot. */
static int rr_owner(const struct dns_msg *m, const struct dns_rr *rr, char *out, size_t cap)
{
	return dns_name_read(m->wire, m->len, rr->name_off, true, out, cap, NULL);
}

/* NAME lower-cased and normalised (no final dot), validated. */
static char *normal_name(const char *name)
{
	uint8_t w[DNS_MAX_WIRE_NAME];
	char text[DNS_NAME_TEXT];
	int n = name ? dns_name_to_wire(name, w) : -1;

	if (n < 0 || dns_name_read(w, (size_t)n, 0, true, text, sizeof(text), NULL) < 0)
		return NULL;
	return strdup(text);
}

/* The parent of NAME (presentation, lower case), or NULL at a TLD. */
static char *parent_name(const char *name)
{
	uint8_t w[DNS_MAX_WIRE_NAME];
	char text[DNS_NAME_TEXT];
	int n = dns_name_to_wire(name, w);

	if (n <= 1 || w[0] + 1 >= n - 1)
		return NULL;
	if (dns_name_read(w + 1 + w[0], (size_t)n - 1 - w[0], 0, true, text, sizeof(text), NULL) < 0)
		return NULL;
	return strdup(text);
}

int dns_query(struct dns_client *c, const char *server, const char *name, const char *type,
	      struct dns_answer *out, struct error *e)
{
	return dns_query_opt(c, server, name, type, 0, out, e);
}

int dns_query_opt(struct dns_client *c, const char *server, const char *name, const char *type,
		  long timeout_seconds, struct dns_answer *out, struct error *e)
{
	struct reply r = {0};
	struct dns_answer a = {0};
	char used[80] = "";
	int t = dns_type_from_name(type), rc = -1;
	uint8_t w[DNS_MAX_WIRE_NAME];

	if (t < 0 || t == DNS_T_OPT || t == DNS_T_TSIG || t == DNS_T_ANY)
		return err_set(e, EXIT_USAGE, "unsupported DNS record type \"%s\"", type ? type : "");
	if (!name || dns_name_to_wire(name, w) < 0)
		return err_set(e, EXIT_USAGE, "invalid DNS name \"%s\"", name ? name : "");
	if (ask_timeout(c, server, name, t, timeout_seconds, &r, used, sizeof(used), e) < 0)
		goto out;
	a.rcode = r.msg.rcode;
	a.authoritative = (r.msg.flags & DNS_F_AA) != 0;
	a.values = calloc((size_t)r.msg.nrr + 1, sizeof(*a.values));
	a.owners = calloc((size_t)r.msg.nrr + 1, sizeof(*a.owners));
	if (!a.values || !a.owners) {
		err_set(e, EXIT_OP, "out of memory reading a DNS answer from %s", used);
		goto out;
	}
	for (size_t i = 0; i < r.msg.nrr; i++) {
		const struct dns_rr *rr = &r.msg.rrs[i];
		char owner[DNS_NAME_TEXT];

		if (rr->rclass != DNS_C_IN || rr_owner(&r.msg, rr, owner, sizeof(owner)) < 0)
			continue;
		if (rr->section == DNS_S_AUTHORITY && rr->type == DNS_T_SOA && !a.soa_owner) {
			a.soa_owner = strdup(owner);
			if (!a.soa_owner) {
				err_set(e, EXIT_OP, "out of memory reading a DNS answer from %s", used);
				goto out;
			}
		}
		if (rr->section != DNS_S_ANSWER || rr->type != t)
			continue;
		if (dns_rdata_text(&r.msg, rr, &a.values[a.n]) < 0)
			continue;
		a.owners[a.n] = strdup(owner);
		if (!a.owners[a.n]) {
			free(a.values[a.n]);
			a.values[a.n] = NULL;
			err_set(e, EXIT_OP, "out of memory reading a DNS answer from %s", used);
			goto out;
		}
		a.n++;
	}
	*out = a;
	memset(&a, 0, sizeof(a));
	rc = 0;
out:
	dns_answer_free(&a);
	reply_free(&r);
	return rc;
}

/* Where the alias at CUR points, from the answer section of M: a CNAME
 * owned by CUR, else a DNAME owned by an ancestor of CUR (RFC 6672: replace
 * the owner suffix by the target). *NEXT is NULL when there is no alias. */
static int alias_target(const struct dns_msg *m, const char *cur, char **next)
{
	char owner[DNS_NAME_TEXT];
	char *target = NULL;

	*next = NULL;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < m->nrr; i++) {
			const struct dns_rr *rr = &m->rrs[i];
			int want = pass == 0 ? DNS_T_CNAME : DNS_T_DNAME;

			if (rr->section != DNS_S_ANSWER || rr->type != want ||
			    rr_owner(m, rr, owner, sizeof(owner)) < 0)
				continue;
			if (want == DNS_T_CNAME && !dns_name_equal(owner, cur))
				continue;
			if (want == DNS_T_DNAME &&
			    (!dns_name_under(cur, owner) || dns_name_equal(cur, owner)))
				continue;
			if (dns_rdata_text(m, rr, &target) < 0)
				return -1;
			if (want == DNS_T_DNAME) {
				size_t keep = strlen(cur) - strlen(owner) - 1;
				size_t n = keep + 1 + strlen(target) + 1;
				char *joined = strlen(owner) + 1 < strlen(cur) ? malloc(n) : NULL;
				uint8_t w[DNS_MAX_WIRE_NAME];

				if (!joined) {
					free(target);
					return -1;
				}
				snprintf(joined, n, "%.*s.%s", (int)keep, cur, target);
				free(target);
				target = joined;
				/* The substitution may exceed 255 bytes: RFC 6672 YXDOMAIN. */
				if (dns_name_to_wire(target, w) < 0) {
					free(target);
					return -1;
				}
			}
			*next = target;
			return 0;
		}
	}
	return 0;
}

int dns_follow(struct dns_client *c, const char *name, char **target, struct error *e)
{
	char *seen[MAX_ALIAS_STEPS + 2] = {0};
	size_t nseen = 0;
	char *cur = normal_name(name);
	int rc = -1;

	if (!cur)
		return err_set(e, EXIT_USAGE, "invalid DNS name \"%s\"", name ? name : "");
	for (int step = 0;; step++) {
		struct reply r = {0};
		char used[80] = "", *next = NULL;

		if (ask(c, NULL, cur, DNS_T_CNAME, &r, used, sizeof(used), e) < 0)
			goto out;
		if (r.msg.rcode != DNS_R_NOERROR && r.msg.rcode != DNS_R_NXDOMAIN) {
			err_set(e, EXIT_OP, "looking up a CNAME at %s failed at %s: %s", cur, used,
				dns_rcode_name(r.msg.rcode));
			reply_free(&r);
			goto out;
		}
		if (alias_target(&r.msg, cur, &next) < 0) {
			err_set(e, EXIT_OP, "unusable CNAME/DNAME at %s (from %s)", cur, used);
			reply_free(&r);
			goto out;
		}
		reply_free(&r);
		if (!next)
			break;
		seen[nseen++] = cur;
		cur = NULL;
		for (size_t i = 0; i < nseen; i++) {
			if (strcmp(seen[i], next) == 0) {
				char chain[768] = "";

				for (size_t k = i; k < nseen; k++) {
					strncat(chain, seen[k], sizeof(chain) - strlen(chain) - 1);
					strncat(chain, " -> ", sizeof(chain) - strlen(chain) - 1);
				}
				strncat(chain, next, sizeof(chain) - strlen(chain) - 1);
				err_set(e, EXIT_OP, "CNAME loop from %s: %s", name, chain);
				free(next);
				goto out;
			}
		}
		cur = next;
		if (nseen > MAX_ALIAS_STEPS) {
			err_set(e, EXIT_OP, "more than %d CNAME/DNAME steps from %s (last %s)",
				MAX_ALIAS_STEPS, name, cur);
			goto out;
		}
	}
	if (nseen)
		dlog(c->log, LVL_INFO, "%s is an alias of %s", seen[0], cur);
	*target = cur;
	cur = NULL;
	rc = 0;
out:
	for (size_t i = 0; i < nseen; i++)
		free(seen[i]);
	free(cur);
	return rc;
}

int dns_zone_of(struct dns_client *c, const char *name, const char *server, char **zone,
		struct error *e)
{
	char *cur = normal_name(name), *found = NULL;
	int rc = -1;

	if (!cur)
		return err_set(e, EXIT_USAGE, "invalid DNS name \"%s\"", name ? name : "");
	while (cur && !found) {
		struct reply r = {0};
		char used[80] = "", owner[DNS_NAME_TEXT], *soa = NULL, *up;
		bool alias = false;

		if (ask(c, server, cur, DNS_T_SOA, &r, used, sizeof(used), e) < 0)
			goto out;
		if (r.msg.rcode == DNS_R_SERVFAIL) {
			err_set(e, EXIT_OP, "looking up the zone of %s failed at %s: SOA query for %s gave SERVFAIL",
				name, used, cur);
			reply_free(&r);
			goto out;
		}
		for (size_t i = 0; i < r.msg.nrr && !soa; i++) {
			const struct dns_rr *rr = &r.msg.rrs[i];

			if (rr_owner(&r.msg, rr, owner, sizeof(owner)) < 0)
				continue;
			if (rr->section == DNS_S_ANSWER && rr->type == DNS_T_CNAME &&
			    dns_name_equal(owner, cur))
				alias = true;
			if (rr->section == DNS_S_ANSWER && rr->type == DNS_T_SOA &&
			    dns_name_equal(owner, cur))
				soa = owner;
		}
		/* A negative answer's SOA names the zone of the name asked, unless
		 * the name is an alias: then it belongs to the target's zone. */
		for (size_t i = 0; i < r.msg.nrr && !soa && !alias; i++) {
			const struct dns_rr *rr = &r.msg.rrs[i];

			if (rr->section == DNS_S_AUTHORITY && rr->type == DNS_T_SOA &&
			    rr_owner(&r.msg, rr, owner, sizeof(owner)) == 0 &&
			    dns_name_under(cur, owner) && strcmp(owner, ".") != 0)
				soa = owner;
		}
		/* A referral (NS in the authority section, not authoritative) from
		 * a parent zone's server marks the zone cut itself: the child zone
		 * is where an UPDATE must go. */
		for (size_t i = 0; i < r.msg.nrr && !soa && !alias && !(r.msg.flags & DNS_F_AA) &&
				   r.msg.rcode == DNS_R_NOERROR;
		     i++) {
			const struct dns_rr *rr = &r.msg.rrs[i];

			if (rr->section == DNS_S_AUTHORITY && rr->type == DNS_T_NS &&
			    rr_owner(&r.msg, rr, owner, sizeof(owner)) == 0 &&
			    dns_name_under(cur, owner) && strcmp(owner, ".") != 0)
				soa = owner;
		}
		if (soa && (r.msg.rcode == DNS_R_NOERROR || r.msg.rcode == DNS_R_NXDOMAIN)) {
			found = strdup(soa);
			reply_free(&r);
			if (!found) {
				err_set(e, EXIT_OP, "out of memory");
				goto out;
			}
			break;
		}
		reply_free(&r);
		up = parent_name(cur);
		free(cur);
		cur = up;
	}
	if (!found) {
		err_set(e, EXIT_OP, "no zone found for %s: no SOA record at %s or any parent",
			name, server ? server : "the resolvers");
		goto out;
	}
	dlog(c->log, LVL_DEBUG, "zone of %s is %s", name, found);
	*zone = found;
	found = NULL;
	rc = 0;
out:
	free(cur);
	free(found);
	return rc;
}

int dns_zone_servers(struct dns_client *c, const char *zone, char ***servers, struct error *e)
{
	struct dns_answer ns = {0};
	char **v = NULL;
	size_t n = 0;
	int rc = -1;

	if (dns_query(c, NULL, zone, "NS", &ns, e) < 0)
		goto out;
	if (ns.rcode != DNS_R_NOERROR || ns.n == 0) {
		err_set(e, EXIT_OP, "no NS records for zone %s (%s from the resolvers)", zone,
			dns_rcode_name(ns.rcode));
		goto out;
	}
	for (size_t i = 0; i < ns.n; i++) {
		static const char *const types[] = {"A", "AAAA"};

		if (!dns_name_equal(ns.owners[i], zone))
			continue;
		for (size_t t = 0; t < 2; t++) {
			struct dns_answer a = {0};
			struct error qe = {0};

			if (dns_query(c, NULL, ns.values[i], types[t], &a, &qe) < 0) {
				dlog(c->log, LVL_DEBUG, "nameserver %s of %s: %s", ns.values[i], zone,
					qe.msg);
				continue;
			}
			for (size_t k = 0; k < a.n; k++) {
				char text[INET6_ADDRSTRLEN + 16];

				snprintf(text, sizeof(text), t == 0 ? "%s:%u" : "[%s]:%u", a.values[k],
					 (unsigned)c->ns_port);
				if (!strv_has(v, text) && strv_push(&v, &n, text) < 0) {
					dns_answer_free(&a);
					err_set(e, EXIT_OP, "out of memory");
					goto out;
				}
			}
			dns_answer_free(&a);
		}
	}
	if (n == 0) {
		err_set(e, EXIT_OP, "no addresses found for the nameservers of zone %s (%s%s)", zone,
			ns.values[0], ns.n > 1 ? ", ..." : "");
		goto out;
	}
	*servers = v;
	v = NULL;
	rc = 0;
out:
	dns_answer_free(&ns);
	dns_strv_free(v);
	return rc;
}

int dns_update_txt(struct dns_client *c, const struct dns_update_req *u, struct error *e)
{
	struct server_addr sa;
	struct dns_tsig_key key;
	struct dns_tsig_rr t;
	struct reply r = {0};
	uint8_t msg[4096], mac[DNS_TSIG_MAX_MAC];
	size_t len = 0, mac_len = 0;
	char *zone = NULL, *name = NULL;
	uint16_t id;
	long timeout = u->timeout_seconds > 0 ? u->timeout_seconds
					       : (c->timeout_seconds > 0 ? c->timeout_seconds : 5);
	bool keyed = u->key_name && *u->key_name;
	int n, rc = -1;

	memset(&key, 0, sizeof(key));
	if (!u->server || parse_server(u->server, 53, &sa) < 0) {
		err_set(e, EXIT_USAGE, "invalid DNS server address \"%s\": use IP, IP:PORT or [IPv6]:PORT",
			u->server ? u->server : "");
		goto out;
	}
	name = normal_name(u->name);
	if (!name) {
		err_set(e, EXIT_USAGE, "invalid DNS name \"%s\"", u->name ? u->name : "");
		goto out;
	}
	if (!u->txt || strlen(u->txt) > 255) {
		err_set(e, EXIT_USAGE, "TXT value for %s must be at most 255 bytes", name);
		goto out;
	}
	if (u->zone) {
		zone = normal_name(u->zone);
		if (!zone) {
			err_set(e, EXIT_USAGE, "invalid DNS zone \"%s\"", u->zone);
			goto out;
		}
	} else if (dns_zone_of(c, name, sa.text, &zone, e) < 0) {
		goto out;
	}
	if (!dns_name_under(name, zone)) {
		err_set(e, EXIT_USAGE, "%s is not in zone %s", name, zone);
		goto out;
	}
	if (keyed && dns_tsig_key_init(&key, u->key_name, u->key_alg, u->key_secret, e) < 0)
		goto out;
	if (random_id(&id) < 0) {
		err_set(e, EXIT_OP, "cannot get random bytes for a DNS message ID");
		goto out;
	}
	n = dns_build_update_txt(msg, sizeof(msg), id, zone, name, u->txt, u->ttl ? u->ttl : 60,
				 u->add);
	if (n < 0) {
		err_set(e, EXIT_USAGE, "cannot build a DNS UPDATE for %s in zone %s", name, zone);
		goto out;
	}
	len = (size_t)n;
	if (keyed && dns_tsig_sign(&key, msg, &len, sizeof(msg), (uint64_t)time(NULL), mac,
				   &mac_len) < 0) {
		err_set(e, EXIT_OP, "cannot TSIG-sign the DNS UPDATE for %s", name);
		goto out;
	}
	if (exchange(&sa, msg, len, true, timeout, &r, e) < 0) {
		err_prefix(e, "DNS UPDATE of %s in zone %s", name, zone);
		goto out;
	}
	if (keyed) {
		int v = dns_tsig_verify(&key, &r.msg, mac, mac_len, (uint64_t)time(NULL), &t);

		if (v < 0 && r.msg.rcode == DNS_R_NOERROR) {
			err_set(e, EXIT_OP,
				"DNS UPDATE of %s in zone %s at %s: the reply is not TSIG-signed; not trusting it",
				name, zone, sa.text);
			goto out;
		}
		if (v > 0 && t.error == (uint16_t)v) {
			/* The server's verdict on our signature. */
			err_set(e, EXIT_OP, "DNS UPDATE of %s in zone %s at %s refused: %s (%s)%s", name,
				zone, sa.text, dns_rcode_name(r.msg.rcode), dns_rcode_name(v),
				v == DNS_R_BADTIME ? ": check the system clock"
				: v == DNS_R_BADKEY ? ": check the key name and algorithm"
						    : ": check the key secret");
			goto out;
		}
		if (v > 0) {
			err_set(e, EXIT_OP,
				"DNS UPDATE of %s in zone %s at %s: the reply fails TSIG verification (%s)",
				name, zone, sa.text, dns_rcode_name(v));
			goto out;
		}
	}
	if (r.msg.rcode != DNS_R_NOERROR) {
		err_set(e, EXIT_OP, "DNS UPDATE of %s in zone %s at %s refused: %s", name, zone, sa.text,
			dns_rcode_name(r.msg.rcode));
		goto out;
	}
	dlog(c->log, LVL_INFO, "DNS UPDATE: %s TXT \"%s\" %s %s in zone %s at %s",
		u->add ? "added" : "deleted", u->txt, u->add ? "at" : "from", name, zone, sa.text);
	rc = 0;
out:
	dns_tsig_key_wipe(&key);
	reply_free(&r);
	free(zone);
	free(name);
	return rc;
}

/* One (name, server) pair to watch. */
struct watch {
	const struct dns_expect *item;
	char *server;
	bool done;
	char why[96];
};

static void watches_free(struct watch *w, size_t n)
{
	for (size_t i = 0; w && i < n; i++)
		free(w[i].server);
	free(w);
}

/* List the pairs still pending, "NAME at SERVER (why)", into OUT. */
static void lagging_text(const struct watch *w, size_t n, char *out, size_t cap)
{
	size_t shown = 0, left = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		char one[512];

		if (w[i].done)
			continue;
		snprintf(one, sizeof(one), "%s%s at %s (%s)", shown ? ", " : "", w[i].item->name,
			 w[i].server, w[i].why);
		if (strlen(out) + strlen(one) + 16 < cap) {
			strcat(out, one);
			shown++;
		} else {
			left++;
		}
	}
	if (left)
		snprintf(out + strlen(out), cap - strlen(out), " and %zu more", left);
}

/* Check one pair: is VALUE served (or, when GONE, no longer served)? */
static void check_watch(struct dns_client *c, struct watch *w, bool gone)
{
	struct dns_answer a = {0};
	struct error qe = {0};
	bool present = false;

	if (dns_query(c, w->server, w->item->name, "TXT", &a, &qe) < 0) {
		snprintf(w->why, sizeof(w->why), "%s",
			 strstr(qe.msg, "timed out") ? "no answer" : "query failed");
		dlog(c->log, LVL_DEBUG, "%s", qe.msg);
		return;
	}
	for (size_t i = 0; i < a.n; i++)
		if (strcmp(a.values[i], w->item->value) == 0)
			present = true;
	if (gone) {
		w->done = !present && (a.rcode == DNS_R_NOERROR || a.rcode == DNS_R_NXDOMAIN);
		snprintf(w->why, sizeof(w->why), "%s", present ? "still served" : dns_rcode_name(a.rcode));
	} else {
		w->done = present && a.rcode == DNS_R_NOERROR;
		if (a.rcode != DNS_R_NOERROR)
			snprintf(w->why, sizeof(w->why), "%s", dns_rcode_name(a.rcode));
		else
			snprintf(w->why, sizeof(w->why), "%s",
				 a.n ? "other TXT values only" : "no TXT record");
	}
	dns_answer_free(&a);
}

static int wait_common(struct dns_client *c, const struct dns_propagation_cfg *cfg,
		       const struct dns_expect *items, size_t n, bool gone, struct error *e)
{
	struct watch *w = NULL;
	size_t nw = 0;
	long timeout = cfg->timeout_seconds > 0 ? cfg->timeout_seconds : 120;
	long interval = cfg->interval_seconds > 0 ? cfg->interval_seconds : 2;
	long start, last_log;
	int rc = -1;

	if (n == 0)
		return 0;
	if (cfg->mode == DNS_PROP_NONE) {
		if (cfg->fixed_seconds <= 0)
			return 0;
		dlog(c->log, LVL_INFO, "waiting %lds for DNS changes to propagate",
			cfg->fixed_seconds);
		return sleep_s(cfg->fixed_seconds, e);
	}
	for (size_t i = 0; i < n; i++) {
		char **servers = NULL, *zone = NULL;
		char *const *list;
		size_t count = 0;

		if (!items[i].name || !items[i].value) {
			err_set(e, EXIT_USAGE, "DNS propagation check without a name or value");
			goto out;
		}
		if (cfg->mode == DNS_PROP_AUTHORITATIVE) {
			if (items[i].zone)
				zone = strdup(items[i].zone);
			else if (dns_zone_of(c, items[i].name, NULL, &zone, e) < 0)
				goto out;
			if (!zone || dns_zone_servers(c, zone, &servers, e) < 0) {
				free(zone);
				err_set(e, EXIT_OP, "out of memory");
				goto out;
			}
			free(zone);
			list = servers;
		} else {
			list = c->resolvers;
		}
		for (size_t k = 0; list && list[k]; k++)
			count++;
		{
			struct watch *nwp = realloc(w, (nw + count + 1) * sizeof(*w));

			if (!nwp) {
				dns_strv_free(servers);
				err_set(e, EXIT_OP, "out of memory");
				goto out;
			}
			w = nwp;
		}
		for (size_t k = 0; k < count; k++) {
			memset(&w[nw], 0, sizeof(w[nw]));
			w[nw].item = &items[i];
			w[nw].server = strdup(list[k]);
			snprintf(w[nw].why, sizeof(w[nw].why), "not checked yet");
			if (!w[nw].server) {
				dns_strv_free(servers);
				err_set(e, EXIT_OP, "out of memory");
				goto out;
			}
			nw++;
		}
		dns_strv_free(servers);
	}
	start = now_ms();
	last_log = start;
	for (;;) {
		bool all = true;
		long elapsed, left;
		char text[900];

		for (size_t i = 0; i < nw; i++) {
			if (!w[i].done)
				check_watch(c, &w[i], gone);
			all = all && w[i].done;
		}
		if (all)
			break;
		elapsed = now_ms() - start;
		left = timeout * 1000 - elapsed;
		lagging_text(w, nw, text, sizeof(text));
		if (left <= 0) {
			err_set(e, EXIT_OP,
				"DNS TXT record%s still %s after %lds: %s; check the records at the DNS "
				"provider or allow more time",
				n > 1 ? "s" : "", gone ? "served" : "not served", timeout, text);
			goto out;
		}
		if (now_ms() - last_log >= LAG_LOG_SECONDS * 1000) {
			dlog(c->log, LVL_INFO, "waiting for DNS: %s", text);
			last_log = now_ms();
		}
		if (sleep_s(interval * 1000 < left ? interval : (left + 999) / 1000, e) < 0)
			goto out;
	}
	dlog(c->log, LVL_INFO, "DNS: %s %zu TXT record%s at %zu server%s after %lds",
		gone ? "gone:" : "visible:", n, n > 1 ? "s" : "", nw, nw > 1 ? "s" : "",
		(now_ms() - start) / 1000);
	rc = 0;
out:
	watches_free(w, nw);
	return rc;
}

int dns_wait_propagation(struct dns_client *c, const struct dns_propagation_cfg *cfg,
			 const struct dns_expect *items, size_t n, struct error *e)
{
	return wait_common(c, cfg, items, n, false, e);
}

int dns_wait_gone(struct dns_client *c, const struct dns_propagation_cfg *cfg,
		  const struct dns_expect *items, size_t n, struct error *e)
{
	return wait_common(c, cfg, items, n, true, e);
}
