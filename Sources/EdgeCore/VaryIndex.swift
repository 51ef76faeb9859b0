import Shared
import Synchronization

/// Which request headers select among stored variants of a URL (`Vary`), so variants live side by side.
///
/// The first response for a URL that carries `Vary` records the header names for its base key; from then on
/// a request's key is the base key plus the values of those headers (trimmed, lower-cased names). Keys stay
/// in the tenant's namespace. A URL without `Vary` costs one dictionary lookup.
public final class VaryIndex: Sendable {
    private struct State {
        /// Base key → the header names its responses vary on.
        var specs: [CacheKey: [String]] = [:]
        /// Variant key → its base key.
        var bases: [CacheKey: CacheKey] = [:]
    }

    /// Past this many entries the index starts over (it is a hint: a forgotten spec costs one extra miss).
    private let capacity: Int
    private let state = Mutex(State())

    /// - Parameter capacity: the most URLs and variants remembered.
    public init(capacity: Int = 200_000) {
        self.capacity = capacity
    }

    /// The key of the variant a request selects.
    /// - Parameters:
    ///   - base: the key without variants.
    ///   - requestValues: the request's values of a header (all fields of that name).
    public func key(for base: CacheKey, requestValues: (String) -> [String]) -> CacheKey {
        guard let names = state.withLock({ $0.specs[base] }) else { return base }
        let variant = Self.variant(of: base, names: names, requestValues: requestValues)
        remember(variant, base: base)
        return variant
    }

    /// Records the `Vary` of a response and returns the key to store it under.
    /// - Parameters:
    ///   - key: the key the request was looked up under (a base key, or a variant of one).
    ///   - vary: the response's `Vary` field values.
    ///   - requestValues: the request's values of a header.
    public func record(_ key: CacheKey, vary: [String], requestValues: (String) -> [String]) -> CacheKey {
        let names = Array(Set(vary.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters().lowercased() }.filter { !$0.isEmpty })).sorted()
        let base = state.withLock { state -> CacheKey in
            let base = state.bases[key] ?? key
            if names.isEmpty { state.specs[base] = nil } else { state.specs[base] = names }
            if state.specs.count > capacity { state.specs.removeAll(keepingCapacity: true) }
            return base
        }
        guard !names.isEmpty else { return base }
        let variant = Self.variant(of: base, names: names, requestValues: requestValues)
        remember(variant, base: base)
        return variant
    }

    private func remember(_ variant: CacheKey, base: CacheKey) {
        state.withLock { state in
            if state.bases.count > capacity { state.bases.removeAll(keepingCapacity: true) }
            state.bases[variant] = base
        }
    }

    private static func variant(of base: CacheKey, names: [String], requestValues: (String) -> [String]) -> CacheKey {
        let selector = names.map { name in
            "\(name)=\(requestValues(name).map { $0.trimmingCharacters() }.joined(separator: ","))"
        }.joined(separator: "&")
        return CacheKey(tenant: base.tenant, resource: "variant", id: "\(base.rawValue)|\(selector)")
    }
}

extension StringProtocol {
    fileprivate func trimmingCharacters() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
