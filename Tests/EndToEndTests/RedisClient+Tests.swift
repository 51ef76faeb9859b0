import RedisClient

extension RedisClient {
    /// A client for tests that check what Redis holds, not how fast: 10 s timeouts instead of the 500 ms
    /// defaults, which a CI machine running every suite at once has overrun.
    static func forTests(port: Int) -> RedisClient {
        var configuration = RedisClient.Configuration(host: "127.0.0.1", port: port)
        configuration.connectTimeout = .seconds(10)
        configuration.commandTimeout = .seconds(10)
        return RedisClient(configuration: configuration)
    }
}
