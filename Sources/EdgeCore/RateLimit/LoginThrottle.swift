/// How a client that keeps failing to log in is slowed before it is refused: the first few failures cost
/// nothing (a typo), then each further attempt waits twice as long as the last, up to a cap, until the
/// failed-login bucket is empty and attempts are refused (`429`).
public enum LoginThrottle {
    /// Failures allowed before attempts are slowed.
    public static let freeFailures = 3
    /// The wait after the first slowed failure, in milliseconds; doubled for each one after.
    public static let firstDelayMilliseconds = 250
    /// The longest wait, in milliseconds.
    public static let maximumDelayMilliseconds = 4_000

    /// The milliseconds to hold an attempt with credentials after `failures` failed logins (0: none).
    public static func delayMilliseconds(failures: Int) -> Int {
        guard failures >= freeFailures else { return 0 }
        let doublings = min(failures - freeFailures, 16)
        return min(maximumDelayMilliseconds, firstDelayMilliseconds << doublings)
    }
}
