import Dispatch
import Foundation
import Logging
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// The origin process's answer to SIGTERM and SIGINT: a graceful shutdown of its service group (stop
/// accepting, finish requests in flight, close the pools), and the end of the process when that has not
/// finished within the drain time, whatever still runs. A rolling deploy can then count on the process
/// being gone after ``OriginConfiguration/drainTime``, not after the service group's own cancellation
/// (which ends in a crash when a service ignores it).
enum DrainWatchdog {
    /// Starts listening for the signals; keep the returned sources alive as long as the process serves.
    /// - Parameters:
    ///   - group: the service group to shut down gracefully.
    ///   - drainTime: how long the shutdown may take.
    ///   - logger: the drain and a forced exit are logged here.
    static func watch(_ group: ServiceGroup, drainTime: Duration, logger: Logger) -> [any DispatchSourceSignal] {
        let queue = DispatchQueue(label: "origin.drain")
        let milliseconds = Int(drainTime / .milliseconds(1))
        return [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                logger.info("draining: requests in flight finish, then the process exits", metadata: ["drainTime": "\(drainTime)"])
                Task { await group.triggerGracefulShutdown() }
                queue.asyncAfter(deadline: .now() + .milliseconds(milliseconds)) {
                    logger.error("drain time over with work still running; exiting")
                    fflush(nil)
                    // Not exit(): its clean-up can wait on the very threads that are stuck.
                    _exit(1)
                }
            }
            source.resume()
            return source
        }
    }
}
