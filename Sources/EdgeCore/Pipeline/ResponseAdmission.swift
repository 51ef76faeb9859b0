import Shared

/// Phases 9 and 10 of the pipeline as one decision: may an origin response be served, and stored.
///
/// The caller reads the response's fields into ``Response`` and applies the decision (store with these
/// windows, serve only, or refuse); the decision itself touches nothing.
public enum ResponseAdmission {
    /// What to do with an origin response.
    public enum Decision: Equatable, Sendable {
        /// Serve it and store it for the request's key.
        case store(Storage)
        /// Serve it; do not store it.
        case serveOnly(NotStoredReason)
        /// The origin stamped it for another tenant: never served, never stored.
        case refuse(stampedTenant: String)
    }

    /// How a stored response is kept.
    public struct Storage: Equatable, Sendable {
        /// Seconds it is fresh from now.
        public var ttlSeconds: Int
        /// RFC 5861 windows past freshness, in seconds.
        public var staleWhileRevalidate: Int
        public var staleIfError: Int
        /// Seconds it stays stored once stale, to be revalidated by its validator instead of fetched again.
        public var keepForRevalidationSeconds: Int

        public init(ttlSeconds: Int, staleWhileRevalidate: Int, staleIfError: Int, keepForRevalidationSeconds: Int) {
            self.ttlSeconds = ttlSeconds
            self.staleWhileRevalidate = staleWhileRevalidate
            self.staleIfError = staleIfError
            self.keepForRevalidationSeconds = keepForRevalidationSeconds
        }
    }

    /// Why a response is served but not stored.
    public enum NotStoredReason: Equatable, Sendable {
        /// The request was not a cache lookup (method, credentials).
        case requestPassed
        /// The response's own rules forbid it (RFC 9111: status, `no-store`, `private`, `Set-Cookie`, …).
        case uncacheable(String)
        /// Larger than the largest object the cache keeps.
        case tooLarge
        /// The origin did not stamp it with the tenant (`X-Storefront-Tenant`) and ``Limits/requireTenantStamp``
        /// is on (production): whose page it is cannot be checked, so it is not shared.
        case unstamped
    }

    /// The facts of an origin response the decision reads.
    public struct Response: Sendable {
        public var status: Int
        /// The tenant the origin stamped on it (`X-Storefront-Tenant`), if any.
        public var stampedTenant: String?
        public var cacheControl: CacheControl
        /// Its `Age` in seconds (0 without one).
        public var ageSeconds: Int
        public var hasSetCookie: Bool
        /// Its `Vary` field values.
        public var vary: [String]
        /// `Date`, `Expires` and `Last-Modified` as sent (parsed here).
        public var date: String?
        public var expires: String?
        public var lastModified: String?
        /// It carries `ETag` or `Last-Modified`.
        public var hasValidator: Bool
        /// The bytes storing it would take.
        public var cost: Int

        public init(
            status: Int,
            stampedTenant: String?,
            cacheControl: CacheControl,
            ageSeconds: Int,
            hasSetCookie: Bool,
            vary: [String],
            date: String?,
            expires: String?,
            lastModified: String?,
            hasValidator: Bool,
            cost: Int
        ) {
            self.status = status
            self.stampedTenant = stampedTenant
            self.cacheControl = cacheControl
            self.ageSeconds = ageSeconds
            self.hasSetCookie = hasSetCookie
            self.vary = vary
            self.date = date
            self.expires = expires
            self.lastModified = lastModified
            self.hasValidator = hasValidator
            self.cost = cost
        }
    }

    /// The edge-wide limits the decision applies.
    public struct Limits: Sendable {
        public var maximumStoredObjectSize: Int
        public var revalidationGraceSeconds: Int
        /// Only responses stamped with the tenant are stored (production mode); off, an unstamped response is
        /// stored as the lenient mode allows, for origins that cannot stamp.
        public var requireTenantStamp: Bool

        public init(maximumStoredObjectSize: Int, revalidationGraceSeconds: Int, requireTenantStamp: Bool = false) {
            self.maximumStoredObjectSize = maximumStoredObjectSize
            self.revalidationGraceSeconds = revalidationGraceSeconds
            self.requireTenantStamp = requireTenantStamp
        }
    }

