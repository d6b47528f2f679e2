/* One DNS message to one server and its reply back; see transport.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "dns/transport.h"
#include "dns/util.h"

enum { UDP_RETRANSMIT_MS = 2000 };

/* What a socket wait or transfer came to. */
enum io_result { IO_OK = 0, IO_FAILED = -1, IO_TIMEOUT = -2 };

void dns_reply_free(struct dns_reply *r)
{
	if (!r)
		return;
	if (r->parsed)
		dns_msg_free(&r->msg);
	free(r->wire);
	memset(r, 0, sizeof(*r));
}

/* Split S into HOST and the port text after its colon (NULL: none). */
static int split_host_port(const char *s, char *host, size_t cap, const char **colon)
{
	const char *p;

	if (s[0] == '[') {
		p = strchr(s, ']');
		if (!p || (size_t)(p - s - 1) >= cap || p == s + 1)
			return -1;
		memcpy(host, s + 1, (size_t)(p - s - 1));
		host[p - s - 1] = '\0';
		*colon = p[1] == ':' ? p + 1 : NULL;
		return !*colon && p[1] != '\0' ? -1 : 0;
	}
	*colon = strchr(s, ':');
	if (*colon && strchr(*colon + 1, ':'))
		*colon = NULL; /* a bare IPv6 address */
	if (*colon) {
		memcpy(host, s, (size_t)(*colon - s));
		host[*colon - s] = '\0';
	} else {
		strcpy(host, s);
	}
	return 0;
}

int dns_server_parse(const char *s, uint16_t defport, struct dns_server_addr *out)
{
	char host[INET6_ADDRSTRLEN + 32], port[8], hbuf[NI_MAXHOST];
	const char *colon = NULL;
	struct addrinfo hints, *res = NULL;
	unsigned long pv = defport;
	int rc = -1;

	if (!s || !*s || strlen(s) >= sizeof(host) ||
	    split_host_port(s, host, sizeof(host), &colon) < 0)
		goto out;
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

int dns_random_id(uint16_t *id)
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

/* Wait for EVENTS on FD until DEADLINE: 1 ready, 0 timed out, -1 failed. */
static int wait_fd(int fd, short events, long deadline)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = events};
		long left = deadline - dns_now_ms();
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

/* Take the datagram BUF (N bytes) as the reply to QM when it comes from SA
 * and answers QM. */
static bool udp_accept(const struct dns_server_addr *sa, const struct dns_msg *qm,
		       const struct sockaddr_storage *from, socklen_t fromlen, uint8_t *buf,
		       size_t n, struct dns_msg *m)
{
	struct error pe = {0};

	if (fromlen != sa->len || memcmp(from, &sa->ss, sa->len) != 0)
		return false;
	if (dns_parse(buf, n, m, &pe) < 0)
		return false;
	if (!reply_matches(qm, m)) {
		dns_msg_free(m);
		return false;
	}
	return true;
}

/* Close FD, if open, keeping errno for the caller's message. */
static void close_keep_errno(int fd)
{
	int saved = errno;

	if (fd < 0)
		return;
	close(fd);
	errno = saved;
}

/* The error of an exchange that did not complete: a timeout, or a socket
 * failure (errno). HOW says which transport ("" or " over TCP"). */
static int io_error(enum io_result r, const struct dns_msg *qm, const struct dns_server_addr *sa,
		    const char *how, long timeout_s, struct error *e)
{
	if (r == IO_OK)
		return 0;
	if (r == IO_TIMEOUT)
		return err_set_kind(e, EXIT_OP, ERR_TIMEOUT,
				    "DNS query for %s to %s%s timed out after %lds", qm->qname,
				    sa->text, how, timeout_s);
	return err_set_kind(e, EXIT_OP, ERR_NETWORK, "DNS query for %s to %s%s failed: %s",
			    qm->qname, sa->text, how, strerror(errno));
}

/* Send Q over UDP and wait for the datagram that answers QM, sending again
 * every UDP_RETRANSMIT_MS until DEADLINE. The reply goes to BUF (DNS_MAX_MSG
 * bytes), its length to *N and its parse to *M. Datagrams that do not answer
 * our query (wrong source, ID or question, or unparseable) are dropped:
 * they may be late replies to an earlier query, or spoofing attempts. */
static enum io_result udp_roundtrip(const struct dns_server_addr *sa, const struct dns_msg *qm,
				    const uint8_t *q, size_t qlen, long deadline, uint8_t *buf,
				    size_t *n, struct dns_msg *m)
{
	int fd = socket(sa->ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	enum io_result r = IO_FAILED;
	long last_send = dns_now_ms();

	if (fd < 0 || connect(fd, (const struct sockaddr *)&sa->ss, sa->len) < 0 ||
	    send(fd, q, qlen, 0) != (ssize_t)qlen)
		goto out;
	for (;;) {
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		long wait_until = last_send + UDP_RETRANSMIT_MS;
		ssize_t k;
		int w = wait_fd(fd, POLLIN, wait_until < deadline ? wait_until : deadline);

		if (w < 0)
			goto out;
		if (w == 0 && dns_now_ms() >= deadline) {
			r = IO_TIMEOUT;
			goto out;
		}
		if (w == 0) {
			/* Lost datagrams are normal on UDP: send again, same ID. */
			if (send(fd, q, qlen, 0) != (ssize_t)qlen)
				goto out;
			last_send = dns_now_ms();
			continue;
		}
		k = recvfrom(fd, buf, DNS_MAX_MSG, 0, (struct sockaddr *)&from, &fromlen);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k < 0)
			goto out;
		if (udp_accept(sa, qm, &from, fromlen, buf, (size_t)k, m)) {
			*n = (size_t)k;
			r = IO_OK;
			goto out;
		}
	}
out:
	close_keep_errno(fd);
	return r;
}

