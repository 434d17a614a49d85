extension ServerProperties {
    /// GSSAPI on a listener: the service name (`sasl.kerberos.service.name`, or the JAAS
    /// `serviceName` option), and the Krb5LoginModule's `keyTab` and `principal` from
    /// `listener.name.<l>.gssapi.sasl.jaas.config`, as a Kafka broker is configured. The
    /// principal must be `<service>/<host>@<REALM>`; its realm is the default realm of
    /// `sasl.kerberos.principal.to.local.rules`.
    func gssapiSettings(listener: String) throws(InvalidValue) -> GssapiSettings {
        let jaasKey = "listener.name.\(listener.lowercased()).gssapi.sasl.jaas.config"
        let example = "com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true storeKey=true "
            + "keyTab=\"/etc/kafka/broker.keytab\" principal=\"kafka/broker.example.com@EXAMPLE.COM\";"
        guard let jaas = raw(jaasKey), !jaas.trimmed.isEmpty else {
            throw InvalidValue(key: jaasKey, value: "", reason: "listener \(listener) enables GSSAPI (Kafka's default mechanism) but names no keytab: "
                               + "set \(jaasKey)=\(example), or set sasl.enabled.mechanisms to the mechanisms you use")
        }
        let options = Dictionary(JaasConfig.options(jaas), uniquingKeysWith: { _, last in last })
        guard let keytab = options["keyTab"], !keytab.isEmpty, let principal = options["principal"], !principal.isEmpty else {
            throw InvalidValue(key: jaasKey, value: jaas, reason: "GSSAPI needs keyTab and principal options: \(example)")
        }
        guard let name = try? KerberosName.parse(principal), let host = name.hostName, let realm = name.realm, !realm.isEmpty else {
            throw InvalidValue(key: jaasKey, value: jaas, reason: "principal \(principal) is not of the form <service>/<host>@<REALM>")
        }
        let serviceKey = raw("listener.name.\(listener.lowercased()).sasl.kerberos.service.name") != nil
            ? "listener.name.\(listener.lowercased()).sasl.kerberos.service.name" : "sasl.kerberos.service.name"
        guard let service = value("sasl.kerberos.service.name", listener: listener)?.trimmed ?? options["serviceName"], !service.isEmpty else {
            throw InvalidValue(key: serviceKey, value: "", reason: "GSSAPI on listener \(listener) needs the Kerberos service name (Kafka's: No serviceName defined)")
        }
        guard service == name.serviceName else {
            throw InvalidValue(key: serviceKey, value: service, reason: "differs from the service of the broker's principal \(principal)")
        }
        let rulesKey = "sasl.kerberos.principal.to.local.rules"
        let rules = value(rulesKey, listener: listener) ?? "DEFAULT"
        let namer: KerberosShortNamer
        do { namer = try KerberosShortNamer(defaultRealm: realm, property: rules) } catch {
            throw InvalidValue(key: rulesKey, value: rules, reason: "\(error)")
        }
        return GssapiSettings(serviceName: service, keytab: keytab, host: host, realm: realm, shortNamer: namer)
    }
}
