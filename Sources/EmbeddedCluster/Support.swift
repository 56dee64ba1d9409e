import Foundation
import Manifests

enum Base64 {
    static func encode(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    /// Unpadded base64url, as the real server writes continue tokens.
    static func urlEncode(_ bytes: [UInt8]) -> String {
        var s = Data(bytes).base64EncodedString()
        s = s.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        while s.hasSuffix("=") { s.removeLast() }
        return s
    }

    static func urlDecode(_ text: String) -> [UInt8]? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s.append("=") }
        return Data(base64Encoded: s).map { Array($0) }
    }
}

/// Timestamps in the RFC 3339 form the API server writes (seconds, UTC, `Z`).
enum Clock {
    static func now() -> String { format(Date()) }

    static func format(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970)
        var tm = tm()
        gmtime_r(&t, &tm)
        func pad(_ v: Int32, _ width: Int = 2) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return
            "\(pad(tm.tm_year + 1900, 4))-\(pad(tm.tm_mon + 1))-\(pad(tm.tm_mday))T\(pad(tm.tm_hour)):\(pad(tm.tm_min)):\(pad(tm.tm_sec))Z"
    }

    static func parse(_ text: String) -> Date? {
        let parts = text.split(whereSeparator: { "-T:Z".contains($0) }).compactMap { Int32($0) }
        guard parts.count == 6 else { return nil }
        var tm = tm()
        tm.tm_year = parts[0] - 1900
        tm.tm_mon = parts[1] - 1
        tm.tm_mday = parts[2]
        tm.tm_hour = parts[3]
        tm.tm_min = parts[4]
        tm.tm_sec = parts[5]
        return Date(timeIntervalSince1970: TimeInterval(timegm(&tm)))
    }

    /// kubectl's humanized age: `0s`, `42s`, `5m`, `3h`, `2d`.
    static func age(_ text: String?) -> String {
        guard let text, let date = parse(text) else { return "<unknown>" }
        let s = max(0, Int(Date().timeIntervalSince(date)))
        if s < 120 { return "\(s)s" }
        if s < 600 { return "\(s / 60)m\(s % 60 == 0 ? "" : "\(s % 60)s")" }
        if s < 3 * 3600 { return "\(s / 60)m" }
        if s < 48 * 3600 { return "\(s / 3600)h" }
        return "\(s / 86400)d"
    }
}

enum Names {
    static func uid() -> String { UUID().uuidString.lowercased() }

    /// Five characters from the alphabet the real server uses for generateName.
    static func randomSuffix() -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        return String((0..<5).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
    }
}

/// An API error, answered as a `Status` object with the real server's reason, code and details.
struct APIError: Error, Sendable {
    var code: Int
    var reason: String
    var message: String
    var details: Value?
    var retryAfter: Int? = nil

    var status: Value {
        var o: ObjectValue = [
            "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure", "message": .string(message),
        ]
        if !reason.isEmpty { o["reason"] = .string(reason) }
        if let details { o["details"] = details }
        o["code"] = .int(Int64(code))
        return .object(o)
    }

    static func details(_ t: ResourceType, name: String?, causes: [Value]? = nil) -> Value {
        var d = ObjectValue()
        if let name, !name.isEmpty { d["name"] = .string(name) }
        if !t.group.isEmpty { d["group"] = .string(t.group) }
        d["kind"] = .string(t.resource)
        if let causes { d["causes"] = .array(causes) }
        return .object(d)
    }

    static func notFound(_ t: ResourceType, _ name: String) -> APIError {
        APIError(
            code: 404,
            reason: "NotFound",
            message: "\(t.groupResource) \"\(name)\" not found",
            details: details(t, name: name)
        )
    }

    static func namespaceNotFound(_ name: String) -> APIError {
        APIError(
            code: 404,
            reason: "NotFound",
            message: "namespaces \"\(name)\" not found",
            details: ["name": .string(name), "kind": "namespaces"]
        )
    }

    static func alreadyExists(_ t: ResourceType, _ name: String) -> APIError {
        APIError(
            code: 409,
            reason: "AlreadyExists",
            message: "\(t.groupResource) \"\(name)\" already exists",
            details: details(t, name: name)
        )
    }

    static func conflict(_ t: ResourceType, _ name: String) -> APIError {
        APIError(
            code: 409,
            reason: "Conflict",
            message:
                "Operation cannot be fulfilled on \(t.groupResource) \"\(name)\": the object has been modified; please apply your changes to the latest version and try again",
            details: details(t, name: name)
        )
    }

    static func badRequest(_ message: String) -> APIError {
        APIError(code: 400, reason: "BadRequest", message: message, details: nil)
    }

    static func methodNotAllowed() -> APIError {
        APIError(
            code: 405,
            reason: "MethodNotAllowed",
            message: "the server does not allow this method on the requested resource",
            details: nil
        )
    }

    static func pageNotFound() -> APIError {
        APIError(
            code: 404,
            reason: "NotFound",
            message: "the server could not find the requested resource",
            details: nil
        )
    }

    /// A 422 Invalid: details.kind is the Kind here, plus the group (unlike the other errors).
    static func invalid(
        kind: String,
        group: String,
        name: String,
        causes: [(field: String, reason: String, message: String)]
    )
        -> APIError
    {
        let parts = causes.map { "\($0.field): \($0.message)" }
        let summary = parts.count == 1 ? parts[0] : "[\(parts.joined(separator: ", "))]"
        let qualified = group.isEmpty ? kind : "\(kind).\(group)"
        var d: ObjectValue = ["name": .string(name), "group": .string(group), "kind": .string(kind)]
        if name.isEmpty { d["name"] = nil }
        d["causes"] = .array(
            causes.map { ["reason": .string($0.reason), "message": .string($0.message), "field": .string($0.field)] }
        )
        return APIError(
            code: 422,
            reason: "Invalid",
            message: "\(qualified) \"\(name)\" is invalid: \(summary)",
            details: .object(d)
        )
    }
}

extension Value {
    /// Go's `%v`-ish rendering used in "Invalid value:" messages: strings quoted, objects as JSON.
    var goDescription: String {
        switch self {
        case .string(let s): return "\"\(s)\""
        default: return (try? jsonString()) ?? "\(self)"
        }
    }

    /// A copy with object keys sorted, recursively (custom resources come back that way).
    func sortedKeys() -> Value {
        switch self {
        case .object(var o):
            o = o.mapValues { $0.sortedKeys() }
            o.sortByKey()
            return .object(o)
        case .array(let a): return .array(a.map { $0.sortedKeys() })
        default: return self
        }
    }
}
