// Requests per second of the embedded cluster over loopback, each against an anchor measured in
// the same run (higher ratio is better):
//   get: GET of one ConfigMap, against GET /version on the same keep-alive connection (the
//        HTTP and transport floor).
//   apply: server-side apply of a Deployment (replicas change each time), same anchor.
//   list-10k: listing 10,000 ConfigMaps as JSON, MB/s against writing the same list with
//        Value.jsonBytes in process (the serialization floor).
//   kube-list: the same list through KubeClient (libcurl, decoded into KubeObjects), against
//        `kubectl get configmaps -o json` of the same list (skipped when kubectl is missing).
//   sync-apply: SyncExecutor syncing a directory of 1,000 objects (10 Namespaces, ConfigMaps,
//        Secrets, ServiceAccounts, Services; one file each) into a fresh embedded cluster (render,
//        list, dry run of the whole plan, apply in order, health), objects/s against
//        `kubectl apply --server-side -f` of the same directory into another fresh embedded
//        cluster (skipped when kubectl is missing).
// Run: cd Benchmarks && swift build -c release --product cluster-ratios && .build/release/cluster-ratios
// (CLUSTER_RATIOS_ONLY=sync-apply for the last line alone; SYNC_CONCURRENCY=n sets the executor's
// requests in flight, 8 by default; SYNC_APPLY_ROUNDS=n the rounds of each side, 3 by default, the
// best counting; SYNC_APPLY_SIDES=ours runs only our side, for a profiler).
import EmbeddedCluster
import Foundation
import KubeClient
import Manifests
import Sync

#if canImport(Glibc)
import Glibc
#endif

/// One keep-alive HTTP/1.1 connection to 127.0.0.1, reading Content-Length and chunked bodies.
final class Connection {
    let fd: Int32
    var buffer: [UInt8] = []

    init(port: Int) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }

    deinit { close(fd) }

    func fill() {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        let n = recv(fd, &chunk, chunk.count, 0)
        precondition(n > 0, "connection closed")
        buffer.append(contentsOf: chunk[0..<n])
    }

    func line() -> String {
        while true {
            if let i = buffer.firstIndex(of: 10) {
                let l = String(decoding: buffer[0..<i], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                buffer.removeFirst(i + 1)
                return l
            }
            fill()
        }
    }

    func bytes(_ n: Int) -> [UInt8] {
        while buffer.count < n { fill() }
        let out = Array(buffer[0..<n])
        buffer.removeFirst(n)
        return out
    }

    /// Sends a request and returns the status and body.
    func request(_ method: String, _ path: String, contentType: String? = nil, body: [UInt8] = []) -> (Int, [UInt8]) {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: cluster-ratios/1\r\n"
        if let contentType { head += "Content-Type: \(contentType)\r\n" }
        head += "Content-Length: \(body.count)\r\n\r\n"
        let out = Array(head.utf8) + body
        _ = out.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        let status = Int(line().split(separator: " ")[1]) ?? 0
        var length = 0
        var chunked = false
        while true {
            let l = line()
            if l.isEmpty { break }
            let lower = l.lowercased()
            if lower.hasPrefix("content-length:") {
                length = Int(lower.dropFirst(15).trimmingCharacters(in: .whitespaces)) ?? 0
            }
            if lower.hasPrefix("transfer-encoding:") && lower.contains("chunked") { chunked = true }
        }
        guard chunked else { return (status, bytes(length)) }
        var result: [UInt8] = []
        while true {
            let size = Int(line(), radix: 16) ?? 0
            if size == 0 {
                _ = line()
                return (status, result)
            }
            result += bytes(size)
            _ = line()
        }
    }
}

func seconds(_ body: () -> Void) -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    body()
    let d = clock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

/// Best of `rounds` alternating runs of ours and the anchor.
func pair(rounds: Int, _ ours: () -> Void, _ anchor: () -> Void) -> (Double, Double) {
    var a = Double.infinity
    var b = Double.infinity
    for _ in 0..<rounds {
        a = min(a, seconds(ours))
        b = min(b, seconds(anchor))
    }
    return (a, b)
}

