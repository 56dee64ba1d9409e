import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Bytes a watch stream has queued but the socket not yet taken; past the limit the watcher is dropped.
final class WatchStreamState: Sendable {
    struct Inner {
        var pending = 0
        var finished = false
    }
    let inner = Mutex(Inner())
}

/// One HTTP/1.1 connection: gathers a request, asks the API server, writes the answer or streams a watch.
final class HTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let server: APIServer
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var tooLarge = false
    private var watchID: Int?
    private var watchState: WatchStreamState?
    private var bookmarks: RepeatedTask?
    static let maxBody = 3 << 20

    init(server: APIServer) { self.server = server }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = nil
            tooLarge = false
        case .body(var buf):
            if (body?.readableBytes ?? 0) + buf.readableBytes > Self.maxBody {
                tooLarge = true
            } else if var existing = body {
                body = nil  // keep the buffer uniquely referenced while it grows
                existing.writeBuffer(&buf)
                body = existing
            } else {
                body = buf
            }
        case .end:
            guard let head else { return }
            self.head = nil
            process(context: context, head: head)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        endWatch()
        context.fireChannelInactive()
    }

    private func endWatch() {
        bookmarks?.cancel()
        bookmarks = nil
        if let id = watchID { server.stopWatch(id) }
        watchID = nil
        watchState?.inner.withLock { $0.finished = true }
        watchState = nil
    }

    static func decode(_ s: Substring) -> String {
        // The common case, nothing escaped, skips Foundation's search and percent decoding.
        if !s.utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) { return String(s) }
        let plus = s.replacingOccurrences(of: "+", with: " ")
        return plus.removingPercentEncoding ?? plus
    }

    private func process(context: ChannelHandlerContext, head: HTTPRequestHead) {
        let uri = head.uri
        let pathPart: Substring
        var query: [String: String] = [:]
        if let q = uri.firstIndex(of: "?") {
            pathPart = uri[..<q]
            for pair in uri[uri.index(after: q)...].split(separator: "&") {
                if let eq = pair.firstIndex(of: "=") {
                    query[Self.decode(pair[..<eq])] = Self.decode(pair[pair.index(after: eq)...])
                } else {
                    query[Self.decode(pair)] = ""
                }
            }
        } else {
            pathPart = uri[...]
        }
        let path = Self.decode(pathPart)
        var bytes: [UInt8] = []
        if var b = body { bytes = b.readBytes(length: b.readableBytes) ?? [] }
        body = nil
        let request = APIRequest(
            method: head.method.rawValue,
            path: path,
            query: query,
            headers: head.headers.map { ($0.name, $0.value) },
            body: bytes
        )
        let keepAlive = head.isKeepAlive
        if tooLarge {
            let e = APIError(
                code: 413,
                reason: "RequestEntityTooLarge",
                message: "the request body is too large",
                details: nil
            )
            respond(context: context, server.status(e, request), keepAlive: false)
            return
        }
        let response = server.handle(request)
        switch response {
        case .full:
            respond(context: context, response, keepAlive: keepAlive)
        case .watch(let plan):
            startWatch(context: context, plan: plan, keepAlive: keepAlive)
        }
    }

    private func respond(context: ChannelHandlerContext, _ response: APIResponse, keepAlive: Bool) {
        guard case .full(let status, let headers, let body) = response else { return }
        var h = HTTPHeaders()
        for (k, v) in headers { h.add(name: k, value: v) }
        // Go's net/http sends Content-Length up to 2 KiB and chunks above (see the fixtures' README).
        if body.count <= 2048 || status == 304 { h.add(name: "Content-Length", value: String(body.count)) }
        if !keepAlive { h.add(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: h)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if !body.isEmpty {
            context.write(
                wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))),
                promise: nil
            )
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    private func startWatch(context: ChannelHandlerContext, plan: WatchPlan, keepAlive: Bool) {
        var h = HTTPHeaders()
        h.add(name: "Cache-Control", value: "no-cache, private")
        h.add(name: "Content-Type", value: "application/json")
        context.writeAndFlush(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: h))),
            promise: nil
        )
        let channel = context.channel
        let loop = context.eventLoop
        let state = WatchStreamState()
        let limit = server.options.maxWatchBacklogBytes
        watchState = state
        let sink = WatchSink(
            send: { bytes in
                let drop = state.inner.withLock { s -> Bool? in
                    if s.finished { return nil }
                    s.pending += bytes.count
                    return s.pending > limit
                }
                guard let drop else { return }
                if drop {
                    // A watcher that stops reading is dropped, not allowed to hold the server's memory.
                    state.inner.withLock { $0.finished = true }
                    channel.close(promise: nil)
                    return
                }
                loop.execute {
                    let buffer = channel.allocator.buffer(bytes: bytes)
                    channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(buffer))).whenComplete { _ in
                        state.inner.withLock { $0.pending -= bytes.count }
                    }
                }
            },
            close: {
                let first = state.inner.withLock { s -> Bool in
                    defer { s.finished = true }
                    return !s.finished
                }
                guard first else { return }
                loop.execute {
                    let done = channel.writeAndFlush(HTTPServerResponsePart.end(nil))
                    if !keepAlive { done.whenComplete { _ in channel.close(promise: nil) } }
                }
            }
        )
        let id = server.startWatch(plan, sink: sink)
        guard let id else {
            watchState = nil
            return
        }
        watchID = id
        let server = self.server
        if plan.request.query["allowWatchBookmarks"] == "true" && server.options.bookmarkInterval > 0 {
            let interval = TimeAmount.milliseconds(Int64(server.options.bookmarkInterval * 1000))
            bookmarks = loop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in server.bookmark(id) }
        }
        if let timeout = plan.timeout, timeout > 0 {
            if plan.request.query["allowWatchBookmarks"] == "true" && timeout > 2 {
                loop.scheduleTask(in: .seconds(Int64(timeout - 2))) { server.bookmark(id) }
            }
            let handlerBox = NIOLoopBound(self, eventLoop: loop)
            loop.scheduleTask(in: .seconds(Int64(timeout))) {
                let handler = handlerBox.value
                guard handler.watchID == id else { return }
                sink.close()
                handler.endWatch()
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
