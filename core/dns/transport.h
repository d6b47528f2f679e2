/* Getting one DNS message to one server and its reply back: server address
 * parsing, UDP with retransmission, TCP (for UPDATEs and truncated UDP
 * replies), timeouts, and the checks that tie a reply to its query (ID,
 * opcode, question, source address and port). Private to core/dns/.
 *
 * Every reply is read into a buffer of DNS_MAX_MSG bytes at most, so a
 * hostile server cannot make us allocate without bound. */
#ifndef ACMEHOOK_DNS_TRANSPORT_H
#define ACMEHOOK_DNS_TRANSPORT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/err.h"
#include "dns/wire.h"

/* A server address, parsed, with its canonical "IP:PORT" text for messages. */
struct dns_server_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[INET6_ADDRSTRLEN + 16];
};

/* A reply: the bytes (owned) and the parsed message, which points into them. */
struct dns_reply {
	uint8_t *wire;
	size_t len;
	struct dns_msg msg;
	bool parsed;
};
void dns_reply_free(struct dns_reply *r);

/* Parse "IP", "IP:PORT", "[IPv6]:PORT" or a bare IPv6 address; DEFPORT when
 * no port is given. -1 (no error text) when S is not such an address. */
int dns_server_parse(const char *s, uint16_t defport, struct dns_server_addr *out);

/* A random message ID; -1 when the random generator fails. */
int dns_random_id(uint16_t *id);

/* Send the message Q (QLEN bytes) to SA and receive the matching reply: UDP
 * first unless TCP_ONLY, then TCP when the UDP reply is truncated. Each
 * exchange gets TIMEOUT_S seconds. Errors name the server; a timeout is
 * ERR_TIMEOUT, a socket or connection failure ERR_NETWORK. */
int dns_exchange(const struct dns_server_addr *sa, const uint8_t *q, size_t qlen, bool tcp_only,
		 long timeout_s, struct dns_reply *out, struct error *e);

#endif
