import Foundation
import HTTPTypes
public import HummingbirdCore
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTP1

/// The limits of one HTTP connection (docs/reliability.md states them).
public enum ConnectionLimits {
    /// All the header fields of one request together, and any one of them.
    public static let headerBytes = 16 * 1024
    /// Header fields in one request.
    public static let headerFields = 100
    /// From the first byte of a connection's first request to the end of its head.
    public static let firstHeadSeconds: Int64 = 10
    /// A keep-alive connection with no request in flight is closed after this.
    public static let idleSeconds: Int64 = 60
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with the WebSocket upgrade, as Hummingbird builds it, with Podium's limits and a
    /// `ConnectionGuard` that answers a request the HTTP parser refuses.
    static func podiumHTTP1<Router: HTTPResponderBuilder>(webSocketRouter: Router) -> HTTPServerBuilder
    where Router.Responder.Context: WebSocketRequestContext {
        let webSocketResponder = webSocketRouter.buildResponder()
        return .init { responder in
            let http1 = HTTP1Channel.Configuration(
                idleTimeout: .seconds(ConnectionLimits.idleSeconds),
                httpDecoderConfiguration: .init(
                    maxHeaderFieldSize: ConnectionLimits.headerBytes, maxHeaderListSize: ConnectionLimits.headerBytes,
                    maxHeaderFieldCount: ConnectionLimits.headerFields
                )
            )
            return GuardedChannel(
                // No WebSocket auto-ping: live pushes find dead peers by TCP keepalive (`PushConnection`).
                inner: HTTP1WebSocketUpgradeChannel(
                    responder: responder, webSocketResponder: webSocketResponder, configuration: .init(http1: http1, ws: .init(autoPing: .disabled))
                )
            )
        }
    }
}

/// Hummingbird's upgradable HTTP/1 channel with a `ConnectionGuard` right after the request decoder.
struct GuardedChannel: ServerChildChannel {
    let inner: HTTP1WebSocketUpgradeChannel

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1WebSocketUpgradeChannel.Value> {
        inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try pipeline.addHandler(ConnectionGuard(), position: .after(decoder))
            return value
        }
    }

    func handle(value: HTTP1WebSocketUpgradeChannel.Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}

/// Answers at once what Hummingbird leaves unanswered on its upgradable HTTP/1 pipeline: a request
/// the HTTP parser refuses (a control character in a header, a bad request line, TLS bytes on the
/// plain port, headers over `ConnectionLimits`) gets 400 or 431 in the API's error shape and the
/// connection is closed; a first request head begun but not finished within `firstHeadSeconds`
/// of its first byte gets 408 and is closed, and so does a connection that sends nothing for
/// `idleSeconds` (a client may open a connection before it needs it, as browsers and connection
/// pools do). Without it such a connection held its socket with no answer until the client gave up.
///
/// It reads nothing once the first request head has passed, since after a WebSocket upgrade
/// WebSocket frames flow where requests did; parser errors can only come while the HTTP decoder
/// is still in the pipeline, which is when the response encoder is too.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var sawFirstHead = false
    private var sawFirstBytes = false
    private var firstHeadDeadline: Scheduled<Void>?
    private var answered = false

    func handlerAdded(context: ChannelHandlerContext) {
        arm(in: .seconds(ConnectionLimits.idleSeconds), message: "no request within \(ConnectionLimits.idleSeconds) s of connecting", context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        firstHeadDeadline?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !sawFirstHead, case .head = unwrapInboundIn(data) {
            sawFirstHead = true
            firstHeadDeadline?.cancel()
        }
        context.fireChannelRead(data)
    }

    /// The decoder passes this on after every read, whether or not it made a request part of it:
    /// the first one before a whole head means the head has begun.
    func channelReadComplete(context: ChannelHandlerContext) {
        if !sawFirstHead, !sawFirstBytes {
            sawFirstBytes = true
            arm(
                in: .seconds(ConnectionLimits.firstHeadSeconds),
                message: "the request head was not complete within \(ConnectionLimits.firstHeadSeconds) s of its first byte", context: context
            )
        }
        context.fireChannelReadComplete()
    }

    /// A server shutting down closes a connection that has not begun a request: Hummingbird's own
    /// handling of the event starts only with the first request, and the shutdown would wait for it.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent, !sawFirstBytes, !sawFirstHead {
            firstHeadDeadline?.cancel()
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Answers 408 with `message` after `delay` unless the first head has come by then.
    private func arm(in delay: TimeAmount, message: String, context: ChannelHandlerContext) {
        firstHeadDeadline?.cancel()
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        firstHeadDeadline = context.eventLoop.scheduleTask(in: delay) {
            let (handler, context) = bound.value
            handler.answer(.requestTimeout, code: "request_timeout", message: message, context: context)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        if case .headerOverflow = parserError {
            answer(
                .requestHeaderFieldsTooLarge, code: "headers_too_large",
                message: "the request's headers exceed \(ConnectionLimits.headerBytes) bytes or \(ConnectionLimits.headerFields) fields", context: context
            )
        } else {
            answer(.badRequest, code: "bad_request", message: "the request is not well-formed HTTP/1.1 (\(parserError))", context: context)
        }
    }

    /// Writes one error in the API's shape and closes the connection; once only.
    private func answer(_ status: HTTPResponseStatus, code: String, message: String, context: ChannelHandlerContext) {
        guard !answered, context.channel.isActive else { return }
        answered = true
        firstHeadDeadline?.cancel()
        let body = APIError(HTTPResponse.Status(code: Int(status.code)), code: code, message: message).bodyJSON
        var buffer = context.channel.allocator.buffer(capacity: body.count)
        buffer.writeBytes(body)
        let headers = HTTPHeaders([
            ("Content-Type", "application/json; charset=utf-8"), ("Content-Length", "\(body.count)"), ("Connection", "close"),
        ])
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }
}
