/// TLS settings for one request, from the kubeconfig.
public struct TLSOptions: Sendable, Hashable {
    /// PEM bytes of the certificate authorities to trust; nil means the system's.
    public var certificateAuthority: [UInt8]?
    /// PEM client certificate for mutual TLS.
    public var clientCertificate: [UInt8]?
    /// PEM private key of the client certificate.
    public var clientKey: [UInt8]?
    /// The name to verify the server certificate against (and send as SNI) instead of the URL's host.
    public var serverName: String?
    /// Skips server certificate verification; only when the kubeconfig says so.
    public var insecureSkipVerify: Bool

    /// TLS settings; verification is on unless `insecureSkipVerify` is set.
    public init(
        certificateAuthority: [UInt8]? = nil,
        clientCertificate: [UInt8]? = nil,
        clientKey: [UInt8]? = nil,
        serverName: String? = nil,
        insecureSkipVerify: Bool = false
    ) {
        self.certificateAuthority = certificateAuthority
        self.clientCertificate = clientCertificate
        self.clientKey = clientKey
        self.serverName = serverName
        self.insecureSkipVerify = insecureSkipVerify
    }
}

/// One HTTP request as the client hands it to an ``HTTPTransport``.
public struct HTTPRequest: Sendable {
    /// `GET`, `POST`, `PUT`, `PATCH`, `DELETE`.
    public var method: String
    /// The absolute URL.
    public var url: String
    /// Header names and values, in order.
    public var headers: [(String, String)]
    /// The body, if any.
    public var body: [UInt8]?
    /// Seconds the whole request may take; nil for none (a watch).
    public var timeout: Double?
    /// Seconds to connect.
    public var connectTimeout: Double
    /// TLS settings.
    public var tls: TLSOptions
    /// A proxy URL (`http://`, `https://`, `socks5://`), from the kubeconfig's `proxy-url`.
    public var proxy: String?

    /// A request.
    public init(
        method: String,
        url: String,
        headers: [(String, String)] = [],
        body: [UInt8]? = nil,
        timeout: Double? = 30,
        connectTimeout: Double = 10,
        tls: TLSOptions = TLSOptions(),
        proxy: String? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.tls = tls
        self.proxy = proxy
    }
}

/// The status line and headers of an answer.
public struct HTTPResponseHead: Sendable {
    /// The HTTP status code.
    public var status: Int
    /// Header names (lowercased) and values, in order.
    public var headers: [(String, String)]
    /// The HTTP version used, such as `1.1` or `2`.
    public var httpVersion: String

    /// The first value of a header (name compared case-insensitively).
    public func header(_ name: String) -> String? {
        let n = name.lowercased()
        return headers.first { $0.0 == n }?.1
    }

    /// Every value of a header.
    public func headers(_ name: String) -> [String] {
        let n = name.lowercased()
        return headers.filter { $0.0 == n }.map(\.1)
    }
}

/// A complete answer.
public struct HTTPResponse: Sendable {
    /// Status and headers.
    public var head: HTTPResponseHead
    /// The whole body.
    public var body: [UInt8]
}

/// An answer whose body arrives as it is sent (a watch).
public struct HTTPStreamingResponse: Sendable {
    /// Status and headers.
    public var head: HTTPResponseHead
    /// The body's chunks; ends when the server ends the body, throws on a transport failure, and
    /// aborts the transfer when the consumer stops iterating.
    public var body: AsyncThrowingStream<[UInt8], Error>
}

/// The seam between the Kubernetes client and the network. ``CurlTransport`` is the one shipped;
/// tests or embedders can plug in another.
public protocol HTTPTransport: Sendable {
    /// Sends a request and collects the whole answer.
    ///
    /// - Throws: ``KubeError`` (a transport error) when no answer arrives, or `CancellationError`.
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
    /// Sends a request and returns once the headers are in, with the body as a stream.
    ///
    /// - Throws: ``KubeError`` (a transport error) when no answer arrives, or `CancellationError`.
    func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse
}

/// An ``HTTPTransport`` made of closures.
public struct ClosureHTTPTransport: HTTPTransport {
    let sendBody: @Sendable (HTTPRequest) async throws -> HTTPResponse
    let streamBody: @Sendable (HTTPRequest) async throws -> HTTPStreamingResponse

    /// A transport from two functions; `stream` defaults to `send` with the body as one chunk.
    public init(
        send: @escaping @Sendable (HTTPRequest) async throws -> HTTPResponse,
        stream: (@Sendable (HTTPRequest) async throws -> HTTPStreamingResponse)? = nil
    ) {
        sendBody = send
        streamBody =
            stream ?? { request in
                let r = try await send(request)
                let (s, c) = AsyncThrowingStream<[UInt8], Error>.makeStream()
                c.yield(r.body)
                c.finish()
                return HTTPStreamingResponse(head: r.head, body: s)
            }
    }

    /// Calls the `send` function.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse { try await sendBody(request) }
    /// Calls the `stream` function.
    public func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse { try await streamBody(request) }
}
