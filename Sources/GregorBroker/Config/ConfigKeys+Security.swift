// The security keys: TLS (Kafka's SslConfigs and BrokerSecurityConfigs), SASL and its mechanisms
// (SaslConfigs), the authorizer, and delegation tokens (DelegationTokenManagerConfigs). Kafka's
// PASSWORD keys are typed .password here, so DescribeConfigs answers them as null (KIP-226);
// certificates and keys given inline (KIP-651) are PASSWORD in Kafka too. TLS and SASL keys are
// read per listener first (KIP-103), a JAAS login only per listener and mechanism (KIP-86).
extension ConfigKeys {
    static let tls: [ConfigKey] = ([
        .broker("ssl.keystore.type", .string, "JKS", "The file format of the key store: PEM (KIP-651) or PKCS12; JKS cannot be read here."),
        .broker("ssl.keystore.location", .string, nil, "The location of the key store file.").names(.file),
        .broker("ssl.keystore.password", .password, nil, "The store password of the key store file (PKCS12)."),
        .broker("ssl.key.password", .password, nil, "The password of the private key in the key store, or of the PEM key in ssl.keystore.key."),
        .broker("ssl.keystore.certificate.chain", .password, nil, "The certificate chain in PEM format, with ssl.keystore.key (KIP-651)."),
        .broker("ssl.keystore.key", .password, nil, "The private key in PEM format, with ssl.keystore.certificate.chain (KIP-651)."),
        .broker("ssl.truststore.type", .string, "JKS", "The file format of the trust store; PEM only here."),
        .broker("ssl.truststore.location", .string, nil, "The location of the trust store file: the CAs client certificates must chain to.").names(.file),
        .broker("ssl.truststore.password", .password, nil, "The password of the trust store file."),
        .broker("ssl.truststore.certificates", .password, nil, "Trusted certificates in PEM format (KIP-651)."),
        .broker("ssl.client.auth", .string, "none", .oneOf(["required", "requested", "none"]),
                "Whether the broker asks for client certificates: required, requested or none."),
        .broker("ssl.enabled.protocols", .list, "TLSv1.2,TLSv1.3", "The TLS protocols enabled for connections: TLSv1.2, TLSv1.3."),
        .broker("ssl.protocol", .string, "TLSv1.3", "The TLS protocol of Java's SSLContext; accepted, the enabled protocols decide."),
        .broker("ssl.cipher.suites", .list, "", "The TLS 1.2 cipher suites enabled, by their IANA names; the library's secure defaults when empty (TLS 1.3 suites are always on)."),
        .broker("ssl.endpoint.identification.algorithm", .string, "https", "The algorithm that checks a server's host name against its certificate."),
        .broker("ssl.principal.mapping.rules", .string, "DEFAULT", "Rules mapping a client certificate's distinguished name to a short name (KIP-371)."),
        .broker("ssl.secure.random.implementation", .string, nil, "Java's SecureRandom implementation; accepted, not used."),
        .broker("ssl.keymanager.algorithm", .string, "SunX509", "Java's key manager factory algorithm; accepted, not used."),
        .broker("ssl.trustmanager.algorithm", .string, "PKIX", "Java's trust manager factory algorithm; accepted, not used."),
        .broker("ssl.provider", .string, nil, "Java's security provider for TLS; accepted, not used."),
        .broker("ssl.engine.factory.class", .class, nil, "A class providing Java's SSLEngine; accepted, not used.").names(.className),
        .broker("ssl.allow.dn.changes", .boolean, "false", "Whether a reloaded key store may change the certificate's distinguished name."),
        .broker("ssl.allow.san.changes", .boolean, "false", "Whether a reloaded key store may change the certificate's subject alternative names."),
    ] as [ConfigKey]).map { $0.prefix(.listener) }

