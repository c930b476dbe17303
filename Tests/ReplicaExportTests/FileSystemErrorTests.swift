import Foundation
import Testing
@testable import ReplicaExport

/// Foundation file errors become one clear line: what, where, why and what to do (issue 12).
@Suite struct FileSystemErrorTests {
    @Test func foundationErrorsAreSaidInWords() {
        let denied = NSError(domain: NSCocoaErrorDomain, code: NSFileWriteNoPermissionError,
                             userInfo: [NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(EACCES))])
        let error = ReplicaExportError.fileSystem(denied, doing: "creating the folder", path: "/out/csv",
                                                  at: ErrorLocation(output: "/out/csv"))
        #expect(error.code == .fileSystem)
        #expect(error.message == "creating the folder '/out/csv' failed: permission denied; check the permissions of the folder or choose another output directory")
        #expect(!error.description.contains("Domain") && !error.description.contains("\n"))
        #expect((error.cause as? FileSystemCause)?.errno == EACCES)

        let full = NSError(domain: NSCocoaErrorDomain, code: NSFileWriteOutOfSpaceError)
        #expect(ReplicaExportError.fileSystem(full, doing: "writing", path: "/x", at: .init()).message.contains("the disk is full"))
    }

    @Test func aRealFileSystemErrorIsMapped() throws {
        let directory = try TestPaths.makeTemporaryDirectory("fs-error")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("file")
        try Data("x".utf8).write(to: file)
        do {
            try FileManager.default.createDirectory(at: file.appendingPathComponent("sub"), withIntermediateDirectories: true)
            Issue.record("created a folder inside a file")
        } catch {
            let mapped = ReplicaExportError.fileSystem(error, doing: "creating the folder", path: file.path, at: .init())
            #expect(mapped.message.contains("is a file, not a folder"), "\(mapped)")
        }
    }

    @Test func descriptionsAreOneLine() {
        let error = ReplicaExportError(.corrupt, "first\nsecond\n  third", at: ErrorLocation(input: "/a.geodatabase"))
        #expect(error.description == "[corrupt] /a.geodatabase: first second third")
        #expect(GeodatabaseCatalog.firstLine(of: ["*** in database main ***\nOn tree page 234 cell 0: invalid page number 461\nOn tree page 234 cell 109: invalid page number 460"])
                == "On tree page 234 cell 0: invalid page number 461, and 1 more problems")
    }
}
