/// A tenant's request header limits where they differ from the edge's (`FrontDoorLimits`): for a storefront
/// whose shoppers carry large cookies, say. HTTP/2 announces the list size in `SETTINGS_MAX_HEADER_LIST_SIZE`.
public struct RequestHeaderLimits: Codable, Sendable, Hashable {
    /// The largest single header field (name and value) in bytes, else 431.
    public var maximumFieldSize: Int?
    /// All header fields of a request together, in bytes, else 431 (a connection error on HTTP/2).
    public var maximumListSize: Int?

    public init(maximumFieldSize: Int? = nil, maximumListSize: Int? = nil) {
        self.maximumFieldSize = maximumFieldSize
        self.maximumListSize = maximumListSize
    }

    /// Field size in [1 KiB, 64 KiB], list size in [4 KiB, 256 KiB] and not below the field size: a tenant
    /// may raise the limits, not switch them off.
    public var isValid: Bool {
        let fieldOK = maximumFieldSize.map { (1024...65_536).contains($0) } ?? true
        let listOK = maximumListSize.map { (4096...262_144).contains($0) } ?? true
        let ordered = maximumListSize.map { $0 >= (maximumFieldSize ?? 0) } ?? true
        return fieldOK && listOK && ordered
    }
}
