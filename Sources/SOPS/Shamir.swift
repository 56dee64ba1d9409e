@preconcurrency import Crypto

/// Shamir secret sharing as `sops` does it (HashiCorp Vault's scheme): each share is the
/// polynomials' values followed by the share's x coordinate, over GF(2^8) with the AES polynomial.
enum Shamir {
    /// Rebuilds the data key from shares of it.
    ///
    /// - Throws: ``SOPSError`` (`invalidKey`) when the shares differ in length, repeat an x
    ///   coordinate, or do not rebuild a 32-byte key.
    static func combine(_ shares: [DataKey]) throws -> DataKey {
        var parts = shares.map { share in share.key.withUnsafeBytes { Array($0) } }
        defer { for i in parts.indices { parts[i].zeroize() } }
        guard let length = parts.first?.count, length >= 2, parts.allSatisfy({ $0.count == length }) else {
            throw SOPSError(.invalidKey, "the key group shares of the data key differ in length")
        }
        let xs = parts.map { $0[length - 1] }
        guard Set(xs).count == xs.count, !xs.contains(0) else {
            throw SOPSError(.invalidKey, "two key group shares of the data key are the same share")
        }
        var secret = [UInt8](repeating: 0, count: length - 1)
        defer { secret.zeroize() }
        for index in 0..<(length - 1) {
            // Lagrange interpolation at x = 0.
            var value: UInt8 = 0
            for i in parts.indices {
                var basis: UInt8 = 1
                for j in parts.indices where j != i {
                    basis = multiply(basis, divide(xs[j], xs[i] ^ xs[j]))
                }
                value ^= multiply(parts[i][index], basis)
            }
            secret[index] = value
        }
        guard secret.count == 32 else {
            throw SOPSError(.invalidKey, "the key group shares rebuild a \(secret.count)-byte key, not 32")
        }
        return try DataKey(bytes: secret)
    }

    /// Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1.
    static func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
        var a = a
        var b = b
        var product: UInt8 = 0
        for _ in 0..<8 {
            if b & 1 != 0 { product ^= a }
            let carry = a & 0x80
            a <<= 1
            if carry != 0 { a ^= 0x1b }
            b >>= 1
        }
        return product
    }

    /// `a / b` in GF(2^8), as `a * b^254` (`b` is never zero here: x coordinates are distinct).
    static func divide(_ a: UInt8, _ b: UInt8) -> UInt8 {
        var inverse: UInt8 = 1
        for _ in 0..<254 { inverse = multiply(inverse, b) }
        return multiply(a, inverse)
    }
}
