import Foundation
import Manifests

/// A small SHA-256, for storage version hashes and ETags (no CryptoKit on Linux).
enum SHA256 {
    private static let k: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]

    static func hash(_ message: [UInt8]) -> [UInt8] {
        var h: [UInt32] = [
            0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
        ]
        var data = message
        let bitLength = UInt64(message.count) &* 8
        data.append(0x80)
        while data.count % 64 != 56 { data.append(0) }
        for i in (0..<8).reversed() { data.append(UInt8(truncatingIfNeeded: bitLength >> (UInt64(i) * 8))) }
        var w = [UInt32](repeating: 0, count: 64)
        for chunk in stride(from: 0, to: data.count, by: 64) {
            for i in 0..<16 {
                let b = chunk + i * 4
                w[i] =
                    UInt32(data[b]) << 24 | UInt32(data[b + 1]) << 16 | UInt32(data[b + 2]) << 8 | UInt32(data[b + 3])
            }
            for i in 16..<64 {
                let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
                let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
                w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
            }
            var a = h[0]
            var b = h[1]
            var c = h[2]
            var d = h[3]
            var e = h[4]
            var f = h[5]
            var g = h[6]
            var hh = h[7]
            for i in 0..<64 {
                let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                let ch = (e & f) ^ (~e & g)
                let t1 = hh &+ s1 &+ ch &+ k[i] &+ w[i]
                let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                let maj = (a & b) ^ (a & c) ^ (b & c)
                let t2 = s0 &+ maj
                hh = g
                g = f
                f = e
                e = d &+ t1
                d = c
                c = b
                b = a
                a = t1 &+ t2
            }
            h[0] = h[0] &+ a
            h[1] = h[1] &+ b
            h[2] = h[2] &+ c
            h[3] = h[3] &+ d
            h[4] = h[4] &+ e
            h[5] = h[5] &+ f
            h[6] = h[6] &+ g
            h[7] = h[7] &+ hh
        }
        var out: [UInt8] = []
        for v in h { for s in [24, 16, 8, 0] { out.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) } }
        return out
    }

    private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

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
