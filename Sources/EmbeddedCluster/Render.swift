import Manifests

/// JSON bodies the way the real server writes them.
enum Render {
    static let metadataOrder = [
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers",
        "managedFields",
    ]

    /// Built-in objects: kind, apiVersion, metadata (Go struct order), then the rest as given.
    /// Custom resources: keys sorted, recursively.
    static func canonical(_ object: ObjectValue, custom: Bool) -> ObjectValue {
        if custom {
            return Value.object(object).sortedKeys().objectValue ?? object
        }
        var out = ObjectValue(minimumCapacity: object.count)
        if let k = object["kind"] { out["kind"] = k }
        if let a = object["apiVersion"] { out["apiVersion"] = a }
        if case .object(let m)? = object["metadata"] {
            var mo = ObjectValue(minimumCapacity: m.count)
            for key in metadataOrder { if let v = m[key] { mo[key] = v } }
            for e in m.entries where mo[e.key] == nil { mo[e.key] = e.value }
            out["metadata"] = .object(mo)
        }
        for e in object.entries where out[e.key] == nil && e.key != "status" { out[e.key] = e.value }
        if let s = object["status"] { out["status"] = s }
        return out
    }

    static func json(_ value: Value, pretty: Bool) -> [UInt8] {
        if pretty {
            return (try? value.jsonBytes(JSONWriteOptions(indent: 2, escapeHTML: true))) ?? []
        }
        var b = (try? value.jsonBytes(JSONWriteOptions(escapeHTML: true))) ?? []
        b.append(10)
        return b
    }

    static func watchEvent(_ type: String, _ object: Value, _ t: ResourceType) -> [UInt8] {
        let e: Value = ["type": .string(type), "object": object]
        return json(e, pretty: false)
    }

    /// A list: items without kind and apiVersion.
    static func list(_ items: [ObjectValue], _ t: ResourceType, rv: Int64, cont: String?, remaining: Int?) -> Value {
        var meta: ObjectValue = ["resourceVersion": .string(String(rv))]
        if let cont { meta["continue"] = .string(cont) }
        if let remaining { meta["remainingItemCount"] = .int(Int64(remaining)) }
        var arr: [Value] = []
        arr.reserveCapacity(items.count)
        for var i in items {
            if !t.isCustom {
                i["kind"] = nil
                i["apiVersion"] = nil
            }
            arr.append(.object(i))
        }
        return [
            "kind": .string(t.listKind), "apiVersion": .string(t.apiVersion), "metadata": .object(meta),
            "items": .array(arr),
        ]
    }

    static let nameColumn: Value = [
        "name": "Name", "type": "string", "format": "name",
        "description":
            "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
        "priority": 0,
    ]

    static func column(
        _ name: String,
        _ type: String = "string",
        _ description: String = "",
        priority: Int64 = 0
    ) -> Value {
        [
            "name": .string(name), "type": .string(type), "format": "", "description": .string(description),
            "priority": .int(priority),
        ]
    }

    static let ageDescription =
        "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"

    /// Server-side printing (`as=Table`): the columns kubectl shows for the kinds it knows.
    static func table(
        _ items: [ObjectValue],
        _ t: ResourceType,
        rv: Int64?,
        cont: String? = nil,
        remaining: Int? = nil,
        includeHeaders: Bool = true
    ) -> Value {
        var columns: [Value] = [nameColumn]
        var cells: [(ObjectValue) -> [Value]] = []
        func add(_ c: Value, _ f: @escaping (ObjectValue) -> Value) {
            columns.append(c)
            cells.append { [f($0)] }
        }
        let spec = { (o: ObjectValue, k: String) -> Value? in o["spec"]?[k] }
        let status = { (o: ObjectValue, k: String) -> Value? in o["status"]?[k] }
        switch (t.group, t.kind) {
        case ("", "ConfigMap"):
            add(
                column(
                    "Data",
                    "string",
                    "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process."
                )
            ) {
                .int(Int64(($0["data"]?.objectValue?.count ?? 0) + ($0["binaryData"]?.objectValue?.count ?? 0)))
            }
        case ("", "Secret"):
            add(column("Type")) { $0["type"] ?? "" }
            add(column("Data")) { .int(Int64($0["data"]?.objectValue?.count ?? 0)) }
        case ("", "Namespace"):
            add(column("Status", "string", "The status of the namespace")) { status($0, "phase") ?? "" }
        case ("", "Pod"):
            add(column("Ready")) { _ in "0/1" }
            add(column("Status")) { status($0, "phase") ?? "" }
            add(column("Restarts", "string")) { _ in "0" }
        case ("", "Service"):
            add(column("Type")) { spec($0, "type") ?? "" }
            add(column("Cluster-IP")) { spec($0, "clusterIP") ?? "<none>" }
            add(column("External-IP")) { _ in "<none>" }
            add(column("Port(s)")) { o in
                .string(
                    (spec(o, "ports")?.arrayValue ?? []).map {
                        "\($0["port"]?.intValue ?? 0)/\($0["protocol"]?.stringValue ?? "TCP")"
                    }.joined(separator: ",")
                )
            }
        case ("apps", "Deployment"):
            add(column("Ready")) { o in
                .string("\(status(o, "readyReplicas")?.intValue ?? 0)/\(spec(o, "replicas")?.intValue ?? 0)")
            }
            add(column("Up-to-date", "integer")) { o in .int(status(o, "updatedReplicas")?.intValue ?? 0) }
            add(column("Available", "integer")) { o in .int(status(o, "availableReplicas")?.intValue ?? 0) }
        case ("apps", "StatefulSet"):
            add(column("Ready")) { o in
                .string("\(status(o, "readyReplicas")?.intValue ?? 0)/\(spec(o, "replicas")?.intValue ?? 0)")
            }
        case ("apps", "ReplicaSet"):
            add(column("Desired", "integer")) { o in .int(spec(o, "replicas")?.intValue ?? 0) }
            add(column("Current", "integer")) { o in .int(status(o, "replicas")?.intValue ?? 0) }
            add(column("Ready", "integer")) { o in .int(status(o, "readyReplicas")?.intValue ?? 0) }
        case ("batch", "Job"):
            add(column("Status")) { o in
                let conds = status(o, "conditions")?.arrayValue ?? []
                if conds.contains(where: { $0["type"] == "Complete" && $0["status"] == "True" }) { return "Complete" }
                if conds.contains(where: { $0["type"] == "Failed" && $0["status"] == "True" }) { return "Failed" }
                return "Running"
            }
            add(column("Completions")) { o in
                .string("\(status(o, "succeeded")?.intValue ?? 0)/\(spec(o, "completions")?.intValue ?? 1)")
            }
        default:
            break
        }
        columns.append(column("Age", "string", ageDescription))
        var rows: [Value] = []
        rows.reserveCapacity(items.count)
        for o in items {
            var c: [Value] = [o["metadata"]?["name"] ?? ""]
            for f in cells { c += f(o) }
            c.append(.string(Clock.age(o["metadata"]?["creationTimestamp"]?.stringValue)))
            let partial: Value = [
                "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o["metadata"] ?? [:],
            ]
            rows.append(["cells": .array(c), "object": partial])
        }
        var meta = ObjectValue()
        if let rv { meta["resourceVersion"] = .string(String(rv)) }
        if let cont { meta["continue"] = .string(cont) }
        if let remaining { meta["remainingItemCount"] = .int(Int64(remaining)) }
        var table: ObjectValue = ["kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": .object(meta)]
        table["columnDefinitions"] = includeHeaders ? .array(columns) : .array([])
        table["rows"] = .array(rows)
        return .object(table)
    }
}
