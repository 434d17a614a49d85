// The server side of Cyrus SASL (libsasl2) for GSSAPI, behind a small C API: the library's
// callbacks are C function pointers in a table that must outlive the process, which is simpler
// to keep here than in Swift.
#ifndef GREGOR_SASL_H
#define GREGOR_SASL_H

#include <stddef.h>

/// Initializes Cyrus SASL once per process for GSSAPI with the broker's keytab (libsasl2 reads
/// the keytab option only here, and it is process-wide). A second call with the same keytab
/// succeeds; with another, fails. Returns 0, or a SASL error code with a message in `err`.
int gregor_sasl_init(const char *keytab, char *err, size_t errlen);

/// Opens one connection's exchange as `service`/`fqdn`@`realm` accepting only the "auth" quality
/// of protection (no security layer), as Kafka negotiates. Returns 0 or a SASL error code.
int gregor_sasl_new(const char *service, const char *fqdn, const char *realm, void **conn);

/// Feeds the client's token (the first with `first` set); `*out` points into the connection
/// and stays valid until the next call. Returns 0 when authenticated, 1 to continue, or a
/// negative SASL error code.
int gregor_sasl_step(void *conn, int first, const unsigned char *in, unsigned inlen, const unsigned char **out, unsigned *outlen);

/// The authenticated Kerberos principal (SASL_AUTHUSER), or NULL.
const char *gregor_sasl_authuser(void *conn);

/// What went wrong last, for the log.
const char *gregor_sasl_detail(void *conn);

void gregor_sasl_dispose(void *conn);

#endif
