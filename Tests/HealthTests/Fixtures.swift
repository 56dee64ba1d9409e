import Health
import Manifests

/// Paths and objects of the fixtures beside this file.
enum Fixtures {
    static let directory: String = {
        let file = String(#filePath)
        guard let slash = file.lastIndex(of: "/") else { return "Fixtures" }
        return String(file[..<slash]) + "/Fixtures"
    }()

    static var scripts: String { directory + "/scripts" }

    /// A live object captured from kube-apiserver v1.36 (Fixtures/live, see NOTES.md).
    static func live(_ name: String) throws -> KubeObject {
        try object(at: "\(directory)/live/\(name)")
    }

    static func object(at path: String) throws -> KubeObject {
        let bytes = try FileSystem.readFile(path, maxBytes: 1 << 24)
        return try KubeObject(YAML.documents(bytes, source: path).first?.value ?? .null)
    }

    static func yaml(_ text: String) throws -> KubeObject { try KubeObject(Value(yaml: text)) }
}

extension KubeObject {
    /// A copy with `value` at `pointer` (`nil` removes it).
    func with(_ pointer: String, _ value: Value?) throws -> KubeObject {
        var copy = self.value
        if let value {
            try copy.set(value, at: JSONPointer(pointer))
        } else {
            try copy.remove(at: JSONPointer(pointer))
        }
        return try KubeObject(copy)
    }
}

let builtIn = HealthRegistry()
