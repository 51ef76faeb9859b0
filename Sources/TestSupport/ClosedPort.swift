#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A loopback port that refuses connections and that no other test can take while this exists: a socket
/// bound to it that never listens. A stopped server's port is not that: another test running in parallel
/// may bind it a moment later and answer in the dead server's place.
public final class ClosedPort: Sendable {
    public let port: Int
    private let descriptor: Int32

    /// - Parameter port: the port to hold (a server's just closed), or 0 for any free one.
    public init(port: Int = 0) throws {
        // Close-on-exec: a process another test starts meanwhile must not inherit the socket, or the port
        // stays bound in that child after this closes it (a redis-server then failed to bind it in CI).
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw Failure.socket(errno) }
        // The port's closed connections may linger in TIME_WAIT: they do not stop this bind.
        var reuse: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(descriptor, generic, length) == 0 && getsockname(descriptor, generic, &length) == 0
            }
        }
        guard bound else {
            let error = errno
            close(descriptor)
            throw Failure.socket(error)
        }
        self.descriptor = descriptor
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(descriptor) }

    public enum Failure: Error {
        case socket(Int32)
    }
}
