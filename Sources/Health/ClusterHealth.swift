import Manifests

/// Rules for HorizontalPodAutoscalers and CustomResourceDefinitions (gitops-engine `pkg/health`).
enum ClusterHealth {
    /// HorizontalPodAutoscaler: Degraded when a condition says it cannot scale or read its metrics
    /// (`AbleToScale` with `FailedGetScale` or `FailedUpdateScale`, `ScalingActive` with
    /// `FailedGetResourceMetric` or `InvalidSelector`); Healthy when every condition is a true
    /// `AbleToScale` or `ScalingLimited`; otherwise Progressing "Waiting to Autoscale". For
    /// `autoscaling/v1` the conditions come from the `autoscaling.alpha.kubernetes.io/conditions`
    /// annotation.
    ///
    /// - Throws: ``HealthError`` when that annotation is not a JSON list.
    static func horizontalPodAutoscaler(_ object: KubeObject) throws -> HealthStatus {
        let waiting = HealthStatus.progressing("Waiting to Autoscale")
        var conditions: [Condition]
        if object.version == "v1" {
            guard let text = object.annotation("autoscaling.alpha.kubernetes.io/conditions") else { return waiting }
            let value: Value
            do { value = try Value(json: text) } catch {
                throw HealthError.invalidInput("failed to convert conditions annotation to typed: \(error)")
            }
            guard let list = value.arrayValue else {
                throw HealthError.invalidInput("failed to convert conditions annotation to typed: not a list")
            }
            conditions = list.map(Condition.init)
            if conditions.isEmpty { return waiting }
        } else {
            conditions = object.conditions
        }
        var healthyMessages: [String] = []
        for c in conditions {
            switch (c.type, c.reason) {
            case ("AbleToScale", "FailedGetScale"), ("AbleToScale", "FailedUpdateScale"),
                ("ScalingActive", "FailedGetResourceMetric"), ("ScalingActive", "InvalidSelector"):
                return .degraded(c.message)
            default:
                break
            }
            if (c.type == "AbleToScale" || c.type == "ScalingLimited") && c.status == "True" {
                healthyMessages.append(c.message)
            }
        }
        if healthyMessages.count == conditions.count { return .healthy(healthyMessages.joined(separator: ",")) }
        return waiting
    }

    /// CustomResourceDefinition: Progressing without conditions or while terminating; Degraded
    /// when its names are not accepted, it is not Established, or its schema is not structural;
    /// Healthy "CRD is healthy" otherwise.
    static func customResourceDefinition(_ object: KubeObject) -> HealthStatus {
        let conditions = object.conditions
        if conditions.isEmpty { return .progressing("Status conditions not found") }
        var established = false
        var terminating = false
        var namesNotAccepted = false
        var violations = false
        var message = ""
        for c in conditions {
            switch c.type {
            case "Terminating" where c.status == "True":
                terminating = true
                message = c.message
            case "NamesAccepted" where c.status == "False":
                namesNotAccepted = true
                message = c.message
            case "Established":
                if c.status == "True" { established = true } else { message = c.message }
            case "NonStructuralSchema" where c.status == "True":
                violations = true
                message = c.message
            default:
                break
            }
        }
        if terminating { return .progressing("CRD is being terminated: \(message)") }
        if namesNotAccepted { return .degraded("CRD names have not been accepted: \(message)") }
        if !established { return .degraded("CRD is not established: \(message)") }
        if violations { return .degraded("Schema violations found: \(message)") }
        return .healthy("CRD is healthy")
    }
}
