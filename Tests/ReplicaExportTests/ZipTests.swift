import Foundation
import Testing
import ReplicaExportTestSupport
@testable import ReplicaExport

/// The libzip wrapper: a folder zipped entry by entry, read back by Python's zipfile; a failed
/// archive leaves no file.
@Suite struct ZipTests {
    @Test func aFolderIsZippedWithItsLayoutAndRenamedWhenComplete() throws {
        let work = try TestPaths.makeTemporaryDirectory("zip")
        let folder = work.appendingPathComponent("export.gdb", isDirectory: true)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try Data("alpha".utf8).write(to: folder.appendingPathComponent("a.txt"))
        let big = Data((0..<300_000).map { UInt8($0 % 251) })
        try big.write(to: folder.appendingPathComponent("sub/b.bin"))
        let zip = work.appendingPathComponent("out.zip")
        try ZipArchive.zipDirectory(folder, to: zip, prefix: "export.gdb/")
        #expect(TestPaths.entries(work).sorted() == ["export.gdb", "out.zip"])

        let script = """
        import sys, zipfile, hashlib, json
        z = zipfile.ZipFile(sys.argv[1])
        print(json.dumps({i.filename: hashlib.sha256(z.read(i)).hexdigest() if not i.is_dir() else "dir" for i in z.infolist()}))
        """
        let result = try Processes.run(URL(fileURLWithPath: "/usr/bin/python3"), ["-c", script, zip.path])
        let listing = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: String], "\(result.stderr)")
        #expect(Set(listing.keys) == ["export.gdb/a.txt", "export.gdb/sub/", "export.gdb/sub/b.bin"])
        #expect(listing["export.gdb/sub/"] == "dir")
        let sha = try Processes.run(URL(fileURLWithPath: "/usr/bin/sha256sum"), [folder.appendingPathComponent("sub/b.bin").path])
        #expect(listing["export.gdb/sub/b.bin"] == String(sha.stdout.prefix(64)))
    }

    @Test func aFailedArchiveLeavesNothing() throws {
        let work = try TestPaths.makeTemporaryDirectory("zip")
        let folder = work.appendingPathComponent("in", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("gone.txt")
        try Data("x".utf8).write(to: file)
        let archive = try ZipArchive(creating: work.appendingPathComponent("x.zip").path)
        try archive.addFile(at: file, as: "gone.txt")
        try FileManager.default.removeItem(at: file)
        #expect(throws: ReplicaExportError.self) { try archive.close() }
        #expect(TestPaths.entries(work) == ["in"])
        // Through zipDirectory, the temporary archive is removed too and the target never appears.
        #expect(throws: ReplicaExportError.self) {
            try ZipArchive.zipDirectory(work.appendingPathComponent("missing"), to: work.appendingPathComponent("z.zip"))
        }
        #expect(TestPaths.entries(work) == ["in"])
    }
}
