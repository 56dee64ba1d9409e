import Manifests

/// The Pod rule, following Argo CD (gitops-engine `pkg/health`).
enum PodHealth {
    /// Argo CD's annotation that makes a Pod with restart policy `OnFailure` or `Never` assessed
    /// like a long-running one.
    static let ignoreRestartPolicyAnnotation = "argocd.argoproj.io/ignore-restart-policy"

    /// With restart policy `Always` (the Kubernetes default, also when the field is absent), a
    /// container waiting with a reason that starts with `Err` or ends with `Error` or `BackOff`
    /// (`CrashLoopBackOff`, `ImagePullBackOff`, `ErrImagePull`, `CreateContainerConfigError`) is
    /// Degraded. Otherwise by phase: Pending is Progressing, Succeeded is Healthy, Failed is
    /// Degraded, Running is Healthy when Ready (Degraded when a container has terminated before,
    /// Progressing otherwise); a Running Pod with restart policy `OnFailure` or `Never` is
    /// Progressing (it is usually a hook that has not finished).
    static func pod(_ object: KubeObject) -> HealthStatus {
        let restartPolicy = object.spec.member("restartPolicy")?.stringValue ?? "Always"
        let status = object.statusValue
        let podMessage = status.member("message").string
        let containerStatuses = status.member("containerStatuses")?.arrayValue ?? []

        if restartPolicy == "Always" {
            var messages: [String] = []
            var degraded = false
            for container in containerStatuses {
                guard let waiting = container.member("state")?.member("waiting"), !waiting.isNull else { continue }
                let reason = waiting.member("reason").string
                if reason.hasPrefix("Err") || reason.hasSuffix("Error") || reason.hasSuffix("BackOff") {
                    degraded = true
                    messages.append(waiting.member("message").string)
                }
            }
            if degraded { return .degraded(messages.joined(separator: ", ")) }
        }

        switch status.member("phase").string {
        case "Pending":
            return .progressing(podMessage)
        case "Succeeded":
            return .healthy(podMessage)
        case "Failed":
            if !podMessage.isEmpty { return .degraded(podMessage) }
            let all = (status.member("initContainerStatuses")?.arrayValue ?? []) + containerStatuses
            for container in all {
                if let message = failMessage(container) { return .degraded(message) }
            }
            return .degraded()
        case "Running":
            let longRunning =
                restartPolicy == "Always" || object.annotation(ignoreRestartPolicyAnnotation) != nil
            if !longRunning {
                if restartPolicy == "OnFailure" || restartPolicy == "Never" { return .progressing(podMessage) }
                return .unknown(podMessage)
            }
            if KubeObject.condition("Ready", in: status)?.status == "True" { return .healthy(podMessage) }
            for container in containerStatuses {
                if let terminated = container.member("lastState")?.member("terminated"), !terminated.isNull {
                    return .degraded(podMessage)
                }
            }
            return .progressing(podMessage)
        default:
            return .unknown(podMessage)
        }
    }

    private static func failMessage(_ container: Value) -> String? {
        guard let terminated = container.member("state")?.member("terminated"), !terminated.isNull else { return nil }
        let message = terminated.member("message").string
        if !message.isEmpty { return message }
        if terminated.member("reason").string == "OOMKilled" { return "OOMKilled" }
        let exitCode = terminated.member("exitCode").int
        if exitCode != 0 {
            return "container \(quoted(container.member("name").string)) failed with exit code \(exitCode)"
        }
        return nil
    }
}