    /// The decision for a request that passed the cache: served as it came, unless the origin stamped it for
    /// another tenant. Needs none of the response's caching fields.
    /// - Parameters:
    ///   - stampedTenant: the tenant the origin stamped on the response, if any.
    ///   - tenant: the tenant the request was resolved to.
    public static func decidePassed(stampedTenant: String?, tenant: TenantID) -> Decision {
        if let stampedTenant, stampedTenant != tenant.rawValue { return .refuse(stampedTenant: stampedTenant) }
        return .serveOnly(.requestPassed)
    }

    /// Decides what happens to an origin response.
    /// - Parameters:
    ///   - response: its facts.
    ///   - tenant: the tenant the request was resolved to.
    ///   - isLookup: the request was a cache lookup (it has a key); otherwise it passed the cache.
    ///   - heuristic: the tenant's heuristic freshness settings.
    ///   - limits: the edge's storage limits.
    ///   - nowWallSeconds: the wall clock, for `Expires` on a response without `Date`.
    ///   - staleIfErrorGrace: the tenant's default stale-if-error window in seconds, for responses without
    ///     their own (``CachePolicy/staleWindows(_:graceIfError:)``); 0: none.
    public static func decide(
        _ response: Response,
        tenant: TenantID,
        isLookup: Bool,
        heuristic: HeuristicFreshness?,
        limits: Limits,
        nowWallSeconds: Int,
        staleIfErrorGrace: Int = 0
    ) -> Decision {
        let passed = decidePassed(stampedTenant: response.stampedTenant, tenant: tenant)
        guard isLookup, passed == .serveOnly(.requestPassed) else { return passed }
        if limits.requireTenantStamp, response.stampedTenant == nil { return .serveOnly(.unstamped) }
        let date = response.date.flatMap(HTTPDate.parse) ?? nowWallSeconds
        let policy = CachePolicy.classify(
            status: response.status,
            cacheControl: response.cacheControl,
            ageSeconds: response.ageSeconds,
            hasSetCookie: response.hasSetCookie,
            hasVary: response.vary.contains { $0.contains("*") },
            expires: response.expires.map { value in HTTPDate.parse(value).map { $0 - date } ?? 0 },
            hasValidator: response.hasValidator,
            heuristicLifetime: CachePolicy.heuristicLifetime(
                heuristic,
                lastModifiedAge: response.lastModified.flatMap(HTTPDate.parse).map { date - $0 }
            )
        )
        guard case .store(let ttl) = policy else {
            if case .uncacheable(let reason) = policy { return .serveOnly(.uncacheable(reason)) }
            return .serveOnly(.uncacheable("policy"))
        }
        guard response.cost <= limits.maximumStoredObjectSize else { return .serveOnly(.tooLarge) }
        let windows = CachePolicy.staleWindows(response.cacheControl, graceIfError: staleIfErrorGrace)
        return .store(
            Storage(
                ttlSeconds: ttl,
                staleWhileRevalidate: windows.whileRevalidating,
                staleIfError: windows.ifError,
                keepForRevalidationSeconds: response.hasValidator ? limits.revalidationGraceSeconds : 0
            )
        )
    }
}

extension ResponseAdmission.Decision {
    /// How requests that waited for this response (coalesced on its key) go on.
    public enum Waiters: Equatable, Sendable {
        /// Serve them the stored response.
        case share
        /// It is one variant of several (`Vary`): each looks itself up again.
        case lookUpAgain
        /// It may not be shared: each asks the origin itself.
        case fetchThemselves
        /// Answer them with an error.
        case fail
    }

    /// How coalesced waiters go on after this decision.
    /// - Parameter varies: the response has a `Vary` field.
    public func waiters(varies: Bool) -> Waiters {
        switch self {
        case .store: varies ? .lookUpAgain : .share
        case .serveOnly: .fetchThemselves
        case .refuse: .fail
        }
    }

    /// Whether the response went into the cache.
    public var stores: Bool {
        if case .store = self { return true }
        return false
    }
}
