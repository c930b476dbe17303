import Foundation

/// One of `count` disjoint shares of a tree's files, chosen by a hash of each file's relative path,
/// so machines that share nothing but the tree each convert their own share:
/// shards 1/N ... N/N together hold every file exactly once.
///
/// The hash is stable across processes, machines and languages: the first 8 bytes of the SHA-256 of
/// the relative path (UTF-8, `/`-separated), read as a big-endian unsigned integer, modulo `count`;
/// shard `index` holds the files whose remainder is `index - 1`.
public struct BatchShard: Sendable, Codable, Equatable, CustomStringConvertible {
    /// 1-based.
    public var index: Int
    /// How many shards the tree is cut into (N of `K/N`).
    public var count: Int

    /// Shard `index` of `count`; throws ``ReplicaExportError/Code/invalidOption`` unless
    /// 1 <= `index` <= `count`.
    public init(index: Int, count: Int) throws {
        guard count >= 1, (1...count).contains(index) else {
            throw ReplicaExportError(.invalidOption, "a shard is K/N with 1 <= K <= N, got \(index)/\(count)")
        }
        self.index = index
        self.count = count
    }

    /// Parses `K/N`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0].trimmingCharacters(in: .whitespaces)),
              let count = Int(parts[1].trimmingCharacters(in: .whitespaces)) else {
            throw ReplicaExportError(.invalidOption, "a shard is written K/N, such as 2/8; got '\(text)'")
        }
        try self.init(index: index, count: count)
    }

    /// `K/N`, as the command line takes it.
    public var description: String { "\(index)/\(count)" }

    /// Whether the file at `relativePath` belongs to this shard.
    public func contains(_ relativePath: String) -> Bool {
        Self.remainder(of: relativePath, count: count) == index - 1
    }

    /// The 1-based shard of `count` that holds `relativePath`.
    public static func shard(of relativePath: String, count: Int) -> Int {
        remainder(of: relativePath, count: count) + 1
    }

    private static func remainder(of relativePath: String, count: Int) -> Int {
        let digest = SHA256.hash(Array(relativePath.utf8)).bytes
        let value = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Int(value % UInt64(count))
    }
}
