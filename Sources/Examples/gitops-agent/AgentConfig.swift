// The configuration file of gitops-agent, read with Manifests' YAML reader into a `Value` and
// checked key by key, so that a mistake names its file and place:
//
//   cacheDirectory: /var/cache/gitops-agent   # optional; Git mirrors live here
//   applications:
//     - name: guestbook
//       source:
//         repoURL: https://github.com/argoproj/argocd-example-apps.git   # or a local path
//         targetRevision: HEAD         # branch, tag or commit (optional, HEAD by default)
//         path: guestbook              # optional, the repository root by default
//       destination:
//         kubeconfig: ~/.kube/config   # optional: KUBECONFIG, then ~/.kube/config, as kubectl
//         context: kind-dev            # optional: the kubeconfig's current-context
//         namespace: default           # optional, default
//       syncPolicy:                    # optional: manual syncs only when absent
//         automated: true
//         prune: true
//         selfHeal: true
//       pollInterval: 30s              # optional: 3m by default (ms, s, m, h, or a number of seconds)
import Foundation
import Manifests

/// One application of the file.
struct AppConfig {
    var name: String
    var repoURL: String
    var targetRevision: String
    var path: String
    var kubeconfig: String?
    var context: String?
    var namespace: String
    var automated: Bool
    var prune: Bool
    var selfHeal: Bool
    var pollInterval: Duration
}

/// The whole file.
struct AgentConfig {
    var cacheDirectory: String?
    var applications: [AppConfig]
}

/// A mistake in the configuration file: where it is and what is wrong.
struct ConfigError: Error, CustomStringConvertible {
    var description: String
}

extension AgentConfig {
    /// Reads `file`; a syntax error is located at file:line:column, any other mistake names the
    /// file and the key's path (`applications[0].source.repoURL`).
    init(file: String) throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ConfigError(description: "\(file): cannot read the file")
        }
        let document: Value
        do {
            document = try Value(yaml: String(decoding: data, as: UTF8.self), source: file)
        } catch let error as ManifestError {
            throw ConfigError(description: error.description)
        }
        let root = Reader(file: file, path: "", value: document)
        try root.allow(["cacheDirectory", "applications"])
        cacheDirectory = try root.optionalString("cacheDirectory")
        let apps = try root.required("applications").array()
        guard !apps.isEmpty else { throw root.error("'applications' is empty: there is nothing to reconcile") }
        applications = try apps.map(AppConfig.init)
        var seen: Set<String> = []
        for (index, app) in applications.enumerated() where !seen.insert(app.name).inserted {
            throw root.error("applications[\(index)].name: '\(app.name)' is used twice")
        }
    }
}

extension AppConfig {
    fileprivate init(_ app: Reader) throws {
        try app.allow(["name", "source", "destination", "syncPolicy", "pollInterval"])
        name = try app.required("name").string()
        let source = try app.required("source")
        try source.allow(["repoURL", "targetRevision", "path"])
        repoURL = try source.required("repoURL").string()
        targetRevision = try source.optionalString("targetRevision") ?? "HEAD"
        path = try source.optionalString("path") ?? ""
        let destination = try app.optional("destination")
        try destination?.allow(["kubeconfig", "context", "namespace"])
        kubeconfig = try destination?.optionalString("kubeconfig").map(expandTilde)
        context = try destination?.optionalString("context")
        namespace = try destination?.optionalString("namespace") ?? "default"
        let policy = try app.optional("syncPolicy")
        try policy?.allow(["automated", "prune", "selfHeal"])
        automated = try policy?.optionalBool("automated") ?? false
        prune = try policy?.optionalBool("prune") ?? false
        selfHeal = try policy?.optionalBool("selfHeal") ?? false
        pollInterval = try app.optional("pollInterval")?.duration() ?? .seconds(180)
    }
}

private func expandTilde(_ path: String) -> String {
    path.hasPrefix("~/") ? NSHomeDirectory() + path.dropFirst() : path
}

/// A value of the file and its path, with checks that name both.
private struct Reader {
    var file: String
    var path: String
    var value: Value

    func error(_ message: String) -> ConfigError {
        ConfigError(description: "\(file): \(path.isEmpty ? "" : path + ": ")\(message)")
    }

    func allow(_ keys: [String]) throws {
        guard let object = value.objectValue else { throw error("expected a mapping, found \(value.kindName)") }
        for key in object.keys where !keys.contains(key) {
            let place = path.isEmpty ? key : "\(path).\(key)"
            throw ConfigError(
                description:
                    "\(file): \(place): unknown key '\(key)' (expected one of: \(keys.joined(separator: ", ")))"
            )
        }
    }

    func optional(_ key: String) throws -> Reader? {
        guard let child = value[key], !child.isNull else { return nil }
        return Reader(file: file, path: path.isEmpty ? key : "\(path).\(key)", value: child)
    }

    func required(_ key: String) throws -> Reader {
        guard let child = try optional(key) else { throw error("the key '\(key)' is missing") }
        return child
    }

    func optionalString(_ key: String) throws -> String? { try optional(key)?.string() }
    func optionalBool(_ key: String) throws -> Bool? { try optional(key)?.bool() }

    func string() throws -> String {
        guard let text = value.stringValue, !text.isEmpty else {
            throw error("expected a non-empty string, found \(value.kindName)")
        }
        return text
    }

    func bool() throws -> Bool {
        guard let flag = value.boolValue else { throw error("expected true or false, found \(value.kindName)") }
        return flag
    }

    func array() throws -> [Reader] {
        guard let items = value.arrayValue else { throw error("expected a list, found \(value.kindName)") }
        return items.enumerated().map { Reader(file: file, path: "\(path)[\($0.offset)]", value: $0.element) }
    }

    /// `500ms`, `30s`, `5m`, `1h`, or a number of seconds; at least 100 ms.
    func duration() throws -> Duration {
        var seconds: Double?
        if let number = value.doubleValue {
            seconds = number
        } else if let text = value.stringValue {
            let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
            if let (unit, scale) = units.first(where: { text.hasSuffix($0.0) }),
                let number = Double(text.dropLast(unit.count))
            {
                seconds = number * scale
            }
        }
        guard let seconds, seconds >= 0.1, seconds.isFinite else {
            throw error("expected a duration of at least 100ms such as 30s, 5m or 1h, found '\(value)'")
        }
        return .milliseconds(Int64(seconds * 1000))
    }
}
