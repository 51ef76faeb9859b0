import Foundation
import Shared

/// One storefront: a domain of a tenant, with its theme.
public struct Storefront: Sendable, Equatable {
    public var domain: HostName
    public var tenantID: TenantID
    public var theme: Theme

    public init(domain: HostName, tenantID: TenantID, theme: Theme) {
        self.domain = domain
        self.tenantID = tenantID
        self.theme = theme
    }
}

/// The part of a storefront's theme JSON the pages use. Unknown keys in the stored JSON are kept in the
/// database and ignored here.
public struct Theme: Codable, Sendable, Equatable {
    public var name: String
    public var primaryColor: String
    public var accentColor: String
    public var backgroundColor: String

    public init(name: String, primaryColor: String = "#1f2937", accentColor: String = "#2563eb", backgroundColor: String = "#ffffff") {
        self.name = name
        self.primaryColor = primaryColor
        self.accentColor = accentColor
        self.backgroundColor = backgroundColor
    }

    enum CodingKeys: String, CodingKey {
        case name, primaryColor, accentColor, backgroundColor
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let fallback = Theme(name: "Storefront")
        name = try container.decodeIfPresent(String.self, forKey: .name) ?? fallback.name
        primaryColor = Self.colour(try container.decodeIfPresent(String.self, forKey: .primaryColor)) ?? fallback.primaryColor
        accentColor = Self.colour(try container.decodeIfPresent(String.self, forKey: .accentColor)) ?? fallback.accentColor
        backgroundColor =
            Self.colour(try container.decodeIfPresent(String.self, forKey: .backgroundColor)) ?? fallback.backgroundColor
    }

    /// Only `#rgb` and `#rrggbb` colours reach CSS; anything else falls back to the default.
    static func colour(_ value: String?) -> String? {
        guard let value, value.first == "#", value.count == 4 || value.count == 7,
            value.dropFirst().allSatisfy(\.isHexDigit)
        else { return nil }
        return value
    }
}
