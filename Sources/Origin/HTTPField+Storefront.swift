import HTTPTypes
import Shared

extension HTTPField.Name {
    /// ``StorefrontHeader/tenant``.
    static let storefrontTenant = HTTPField.Name(StorefrontHeader.tenant)!
    /// ``StorefrontHeader/surrogateKey``.
    static let surrogateKey = HTTPField.Name(StorefrontHeader.surrogateKey)!
    /// ``StorefrontHeader/internalToken``.
    static let storefrontInternalToken = HTTPField.Name(StorefrontHeader.internalToken)!
}
