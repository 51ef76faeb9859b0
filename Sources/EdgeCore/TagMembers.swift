import Shared

/// The keys carrying one purge tag. Most tags (a product's, a URL's) belong to one object: no set for them.
enum TagMembers {
    case one(CacheKey)
    case many(Set<CacheKey>)

    mutating func insert(_ key: CacheKey) {
        switch self {
        case .one(let existing):
            if existing != key { self = .many([existing, key]) }
        case .many(var keys):
            self = .one(key)  // release the set so the insert below does not copy it
            keys.insert(key)
            self = .many(keys)
        }
    }

    /// Without `key`; `nil` when nothing is left.
    mutating func remove(_ key: CacheKey) -> Bool {
        switch self {
        case .one(let existing):
            return existing == key
        case .many(var keys):
            self = .one(key)
            keys.remove(key)
            if keys.count == 1, let last = keys.first {
                self = .one(last)
            } else {
                self = .many(keys)
            }
            return keys.isEmpty
        }
    }

    var keys: [CacheKey] {
        switch self {
        case .one(let key): [key]
        case .many(let keys): Array(keys)
        }
    }
}
