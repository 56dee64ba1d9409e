import Manifests

/// Rules for Jobs (gitops-engine `pkg/health`) and CronJobs (Argo CD's `batch/CronJob/health.lua`).
enum BatchHealth {
    /// Job: Progressing until a `Complete`, `Failed` or `Suspended` condition appears; then a
    /// `Failed` condition is Degraded, a true `Suspended` condition is Suspended, and otherwise
    /// the Job is Healthy. The message is the deciding condition's.
    static func job(_ object: KubeObject) -> HealthStatus {
        var failed = false
        var complete = false
        var suspended = false
        var failMessage = ""
        var message = ""
        for c in object.conditions {
            switch c.type {
            case "Failed":
                failed = true
                complete = true
                failMessage = c.message
            case "Complete":
                complete = true
                message = c.message
            case "Suspended":
                complete = true
                message = c.message
                if c.status == "True" { suspended = true }
            default:
                break
            }
        }
        if !complete { return .progressing(message) }
        if failed { return .degraded(failMessage) }
        if suspended { return .suspended(message) }
        return .healthy(message)
    }

    /// CronJob: `spec.suspend` is Suspended; a CronJob whose last successful run is older than its
    /// last scheduled run and that has no active Job is Degraded; otherwise Healthy (with a message
    /// saying what is known), or Progressing while it has no status at all.
    static func cronJob(_ object: KubeObject) -> HealthStatus {
        if object.spec.member("suspend").bool == true { return .suspended("CronJob is Suspended") }
        guard let status = object.status, !status.isNull else { return .progressing("Waiting for CronJob") }
        guard let lastSchedule = status.member("lastScheduleTime"), !lastSchedule.isNull else {
            return .healthy("CronJob has not been scheduled yet")
        }
        guard let lastSuccess = status.member("lastSuccessfulTime"), !lastSuccess.isNull else {
            return .healthy("The Cronjob never completed succesfully. It may not be healthy")
        }
        if status.member("active").count > 0 {
            return .healthy("The job is running. Its last execution may not have been successful")
        }
        // RFC 3339 times in UTC compare correctly as text, as the Lua script compares them.
        if lastSuccess.string < lastSchedule.string {
            return .degraded("CronJob has not completed its last execution successfully")
        }
        return .healthy("CronJob has completed its last execution successfully")
    }
}
