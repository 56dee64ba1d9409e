import Manifests

/// One cause in a server `Status`'s `details.causes`, such as an invalid field.
public struct StatusCause: Sendable, Hashable {
    /// A machine-readable reason, such as `FieldValueRequired`.
    public var reason: String
    /// A message a person can read.
    public var message: String
    /// The field it concerns, such as `spec.selector`.
    public var field: String
}

/// The `Status` object a Kubernetes API server answers with on failure.
public struct Status: Sendable, Hashable {
    /// The HTTP status code the server put in the body (`code`).
    public var code: Int
    /// `Failure` or `Success`.
    public var status: String
    /// The machine-readable reason: `NotFound`, `AlreadyExists`, `Conflict`, `Invalid`...
    public var reason: String
    /// The server's message.
    public var message: String
    /// `details.name`.
    public var name: String?
    /// `details.group`.
    public var group: String?
    /// `details.kind`.
    public var kind: String?
    /// `details.retryAfterSeconds`.
    public var retryAfterSeconds: Int?
    /// `details.causes`.
    public var causes: [StatusCause]

    /// Reads a `Status` from its JSON value; nil when the value is not a `Status`.
    public init?(_ value: Value) {
        guard value["kind"]?.stringValue == "Status" else { return nil }
        code = Int(value["code"]?.intValue ?? 0)
        status = value["status"]?.stringValue ?? ""
        reason = value["reason"]?.stringValue ?? ""
        message = value["message"]?.stringValue ?? ""
        let details = value["details"]
        name = details?["name"]?.stringValue
        group = details?["group"]?.stringValue
        kind = details?["kind"]?.stringValue
        retryAfterSeconds = details?["retryAfterSeconds"]?.intValue.map { Int($0) }
        causes = (details?["causes"]?.arrayValue ?? []).map {
            StatusCause(
                reason: $0["reason"]?.stringValue ?? "",
                message: $0["message"]?.stringValue ?? "",
                field: $0["field"]?.stringValue ?? ""
            )
        }
    }

    init(code: Int, reason: String, message: String) {
        self.code = code
        self.status = "Failure"
        self.reason = reason
        self.message = message
        self.causes = []
    }
}

/// An error from the Kubernetes client: the API server refused the request (``status`` is set),
/// the transport failed (no answer), the configuration is wrong, or an answer could not be read.
///
/// ```swift
/// do { _ = try await client.get(gvk, name: "web", namespace: "default") }
/// catch let error as KubeError where error.isNotFound { ... }
/// ```
public struct KubeError: Error, Sendable, CustomStringConvertible {
    enum Code: Sendable, Hashable {
        case api
        case transport
        case configuration
        case decoding
        case discovery
        case authentication
    }

    let code: Code
    /// What went wrong, for a person.
    public let message: String
    /// The server's `Status`, when the API server answered with an error.
    public let status: Status?
    /// The HTTP status code, when there was an HTTP answer.
    public let httpStatus: Int?
    /// Where: the kubeconfig file and key, or the request's method and path.
    public let location: String?

    init(_ code: Code, _ message: String, status: Status? = nil, httpStatus: Int? = nil, location: String? = nil) {
        self.code = code
        self.message = message
        self.status = status
        self.httpStatus = httpStatus
        self.location = location
    }

    static func api(_ status: Status, httpStatus: Int, location: String) -> KubeError {
        KubeError(.api, status.message, status: status, httpStatus: httpStatus, location: location)
    }

    static func transport(_ message: String, location: String? = nil) -> KubeError {
        KubeError(.transport, message, location: location)
    }

    static func configuration(_ message: String, file: String?, key: String?) -> KubeError {
        let where_ = [file, key].compactMap { $0 }.joined(separator: ": ")
        return KubeError(.configuration, message, location: where_.isEmpty ? nil : where_)
    }

    /// Builds the error for an HTTP answer with a non-2xx code, from its `Status` body when it has one.
    static func fromResponse(code: Int, body: [UInt8], location: String) -> KubeError {
        if let value = try? Value(json: body), let status = Status(value) {
            return .api(status, httpStatus: code, location: location)
        }
        let reason: String
        switch code {
        case 400: reason = "BadRequest"
        case 401: reason = "Unauthorized"
        case 403: reason = "Forbidden"
        case 404: reason = "NotFound"
        case 405: reason = "MethodNotAllowed"
        case 409: reason = "Conflict"
        case 410: reason = "Gone"
        case 422: reason = "Invalid"
        case 429: reason = "TooManyRequests"
        case 500: reason = "InternalError"
        case 503: reason = "ServiceUnavailable"
        case 504: reason = "Timeout"
        default: reason = "Unknown"
        }
        let text = String(decoding: body.prefix(512), as: UTF8.self)
        return .api(
            Status(code: code, reason: reason, message: text.isEmpty ? "HTTP \(code)" : text),
            httpStatus: code,
            location: location
        )
    }

    /// True when the API server answered (the error carries a `Status`).
    public var isAPIError: Bool { code == .api }
    /// True when no answer came: connection refused, reset, TLS failure, timeout.
    public var isTransportError: Bool { code == .transport }
    /// True for a configuration error (kubeconfig, credentials).
    public var isConfigurationError: Bool { code == .configuration || code == .authentication }

    private func reason(_ r: String, _ http: Int) -> Bool {
        guard code == .api else { return false }
        return status?.reason == r || (status?.reason ?? "").isEmpty && httpStatus == http
    }

    /// 404 `NotFound`.
    public var isNotFound: Bool { reason("NotFound", 404) }
    /// 409 `Conflict` (a stale resourceVersion, or a server-side apply field conflict).
    public var isConflict: Bool { reason("Conflict", 409) }
    /// 409 `AlreadyExists`.
    public var isAlreadyExists: Bool { reason("AlreadyExists", 409) }
    /// 422 `Invalid`.
    public var isInvalid: Bool { reason("Invalid", 422) }
    /// 403 `Forbidden`.
    public var isForbidden: Bool { reason("Forbidden", 403) }
    /// 401 `Unauthorized`.
    public var isUnauthorized: Bool { reason("Unauthorized", 401) }
    /// 410 `Gone` or `Expired`: the resourceVersion is too old; relist.
    public var isGone: Bool { reason("Gone", 410) || reason("Expired", 410) }
    /// 400 `BadRequest`.
    public var isBadRequest: Bool { reason("BadRequest", 400) }
    /// 429 `TooManyRequests`.
    public var isTooManyRequests: Bool { reason("TooManyRequests", 429) }

    /// The message, with where it happened.
    public var description: String {
        var s = message
        if let http = httpStatus, let r = status?.reason { s = "\(r) (\(http)): " + s }
        if let location { s += " [\(location)]" }
        return s
    }
}
