import Foundation
import Testing
@testable import ReplicaExport

/// The hidden group directories of ``OutputStaging``: a later run removes those whose run is gone
/// and never those of a run still writing.
@Suite struct OutputStagingTests {
    func makeDirectory(_ directory: URL, modified: Date? = nil, lockFile: Bool) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
        try Data("half a file".utf8).write(to: directory.appendingPathComponent("layer.csv"))
        if lockFile { try Data().write(to: directory.appendingPathComponent(OutputStaging.lockFileName)) }
        if let modified { try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: directory.path) }
    }

    @Test func abandonedGroupsAreRemovedAndLiveOnesKept() throws {
        let dir = try TestPaths.makeTemporaryDirectory("staging-sweep")
        defer { try? FileManager.default.removeItem(at: dir) }
        let live = OutputStaging(outputDirectory: dir, overwrite: false)
        let liveGroup = try live.makeGroup(label: "live.csv", at: ErrorLocation())
        // A dead run's group: its lock file exists but nobody holds the lock.
        let dead = dir.appendingPathComponent(".dead.csv.partial-1")
        try makeDirectory(dead, lockFile: true)
        // Groups without a lock file: an old one is abandoned, a fresh one may be a run starting.
        let oldUnlocked = dir.appendingPathComponent(".old.csv.partial-2")
        try makeDirectory(oldUnlocked, modified: Date().addingTimeInterval(-2 * OutputStaging.unlockedGroupGrace), lockFile: false)
        let freshUnlocked = dir.appendingPathComponent(".fresh.csv.partial-3")
        try makeDirectory(freshUnlocked, lockFile: false)
        // Not ours at all.
        try Data("user data".utf8).write(to: dir.appendingPathComponent("notes.partial-4"))

        let next = OutputStaging(outputDirectory: dir, overwrite: false)
        let nextGroup = try next.makeGroup(label: "next.csv", at: ErrorLocation())

        let names = Set(TestPaths.entries(dir))
        #expect(names == [liveGroup.lastPathComponent, nextGroup.lastPathComponent, freshUnlocked.lastPathComponent, "notes.partial-4"])
        #expect(FileManager.default.fileExists(atPath: liveGroup.appendingPathComponent(OutputStaging.lockFileName).path))
        live.abort()
        next.abort()
    }

    @Test func theLockFileIsNeverCommitted() throws {
        let dir = try TestPaths.makeTemporaryDirectory("staging-commit")
        defer { try? FileManager.default.removeItem(at: dir) }
        let staging = OutputStaging(outputDirectory: dir, overwrite: false)
        let group = try staging.makeGroup(label: "sites.csv", at: ErrorLocation())
        try Data("WKT\n".utf8).write(to: group.appendingPathComponent("sites.csv"))
        try staging.commit()
        #expect(TestPaths.entries(dir) == ["sites.csv"])
    }
}
