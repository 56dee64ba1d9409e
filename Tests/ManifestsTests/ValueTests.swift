import Testing

@testable import Manifests

@Suite struct ValueTests {
    @Test func equalityIgnoresKeyOrderAndNumberKind() {
        let a: Value = ["x": 1, "y": ["a", true, nil]]
        let b: Value = ["y": ["a", true, nil], "x": 1.0]
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(Value.int(1) != Value.double(1.5))
        #expect(Value.string("1") != Value.int(1))
        #expect(Value.double(.nan) == Value.double(.nan))
        let c: Value = ["x": 1, "y": ["a", true]]
        #expect(a != c)
    }

    @Test func objectsKeepInsertionOrder() {
        var o: Value = ["b": 1, "a": 2]
        o["c"] = 3
        o["b"] = 4
        #expect(o.objectValue?.keys == ["b", "a", "c"])
        o["a"] = nil
        #expect(o.objectValue?.keys == ["b", "c"])
        #expect(o["b"] == 4)
    }

    @Test func nestedMutationThroughSubscripts() {
        var v: Value = ["metadata": ["name": "web"]]
        v["metadata"]?["labels"] = ["app": "web"]
        v["metadata"]?["labels"]?["tier"] = "front"
        #expect(v["metadata"]?["labels"] == ["app": "web", "tier": "front"])
        var n: Value = nil
        n["a"] = 1
        #expect(n == ["a": 1])
    }

    @Test func jsonPointers() throws {
        var v: Value = ["a/b": ["~k": [10, 20]], "list": []]
        let p = try JSONPointer("/a~1b/~0k/1")
        #expect(p.tokens == ["a/b", "~k", "1"])
        #expect(p.description == "/a~1b/~0k/1")
        #expect(v[p] == 20)
        #expect(v[try JSONPointer("/a~1b/~0k/01")] == nil)
        try v.set("x", at: JSONPointer("/list/-"))
        try v.set(["deep": true], at: JSONPointer("/new/path"))
        #expect(v["list"] == ["x"])
        #expect(v[try JSONPointer("/new/path/deep")] == true)
        #expect(try v.remove(at: JSONPointer("/a~1b/~0k/0")) == 10)
        #expect(v[try JSONPointer("/a~1b/~0k")] == [20])
        #expect(throws: ManifestError.self) { try JSONPointer("a") }
        #expect(throws: ManifestError.self) { try JSONPointer("/a~2") }
        #expect(throws: ManifestError.self) { try v.set(1, at: JSONPointer("/list/0/x")) }
        #expect(throws: ManifestError.self) { try v.set(1, at: JSONPointer("/list/5")) }
        #expect(v["list"] == ["x"], "a failed set leaves the value as it was")
    }

    @Test func typedAccessors() {
        let v: Value = ["i": 3, "d": 2.0, "s": "x", "b": false]
        #expect(v["i"]?.intValue == 3)
        #expect(v["d"]?.intValue == 2)
        #expect(v["s"]?.stringValue == "x")
        #expect(v["b"]?.boolValue == false)
        #expect(v["missing"] == nil)
        #expect(v[0] == nil)
        #expect(Value.array([1, 2])[1] == 2)
    }
}

@Suite struct SHA256DigestTests {
    @Test func knownAnswers() {
        #expect(
            SHA256Digest.hex(SHA256Digest.hash([]))
                == "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
        )
        #expect(
            SHA256Digest.hex(SHA256Digest.hash(Array("abc".utf8)))
                == "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"
        )
        // Two blocks: the message crosses the 56-byte padding boundary.
        let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(
            SHA256Digest.hex(SHA256Digest.hash(long))
                == "248D6A61D20638B8E5C026930C3E6039A33CE45964FF2167F6ECEDD419DB06C1"
        )
    }
}

@Suite struct Base64Tests {
    @Test func roundTripsAndKnownValues() {
        #expect(Base64.encode(Array("hello".utf8)) == "aGVsbG8=")
        #expect(Base64.encode(Array("hi".utf8)) == "aGk=")
        #expect(Base64.encode([]) == "")
        for n in 0..<10 {
            let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 250) }
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
        #expect(Base64.decode("aGVs\nbG8=") == Array("hello".utf8))
        #expect(Base64.decode("a$b") == nil)
    }
}