func figure(_ x: Double) -> String { x >= 100 ? String(Int(x.rounded())) : String(format: "%.1f", x) }

func line(_ name: String, ours: Double, anchorName: String, anchor: Double, unit: String) -> String {
    "\(name): ratio \(String(format: "%.2f", ours / anchor)) (ours \(figure(ours)) \(unit), \(anchorName) \(figure(anchor)) \(unit))"
}

// CLUSTER_RATIOS_ONLY=sync-apply runs only the last line.
let only = ProcessInfo.processInfo.environment["CLUSTER_RATIOS_ONLY"]
if only == nil {
    let cluster = try await EmbeddedCluster.start(.init(threads: 2))
    let c = Connection(port: cluster.port)
    let json = "application/json"
    _ = c.request(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        contentType: json,
        body: Array(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"bench"},"data":{"a":"1"}}"#.utf8)
    )

    let n = 2000
    let (get, version) = pair(
        rounds: 3,
        { for _ in 0..<n { _ = c.request("GET", "/api/v1/namespaces/default/configmaps/bench") } },
        { for _ in 0..<n { _ = c.request("GET", "/version") } }
    )
    print(line("get", ours: Double(n) / get, anchorName: "get-version", anchor: Double(n) / version, unit: "req/s"))

    let deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, labels: {app: web}}
        spec:
          replicas: REPLICAS
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
              - {name: web, image: registry.invalid/web:1.0, ports: [{containerPort: 8080}]}
              - {name: sidecar, image: registry.invalid/sidecar:1.0}
        """
    var i = 0
    let m = 500
    let (apply, version2) = pair(
        rounds: 3,
        {
            for _ in 0..<m {
                i += 1
                let (status, _) = c.request(
                    "PATCH",
                    "/apis/apps/v1/namespaces/default/deployments/web?fieldManager=bench&force=true",
                    contentType: "application/apply-patch+yaml",
                    body: Array(deployment.replacingOccurrences(of: "REPLICAS", with: String(i % 5 + 1)).utf8)
                )
                precondition(status < 300)
            }
        },
        { for _ in 0..<m { _ = c.request("GET", "/version") } }
    )
    print(line("apply", ours: Double(m) / apply, anchorName: "get-version", anchor: Double(m) / version2, unit: "req/s"))

    for k in 0..<10_000 {
        let body =
            #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-\#(k)","labels":{"app":"bench"}},"data":{"key":"value-\#(k)","other":"\#(String(repeating: "x", count: 100))"}}"#
        _ = c.request("POST", "/api/v1/namespaces/default/configmaps", contentType: json, body: Array(body.utf8))
    }
    var listBytes = 0
    var listValue: Value = .null
    let (list, emit) = pair(
        rounds: 3,
        {
            let (_, body) = c.request("GET", "/api/v1/namespaces/default/configmaps")
            listBytes = body.count
            if listValue == .null { listValue = (try? Value(json: body)) ?? .null }
        },
        {
            _ = try? listValue.jsonBytes()
        }
    )
    let mb = Double(listBytes) / 1_000_000
    print(line("list-10k", ours: mb / list, anchorName: "jsonBytes", anchor: mb / emit, unit: "MB/s") + ", \(String(format: "%.0f", list * 1000)) ms for \(String(format: "%.1f", mb)) MB")

    let kubeconfigPath = FileManager.default.temporaryDirectory.appendingPathComponent("cluster-ratios-\(getpid()).yaml").path
    try cluster.writeKubeconfig(to: kubeconfigPath)
    let client = KubernetesClient(configuration: try Kubeconfig(yaml: cluster.kubeconfig).resolve())
    let configMaps = GroupVersionKind(apiVersion: "v1", kind: "ConfigMap")
    var bestClient = Double.infinity
    var bestKubectl = Double.infinity
    var kubectlMissing = false
    for _ in 0..<3 {
        let start = Date()
        let listed = try await client.list(configMaps, namespace: "default", options: ListOptions(pageSize: nil))
        precondition(listed.items.count >= 10_000)
        bestClient = min(bestClient, Date().timeIntervalSince(start))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["kubectl", "--kubeconfig", kubeconfigPath, "get", "configmaps", "-n", "default", "-o", "json"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        let k0 = Date()
        try p.run()
        p.waitUntilExit()
        if p.terminationStatus != 0 { kubectlMissing = true; break }
        bestKubectl = min(bestKubectl, Date().timeIntervalSince(k0))
    }
    try? FileManager.default.removeItem(atPath: kubeconfigPath)
    if !kubectlMissing {
        print(line("kube-list", ours: 1 / bestClient, anchorName: "kubectl-get-json", anchor: 1 / bestKubectl, unit: "lists/s") + ", \(String(format: "%.0f", bestClient * 1000)) ms against \(String(format: "%.0f", bestKubectl * 1000)) ms")
    }
    try await cluster.shutdown()
}


// sync-apply: the same 1,000 files into two fresh clusters, ours and kubectl's.
let syncDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("sync-apply-\(getpid())").path
try FileManager.default.createDirectory(atPath: syncDirectory, withIntermediateDirectories: true)
var syncFiles: [String] = []
for ns in 0..<10 { syncFiles.append("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-\(ns)\n") }
for k in 0..<990 {
    let ns = "team-\(k % 10)"
    switch k % 4 {
    case 0:
        syncFiles.append(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config-\(k)\n  namespace: \(ns)\n  labels: {app: app-\(k % 50)}\n"
                + "data:\n  mode: blue\n  replicas: \"\(k % 7)\"\n  settings.yaml: |\n    key: value-\(k)\n    other: \(String(repeating: "x", count: 80))\n"
        )
    case 1:
        syncFiles.append(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: secret-\(k)\n  namespace: \(ns)\ntype: Opaque\n"
                + "stringData:\n  password: pw-\(k)\n"
        )
    case 2:
        syncFiles.append("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa-\(k)\n  namespace: \(ns)\n")
    default:
        syncFiles.append(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-\(k)\n  namespace: \(ns)\n  labels: {app: app-\(k % 50)}\n"
                + "spec:\n  selector: {app: app-\(k % 50)}\n  ports:\n  - {name: http, port: 80, targetPort: 8080}\n"
        )
    }
}
for (index, text) in syncFiles.enumerated() {
    try text.write(toFile: syncDirectory + "/" + String(format: "%04d.yaml", index), atomically: false, encoding: .utf8)
}
let fileCount = syncFiles.count

/// CPU seconds (user and system) used so far by this process, or by its waited-for children.
func cpuSeconds(_ who: Int32) -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(who), &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1_000_000 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// One sync of the directory into a fresh cluster: wall seconds, CPU seconds of this process
/// (client and cluster), and the phases.
func ourSync() async throws -> (seconds: Double, cpu: Double, phases: String) {
    let cluster = try await EmbeddedCluster.start(.init(threads: 2))
    var config = try Kubeconfig(yaml: cluster.kubeconfig).resolve()
    config.qps = 0
    /// When the operation started and its dry run finished.
    final class Marks: @unchecked Sendable {
        let lock = NSLock()
        var started = Date()
        var dryRunDone = Date()
        var cpuStarted = 0.0
        var cpuDryRunDone = 0.0
    }
    let marks = Marks()
    let executor = SyncExecutor(
        client: KubernetesClient(configuration: config),
        options: SyncOptions(
            app: "bench", fieldManager: "bench-sync",
            concurrency: Int(ProcessInfo.processInfo.environment["SYNC_CONCURRENCY"] ?? "") ?? 8),
        observer: ClosureSyncObserver { event in
            marks.lock.lock()
            defer { marks.lock.unlock() }
            switch event {
            case .operationStarted:
                marks.started = Date()
                marks.cpuStarted = cpuSeconds(RUSAGE_SELF.rawValue)
            case .dryRunFinished:
                marks.dryRunDone = Date()
                marks.cpuDryRunDone = cpuSeconds(RUSAGE_SELF.rawValue)
            default: break
            }
        }
    )
    let cpu0 = cpuSeconds(RUSAGE_SELF.rawValue)
    let start = Date()
    let rendered = try await DirectoryRenderer().render(RenderInput(directory: syncDirectory))
    let result = await executor.run(desired: rendered, revision: "bench")
    let seconds = Date().timeIntervalSince(start)
    let cpu = cpuSeconds(RUSAGE_SELF.rawValue) - cpu0
    let end = start.addingTimeInterval(seconds)
    let phases = [
        ("render", marks.started.timeIntervalSince(start), marks.cpuStarted - cpu0),
        ("list, plan, dry run", marks.dryRunDone.timeIntervalSince(marks.started), marks.cpuDryRunDone - marks.cpuStarted),
        ("apply", end.timeIntervalSince(marks.dryRunDone), cpu0 + cpu - marks.cpuDryRunDone),
    ].map { "\($0.0) \(String(format: "%.2f", $0.1)) s, CPU \(String(format: "%.2f", $0.2)) s" }.joined(separator: "; ")
    precondition(result.succeeded && result.resources(.created).count == fileCount, result.message)
    try await cluster.shutdown()
    return (seconds, cpu, phases)
}

/// `kubectl apply --server-side -f` of the directory into a fresh cluster: wall seconds, CPU
/// seconds of kubectl and of the cluster; nil when kubectl is missing or fails.
func kubectlSync() async throws -> (seconds: Double, cpu: Double)? {
    let cluster = try await EmbeddedCluster.start(.init(threads: 2))
    let kubeconfig = syncDirectory + ".kubeconfig"
    try cluster.writeKubeconfig(to: kubeconfig)
    defer { try? FileManager.default.removeItem(atPath: kubeconfig) }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["kubectl", "--kubeconfig", kubeconfig, "apply", "--server-side", "-f", syncDirectory]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    let cpu0 = cpuSeconds(RUSAGE_SELF.rawValue) + cpuSeconds(RUSAGE_CHILDREN.rawValue)
    let start = Date()
    do { try p.run() } catch {
        try await cluster.shutdown()
        return nil
    }
    p.waitUntilExit()
    let seconds = Date().timeIntervalSince(start)
    let cpu = cpuSeconds(RUSAGE_SELF.rawValue) + cpuSeconds(RUSAGE_CHILDREN.rawValue) - cpu0
    try await cluster.shutdown()
    return p.terminationStatus == 0 ? (seconds, cpu) : nil
}

// Rounds alternate between the two sides; each side's best round counts, as in bench-ratios.
// SYNC_APPLY_SIDES=ours runs only our side (for a profiler).
let syncRounds = max(1, Int(ProcessInfo.processInfo.environment["SYNC_APPLY_ROUNDS"] ?? "") ?? 3)
let oursOnly = ProcessInfo.processInfo.environment["SYNC_APPLY_SIDES"] == "ours"
var bestOurs: (seconds: Double, cpu: Double, phases: String)?
var bestKubectl: (seconds: Double, cpu: Double)?
var kubectlFailed = oursOnly
for _ in 0..<syncRounds {
    let ours = try await ourSync()
    if ours.seconds < bestOurs?.seconds ?? .infinity { bestOurs = ours }
    if kubectlFailed { continue }
    if let k = try await kubectlSync() {
        if k.seconds < bestKubectl?.seconds ?? .infinity { bestKubectl = k }
    } else {
        kubectlFailed = true
    }
}
try? FileManager.default.removeItem(atPath: syncDirectory)
let n = Double(fileCount)
if let ours = bestOurs, let kubectl = bestKubectl, !kubectlFailed {
    print(
        line("sync-apply", ours: n / ours.seconds, anchorName: "kubectl-apply-server-side", anchor: n / kubectl.seconds, unit: "objects/s")
            + ", \(String(format: "%.2f", ours.seconds)) s (\(ours.phases)) against \(String(format: "%.2f", kubectl.seconds)) s"
            + " for \(fileCount) objects, best of \(syncRounds); CPU \(String(format: "%.2f", ours.cpu)) s against"
            + " \(String(format: "%.2f", kubectl.cpu)) s (both with their cluster)"
    )
} else if let ours = bestOurs {
    print("sync-apply: ours \(figure(n / ours.seconds)) objects/s, \(String(format: "%.2f", ours.seconds)) s (\(ours.phases)), CPU \(String(format: "%.2f", ours.cpu)) s; kubectl not run")
}
