/* ACME identifiers: DNS names and IP addresses (RFC 8738). One place
 * decides which a string is and how each is written, so the command
 * line, the order, the CSR and the certificate check agree. */
#ifndef ACMEHOOK_IDENT_H
#define ACMEHOOK_IDENT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

/* Longest canonical text of an address (IPv6, RFC 5952), with its NUL. */
#define IDENT_IP_MAX 46

/* True when NAME is an IPv4 or IPv6 address, bare or in brackets
 * ("[2001:db8::1]", as URLs write it). */
bool ident_is_ip(const char *name);
/* NAME's address in canonical text (dotted quad; RFC 5952 for IPv6:
 * lower case, the longest run of zeros compressed) into OUT. Returns 0,
 * or -1 when NAME is not an address. */
int ident_ip_canonical(const char *name, char out[IDENT_IP_MAX]);
/* NAME's address in binary into OUT (4 or 16 bytes), its length in
 * *LEN. Returns 0, or -1 when NAME is not an address. */
int ident_ip_bytes(const char *name, unsigned char out[16], size_t *len);
/* The ACME identifier type of NAME: "ip" or "dns". */
const char *ident_type(const char *name);
/* Whether identifier TYPE/VALUE (as a CA writes it) is NAME. */
bool ident_matches(const char *type, const char *value, const char *name);
/* NAME (a "*." prefix allowed) in the form a CA is sent: IDNA 2008
 * A-labels for names with non-ASCII characters (U-labels), lower case,
 * into a new string in *OUT. ORIGIN names the source for messages. */
int ident_dns_ascii(const char *name, const char *origin, char **out, struct error *e);

#endif
