import LoadGenerator
import Testing

@Suite struct ZipfTests {
    /// Rank 1 of 1,000 under exponent 1 has probability 1 / H(1000) ≈ 0.1336; sampling matches it.
    @Test func frequenciesFollowZipf() {
        let sampler = ZipfSampler(count: 1_000, exponent: 1.0)
        let harmonic = (1...1_000).reduce(0.0) { $0 + 1 / Double($1) }
        #expect(abs(sampler.probability(of: 1) - 1 / harmonic) < 1e-9)
        #expect(abs(sampler.probability(of: 10) - 1 / (10 * harmonic)) < 1e-9)
        var random = SplitMix64(seed: 7)
        var counts = [Int](repeating: 0, count: 1_001)
        for _ in 0..<200_000 { counts[sampler.sample(using: &random)] += 1 }
        #expect(abs(Double(counts[1]) / 200_000 - 1 / harmonic) < 0.005)
        #expect(abs(Double(counts[10]) / 200_000 - 1 / (10 * harmonic)) < 0.002)
        #expect(counts[0] == 0)
        #expect(counts[1_000] > 0)
    }

    @Test func exponentZeroIsUniform() {
        let sampler = ZipfSampler(count: 4, exponent: 0)
        for rank in 1...4 { #expect(abs(sampler.probability(of: rank) - 0.25) < 1e-12) }
    }

    /// The same seed gives the same sequence; another seed another one.
    @Test func seedsAreDeterministic() {
        let sampler = ZipfSampler(count: 20_000, exponent: 1.0)
        func sequence(_ seed: UInt64) -> [Int] {
            var random = SplitMix64(seed: seed)
            return (0..<100).map { _ in sampler.sample(using: &random) }
        }
        #expect(sequence(42) == sequence(42))
        #expect(sequence(42) != sequence(43))
    }
}
