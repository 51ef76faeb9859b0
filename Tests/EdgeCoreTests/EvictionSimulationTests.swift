import EdgeCore
import Shared
import Testing

/// Trace-driven comparison of the store's eviction (SIEVE) with LRU at the same byte budget.
///
/// The trace: six tenants of 20,000 products each, object sizes 2–20 KB, product popularity Zipf(1.0) within
/// each tenant, and in the middle a scan burst (a crawler walking 30,000 one-hit pages). The budget holds
/// 10% of the catalogue's bytes.
@Suite struct EvictionSimulationTests {
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    struct Request {
        var tenant: Int
        var product: Int
    }

    static let tenants = (0..<6).map { TenantID("tenant-\($0)")! }
    static let products = 20_000

    static func size(tenant: Int, product: Int) -> Int {
        2_000 + (product &* 7919 &+ tenant &* 104_729) % 18_000
    }

    static func trace(requests: Int, seed: UInt64) -> [Request] {
        var random = SplitMix64(state: seed)
        // Zipf(1.0) over product ranks: cumulative weights, sampled by binary search.
        var cumulative = [Double](repeating: 0, count: products)
        var total = 0.0
        for rank in 0..<products {
            total += 1.0 / Double(rank + 1)
            cumulative[rank] = total
        }
        func zipf() -> Int {
            let target = Double.random(in: 0..<total, using: &random)
            var low = 0
            var high = products - 1
            while low < high {
                let middle = (low + high) / 2
                if cumulative[middle] < target { low = middle + 1 } else { high = middle }
            }
            return low
        }
        var trace: [Request] = []
        trace.reserveCapacity(requests + 30_000)
        for index in 0..<requests {
            if index == requests / 2 {
                // The scan: a crawler fetching 30,000 pages nobody else asks for.
                for step in 0..<30_000 { trace.append(Request(tenant: step % tenants.count, product: products + step)) }
            }
            trace.append(Request(tenant: Int.random(in: 0..<tenants.count, using: &random), product: zipf()))
        }
        return trace
    }

    /// A byte-budgeted LRU, the baseline.
    final class LRU {
        final class Node {
            let key: Int
            let size: Int
            var previous: Node?
            var next: Node?
            init(key: Int, size: Int) {
                self.key = key
                self.size = size
            }
        }

        let budget: Int
        var bytes = 0
        var nodes: [Int: Node] = [:]
        var head: Node?  // most recent
        var tail: Node?  // least recent

        init(budget: Int) { self.budget = budget }

        func access(_ key: Int, size: Int) -> Bool {
            if let node = nodes[key] {
                unlink(node)
                pushFront(node)
                return true
            }
            while bytes + size > budget, let victim = tail {
                unlink(victim)
                nodes[victim.key] = nil
                bytes -= victim.size
            }
            let node = Node(key: key, size: size)
            nodes[key] = node
            pushFront(node)
            bytes += size
            return false
        }

        private func unlink(_ node: Node) {
            if let previous = node.previous { previous.next = node.next } else { head = node.next }
            if let next = node.next { next.previous = node.previous } else { tail = node.previous }
            node.previous = nil
            node.next = nil
        }

        private func pushFront(_ node: Node) {
            node.next = head
            head?.previous = node
            head = node
            if tail == nil { tail = node }
        }
    }

    /// SIEVE beats LRU on the same trace and budget (both hit ratios are printed).
    @Test func sieveBeatsLRU() {
        let trace = Self.trace(requests: 150_000, seed: 2026)
        let catalogueBytes = Self.tenants.indices.reduce(0) { sum, tenant in
            sum + (0..<Self.products).reduce(0) { $0 + Self.size(tenant: tenant, product: $1) }
        }
        let budget = catalogueBytes / 10

        let sieve = CacheStore<Int>(byteBudget: budget)
        let lru = LRU(budget: budget)
        var sieveHits = 0
        var lruHits = 0
        for request in trace {
            let size = Self.size(tenant: request.tenant, product: request.product)
            let key = CacheKey(tenant: Self.tenants[request.tenant], resource: "product", id: String(request.product))
            if case .fresh = sieve.lookup(key, now: 0) {
                sieveHits += 1
            } else {
                sieve.store(key, payload: request.product, size: size, now: 0, ttlSeconds: 3600)
            }
            if lru.access(request.tenant * 1_000_000 + request.product, size: size) { lruHits += 1 }
        }
        let sieveRatio = Double(sieveHits) / Double(trace.count)
        let lruRatio = Double(lruHits) / Double(trace.count)
        print("eviction simulation: \(trace.count) requests, budget \(budget / 1_048_576) MiB (10% of catalogue)")
        print("eviction simulation: SIEVE hit ratio \(sieveRatio), LRU hit ratio \(lruRatio)")
        #expect(sieve.usage.bytes <= budget)
        #expect(sieveRatio > lruRatio)
    }
}
