import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import UpstreamHTTP

/// Drives reads and a stream of orders through the edges while the fault suite breaks the stack, and counts
/// how each request ended (``FaultTally``).
///
/// Before the run the cached pages are warmed on every edge (``warmUp()``); the run is closed read loops
/// (cached and never-requested pages) and orders at a fixed rate; after it, each failed order is retried
/// once with its key and body (``run(progress:)``).
public final class FaultDriver: Sendable {
    /// A setup problem: the run cannot start.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String

        init(_ description: String) { self.description = description }
    }

    public let configuration: FaultConfiguration
    let workload: FaultWorkload
    let client: HTTP1Client
    let group: any EventLoopGroup
    let rotation: EdgeRotation
    let tally: NIOLockedValueBox<FaultTally>
    /// Request numbers: for the edge rotation, and for never-requested pages.
    private let counters = NIOLockedValueBox((requests: 0, uncached: 0))

    /// - Parameters:
    ///   - configuration: what to run.
    ///   - group: the event loops the connections run on.
    /// - Throws: ``Failure`` when the configuration cannot run.
    public init(configuration: FaultConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws {
        if let problem = configuration.problem() { throw Failure(problem) }
        self.configuration = configuration
        self.group = group
        workload = FaultWorkload(configuration)
        client = try configuration.makeClient(group: group)
        rotation = EdgeRotation(count: configuration.edges.count)
        tally = NIOLockedValueBox(FaultTally(keyPrefix: configuration.keyPrefix))
    }

    /// Requests every cached page of every tenant on every edge until it answers `X-Cache: HIT`.
    /// - Throws: ``Failure`` naming the edge and page that did not within the warm-up deadline.
    public func warmUp() async throws {
        let deadline = ContinuousClock.now + configuration.warmUpDeadline
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for edge in configuration.edges.indices {
                for tenant in configuration.tenants {
                    tasks.addTask { try await self.warm(edge: edge, tenant: tenant, until: deadline) }
                }
            }
            try await tasks.waitForAll()
        }
    }

    private func warm(edge: Int, tenant: LoadTenant, until deadline: ContinuousClock.Instant) async throws {
        let loop = group.next()
        for page in 1...configuration.cachedPages {
            let path = workload.cachedPath(page: page)
            var last = "no answer"
            while true {
                guard ContinuousClock.now < deadline else {
                    throw Failure(
                        "edge \(configuration.edges[edge]) did not answer X-Cache: HIT for https://\(tenant.domain)\(path) "
                            + "within \(configuration.warmUpDeadline) (last: \(last))"
                    )
                }
                let attempt = await send(
                    .GET,
                    path,
                    tenant: tenant,
                    edge: edge,
                    on: loop,
                    deadline: min(deadline, .now + configuration.requestTimeout)
                )
                if case .answered(200, let cache, _, _) = attempt, cache == "HIT" { break }
                last = Self.describe(attempt)
                // A miss is usually stored at once: look again soon; anything else, after a pause.
                var pause = Duration.milliseconds(200)
                if case .answered(200, "MISS", _, _) = attempt { pause = .milliseconds(20) }
                try await Task.sleep(for: pause)
            }
        }
    }

    /// The timed run, then one retry of each failed order within the settle time.
    /// - Parameters:
    ///   - progress: told what the driver does next, for a person watching.
    public func run(progress: @Sendable (String) -> Void = { _ in }) async -> FaultReport {
        progress(
            "driving \(configuration.readers) readers and \(configuration.ordersPerSecond) orders/s through "
                + "\(configuration.edges.count) edge(s) for \(configuration.duration)"
        )
        let start = ContinuousClock.now
        let startedAt = Date().timeIntervalSince1970
        let deadline = start + configuration.duration
        await withTaskGroup(of: Void.self) { tasks in
            for reader in 0..<configuration.readers {
                tasks.addTask { await self.read(reader: reader, start: start, until: deadline) }
            }
            tasks.addTask { await self.placeOrders(start: start, until: deadline) }
        }
        let elapsed = ContinuousClock.now - start
        let toRetry = tally.withLockedValue { $0.ordersToRetry }
        if !toRetry.isEmpty {
            progress("retrying \(toRetry.count) failed order(s) once, for up to \(configuration.settle)")
            await retry(toRetry, until: ContinuousClock.now + configuration.settle)
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        var report = tally.withLockedValue { $0.report(seconds: seconds, timeline: configuration.recordsTimeline) }
        report.startedAt = startedAt
        return report
    }

    /// One closed read loop: a cached page, or with the uncached share a page never requested before.
    private func read(reader: Int, start: ContinuousClock.Instant, until deadline: ContinuousClock.Instant) async {
        var random = SplitMix64(seed: configuration.seed &* 1_000_003 &+ UInt64(reader))
        let loop = group.next()
        while ContinuousClock.now < deadline {
            let tenant = configuration.tenants[Int.random(in: 0..<configuration.tenants.count, using: &random)]
            let cached = Double.random(in: 0..<1, using: &random) >= configuration.uncachedShare
            let path: String
            if cached {
                path = workload.cachedPath(page: Int.random(in: 1...configuration.cachedPages, using: &random))
            } else {
                path = workload.uncachedPath(
                    number: counters.withLockedValue {
                        $0.uncached += 1
                        return $0.uncached
                    }
                )
            }
            let sentAt = Self.seconds(since: start)
            let (attempt, rerouted) = await sendRerouting(.GET, path, tenant: tenant, on: loop)
            tally.withLockedValue {
                $0.recordRead(attempt, cached: cached, rerouted: rerouted, tenantID: tenant.id, sentAt: sentAt)
            }
            // Every edge refused at once: pause, or the loop would spin through refusals.
            if attempt == .refused { try? await Task.sleep(for: .milliseconds(50)) }
        }
    }

    /// Orders at the configured rate from the start of the run, each in its own task (an answer that takes
    /// long does not hold the next order back); returns when every order has its answer.
    private func placeOrders(start: ContinuousClock.Instant, until deadline: ContinuousClock.Instant) async {
        guard configuration.ordersPerSecond > 0 else { return }
        let interval = Duration.seconds(1 / configuration.ordersPerSecond)
        await withTaskGroup(of: Void.self) { orders in
            var next = start
            var number = 0
            while next < deadline {
                try? await Task.sleep(until: next, clock: .continuous)
                number += 1
                let order = number
                orders.addTask {
                    let sentAt = Self.seconds(since: start)
                    let (attempt, rerouted) = await self.sendOrder(order)
                    self.tally.withLockedValue { $0.recordWrite(number: order, attempt, rerouted: rerouted, sentAt: sentAt) }
                }
                next += interval
            }
        }
    }

    /// One retry of each order in `numbers`, eight at a time; an order whose turn comes after `end` is not
    /// retried (and stays failed).
    private func retry(_ numbers: [Int], until end: ContinuousClock.Instant) async {
        await withTaskGroup(of: Void.self) { retries in
            var pending = numbers.makeIterator()
            var running = 0
            while true {
                while running < 8, ContinuousClock.now < end, let number = pending.next() {
                    running += 1
                    retries.addTask {
                        let (attempt, _) = await self.sendOrder(number, end: end)
                        self.tally.withLockedValue { $0.recordRetry(number: number, attempt) }
                    }
                }
                guard running > 0, await retries.next() != nil else { break }
                running -= 1
            }
        }
    }

    private func sendOrder(_ number: Int, end: ContinuousClock.Instant? = nil) async -> (FaultAttempt, rerouted: Bool) {
        let order = workload.order(number: number)
        return await sendRerouting(
            .POST,
            "/api/orders",
            tenant: order.tenant,
            headers: [("content-type", "application/json"), ("idempotency-key", order.key)],
            body: order.body,
            on: group.next(),
            end: end
        )
    }

    /// The next request number, for the edge rotation.
    func nextRequestNumber() -> Int {
        counters.withLockedValue {
            $0.requests += 1
            return $0.requests
        }
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
