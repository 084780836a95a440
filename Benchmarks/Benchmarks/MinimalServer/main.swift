import Hummingbird

// The yardstick for the API benchmark: the smallest Hummingbird 2 server answering 1 KB of
// JSON, measured with the same wrk command on the same machine as Podium's routes.
let payload: ByteBuffer = {
    var text = #"{"frames":["#
    while text.utf8.count < 1000 { text += #"{"seq":1,"clock":"8.31"},"# }
    text += #"{"seq":0}]}"#
    return ByteBuffer(string: text)
}()
let port = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 8099
let router = Router()
router.get("json") { _, _ in
    Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: ResponseBody(byteBuffer: payload))
}
let app = Application(router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
