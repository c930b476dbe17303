import Foundation

/// The memory one value or one geometry may take, so that an input too large for this machine
/// ends with a clear error instead of the kernel's out-of-memory kill.
///
/// Streaming keeps the memory of a conversion flat in the number of features, but one value must
/// be held whole: a 100 MB string is read into memory, and each writer (GDAL's GeoJSON writer most:
/// it escapes and copies the text twice) holds copies of it. Readers ask here before a value or a
/// geometry grows past what the machine can give.
enum MemoryBudget {
    /// Copies of one value a conversion may hold at once, measured: a 100 MB string peaks at 2.5×
    /// to shapefile, 3.6× to FileGDB, 4.6× to CSV and 7.6× to GeoJSON.
    static let copiesPerValue = 8
    /// Memory of one decoded vertex (x, y, z, m) times the copies a conversion holds of it (the
    /// model, the prepared WKB, GDAL's geometry in each writer).
    static let bytesPerVertex = 32 * 8
    /// Memory of one item of a JSON value held in memory (a boxed ``JSONValue`` and its place in
    /// its array), times the copies its JSON text is held in.
    static let bytesPerJSONItem = 64 * 4
    /// Sizes below this are never checked: reading the system's figures costs more than they risk.
    static let checkedFrom = 16 << 20

    /// The environment variable that sets the budget in MB, overriding what the system reports
    /// (a container whose limit the process cannot see, or a deliberately smaller budget).
    static let overrideVariable = "REPLICA_EXPORT_MEMORY_MB"

    /// The bytes this process may still allocate: the override if set, else the smaller of the
    /// system's available memory (`MemAvailable` in /proc/meminfo) and what the control group's
    /// limit leaves (cgroup v2 `memory.max` − `memory.current`, or v1's limit − usage). nil when
    /// none of these can be read.
    static func availableBytes() -> Int? {
        if let text = ProcessInfo.processInfo.environment[overrideVariable], let mb = Int(text), mb > 0 {
            return mb << 20
        }
        var candidates: [Int] = []
        if let meminfo = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = meminfo.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
           let kb = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) {
            candidates.append(kb << 10)
        }
        if let limit = number(at: "/sys/fs/cgroup/memory.max"), let used = number(at: "/sys/fs/cgroup/memory.current") {
            candidates.append(max(0, limit - used))
        } else if let limit = number(at: "/sys/fs/cgroup/memory/memory.limit_in_bytes"),
                  let used = number(at: "/sys/fs/cgroup/memory/memory.usage_in_bytes"), limit < Int.max / 2 {
            candidates.append(max(0, limit - used))
        }
        return candidates.min()
    }

    /// The integer in a one-line file; nil for "max", a missing file or anything else.
    private static func number(at path: String) -> Int? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Throws ``ReplicaExportError/Code/tooLarge`` when `needed` bytes exceed what is available.
    /// `what` names the value ("a string of 120 MB"); the caller's location is attached.
    static func require(_ needed: Int, for what: @autoclosure () -> String, at location: ErrorLocation) throws {
        guard needed >= checkedFrom, let available = availableBytes(), needed > available else { return }
        throw ReplicaExportError(.tooLarge,
            "\(what()) needs about \(megabytes(needed)) of memory to convert, more than the \(megabytes(available)) available; convert it on a machine with more memory (or set \(overrideVariable) if the available memory is misjudged)",
            at: location)
    }

    static func megabytes(_ bytes: Int) -> String { "\((bytes + (1 << 20) - 1) >> 20) MB" }
}
