/// Merges two pins of one message: the newer pin's definition for the versions it has, the
/// older pin's for the versions only the older one has.
///
/// Kafka 4 raised the minimum version of many APIs (KIP-896) and deleted from its specs the
/// fields that only those versions carried (ListOffsets v0's `MaxNumOffsets`, OffsetCommit v1's
/// `CommitTimestamp`, DescribeConfigs v0's `IsDefault`…). A broker that still serves pre-2.1
/// clients needs both: the merged spec keeps every field of the newer pin, extends a field's
/// versions down into the old-only range where the older pin had it there, and puts back the
/// fields only old versions carried, each at its old place in the field order. The result is
/// checked: at every old-only version it lays out exactly the older pin's fields.
public enum SpecMerge {
    /// `newer` may define no versions at all (Kafka 4 keeps a "none" stub of LeaderAndIsr and the
    /// other ZooKeeper-era APIs); the older definition is then taken whole.
    public static func merge(newer: MessageSpec, older: MessageSpec) throws -> MessageSpec {
        guard let n = newer.validVersions.range else {
            var old = older
            old.kafkaVersions = .none
            return old
        }
        guard let o = older.validVersions.range, o.lowerBound < n.lowerBound else { return newer }
        let oldOnly = Versions(range: o.lowerBound...min(o.upperBound, n.lowerBound - 1))
        let fail = { (field: String?, reason: String) in SpecError(file: newer.fileName, field: field, reason: reason) }
        guard older.flexibleVersions.intersection(oldOnly) == newer.flexibleVersions.intersection(oldOnly) else {
            throw fail(nil, "flexible versions differ from the older pin's in \(oldOnly)")
        }
        let merger = FieldMerger(oldOnly: oldOnly, file: newer.fileName)
        var merged = newer
        merged.validVersions = Versions(range: o.lowerBound...n.upperBound)
        // Versions a newer Kafka removed were deprecated first; both pins' deprecations stand.
        merged.deprecatedVersions = (try? merger.union(
            merger.union(oldOnly, older.deprecatedVersions, newer.name), newer.deprecatedVersions, newer.name)) ?? oldOnly
        merged.fields = try merger.merge(newer.fields, older.fields, in: newer.name)
        merged.structs = try newer.structs.map { s in
            guard let old = older.structs.first(where: { $0.name == s.name }) else { return s }
            var m = s
            m.versions = try merger.union(s.versions, old.versions.intersection(oldOnly), s.name)
            m.fields = try merger.merge(s.fields, old.fields, in: s.name)
            return m
        }
        for s in older.structs where !merged.structs.contains(where: { $0.name == s.name })
            && !s.versions.intersection(oldOnly).isEmpty {
            merged.structs.append(s)
        }
        for v in oldOnly.range! {
            guard merger.layout(merged.fields, at: v) == merger.layout(older.fields, at: v) else {
                throw fail(nil, "the merged fields at version \(v) are not the older pin's")
            }
            for s in older.structs where s.versions.contains(v) {
                let m = merged.structs.first { $0.name == s.name }!
                guard merger.layout(m.fields, at: v) == merger.layout(s.fields, at: v) else {
                    throw fail(s.name, "the merged struct at version \(v) is not the older pin's")
                }
            }
        }
        return merged
    }
}

/// The field-by-field part of `SpecMerge`.
struct FieldMerger {
    let oldOnly: Versions
    let file: String

    func merge(_ newer: [FieldSpec], _ older: [FieldSpec], in parent: String) throws -> [FieldSpec] {
        var out: [FieldSpec] = []
        for f in newer {
            guard let g = older.first(where: { $0.name == f.name }), !g.versions.intersection(oldOnly).isEmpty else {
                out.append(f)
                continue
            }
            let path = parent + "." + f.name
            guard f.type == g.type else { throw SpecError(file: file, field: path, reason: "type \(f.type) was \(g.type)") }
            guard g.taggedVersions.intersection(oldOnly).isEmpty else {
                throw SpecError(file: file, field: path, reason: "tagged in an old-only version")
            }
            var m = f
            m.versions = try union(f.versions, g.versions.intersection(oldOnly), path)
            m.nullableVersions = try union(f.nullableVersions, g.nullableVersions.intersection(oldOnly), path)
            if g.defaultValue != f.defaultValue {
                throw SpecError(file: file, field: path, reason: "default \(f.defaultValue ?? "-") was \(g.defaultValue ?? "-")")
            }
            if let nf = f.fields, let ng = g.fields { m.fields = try merge(nf, ng, in: f.type.structName ?? path) }
            out.append(m)
        }
        // Fields only old versions carried go back after the field that preceded them.
        for (i, g) in older.enumerated() where !out.contains(where: { $0.name == g.name }) {
            let live = g.versions.intersection(oldOnly)
            guard !live.isEmpty else { continue }
            var m = g
            m.versions = live
            m.nullableVersions = g.nullableVersions.intersection(oldOnly)
            let before = older[..<i].last { p in out.contains { $0.name == p.name } }
            let at = before.flatMap { p in out.firstIndex { $0.name == p.name } }.map { $0 + 1 } ?? 0
            out.insert(m, at: at)
        }
        return out
    }

    /// The union of two version ranges that must touch or overlap (a field's versions stay one range).
    func union(_ a: Versions, _ b: Versions, _ path: String) throws -> Versions {
        guard let x = a.range else { return b }
        guard let y = b.range else { return a }
        guard y.upperBound + 1 >= x.lowerBound, x.upperBound + 1 >= y.lowerBound else {
            throw SpecError(file: file, field: path, reason: "versions \(a) and \(b) do not form one range")
        }
        return Versions(range: min(x.lowerBound, y.lowerBound)...max(x.upperBound, y.upperBound))
    }

    /// What goes on the wire at `version`: each present field's name, type and nullability, in order.
    func layout(_ fields: [FieldSpec], at version: Int) -> [String] {
        fields.filter { $0.versions.contains(version) }.flatMap { f -> [String] in
            ["\(f.name):\(f.type):\(f.nullableVersions.contains(version))"] + layout(f.fields ?? [], at: version).map { "  " + $0 }
        }
    }
}