/* One UDP exchange, with the reply checked against the query. */
static int udp_exchange(const struct dns_server_addr *sa, const struct dns_msg *qm,
			const uint8_t *q, size_t qlen, long timeout_s, struct dns_reply *out,
			struct error *e)
{
	int rc = -1;
	uint8_t *buf = malloc(DNS_MAX_MSG);
	size_t n = 0;
	struct dns_msg m;
	enum io_result r;

	if (!buf) {
		err_nomem(e);
		goto out;
	}
	r = udp_roundtrip(sa, qm, q, qlen, dns_now_ms() + timeout_s * 1000, buf, &n, &m);
	if (io_error(r, qm, sa, "", timeout_s, e) < 0)
		goto out;
	out->wire = buf;
	out->len = n;
	out->msg = m;
	out->msg.wire = buf;
	out->parsed = true;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	return rc;
}

/* Send or receive exactly N bytes at P before DEADLINE. */
static enum io_result tcp_io(int fd, uint8_t *p, size_t n, bool writing, long deadline)
{
	size_t done = 0;

	while (done < n) {
		ssize_t k;
		int w = wait_fd(fd, writing ? POLLOUT : POLLIN, deadline);

		if (w <= 0)
			return w == 0 ? IO_TIMEOUT : IO_FAILED;
		k = writing ? send(fd, p + done, n - done, MSG_NOSIGNAL) : recv(fd, p + done, n - done, 0);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k <= 0) {
			if (k == 0)
				errno = ECONNRESET;
			return IO_FAILED;
		}
		done += (size_t)k;
	}
	return IO_OK;
}

/* Connect the non-blocking socket FD to SA before DEADLINE. */
static enum io_result tcp_connect(int fd, const struct dns_server_addr *sa, long deadline)
{
	int err = 0, w;
	socklen_t el = sizeof(err);

	if (connect(fd, (const struct sockaddr *)&sa->ss, sa->len) == 0)
		return IO_OK;
	if (errno != EINPROGRESS)
		return IO_FAILED;
	w = wait_fd(fd, POLLOUT, deadline);
	if (w == 0)
		return IO_TIMEOUT;
	if (w > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0)
		return IO_OK;
	if (err)
		errno = err;
	return IO_FAILED;
}

/* Connect, send Q with its two-byte length, and read the reply's length
 * and the reply into BUF (DNS_MAX_MSG + 2 bytes); *N gets its length. */
static enum io_result tcp_roundtrip(const struct dns_server_addr *sa, const uint8_t *q,
				    size_t qlen, long deadline, uint8_t *buf, size_t *n)
{
	int fd = socket(sa->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	uint8_t lenbuf[2];
	enum io_result r = fd < 0 ? IO_FAILED : tcp_connect(fd, sa, deadline);

	if (r == IO_OK) {
		buf[0] = (uint8_t)(qlen >> 8);
		buf[1] = (uint8_t)qlen;
		memcpy(buf + 2, q, qlen);
		r = tcp_io(fd, buf, qlen + 2, true, deadline);
	}
	if (r == IO_OK)
		r = tcp_io(fd, lenbuf, 2, false, deadline);
	if (r == IO_OK) {
		*n = ((size_t)lenbuf[0] << 8) | lenbuf[1];
		r = tcp_io(fd, buf, *n, false, deadline);
	}
	close_keep_errno(fd);
	return r;
}

/* One TCP exchange: a two-byte length, the message, and the same back. The
 * reply can be at most 65535 bytes by construction. */
static int tcp_exchange(const struct dns_server_addr *sa, const struct dns_msg *qm,
			const uint8_t *q, size_t qlen, long timeout_s, struct dns_reply *out,
			struct error *e)
{
	int rc = -1;
	uint8_t *buf = NULL;
	size_t n = 0;
	struct dns_msg m;
	struct error pe = {0};
	enum io_result r;

	if (qlen > DNS_MAX_MSG) {
		err_set(e, EXIT_OP, "DNS message for %s too long", sa->text);
		goto out;
	}
	buf = malloc(DNS_MAX_MSG + 2);
	if (!buf) {
		err_nomem(e);
		goto out;
	}
	r = tcp_roundtrip(sa, q, qlen, dns_now_ms() + timeout_s * 1000, buf, &n);
	if (io_error(r, qm, sa, " over TCP", timeout_s, e) < 0)
		goto out;
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
	free(buf);
	return rc;
}

int dns_exchange(const struct dns_server_addr *sa, const uint8_t *q, size_t qlen, bool tcp_only,
		 long timeout_s, struct dns_reply *out, struct error *e)
{
	struct dns_msg qm;
	struct dns_reply r = {0};
	struct error pe = {0};
	int rc = -1;

	if (dns_parse(q, qlen, &qm, &pe) < 0)
		return err_set(e, EXIT_OP, "internal error: built a malformed DNS message: %s", pe.msg);
	if (!tcp_only) {
		if (udp_exchange(sa, &qm, q, qlen, timeout_s, &r, e) < 0)
			goto out;
		if (!(r.msg.flags & DNS_F_TC)) {
			*out = r;
			memset(&r, 0, sizeof(r));
			rc = 0;
			goto out;
		}
		dns_reply_free(&r);
	}
	if (tcp_exchange(sa, &qm, q, qlen, timeout_s, &r, e) < 0)
		goto out;
	*out = r;
	memset(&r, 0, sizeof(r));
	rc = 0;
out:
	dns_reply_free(&r);
	dns_msg_free(&qm);
	return rc;
}
