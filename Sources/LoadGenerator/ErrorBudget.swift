/// The share of failed requests a run may have and still pass: above it the figures are not worth reading
/// (a 404 for a product the stack does not have is fast and never cached) and the tool exits non-zero.
public struct ErrorBudget: Codable, Sendable, Equatable {
    /// Errors (answers with status ≥ 400, timeouts, failed connections) over requests sent.
    public var share: Double?
    /// The largest share that passes, from `--max-error-rate`.
    public var maximumShare: Double
    /// Whether the run failed: its share is above ``maximumShare``, or it sent no request at all.
    public var exceeded: Bool

    /// - Parameters:
    ///   - errors: failed requests.
    ///   - requests: requests sent.
    ///   - maximumShare: the largest error share that passes (0.01 is 1%).
    public init(errors: Int, requests: Int, maximumShare: Double) {
        self.maximumShare = maximumShare
        share = requests > 0 ? Double(errors) / Double(requests) : nil
        exceeded = share.map { $0 > maximumShare } ?? true
    }
}
