import Foundation
import Shared

/// Renders a product page in the storefront's theme. Every interpolated text is HTML-escaped.
enum ProductPage {
    static func render(product: Product, storefront: Storefront, locale: String? = nil) -> String {
        let theme = storefront.theme
        let settings = storefront.settings
        let price = formatPrice(cents: product.priceCents, currency: product.currency)
        let menu = settings.navigation.map { "<a href=\"\(escape($0.href))\">\(escape($0.label))</a>" }.joined(separator: " ")
        let addToCart = settings.text("addToCart", locale: locale, fallback: "Add to cart")
        let language = escape(locale.flatMap { settings.copy[$0] == nil ? nil : $0 } ?? settings.defaultLocale)
        return """
            <!doctype html>
            <html lang="\(language)">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(product.title)) · \(escape(theme.name))</title>
            <style>
            body { margin: 0; font-family: system-ui, sans-serif; background: \(theme.backgroundColor); color: \(theme.primaryColor); }
            header { padding: 1rem 2rem; background: \(theme.primaryColor); color: \(theme.backgroundColor); }
            header a { color: \(theme.backgroundColor); margin-left: 1rem; }
            button { background: \(theme.accentColor); color: \(theme.backgroundColor); border: 0; padding: .6rem 1.2rem; }
            main { padding: 2rem; max-width: 48rem; }
            .price { color: \(theme.accentColor); font-size: 1.5rem; font-weight: 600; }
            </style>
            </head>
            <body>
            <header><strong>\(escape(theme.name))</strong> <nav>\(menu)</nav></header>
            <main>
            <h1>\(escape(product.title))</h1>
            <p class="price">\(escape(price))</p>
            <p>\(escape(product.description))</p>
            <button type="button">\(escape(addToCart))</button>
            </main>
            </body>
            </html>

            """
    }

    /// A page of the catalogue, with links to the product pages and to the neighbouring pages.
    static func renderList(_ result: ProductPageResult, storefront: Storefront, locale: String? = nil) -> String {
        let theme = storefront.theme
        let items = result.products.map { product in
            "<li><a href=\"/products/\(escape(product.slug))\">\(escape(product.title))</a> "
                + "<span class=\"price\">\(escape(formatPrice(cents: product.priceCents, currency: product.currency)))</span></li>"
        }.joined(separator: "\n")
        let pages = max(1, (result.total + result.perPage - 1) / result.perPage)
        var links: [String] = []
        if result.page > 1 { links.append("<a rel=\"prev\" href=\"/products?page=\(result.page - 1)\">←</a>") }
        links.append("page \(result.page) of \(pages)")
        if result.page < pages { links.append("<a rel=\"next\" href=\"/products?page=\(result.page + 1)\">→</a>") }
        let menu = storefront.settings.navigation.map { "<a href=\"\(escape($0.href))\">\(escape($0.label))</a>" }.joined(separator: " ")
        return """
            <!doctype html>
            <html lang="\(escape(storefront.settings.defaultLocale))">
            <head>
            <meta charset="utf-8">
            <title>Products · \(escape(theme.name))</title>
            <style>
            body { margin: 0; font-family: system-ui, sans-serif; background: \(theme.backgroundColor); color: \(theme.primaryColor); }
            header { padding: 1rem 2rem; background: \(theme.primaryColor); color: \(theme.backgroundColor); }
            header a { color: \(theme.backgroundColor); margin-left: 1rem; }
            main { padding: 2rem; max-width: 48rem; }
            .price { color: \(theme.accentColor); }
            </style>
            </head>
            <body>
            <header><strong>\(escape(theme.name))</strong> <nav>\(menu)</nav></header>
            <main>
            <ul>
            \(items)
            </ul>
            <p>\(links.joined(separator: " "))</p>
            </main>
            </body>
            </html>

            """
    }

    static func formatPrice(cents: Int64, currency: String) -> String {
        let units = cents / 100
        let rest = cents % 100
        return "\(units).\(rest < 10 ? "0" : "")\(rest) \(currency)"
    }

    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }
}

/// Strong entity tags from the representation's bytes (64-bit FNV-1a).
enum EntityTag {
    static func strong(for bytes: some Sequence<UInt8>) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "\"\(String(repeating: "0", count: 16 - hex.count))\(hex)\""
    }
}
