#include "gregor_sasl.h"

#include <pthread.h>
#include <sasl/sasl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static int initialized = 0;
static int init_result = SASL_OK;
static char keytab_path[4096];

// libsasl2's own mutexes are no-ops: give it real ones before init.
static void *mutex_alloc(void) {
    pthread_mutex_t *m = malloc(sizeof(pthread_mutex_t));
    if (m) pthread_mutex_init(m, NULL);
    return m;
}
static int mutex_lock(void *m) { return pthread_mutex_lock(m) == 0 ? SASL_OK : SASL_FAIL; }
static int mutex_unlock(void *m) { return pthread_mutex_unlock(m) == 0 ? SASL_OK : SASL_FAIL; }
static void mutex_free(void *m) {
    pthread_mutex_destroy(m);
    free(m);
}

// Options without a config file: only GSSAPI, with the broker's keytab.
static int getopt_cb(void *context, const char *plugin, const char *option, const char **result, unsigned *len) {
    (void)context;
    if (strcmp(option, "mech_list") == 0) {
        *result = "GSSAPI";
    } else if (plugin && strcmp(plugin, "GSSAPI") == 0 && strcmp(option, "keytab") == 0) {
        *result = keytab_path;
    } else {
        return SASL_FAIL;
    }
    if (len) *len = (unsigned)strlen(*result);
    return SASL_OK;
}

// The plugin logs each successful step as a failed one at debug level; errors reach the broker
// through sasl_errdetail instead.
static int log_cb(void *context, int level, const char *message) {
    (void)context; (void)level; (void)message;
    return SASL_OK;
}

// Kafka's broker ignores the authorization id clients send (kafka-python sends the service's
// name, Java its own principal) and authorizes the authenticated one; Cyrus's default policy
// would refuse those that differ.
static int proxy_policy_cb(sasl_conn_t *conn, void *context, const char *requested, unsigned rlen, const char *auth, unsigned alen,
                           const char *def_realm, unsigned urlen, struct propctx *propctx) {
    (void)conn; (void)context; (void)requested; (void)rlen; (void)auth; (void)alen; (void)def_realm; (void)urlen; (void)propctx;
    return SASL_OK;
}

static sasl_callback_t global_callbacks[] = {
    {SASL_CB_GETOPT, (int (*)(void))getopt_cb, NULL},
    {SASL_CB_LOG, (int (*)(void))log_cb, NULL},
    {SASL_CB_LIST_END, NULL, NULL},
};

static sasl_callback_t connection_callbacks[] = {
    {SASL_CB_PROXY_POLICY, (int (*)(void))proxy_policy_cb, NULL},
    {SASL_CB_LIST_END, NULL, NULL},
};

int gregor_sasl_init(const char *keytab, char *err, size_t errlen) {
    pthread_mutex_lock(&init_lock);
    int rc;
    if (initialized) {
        rc = strcmp(keytab, keytab_path) == 0 ? init_result : SASL_FAIL;
        if (rc != SASL_OK) snprintf(err, errlen, "libsasl2 is already set up with keytab %s; one keytab per process", keytab_path);
    } else if (strlen(keytab) >= sizeof(keytab_path)) {
        rc = SASL_BADPARAM;
        snprintf(err, errlen, "keytab path too long");
    } else {
        strcpy(keytab_path, keytab);
        sasl_set_mutex(mutex_alloc, mutex_lock, mutex_unlock, mutex_free);
        rc = sasl_server_init(global_callbacks, "gregor");
        if (rc != SASL_OK) {
            snprintf(err, errlen, "sasl_server_init: %s", sasl_errstring(rc, NULL, NULL));
        } else {
            // The mechanism is a plugin in its own Debian package.
            const char **mechs = sasl_global_listmech();
            int found = 0;
            for (; mechs && *mechs; mechs++) found |= strcmp(*mechs, "GSSAPI") == 0;
            if (!found) {
                rc = SASL_NOMECH;
                snprintf(err, errlen, "the Cyrus SASL GSSAPI plugin is missing: install Debian's libsasl2-modules-gssapi-mit");
            }
        }
        initialized = 1;
        init_result = rc;
    }
    pthread_mutex_unlock(&init_lock);
    return rc;
}

int gregor_sasl_new(const char *service, const char *fqdn, const char *realm, void **conn) {
    sasl_conn_t *c = NULL;
    int rc = sasl_server_new(service, fqdn, realm, NULL, NULL, connection_callbacks, 0, &c);
    if (rc != SASL_OK) return rc;
    sasl_security_properties_t props;
    memset(&props, 0, sizeof(props));
    props.min_ssf = 0;
    props.max_ssf = 0;  // "auth" only: no integrity or confidentiality layer after GSSAPI
    props.maxbufsize = 0;
    props.security_flags = SASL_SEC_NOANONYMOUS | SASL_SEC_NOPLAINTEXT;
    rc = sasl_setprop(c, SASL_SEC_PROPS, &props);
    if (rc != SASL_OK) {
        sasl_dispose(&c);
        return rc;
    }
    *conn = c;
    return SASL_OK;
}

int gregor_sasl_step(void *conn, int first, const unsigned char *in, unsigned inlen, const unsigned char **out, unsigned *outlen) {
    const char *o = NULL;
    unsigned olen = 0;
    int rc = first ? sasl_server_start(conn, "GSSAPI", (const char *)in, inlen, &o, &olen)
                   : sasl_server_step(conn, (const char *)in, inlen, &o, &olen);
    *out = (const unsigned char *)o;
    *outlen = o ? olen : 0;
    return rc;
}

const char *gregor_sasl_authuser(void *conn) {
    const void *user = NULL;
    return sasl_getprop(conn, SASL_AUTHUSER, &user) == SASL_OK ? user : NULL;
}

const char *gregor_sasl_detail(void *conn) { return sasl_errdetail(conn); }

void gregor_sasl_dispose(void *conn) {
    sasl_conn_t *c = conn;
    sasl_dispose(&c);
}
