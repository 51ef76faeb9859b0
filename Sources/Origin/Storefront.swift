import Foundation
import Shared

/// One storefront: a domain of a tenant, with its theme and settings.
public struct Storefront: Sendable, Equatable {
    public var domain: HostName
    public var tenantID: TenantID
    public var theme: Theme
    public var settings: StorefrontSettings

    public init(domain: HostName, tenantID: TenantID, theme: Theme, settings: StorefrontSettings = .init()) {
        self.domain = domain
        self.tenantID = tenantID
        self.theme = theme
        self.settings = settings
    }
}

/// The part of a storefront's theme JSON the pages use. Unknown keys in the stored JSON are kept in the
/// database and ignored here; a colour that is not `#rgb`/`#rrggbb` falls back to the default, so theme
/// data never reaches CSS unchecked.
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

/// A storefront's navigation, localised copy and enabled assistant (MCP) tools.
public struct StorefrontSettings: Codable, Sendable, Equatable {
    /// One entry of the navigation menu.
    public struct MenuItem: Codable, Sendable, Equatable {
        public var label: String
        public var href: String

        public init(label: String, href: String) {
            self.label = label
            self.href = href
        }
    }

    /// The assistant tools a tenant may enable.
    public static let knownAssistantTools: Set<String> = ["search_products", "get_product", "popular_products", "place_order"]

    public var navigation: [MenuItem]
    /// Copy per locale (`"en"`, `"de"`, …): key → text.
    public var copy: [String: [String: String]]
    public var defaultLocale: String
    public var assistantTools: [String]
    /// How edges cache this storefront (cookie allow-list, shared Set-Cookie responses, budget share).
    public var edge: TenantEdgeSettings?

    public init(
        navigation: [MenuItem] = [MenuItem(label: "Home", href: "/"), MenuItem(label: "Products", href: "/products")],
        copy: [String: [String: String]] = ["en": ["addToCart": "Add to cart", "popular": "Popular now"]],
        defaultLocale: String = "en",
        assistantTools: [String] = [],
        edge: TenantEdgeSettings? = nil
    ) {
        self.navigation = navigation
        self.copy = copy
        self.defaultLocale = defaultLocale
        self.assistantTools = assistantTools
        self.edge = edge
    }

    enum CodingKeys: String, CodingKey {
        case navigation, copy, defaultLocale, assistantTools, edge
    }

    public init(from decoder: any Decoder) throws {
        try StrictJSON.rejectUnknownKeys(decoder, allowed: Set(CodingKeys.allStrings))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = StorefrontSettings()
        navigation = try container.decodeIfPresent([MenuItem].self, forKey: .navigation) ?? defaults.navigation
        copy = try container.decodeIfPresent([String: [String: String]].self, forKey: .copy) ?? defaults.copy
        defaultLocale = try container.decodeIfPresent(String.self, forKey: .defaultLocale) ?? defaults.defaultLocale
        assistantTools = try container.decodeIfPresent([String].self, forKey: .assistantTools) ?? defaults.assistantTools
        edge = try container.decodeIfPresent(TenantEdgeSettings.self, forKey: .edge)
        if let unknown = assistantTools.first(where: { !Self.knownAssistantTools.contains($0) }) {
            throw DecodingError.dataCorruptedError(forKey: .assistantTools, in: container, debugDescription: "unknown assistant tool '\(unknown)'")
        }
        guard navigation.count <= 20, navigation.allSatisfy({ $0.href.hasPrefix("/") && !$0.href.hasPrefix("//") }) else {
            throw DecodingError.dataCorruptedError(forKey: .navigation, in: container, debugDescription: "navigation links are up to 20 site paths")
        }
    }

    /// The text for `key` in `locale`, falling back to the default locale, then to `fallback`.
    public func text(_ key: String, locale: String?, fallback: String) -> String {
        if let locale, let text = copy[locale]?[key] { return text }
        return copy[defaultLocale]?[key] ?? fallback
    }
}

extension StorefrontSettings.CodingKeys {
    static let allStrings = ["navigation", "copy", "defaultLocale", "assistantTools", "edge"]
}
