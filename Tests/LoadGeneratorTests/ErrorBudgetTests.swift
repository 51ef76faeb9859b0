import LoadGenerator
import Testing

@Suite struct ErrorBudgetTests {
    /// A share equal to the maximum passes; one error more fails.
    @Test func failsOnlyAboveTheMaximum() {
        #expect(!ErrorBudget(errors: 0, requests: 1_000, maximumShare: 0.01).exceeded)
        #expect(!ErrorBudget(errors: 10, requests: 1_000, maximumShare: 0.01).exceeded)
        #expect(ErrorBudget(errors: 11, requests: 1_000, maximumShare: 0.01).exceeded)
        #expect(ErrorBudget(errors: 11, requests: 1_000, maximumShare: 0.01).share == 0.011)
    }

    /// A maximum of 0 allows no error at all; of 1, any number.
    @Test func extremes() {
        #expect(ErrorBudget(errors: 1, requests: 1_000_000, maximumShare: 0).exceeded)
        #expect(!ErrorBudget(errors: 5, requests: 5, maximumShare: 1).exceeded)
    }

    /// A run that sent nothing proves nothing: it fails.
    @Test func noRequestsFails() {
        let budget = ErrorBudget(errors: 0, requests: 0, maximumShare: 0.01)
        #expect(budget.share == nil)
        #expect(budget.exceeded)
    }
}
