import Foundation

/// A POSIX file descriptor with the few calls the output splices and rewrites need (positioned
/// reads and writes, safe from several threads at once), errors thrown as `.fileSystem` naming
/// what the file is (`role`).
final class FileDescriptor {
    private var fd: Int32
    let path: String
    private let location: ErrorLocation
    private let role: String

    /// `open(2)` of `path` (mode 0644 when `flags` create it); `role` names the file in errors.
    init(path: String, flags: Int32, role: String = "a segment of the output", location: ErrorLocation) throws {
        self.path = path
        self.location = location
        self.role = role
        fd = open(path, flags | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Self.failure(errno, "opening", role, path, location) }
    }

    deinit { if fd >= 0 { _ = Foundation.close(fd) } }

    private static func failure(_ code: Int32, _ doing: String, _ role: String, _ path: String,
                                _ location: ErrorLocation) -> ReplicaExportError {
        ReplicaExportError.fileSystem(FileSystemCause(errno: code), doing: "\(doing) \(role)", path: path, at: location)
    }

    func size() throws -> Int64 {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw Self.failure(errno, "reading", role, path, location) }
        return Int64(info.st_size)
    }

    func seek(to offset: Int64) throws {
        guard lseek(fd, off_t(offset), SEEK_SET) >= 0 else { throw Self.failure(errno, "seeking in", role, path, location) }
    }

    func truncate(to size: Int64) throws {
        guard ftruncate(fd, off_t(size)) == 0 else { throw Self.failure(errno, "truncating", role, path, location) }
    }

    /// Up to `count` bytes at `offset` (fewer at the end of the file).
    func read(at offset: Int64, count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var total = 0
        while total < count {
            let got = try bytes.withUnsafeMutableBytes { try read(into: $0.baseAddress! + total, at: offset + Int64(total), count: count - total) }
            if got == 0 { break }
            total += got
        }
        return Array(bytes[..<total])
    }

    func read(into pointer: UnsafeMutableRawPointer, at offset: Int64, count: Int) throws -> Int {
        while true {
            let got = pread(fd, pointer, count, off_t(offset))
            if got >= 0 { return got }
            if errno != EINTR { throw Self.failure(errno, "reading", role, path, location) }
        }
    }

    /// `sendfile(2)` of up to `count` bytes at `offset` of `input` to this file's position; nil
    /// when the system refuses it (then copy through a buffer).
    func copyRange(from input: FileDescriptor, at offset: Int64, count: Int) throws -> Int? {
        var from = off_t(offset)
        while true {
            let n = sendfile(fd, input.fd, &from, min(count, 1 << 30))
            if n >= 0 { return n }
            switch errno {
            case EINTR: continue
            case EINVAL, ENOSYS, EOPNOTSUPP: return nil
            default: throw Self.failure(errno, "writing", role, path, location)
            }
        }
    }

    func write(_ bytes: [UInt8], location: ErrorLocation) throws {
        try bytes.withUnsafeBytes { try write($0, location: location) }
    }

    func write(_ bytes: UnsafeRawBufferPointer, location: ErrorLocation) throws {
        var done = 0
        while done < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw Self.failure(errno, "writing", role, path, location)
            }
            done += n
        }
    }

    /// Writes `bytes` at `offset`, leaving the position where it is (`pwrite(2)`).
    func write(_ bytes: [UInt8], at offset: Int64, location: ErrorLocation) throws {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Self.failure(errno, "writing", role, path, location)
            }
            done += n
        }
    }

    /// Closes, reporting a failure (a delayed write error).
    func close(location: ErrorLocation) throws {
        let code = Foundation.close(fd)
        fd = -1
        if code != 0 { throw Self.failure(errno, "closing", role, path, location) }
    }

    /// Renames the finished `temporary` over `url` (`rename(2)`: atomic within one file system);
    /// when that fails, removes `temporary` and throws `.fileSystem` saying what was `doing`.
    static func replace(_ url: URL, with temporary: URL, doing: String, location: ErrorLocation) throws {
        guard rename(temporary.path, url.path) != 0 else { return }
        let code = errno
        try? FileManager.default.removeItem(at: temporary)
        throw ReplicaExportError.fileSystem(FileSystemCause(errno: code), doing: doing, path: url.path, at: location)
    }
}
