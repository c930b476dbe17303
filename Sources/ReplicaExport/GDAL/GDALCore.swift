import CGDAL
import Foundation

// The one place that knows GDAL's C API. Every handle has its own Swift type that frees it; every call
// that can fail runs inside a `GDALErrorScope`, which collects CPLErrors per thread (GDAL's handler
// stack is thread-local) so that losses GDAL only reports through CPLError are not missed.

/// GDAL's driver registration, done once, lazily and thread-safely (a Swift static `let`).
package enum GDALRuntime {
    private static let registration: Void = {
        // GDAL's number formatting "rounds" a run of 9s or 0s in the last decimals away (GeoJSON's
        // -110.9999991 became -111, CSV WKT's 0.123456789999999 became 0.12345679): moves of up
        // to 1e-6 degree. Off, numbers are written as asked. Read once, when GDAL first formats
        // a coordinate, so it is set before anything else.
        CPLSetConfigOption("OGR_WKT_ROUND", "NO")
        GDALAllRegister()
    }()

    package static func ensureRegistered() { _ = registration }
}

/// One CPLError message.
struct GDALMessage: Sendable, Equatable, CustomStringConvertible {
    enum Severity: Sendable, Equatable { case warning, failure, fatal }
    var severity: Severity
    var number: Int32
    var text: String
    var description: String { text }
}

/// Collects the CPLErrors raised on this thread while it is the active handler.
package final class GDALErrorCollector {
    private(set) var messages: [GDALMessage] = []

    fileprivate func record(_ message: GDALMessage) { messages.append(message) }

    var count: Int { messages.count }
    func messages(since start: Int) -> ArraySlice<GDALMessage> { messages[start...] }
    func failures(since start: Int = 0) -> [GDALMessage] {
        messages[start...].filter { $0.severity != .warning }
    }
    func warnings(since start: Int = 0) -> [GDALMessage] {
        messages[start...].filter { $0.severity == .warning }
    }
    /// Forgets what was raised since `start`: a failure the caller recovered from (a feature written
    /// again without what the driver refused) must not fail the scope.
    func forget(since start: Int) {
        if start < messages.count { messages.removeSubrange(start...) }
    }
}

/// The installed handler: finds its collector through the handler's user data (per thread).
private let collectingErrorHandler: CPLErrorHandler = { errorClass, number, message in
    guard let user = CPLGetErrorHandlerUserData() else { return }
    let collector = Unmanaged<GDALErrorCollector>.fromOpaque(user).takeUnretainedValue()
    let severity: GDALMessage.Severity
    switch errorClass {
    case CE_Warning: severity = .warning
    case CE_Failure: severity = .failure
    case CE_Fatal: severity = .fatal
    default: return  // CE_None, CE_Debug
    }
    collector.record(GDALMessage(severity: severity, number: number,
                                 text: message.map { String(cString: $0) } ?? "unknown GDAL error"))
}

/// Runs GDAL calls with a collecting error handler installed on the current thread.
package enum GDALErrorScope {
    /// Runs `body` with CPLErrors collected; any failure raised inside (even by a call that returned
    /// success) is thrown as `ReplicaExportError(.gdal)` at `location`. Warnings are left to `body` to judge.
    package static func run<T>(at location: ErrorLocation = .init(), _ body: (GDALErrorCollector) throws -> T) throws -> T {
        GDALRuntime.ensureRegistered()
        let collector = GDALErrorCollector()
        let unmanaged = Unmanaged.passRetained(collector)
        CPLPushErrorHandlerEx(collectingErrorHandler, unmanaged.toOpaque())
        defer {
            CPLPopErrorHandler()
            unmanaged.release()
        }
        let result = try body(collector)
        if let failure = collector.failures().first {
            // Raised by a call that returned success: which one is not known here.
            throw ReplicaExportError(.gdal, "GDAL: \(failure.text)", at: location,
                                     cause: GDALCallError(function: "CPLError", cplError: failure.number, message: failure.text))
        }
        return result
    }

    /// Runs `body` and discards whatever GDAL reports (for probing calls such as SRS fallbacks).
    static func silently<T>(_ body: () -> T) -> T {
        GDALRuntime.ensureRegistered()
        CPLPushErrorHandler(CPLQuietErrorHandler)
        defer { CPLPopErrorHandler() }
        return body()
    }
}

extension GDALErrorCollector {
    /// Throws when `ok` is false or a failure was raised since `start`: GDAL's own message when it
    /// gave one, else `what`. The cause names `function`, the C call that was checked.
    func check(_ ok: Bool, _ what: String, function: String, since start: Int = 0, at location: ErrorLocation) throws {
        let failures = failures(since: start)
        if ok && failures.isEmpty { return }
        let detail = failures.map(\.text).joined(separator: "; ")
        var text = detail.isEmpty ? String(cString: CPLGetLastErrorMsg()) : detail
        if text.isEmpty { text = "no message" }
        let number = failures.first?.number ?? CPLGetLastErrorNo()
        throw ReplicaExportError(.gdal, "\(what) failed: GDAL: \(text)", at: location,
                                 cause: GDALCallError(function: function, cplError: number, message: text))
    }

    /// The same for a call that returns an `OGRErr`.
    func check(_ err: OGRErr, _ what: String, function: String, since start: Int = 0, at location: ErrorLocation) throws {
        try check(err == OGRERR_NONE, what, function: function, since: start, at: location)
    }
}

/// A CSL string list (`char **`), destroyed with CSLDestroy.
final class GDALStringList {
    private(set) var pointer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?

    init(_ strings: [String] = []) {
        for s in strings { pointer = CSLAddString(pointer, s) }
    }

    /// Takes ownership of a list GDAL returned.
    init(owning pointer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) {
        self.pointer = pointer
    }

    deinit { CSLDestroy(pointer) }

    var strings: [String] {
        guard let pointer else { return [] }
        var result: [String] = []
        var i = 0
        while let item = pointer[i] {
            result.append(String(cString: item))
            i += 1
        }
        return result
    }
}

/// A string GDAL allocated with CPLMalloc, freed with VSIFree (CPLFree is a macro).
func takeGDALString(_ pointer: UnsafeMutablePointer<CChar>?) -> String? {
    guard let pointer else { return nil }
    defer { VSIFree(pointer) }
    return String(cString: pointer)
}
