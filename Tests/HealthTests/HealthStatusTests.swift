import Health
import Testing

@Suite struct HealthStatusTests {
    @Test func orderIsArgoCDs() {
        #expect(HealthStatusCode.allCases == [.healthy, .suspended, .progressing, .missing, .degraded, .unknown])
        #expect(HealthStatusCode.healthy < .suspended)
        #expect(HealthStatusCode.missing < .degraded)
        #expect(HealthStatusCode.degraded < .unknown)
        #expect(HealthStatusCode.healthy.isWorse(.progressing))
        #expect(!HealthStatusCode.degraded.isWorse(.missing))
    }

    @Test func worseOf() {
        #expect(HealthStatusCode.worst(of: [.healthy, .missing, .degraded, .progressing]) == .degraded)
        #expect(HealthStatusCode.worst(of: []) == .healthy)
        #expect(HealthStatusCode.worse(.suspended, .progressing) == .progressing)
        let a = HealthStatus.progressing("first")
        #expect(HealthStatus.worse(a, .progressing("second")).message == "first")
        #expect(HealthStatus.worse(a, .unknown("x")).code == .unknown)
    }

    @Test func namesAreArgoCDs() {
        #expect(HealthStatusCode(argoName: "Progressing") == .progressing)
        #expect(HealthStatusCode(argoName: "progressing") == nil)
        #expect(HealthStatus.degraded("boom").description == "Degraded: boom")
        #expect(HealthStatus.healthy().description == "Healthy")
    }
}
