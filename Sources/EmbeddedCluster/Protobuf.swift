import Foundation
import Manifests

/// Just enough of Kubernetes' protobuf encoding to read what kubectl's generator commands send
/// (`kubectl create namespace|configmap|secret|serviceaccount` post protobuf bodies since
/// kubectl 1.3x): the `k8s\0` envelope, `runtime.Unknown`, and those kinds' messages with the
/// ObjectMeta fields a client sets. Other kinds answer 415, as a server without protobuf would.
enum Protobuf {
    static let magic: [UInt8] = [0x6b, 0x38, 0x73, 0x00]

    enum Field {
        case varint(UInt64)
        case bytes(ArraySlice<UInt8>)
    }

    struct DecodeError: Error {}

    static func fields(_ data: ArraySlice<UInt8>) throws -> [(Int, Field)] {
        var out: [(Int, Field)] = []
        var i = data.startIndex
        func varint() throws -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard i < data.endIndex, shift < 64 else { throw DecodeError() }
                let b = data[i]
                i += 1
                result |= UInt64(b & 0x7f) << shift
                if b & 0x80 == 0 { return result }
                shift += 7
            }
        }
        while i < data.endIndex {
            let key = try varint()
            let number = Int(key >> 3)
            switch key & 7 {
            case 0: out.append((number, .varint(try varint())))
            case 2:
                let length = Int(try varint())
                guard length >= 0, i + length <= data.endIndex else { throw DecodeError() }
                out.append((number, .bytes(data[i..<(i + length)])))
                i += length
            case 1: i += 8
            case 5: i += 4
            default: throw DecodeError()
            }
        }
        return out
    }

    static func string(_ f: Field) -> String? {
        if case .bytes(let b) = f { return String(decoding: b, as: UTF8.self) }
        return nil
    }

    static func message(_ f: Field) throws -> [(Int, Field)] {
        guard case .bytes(let b) = f else { throw DecodeError() }
        return try fields(b)
    }

    /// A map entry message {1: key, 2: value}.
    static func entry(_ f: Field, bytesValue: Bool = false) throws -> (String, Value) {
        var key = ""
        var value: Value = ""
        for (n, v) in try message(f) {
            if n == 1 { key = string(v) ?? "" }
            if n == 2, case .bytes(let b) = v {
                value =
                    bytesValue ? .string(Data(b).base64EncodedString()) : .string(String(decoding: b, as: UTF8.self))
            }
        }
        return (key, value)
    }

    static func objectMeta(_ f: Field) throws -> Value {
        var m = ObjectValue()
        var labels = ObjectValue()
        var annotations = ObjectValue()
        var finalizers: [Value] = []
        for (n, v) in try message(f) {
            switch n {
            case 1: m["name"] = string(v).map(Value.string)
            case 2: m["generateName"] = string(v).map(Value.string)
            case 3: m["namespace"] = string(v).map(Value.string)
            case 11:
                let (k, val) = try entry(v)
                labels[k] = val
            case 12:
                let (k, val) = try entry(v)
                annotations[k] = val
            case 14: if let s = string(v) { finalizers.append(.string(s)) }
            default: break
            }
        }
        if !labels.isEmpty { m["labels"] = .object(labels) }
        if !annotations.isEmpty { m["annotations"] = .object(annotations) }
        if !finalizers.isEmpty { m["finalizers"] = .array(finalizers) }
        return .object(m)
    }

    /// Decodes a protobuf request body into the JSON object it stands for.
    static func decode(_ body: [UInt8]) throws -> Value {
        guard body.count > 4, Array(body.prefix(4)) == magic else { throw DecodeError() }
        var apiVersion = ""
        var kind = ""
        var raw: ArraySlice<UInt8> = []
        for (n, v) in try fields(body[4...]) {
            if n == 1 {
                for (tn, tv) in try message(v) {
                    if tn == 1 { apiVersion = string(tv) ?? "" }
                    if tn == 2 { kind = string(tv) ?? "" }
                }
            }
            if n == 2, case .bytes(let b) = v { raw = b }
        }
        var o: ObjectValue = ["kind": .string(kind), "apiVersion": .string(apiVersion)]
        var data = ObjectValue()
        var other = ObjectValue()
        for (n, v) in try fields(raw) {
            switch (kind, n) {
            case (_, 1): o["metadata"] = try objectMeta(v)
            case ("ConfigMap", 2):
                let (k, val) = try entry(v)
                data[k] = val
            case ("ConfigMap", 3):
                let (k, val) = try entry(v, bytesValue: true)
                other[k] = val
            case ("ConfigMap", 4), ("Secret", 5): if case .varint(let b) = v { o["immutable"] = .bool(b != 0) }
            case ("Secret", 2):
                let (k, val) = try entry(v, bytesValue: true)
                data[k] = val
            case ("Secret", 3): o["type"] = string(v).map(Value.string)
            case ("Secret", 4):
                let (k, val) = try entry(v)
                other[k] = val
            case ("Namespace", 2):
                var fin: [Value] = []
                for (sn, sv) in try message(v) where sn == 1 { if let s = string(sv) { fin.append(.string(s)) } }
                if !fin.isEmpty { o["spec"] = ["finalizers": .array(fin)] }
            case ("ServiceAccount", 4): if case .varint(let b) = v { o["automountServiceAccountToken"] = .bool(b != 0) }
            default:
                if !["ConfigMap", "Secret", "Namespace", "ServiceAccount"].contains(kind) { throw DecodeError() }
            }
        }
        if !data.isEmpty { o["data"] = .object(data) }
        if !other.isEmpty { o[kind == "Secret" ? "stringData" : "binaryData"] = .object(other) }
        return .object(o)
    }
}
