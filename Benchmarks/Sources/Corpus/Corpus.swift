import Manifests

/// A deterministic generator of realistic Kubernetes manifests: the same bytes on every machine
/// and every run, so benchmarks compare like with like.
public enum Corpus {
    /// A small linear congruential generator; deterministic by design.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
        mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }
        mutating func word() -> String { pick(words) }
    }

    static let words = [
        "api", "web", "cache", "queue", "worker", "auth", "billing", "search", "frontend", "backend", "metrics",
        "gateway", "orders", "payments", "inventory", "users", "reports", "notify", "ledger", "catalog",
    ]

    /// Objects totalling about `targetBytes` of YAML: Deployments (containers, env, ports, probes,
    /// volumes, resources), Services, ConfigMaps with block scalars, Ingresses and custom resources.
    public static func objects(targetBytes: Int = 10_000_000, seed: UInt64 = 42) -> [Value] {
        var random = Random(state: seed)
        var objects: [Value] = []
        var size = 0
        var n = 0
        while size < targetBytes {
            let object: Value
            switch n % 5 {
            case 0, 1: object = deployment(n, &random)
            case 2: object = service(n, &random)
            case 3: object = configMap(n, &random)
            default: object = n % 10 == 4 ? ingress(n, &random) : widget(n, &random)
            }
            size += object.yamlBytes().count + 4
            objects.append(object)
            n += 1
        }
        return objects
    }

    /// The corpus as one YAML stream.
    public static func yaml(_ objects: [Value]) -> [UInt8] { Array(YAML.string(documents: objects).utf8) }

    /// The corpus as one JSON `List`.
    public static func jsonList(_ objects: [Value]) -> [UInt8] {
        let list: Value = ["apiVersion": "v1", "kind": "List", "items": .array(objects)]
        // The corpus holds no NaN or infinity, so writing cannot fail.
        return (try? list.jsonBytes(JSONWriteOptions(indent: 2))) ?? []
    }

    static func labels(_ name: String, _ random: inout Random) -> Value {
        [
            "app.kubernetes.io/name": .string(name), "app.kubernetes.io/part-of": .string(random.word()),
            "tier": .string(random.pick(["frontend", "backend", "data"])),
        ]
    }

    static func deployment(_ n: Int, _ random: inout Random) -> Value {
        let name = "\(random.word())-\(n)"
        var containers: [Value] = []
        for c in 0..<random.int(1...3) {
            var env: [Value] = []
            for e in 0..<random.int(2...8) {
                env.append([
                    "name": .string("\(random.word().uppercased())_SETTING_\(e)"),
                    "value": .string("value-\(random.next() % 10_000)"),
                ])
            }
            env.append(["name": "POD_IP", "valueFrom": ["fieldRef": ["fieldPath": "status.podIP"]]])
            containers.append([
                "name": .string(c == 0 ? "app" : "sidecar-\(c)"),
                "image": .string(
                    "registry.example.com/\(random.word())/\(random.word()):1.\(random.int(0...40)).\(random.int(0...9))"
                ),
                "args": ["--port=8080", .string("--log-level=\(random.pick(["info", "debug", "warn"]))")],
                "ports": [
                    ["name": "http", "containerPort": 8080, "protocol": "TCP"],
                    ["name": "metrics", "containerPort": 9090, "protocol": "TCP"],
                ],
                "env": .array(env),
                "resources": [
                    "requests": [
                        "cpu": .string("\(random.int(1...9) * 100)m"),
                        "memory": .string("\(random.int(1...8) * 128)Mi"),
                    ],
                    "limits": ["cpu": .string("\(random.int(1...4))"), "memory": .string("\(random.int(1...4))Gi")],
                ],
                "livenessProbe": [
                    "httpGet": ["path": "/healthz", "port": 8080], "initialDelaySeconds": 10, "periodSeconds": 10,
                ],
                "readinessProbe": ["httpGet": ["path": "/ready", "port": "http"], "failureThreshold": 3],
                "volumeMounts": [
                    ["name": "config", "mountPath": "/etc/app", "readOnly": true],
                    ["name": "data", "mountPath": "/var/lib/app"],
                ],
            ])
        }
        return [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": [
                "name": .string(name), "namespace": .string("team-\(n % 17)"), "labels": labels(name, &random),
                "annotations": ["deployment.kubernetes.io/revision": .string("\(random.int(1...30))")],
            ],
            "spec": [
                "replicas": .int(Int64(random.int(1...6))),
                "selector": ["matchLabels": ["app.kubernetes.io/name": .string(name)]],
                "strategy": ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": "25%", "maxUnavailable": 0]],
                "template": [
                    "metadata": ["labels": labels(name, &random)],
                    "spec": [
                        "serviceAccountName": .string(name), "containers": .array(containers),
                        "volumes": [
                            ["name": "config", "configMap": ["name": .string("\(name)-config")]],
                            ["name": "data", "emptyDir": [:]],
                        ],
                        "terminationGracePeriodSeconds": 30,
                    ],
                ],
            ],
        ]
    }

    static func service(_ n: Int, _ random: inout Random) -> Value {
        let name = "\(random.word())-\(n)"
        return [
            "apiVersion": "v1", "kind": "Service",
            "metadata": [
                "name": .string(name), "namespace": .string("team-\(n % 17)"), "labels": labels(name, &random),
            ],
            "spec": [
                "type": .string(random.pick(["ClusterIP", "ClusterIP", "LoadBalancer"])),
                "selector": ["app.kubernetes.io/name": .string(name)],
                "ports": [["name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"]],
            ],
        ]
    }

    static func configMap(_ n: Int, _ random: inout Random) -> Value {
        let name = "\(random.word())-\(n)-config"
        var lines = ""
        for k in 0..<random.int(5...25) {
            lines += "\(random.word()).\(random.word()).setting\(k) = \(random.next() % 100_000)\n"
        }
        return [
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": ["name": .string(name), "namespace": .string("team-\(n % 17)")],
            "data": [
                "app.properties": .string(lines), "LOG_LEVEL": "info", "FEATURE_FLAGS": "a,b,c", "enabled": "true",
            ],
        ]
    }

    static func ingress(_ n: Int, _ random: inout Random) -> Value {
        let name = "\(random.word())-\(n)"
        return [
            "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": [
                "name": .string(name), "namespace": .string("team-\(n % 17)"),
                "annotations": ["nginx.ingress.kubernetes.io/rewrite-target": "/"],
            ],
            "spec": [
                "ingressClassName": "nginx",
                "tls": [["hosts": [.string("\(name).example.com")], "secretName": .string("\(name)-tls")]],
                "rules": [
                    [
                        "host": .string("\(name).example.com"),
                        "http": [
                            "paths": [
                                [
                                    "path": "/", "pathType": "Prefix",
                                    "backend": ["service": ["name": .string(name), "port": ["number": 80]]],
                                ]
                            ]
                        ],
                    ]
                ],
            ],
        ]
    }

    static func widget(_ n: Int, _ random: inout Random) -> Value {
        [
            "apiVersion": "example.com/v1", "kind": "Widget",
            "metadata": ["name": .string("widget-\(n)"), "namespace": .string("team-\(n % 17)")],
            "spec": [
                "size": .int(Int64(random.int(1...100))), "color": .string(random.pick(["red", "green", "blue"])),
                "ratio": .double(Double(random.int(1...999)) / 8), "enabled": .bool(random.int(0...1) == 1),
                "tags": [.string(random.word()), .string(random.word())],
            ],
        ]
    }
}
