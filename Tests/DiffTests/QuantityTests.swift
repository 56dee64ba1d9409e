import Manifests
import Testing

@testable import Diff

@Suite struct QuantityTests {
    @Test(arguments: [
        ("1000m", "1"), ("1", "1.0"), ("0.5", "500m"), ("1Gi", "1024Mi"), ("1Mi", "1048576"), ("1k", "1000"),
        ("1e3", "1k"), ("1E3", "1000"), ("2.5Gi", "2560Mi"), ("1Ki", "1024"), ("1M", "1000k"), ("1500m", "1.5"),
        ("100u", "0.1m"), ("1n", "0.000000001"), ("+1", "1"), ("0", "0m"), ("-0", "0"), ("1Ei", "1024Pi"),
        ("12e-3", "12m"), ("1.", "1"), (".5", "0.5"), ("1E", "1000P"), ("0.0000000001", "1n"),
    ])
    func equalAmounts(_ a: String, _ b: String) throws {
        #expect(try Quantity(a) == Quantity(b), "\(a) = \(b)")
    }

    @Test(arguments: [("1", "2"), ("1Gi", "1G"), ("1m", "1"), ("-1", "1"), ("1Ki", "1k"), ("1E", "1Ei")])
    func differentAmounts(_ a: String, _ b: String) throws {
        #expect(try Quantity(a) != Quantity(b), "\(a) != \(b)")
    }

    @Test func valuesInPlainDecimal() throws {
        #expect(try Quantity("1Gi").description == "1073741824")
        #expect(try Quantity("250m").description == "0.25")
        #expect(try Quantity("-3k").description == "-3000")
        #expect(try Quantity("1n").description == "0.000000001")
        // Finer than nano rounds up, away from zero, as the API server does.
        #expect(try Quantity("1.5n") == Quantity("2n"))
        #expect(try Quantity("-0.1n") == Quantity("-1n"))
    }

    @Test func numbersAsValues() {
        #expect(Quantity(Value.int(1)) == Quantity(Value.string("1000m")))
        #expect(Quantity(Value.double(0.5)) == Quantity(Value.string("500m")))
        #expect(Quantity(Value.bool(true)) == nil)
    }

    @Test(arguments: ["", "abc", "1K", "1Gb", "1.2.3", "1e", "1e+", "5 m", "1ki", "--1", "1e3m"])
    func rejectsMalformed(_ text: String) {
        #expect(throws: DiffError.self) { try Quantity(text) }
    }
}
