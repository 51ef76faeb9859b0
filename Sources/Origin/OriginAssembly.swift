import Hummingbird
import Logging
import Metrics
import NIOCore
import Prometheus
import ServiceLifecycle

/// Builds and runs an origin from its configuration: the one assembly the `origin` executable and the tests
/// share, so that what the tests start is what production runs.
public enum OriginAssembly {
    /// The whole origin as one service group: database pools, replica monitor, tenant-events listener and internal
    /// listener, then the storefront listener (see ``OriginApplication/build(configuration:logger:metrics:cache:events:onServerRunning:onInternalServerRunning:)``).
    ///
    /// Graceful shutdown stops accepting, finishes requests in flight and closes the pools. It is bounded by
    /// ``OriginConfiguration/drainTime``: then the remaining work is cancelled (which must end it within 5 s,
    /// or ServiceLifecycle stops the process). The `origin` process does not wait for that: see
    /// ``run(configuration:logger:)``.
    /// - Parameters:
    ///   - configuration: listeners, databases, Redis, tokens.
    ///   - logger: the origin's logger.
    ///   - metrics: the registry `/metrics` serves (see ``bootstrapMetrics()``); `nil` serves an empty page.
    ///   - handlesSignals: whether SIGTERM and SIGINT start a graceful shutdown (tests trigger it themselves).
    ///   - onServerRunning: called with the bound channel once the storefront listener is up (tests read the
    ///     port).
    ///   - onInternalServerRunning: the same for the internal listener.
    ///   - cancellationLimit: how long cancellation may take before ServiceLifecycle stops the process;
    ///     `nil` waits (tests bound the wait themselves rather than lose every other test to the trap).
    public static func serviceGroup(
        configuration: OriginConfiguration,
        logger: Logger,
        metrics: PrometheusCollectorRegistry? = nil,
        handlesSignals: Bool = true,
        cancellationLimit: Duration? = .seconds(15),
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in },
        onInternalServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) -> ServiceGroup {
        let application = OriginApplication.build(
            configuration: configuration,
            logger: logger,
            metrics: metrics,
            onServerRunning: onServerRunning,
            onInternalServerRunning: onInternalServerRunning
        )
        var group = ServiceGroupConfiguration(
            services: [application],
            gracefulShutdownSignals: handlesSignals ? [.sigterm, .sigint] : [],
            logger: logger
        )
        group.maximumGracefulShutdownDuration = configuration.drainTime
        // Past this ServiceLifecycle traps. A pool still connecting to a hung server ends only with its 3 s
        // connect timeout, which a loaded machine stretches; the process itself is bounded by DrainWatchdog.
        group.maximumCancellationDuration = cancellationLimit
        return ServiceGroup(configuration: group)
    }

    /// Runs an origin process until SIGTERM or SIGINT: metrics into Prometheus, pending migrations first when
    /// ``OriginConfiguration/migrateOnStart`` asks for them, then ``serviceGroup(configuration:logger:metrics:handlesSignals:cancellationLimit:onServerRunning:onInternalServerRunning:)``.
    /// A signal drains it (``DrainWatchdog``): the process is gone within ``OriginConfiguration/drainTime``.
    /// - Parameters:
    ///   - configuration: the origin's configuration.
    ///   - logger: the origin's logger.
    public static func run(configuration: OriginConfiguration, logger: Logger) async throws {
        let registry = bootstrapMetrics()
        if configuration.migrateOnStart {
            try await OriginMaintenance.migrate(configuration: configuration, logger: logger)
        }
        let group = serviceGroup(configuration: configuration, logger: logger, metrics: registry, handlesSignals: false)
        let signals = DrainWatchdog.watch(group, drainTime: configuration.drainTime, logger: logger)
        try await group.run()
        withExtendedLifetime(signals) {}
    }

    /// Makes swift-metrics record into a new Prometheus registry and returns it. swift-metrics allows one
    /// bootstrap per process, so this runs once, at process start.
    public static func bootstrapMetrics() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Fine buckets: loopback queries take well under a millisecond, pages a few.
        factory.defaultDurationHistogramBuckets = [
            0.00025, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
        ].map { Duration.microseconds(Int64($0 * 1_000_000)) }
        MetricsSystem.bootstrap(factory)
        return registry
    }
}