    static let sasl: [ConfigKey] = [
        .broker("sasl.enabled.mechanisms", .list, "GSSAPI", "The SASL mechanisms enabled: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER, GSSAPI.")
            .prefix(.listener),
        .broker("sasl.mechanism.inter.broker.protocol", .string, "GSSAPI", "The SASL mechanism brokers of a cluster log in to each other with: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (Kafka's default GSSAPI is refused).")
            .prefix(.listener),
        .broker("sasl.jaas.config", .password, nil,
                "The JAAS login of a mechanism: the login module class and its options (users, keytab), as listener.name.<l>.<mechanism>.sasl.jaas.config.")
            .prefix(.mechanismOnly).names(.className),
        .broker("sasl.server.callback.handler.class", .class, nil, "The server callback handler: Kafka's OAUTHBEARER validators only.")
            .prefix(.listenerOrMechanism).names(.className),
        .broker("sasl.server.max.receive.size", .int, "524288", .atLeast(1), "The largest frame accepted before and during SASL authentication.")
            .prefix(.listener).current { "\($0.saslServerMaxReceiveSize)" },
        .broker("connection.failed.authentication.delay.ms", .int, "100", .atLeast(0),
                "How long a connection whose authentication failed stays open before it is closed (KIP-306).")
            .prefix(.listener).current { "\($0.failedAuthenticationDelayMs)" },
        .broker("connections.max.reauth.ms", .long, "0", .atLeast(0), "The lifetime of a SASL login before the client must log in again; 0 for ever (KIP-368).")
            .prefix(.listenerOrMechanism).current { "\($0.connectionsMaxReauthMs)" },
        .broker("sasl.oauthbearer.jwks.endpoint.url", .string, nil, "The JWKS that signed OAUTHBEARER tokens are checked against: a file:, http: or https: URL (KIP-768).")
            .prefix(.listenerOrMechanism).names(.url),
        .broker("sasl.oauthbearer.jwks.endpoint.refresh.ms", .long, "3600000", .atLeast(0), "How often the JWKS endpoint is fetched again (KIP-768).")
            .prefix(.listenerOrMechanism),
        .broker("sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms", .long, "10000", .atLeast(0),
                "The least time between fetches of the JWKS endpoint after a token failed to verify (KIP-768).")
            .prefix(.listenerOrMechanism),
        .broker("sasl.oauthbearer.jwks.endpoint.retry.backoff.ms", .long, "100", .atLeast(0), "Accepted for Kafka's sake (KIP-768).")
            .prefix(.listenerOrMechanism),
        .broker("sasl.oauthbearer.expected.audience", .list, nil, "The audiences a token's aud claim must include one of (KIP-768).").prefix(.listenerOrMechanism),
        .broker("sasl.oauthbearer.expected.issuer", .string, nil, "The issuer a token's iss claim must name (KIP-768).").prefix(.listenerOrMechanism),
        .broker("sasl.oauthbearer.sub.claim.name", .string, "sub", "The claim naming a token's principal (KIP-768).").prefix(.listenerOrMechanism),
        .broker("sasl.oauthbearer.scope.claim.name", .string, "scope", "The claim holding a token's scopes (KIP-768).").prefix(.listenerOrMechanism),
        .broker("sasl.oauthbearer.clock.skew.seconds", .int, "30", .atLeast(0), "The clock difference allowed when checking a token's times (KIP-768).")
            .prefix(.listenerOrMechanism),
        // GSSAPI; the kinit and relogin keys matter to a JVM's login thread, not a keytab acceptor.
        .broker("sasl.kerberos.service.name", .string, nil, "The Kerberos principal name that Kafka runs as.").prefix(.listener),
        .broker("sasl.kerberos.principal.to.local.rules", .list, "DEFAULT", "Rules mapping Kerberos principals to short names (auth_to_local).")
            .prefix(.listener),
        .broker("sasl.kerberos.kinit.cmd", .string, "/usr/bin/kinit", "The kinit command path; accepted, not run.").prefix(.listener).names(.command),
        .broker("sasl.kerberos.min.time.before.relogin", .long, "60000", "Login thread sleep time between refresh attempts; accepted, not used.")
            .prefix(.listener),
        .broker("sasl.kerberos.ticket.renew.jitter", .double, "0.05", "Random jitter added to the renewal time; accepted, not used.").prefix(.listener),
        .broker("sasl.kerberos.ticket.renew.window.factor", .double, "0.8", "Share of the ticket lifetime before renewal; accepted, not used.")
            .prefix(.listener),
    ]

    static let authorization: [ConfigKey] = [
        .broker("authorizer.class.name", .string, "", "The authorizer: Kafka's StandardAuthorizer turns ACLs on.").names(.className),
        .broker("super.users", .string, nil, "Principals allowed everything, separated by semicolons: User:admin;User:ops."),
        .broker("allow.everyone.if.no.acl.found", .boolean, "false", "Whether a resource without ACLs is open to everyone."),
        .broker("delegation.token.secret.key", .password, nil, "The secret that signs delegation tokens; tokens are enabled only with it (KIP-48).")
            .synonyms("delegation.token.master.key"),
        .broker("delegation.token.master.key", .password, nil, "The name of delegation.token.secret.key before Kafka 2.8 (KIP-681)."),
        .broker("delegation.token.max.lifetime.ms", .long, "604800000", .atLeast(1), "The longest a delegation token may live, renewals included.")
            .current { "\($0.delegationTokenMaxLifetimeMs)" },
        .broker("delegation.token.expiry.time.ms", .long, "86400000", .atLeast(1), "How long a delegation token lives before it must be renewed.")
            .current { "\($0.delegationTokenExpiryTimeMs)" },
        .broker("delegation.token.expiry.check.interval.ms", .long, "3600000", .atLeast(1), "How often expired delegation tokens are removed."),
    ]
}
