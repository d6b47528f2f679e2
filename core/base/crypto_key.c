/* Keys: generation, loading without ever prompting, PEM, comparison. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "base/buf.h"
#include "base/crypto.h"
#include "base/crypto_priv.h"
EVP_PKEY *crypto_keygen(const char *key_type, const char *curve, int rsa_bits,
                        struct error *e)
{
	EVP_PKEY *key = NULL;
	const char *group;
	char why[256];

	if (key_type && strcmp(key_type, "ecdsa") == 0) {
		if (!curve || strcmp(curve, "secp256r1") == 0) {
			group = "P-256";
		} else if (strcmp(curve, "secp384r1") == 0) {
			group = "P-384";
		} else {
			err_set(e, EXIT_USAGE, "unsupported elliptic curve \"%s\": use secp256r1 or secp384r1",
			        curve);
			return NULL;
		}
		key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", group);
		if (!key)
			err_set(e, EXIT_OP, "cannot generate an ecdsa %s key: %s",
			        curve ? curve : "secp256r1", crypto_ossl_reason(why, sizeof(why)));
		return key;
	}
	if (key_type && strcmp(key_type, "rsa") == 0) {
		if (rsa_bits != 2048 && rsa_bits != 3072 && rsa_bits != 4096) {
			err_set(e, EXIT_USAGE, "unsupported RSA key size %d: use 2048, 3072 or 4096", rsa_bits);
			return NULL;
		}
		key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)rsa_bits);
		if (!key)
			err_set(e, EXIT_OP, "cannot generate an rsa %d key: %s", rsa_bits,
			        crypto_ossl_reason(why, sizeof(why)));
		return key;
	}
	err_set(e, EXIT_USAGE, "unsupported key type \"%s\": use ecdsa or rsa",
	        key_type ? key_type : "(none)");
	return NULL;
}


EVP_PKEY *crypto_key_load(const char *path, struct error *e)
{
	char *data = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	EVP_PKEY *key = NULL;
	char why[256];

	if (crypto_read_file(path, &data, &len, e) < 0)
		goto out;
	bio = BIO_new_mem_buf(data, (int)len);
	if (!bio) {
		err_set(e, EXIT_OP, "cannot read private key %s: out of memory", path);
		goto out;
	}
	key = PEM_read_bio_PrivateKey(bio, NULL, crypto_no_passphrase, NULL);
	if (!key)
		err_set(e, EXIT_OP, "cannot load private key %s: not an unencrypted PEM private key (%s)",
		        path, crypto_ossl_reason(why, sizeof(why)));
out:
	BIO_free(bio);
	crypto_wipe_free(data, len);
	return key;
}

char *crypto_key_pem(EVP_PKEY *key, struct error *e)
{
	BIO *bio = NULL;
	char *res = NULL;
	char why[256];

	bio = BIO_new(BIO_s_mem());
	if (!bio || !key ||
	    !PEM_write_bio_PKCS8PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) {
		err_set(e, EXIT_OP, "cannot encode the %s private key as PEM: %s",
		        key ? EVP_PKEY_get0_type_name(key) : "(none)", crypto_ossl_reason(why, sizeof(why)));
		goto out;
	}
	res = crypto_bio_take(bio);
	if (!res)
		err_set(e, EXIT_OP, "cannot encode the private key as PEM: out of memory");
out:
	BIO_free(bio);
	return res;
}

char *crypto_key_describe(EVP_PKEY *key)
{
	char group[64], out[96];
	const char *name;

	if (!key)
		return strdup("none");
	if (EVP_PKEY_is_a(key, "RSA")) {
		snprintf(out, sizeof(out), "rsa %d", EVP_PKEY_get_bits(key));
	} else if (EVP_PKEY_is_a(key, "EC")) {
		if (!EVP_PKEY_get_group_name(key, group, sizeof(group), NULL))
			snprintf(group, sizeof(group), "unknown");
		/* OpenSSL calls P-256 "prime256v1"; users configure "secp256r1". */
		switch (OBJ_txt2nid(group)) {
		case NID_X9_62_prime256v1:
			name = "secp256r1";
			break;
		default:
			name = group;
			break;
		}
		snprintf(out, sizeof(out), "ecdsa %s", name);
	} else {
		name = EVP_PKEY_get0_type_name(key);
		snprintf(out, sizeof(out), "%s %d", name ? name : "unknown", EVP_PKEY_get_bits(key));
		for (char *p = out; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	return strdup(out);
}

bool crypto_pubkey_equal(EVP_PKEY *a, EVP_PKEY *b)
{
	return a && b && EVP_PKEY_eq(a, b) == 1;
}
