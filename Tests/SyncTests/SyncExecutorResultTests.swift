import Foundation
import Health
import Manifests
import Testing

@testable import Sync

@Suite struct SyncExecutorResultTests {
    func result(_ revision: String, _ status: SyncOperationResult.Status, dryRun: Bool = false) -> SyncOperationResult {
        SyncOperationResult(
            revision: revision,
            startedAt: Date(timeIntervalSince1970: 1_000),
            finishedAt: Date(timeIntervalSince1970: 1_002),
            status: status,
            message: "m",
            phase: .sync,
            dryRun: dryRun,
            resources: [
                ResourceResult(
                    key: ResourceKey(group: "apps", kind: "Deployment", namespace: "shop", name: "web"),
                    phase: .sync,
                    wave: 1,
                    action: .configured,
                    message: "changed",
                    health: .progressing("rolling out")
                ),
                ResourceResult(
                    key: ResourceKey(group: "", kind: "Namespace", namespace: "", name: "shop"),
                    phase: .preSync,
                    wave: 0,
                    action: .created,
                    isHook: true
                ),
            ]
        )
    }

    @Test func historyKeepsTheNewestEntriesWithGrowingIDs() {
        var history = SyncHistory(limit: 3)
        for i in 1...5 { history.record(result("r\(i)", i == 5 ? .failed : .succeeded)) }
        #expect(history.count == 3)
        #expect(history.entries.map(\.id) == [3, 4, 5])
        #expect(history.entries.map(\.result.revision) == ["r3", "r4", "r5"])
        #expect(history.last?.result.revision == "r5")
        #expect(history.lastSucceeded?.result.revision == "r4")
        #expect(history.entry(id: 2) == nil && history.entry(id: 4)?.result.revision == "r4")
        history.setLimit(0)
        #expect(history.limit == 1 && history.entries.map(\.id) == [5])
        history.record(result("r6", .succeeded, dryRun: true))
        #expect(history.lastSucceeded == nil)  // a dry run is not a state to roll back to
        #expect(history.nextID == 7)
    }

    @Test func resultsAndHistoryRoundTripThroughJSON() throws {
        var history = SyncHistory(limit: 2)
        history.record(result("abc", .succeeded))
        let data = try JSONEncoder().encode(history)
        let decoded = try JSONDecoder().decode(SyncHistory.self, from: data)
        #expect(decoded == history)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"health\":\"Progressing\"") && text.contains("\"kind\":\"Deployment\""))
    }

    @Test func aHistoryThatBreaksItsOwnRulesIsRefused() throws {
        #expect(throws: DecodingError.self) {
            _ = try JSONDecoder().decode(SyncHistory.self, from: Data(#"{"entries":[],"limit":0,"nextID":1}"#.utf8))
        }
        var history = SyncHistory(limit: 2)
        history.record(result("a", .succeeded))
        var json = String(decoding: try JSONEncoder().encode(history), as: UTF8.self)
        json = json.replacingOccurrences(of: #""nextID":2"#, with: #""nextID":1"#)
        #expect(throws: DecodingError.self) { _ = try JSONDecoder().decode(SyncHistory.self, from: Data(json.utf8)) }
    }

    @Test func anUnknownHealthInJSONIsAClearError() throws {
        let json =
            #"{"group":"","kind":"ConfigMap","namespace":"a","name":"b","phase":"Sync","wave":0,"action":"created","health":"Fine"}"#
        #expect {
            _ = try JSONDecoder().decode(ResourceResult.self, from: Data(json.utf8))
        } throws: { error in
            "\(error)".contains("unknown health status 'Fine'")
        }
    }

    @Test func optionsForwardThePlanOptions() {
        var options = SyncOptions(app: "shop", prune: true)
        #expect(options.plan.prune && options.app == "shop")
        options.pruneLast = true
        options.defaultNamespace = "web"
        #expect(options.plan.pruneLast && options.plan.defaultNamespace == "web")
        #expect(options.deletionPropagation == .foreground && options.serverSideApply && !options.dryRunOnly)
    }

    @Test func mergePatchNullsWhatTheLastApplyHadAndTheNewOneHasNot() throws {
        let old = try Value(json: #"{"data":{"a":"1","b":"2"},"metadata":{"labels":{"x":"y"}}}"#)
        let new = try Value(json: #"{"data":{"a":"3"},"metadata":{}}"#)
        let patch = Operation.mergePatch(from: old, to: new)
        #expect(patch == (try Value(json: #"{"data":{"a":"3","b":null},"metadata":{"labels":null}}"#)))
        #expect(Operation.mergePatch(from: nil, to: new) == new)
    }

    @Test func aCRDIsReadyOnlyOnceEstablished() throws {
        let registry = HealthRegistry()
        var crd = try KubeObject(
            Value(
                json:
                    #"{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"a.b"}}"#
            )
        )
        #expect(Operation.verdict(of: crd, registry: registry).1 == .waiting)
        crd.fields["status"] = try Value(json: #"{"conditions":[{"type":"Established","status":"False"}]}"#)
        #expect(Operation.verdict(of: crd, registry: registry).1 == .waiting)
        crd.fields["status"] = try Value(
            json: #"{"conditions":[{"type":"NamesAccepted","status":"False","message":"taken"}]}"#
        )
        #expect(Operation.verdict(of: crd, registry: registry).1 == .failed)
        crd.fields["status"] = try Value(json: #"{"conditions":[{"type":"Established","status":"True"}]}"#)
        #expect(Operation.verdict(of: crd, registry: registry).1 == .ready)
        let cm = KubeObject(apiVersion: "v1", kind: "ConfigMap", name: "c")
        #expect(Operation.verdict(of: cm, registry: registry).0 == nil)
    }
}
