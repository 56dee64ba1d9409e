import Health
import Manifests
import Testing

@Suite struct PodHealthTests {
    @Test func livePendingPodIsProgressing() throws {
        #expect(builtIn.health(of: try Fixtures.live("pod-pending.json")) == .progressing())
    }

    func running(_ pod: KubeObject, ready: Bool) throws -> KubeObject {
        try pod.with("/status/phase", "Running").with(
            "/status/conditions",
            [["type": "Ready", "status": ready ? "True" : "False"]]
        )
    }

    @Test func runningPods() throws {
        let pod = try Fixtures.live("pod-pending.json")
        #expect(builtIn.health(of: try running(pod, ready: true)) == .healthy())
        #expect(builtIn.health(of: try running(pod, ready: false)) == .progressing())
        let restarted = try running(pod, ready: false).with(
            "/status/containerStatuses",
            [
                [
                    "name": "web", "lastState": ["terminated": ["exitCode": 1, "reason": "Error"]],
                    "state": ["running": [:]],
                ]
            ]
        )
        #expect(builtIn.health(of: restarted)?.code == .degraded)
        // A Pod that runs to completion (a hook) is Progressing while it runs, unless annotated.
        let hook = try running(pod, ready: true).with("/spec/restartPolicy", "Never")
        #expect(builtIn.health(of: hook) == .progressing())
        let annotated = try hook.with("/metadata/annotations", ["argocd.argoproj.io/ignore-restart-policy": "true"])
        #expect(builtIn.health(of: annotated) == .healthy())
    }

    @Test func crashLoopAndImagePullBackOffAreDegraded() throws {
        let pod = try Fixtures.live("pod-pending.json")
        let waiting: (String, String) -> Value = { reason, message in
            [
                "name": "web", "ready": false, "restartCount": 4,
                "state": ["waiting": ["reason": .string(reason), "message": .string(message)]],
            ]
        }
        let crash = try pod.with("/status/phase", "Running").with(
            "/status/containerStatuses",
            [waiting("CrashLoopBackOff", "back-off 40s restarting failed container=web")]
        )
        #expect(builtIn.health(of: crash) == .degraded("back-off 40s restarting failed container=web"))
        let pull = try pod.with(
            "/status/containerStatuses",
            [
                waiting("ImagePullBackOff", "Back-off pulling image \"nginx:nope\""),
                waiting("ErrImagePull", "not found"),
            ]
        )
        #expect(builtIn.health(of: pull) == .degraded("Back-off pulling image \"nginx:nope\", not found"))
        // With restart policy Never, the same waiting state is left to the phase (hooks must not fail early).
        #expect(builtIn.health(of: try pull.with("/spec/restartPolicy", "Never")) == .progressing())
        // ContainerCreating is not an error.
        let creating = try pod.with("/status/containerStatuses", [waiting("ContainerCreating", "")])
        #expect(builtIn.health(of: creating) == .progressing())
    }

    @Test func finishedPods() throws {
        let pod = try Fixtures.live("pod-pending.json").with("/spec/restartPolicy", "Never")
        #expect(builtIn.health(of: try pod.with("/status/phase", "Succeeded")) == .healthy())
        let failed = try pod.with("/status/phase", "Failed")
        #expect(builtIn.health(of: failed) == .degraded())
        #expect(
            builtIn.health(of: try failed.with("/status/message", "Pod was evicted")) == .degraded("Pod was evicted")
        )
        let exited = try failed.with(
            "/status/containerStatuses",
            [["name": "web", "state": ["terminated": ["exitCode": 2, "reason": "Error"]]]]
        )
        #expect(builtIn.health(of: exited) == .degraded("container \"web\" failed with exit code 2"))
        let oom = try failed.with(
            "/status/initContainerStatuses",
            [["name": "init", "state": ["terminated": ["exitCode": 137, "reason": "OOMKilled"]]]]
        )
        #expect(builtIn.health(of: oom) == .degraded("OOMKilled"))
        #expect(builtIn.health(of: try pod.with("/status/phase", "Unknown"))?.code == .unknown)
    }
}

@Suite struct BatchHealthTests {
    @Test func liveRunningJobIsProgressing() throws {
        #expect(builtIn.health(of: try Fixtures.live("job.json")) == .progressing())
    }

    @Test func jobConditions() throws {
        let job = try Fixtures.live("job.json")
        let complete = try job.with("/status/conditions", [["type": "Complete", "status": "True", "message": "done"]])
        #expect(builtIn.health(of: complete) == .healthy("done"))
        let failed = try job.with(
            "/status/conditions",
            [
                ["type": "FailureTarget", "status": "True"],
                [
                    "type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                    "message": "Job has reached the specified backoff limit",
                ],
            ]
        )
        #expect(builtIn.health(of: failed) == .degraded("Job has reached the specified backoff limit"))
        let suspended = try job.with("/spec/suspend", true).with(
            "/status/conditions",
            [["type": "Suspended", "status": "True", "reason": "JobSuspended", "message": "Job suspended"]]
        )
        #expect(builtIn.health(of: suspended) == .suspended("Job suspended"))
        let resumed = try job.with(
            "/status/conditions",
            [["type": "Suspended", "status": "False", "reason": "JobResumed", "message": "Job resumed"]]
        )
        #expect(builtIn.health(of: resumed) == .healthy("Job resumed"))
    }

    @Test func cronJobs() throws {
        let cron = try Fixtures.yaml(
            """
            apiVersion: batch/v1
            kind: CronJob
            metadata: {name: report, namespace: jobs, generation: 1}
            spec: {schedule: "0 * * * *", jobTemplate: {spec: {template: {spec: {restartPolicy: Never}}}}}
            """
        )
        #expect(builtIn.health(of: cron) == .progressing("Waiting for CronJob"))
        #expect(builtIn.health(of: try cron.with("/spec/suspend", true)) == .suspended("CronJob is Suspended"))
        #expect(builtIn.health(of: try cron.with("/status", [:])) == .healthy("CronJob has not been scheduled yet"))
        let scheduled = try cron.with("/status", ["lastScheduleTime": "2026-11-26T19:00:00Z"])
        #expect(
            builtIn.health(of: scheduled) == .healthy("The Cronjob never completed succesfully. It may not be healthy")
        )
        let failedLast = try scheduled.with("/status/lastSuccessfulTime", "2026-11-26T18:00:05Z")
        #expect(
            builtIn.health(of: failedLast) == .degraded("CronJob has not completed its last execution successfully")
        )
        let running = try failedLast.with("/status/active", [["kind": "Job", "name": "report-1"]])
        #expect(
            builtIn.health(of: running)
                == .healthy("The job is running. Its last execution may not have been successful")
        )
        let succeeded = try scheduled.with("/status/lastSuccessfulTime", "2026-11-26T19:00:07Z")
        #expect(builtIn.health(of: succeeded) == .healthy("CronJob has completed its last execution successfully"))
    }
}
