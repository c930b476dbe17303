import Foundation

extension ReplicaExportError {
    /// A file-system failure (a Foundation or POSIX error) in words: what was being done, where,
    /// why and what to do, instead of a Foundation error dump. The cause is the `errno`.
    static func fileSystem(_ error: any Error, doing action: String, path: String,
                           at location: ErrorLocation) -> ReplicaExportError {
        let number = FileSystemCause.errno(of: error)
        let reason: String
        switch number {
        case EACCES, EPERM:
            reason = "permission denied; check the permissions of the folder or choose another output directory"
        case ENOTDIR:
            reason = "a part of the path is a file, not a folder; choose another output directory"
        case ENOSPC, EDQUOT:
            reason = "the disk is full; free space and run again"
        case EROFS:
            reason = "the file system is read-only; choose another output directory"
        case ENOENT:
            reason = "a folder on the path does not exist"
        case EEXIST:
            reason = "something with that name already exists"
        case ENAMETOOLONG:
            reason = "the path is too long"
        case .some(let n):
            reason = String(cString: strerror(n))
        case nil:
            reason = (error as NSError).localizedFailureReason ?? "\(type(of: error))"
        }
        return ReplicaExportError(.fileSystem, "\(action) '\(path)' failed: \(reason)", at: location,
                                  cause: number.map { FileSystemCause(errno: $0) })
    }
}

/// The `errno` under a file-system failure.
public struct FileSystemCause: Error, Sendable, CustomStringConvertible {
    /// The POSIX error number (`ENOSPC`, `EACCES`, ...).
    public var errno: Int32
    /// `errno <n>: <strerror text>`.
    public var description: String { "errno \(errno): \(String(cString: strerror(errno)))" }

    /// The POSIX error number under a Foundation error (directly, as the underlying error, or from
    /// the Cocoa file error codes), nil when there is none.
    static func errno(of error: any Error) -> Int32? {
        if let cause = error as? FileSystemCause { return cause.errno }
        if let posix = error as? POSIXError { return posix.code.rawValue }
        if let cocoa = error as? CocoaError {
            if let underlying = cocoa.userInfo[NSUnderlyingErrorKey] {
                if let posix = underlying as? POSIXError { return posix.code.rawValue }
                if let ns = underlying as? NSError, ns.domain == NSPOSIXErrorDomain { return Int32(ns.code) }
            }
            switch cocoa.code {
            case .fileNoSuchFile, .fileReadNoSuchFile: return ENOENT
            case .fileReadNoPermission, .fileWriteNoPermission: return EACCES
            case .fileWriteOutOfSpace: return ENOSPC
            case .fileWriteVolumeReadOnly: return EROFS
            case .fileWriteFileExists: return EEXIST
            default: return nil
            }
        }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return Int32(ns.code) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return Int32(underlying.code)
        }
        return nil
    }
}
