import Foundation

/// A small, fast, seedable generator (SplitMix64): the same seed gives the same request sequence.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Ranks 1…n drawn with probability proportional to 1 / rank^exponent (Zipf): product popularity.
public struct ZipfSampler: Sendable {
    /// Cumulative probabilities; `cdf[i]` is P(rank ≤ i + 1).
    private let cdf: [Double]

    public var count: Int { cdf.count }

    /// - Parameters:
    ///   - count: the number of ranks (products).
    ///   - exponent: the skew; 0 is uniform, about 1 is typical for catalogue popularity.
    public init(count: Int, exponent: Double) {
        precondition(count > 0 && exponent >= 0)
        var weights = (1...count).map { 1 / Foundation.pow(Double($0), exponent) }
        let total = weights.reduce(0, +)
        var running = 0.0
        for index in weights.indices {
            running += weights[index] / total
            weights[index] = running
        }
        weights[weights.count - 1] = 1
        cdf = weights
    }

    /// The probability of `rank` (1-based).
    public func probability(of rank: Int) -> Double {
        rank == 1 ? cdf[0] : cdf[rank - 1] - cdf[rank - 2]
    }

    /// A rank, 1-based.
    public func sample<R: RandomNumberGenerator>(using generator: inout R) -> Int {
        let u = Double.random(in: 0..<1, using: &generator)
        var low = 0
        var high = cdf.count - 1
        while low < high {
            let middle = (low + high) / 2
            if cdf[middle] > u { high = middle } else { low = middle + 1 }
        }
        return low + 1
    }
}
