import Foundation
import Testing
@testable import ReplicaExport
import GDALReadBack

/// Attachments of a JSON replica arrive in every format with identical bytes: inside FileGDB and
/// GeoPackage, beside the files of the others, with names that never leave their folder.
@Suite struct AttachmentTests {
    static let formats = ["filegdb", "shapefile", "csv", "geojson", "geopackage", "kml", "excel"]
    static let parent = "{A1B2C3D4-E5F6-4789-ABCD-EF0123456789}"

    /// 5 MB of deterministic bytes, an empty file, a hostile name, two of one name, one by URL only.
    static let attachments: [(id: Int64, name: String, bytes: [UInt8]?)] = [
        (1, "survey.bin", (0..<5_000_000).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 13) }),
        (2, "empty.txt", []),
        (3, "../../evil.txt", Array("not outside\n".utf8)),
        (4, "photo.jpg", [0xFF, 0xD8, 0xFF, 0xE0, 1]),
        (5, "photo.jpg", [0xFF, 0xD8, 0xFF, 0xE0, 2]),
        (6, "remote.pdf", nil),
    ]

    static func payload(in directory: URL) throws -> URL {
        let entries = attachments.map { a -> [String: Any] in
            var entry: [String: Any] = ["attachmentId": a.id, "globalId": String(format: "{00000000-0000-0000-0000-%012d}", a.id),
                                        "parentGlobalId": parent, "contentType": "application/octet-stream", "name": a.name]
            if let bytes = a.bytes { entry["data"] = Data(bytes).base64EncodedString(); entry["size"] = bytes.count }
            else { entry["url"] = "https://example.com/attachments/\(a.id)" }
            return entry
        }
        let replica: [String: Any] = [
            "replicaName": "inspections", "syncModel": "none",
            "layers": [["id": 0, "features": [
                ["attributes": ["OBJECTID": 7, "GlobalID": parent, "name": "site"], "geometry": ["x": 500000.0, "y": 4000000.0]],
            ], "attachments": entries]],
        ]
        let schema: [String: Any] = ["layers": [[
            "id": 0, "name": "sites", "type": "Feature Layer", "geometryType": "esriGeometryPoint",
            "objectIdField": "OBJECTID", "globalIdField": "GlobalID", "hasAttachments": true,
            "extent": ["spatialReference": ["wkid": 26912]],
            "fields": [["name": "OBJECTID", "type": "esriFieldTypeOID"], ["name": "GlobalID", "type": "esriFieldTypeGlobalID"],
                       ["name": "name", "type": "esriFieldTypeString", "length": 20]],
        ]]]
        let url = directory.appendingPathComponent("inspections.json")
        try JSONSerialization.data(withJSONObject: replica).write(to: url)
        try JSONSerialization.data(withJSONObject: schema).write(to: directory.appendingPathComponent("inspections.layers.json"))
        return url
    }

    @Test func everyFormatKeepsTheBytes() throws {
        let directory = try TestPaths.makeTemporaryDirectory("attachments")
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = try Self.payload(in: directory)
        let output = directory.appendingPathComponent("out")
        let report = try Exporter().export(ExportRequest(input: input, formats: Self.formats, outputDirectory: output))
        #expect(report.failures.isEmpty)
        let stored = Self.attachments.filter { $0.bytes != nil }

        for format in ["filegdb", "geopackage"] {
            let file = format == "filegdb" ? "inspections.gdb" : "inspections.gpkg"
            let ds = try GDALReadDataset(url: output.appendingPathComponent("\(format)/\(file)"))
            let info = try ds.layerInfo("sites__ATTACH")
            #expect(info.fidColumn == "ATTACHMENTID", "\(format)")
            let rows = try ds.features("sites__ATTACH")
            #expect(rows.map(\.fid) == stored.map(\.id), "\(format)")
            for (row, expected) in zip(rows, stored) {
                #expect(row.value("DATA", in: info) == (expected.bytes!.isEmpty ? .binary([]) : .binary(expected.bytes!))
                        || (expected.bytes!.isEmpty && row.value("DATA", in: info) == .null), "\(format) \(expected.id)")
                #expect(row.value("ATT_NAME", in: info) == .string(expected.name))
                #expect(row.value("DATA_SIZE", in: info) == .integer(Int64(expected.bytes!.count)))
                let parent = row.value("REL_GLOBALID", in: info)?.string ?? ""
                #expect(parent.lowercased().contains("a1b2c3d4-e5f6-4789-abcd-ef0123456789"))
            }
            #expect(report.diagnostics.contains { $0.code == .attachmentsByURL && $0.location.format == format && $0.count == 1 })
        }
        // FileGDB relates the table to its layer the way ArcGIS does, so ArcGIS shows them on the feature.
        let gdb = try GDALReadDataset(url: output.appendingPathComponent("filegdb/inspections.gdb"))
        let relationship = try #require(gdb.relationships().first { $0.name == "sites__ATTACHREL" })
        #expect(relationship.leftTable == "sites" && relationship.rightTable == "sites__ATTACH")
        #expect(relationship.rightKeys == ["REL_GLOBALID"] && relationship.relatedTableType == "media")
        #expect(relationship.cardinality == "1:n")

        for format in ["shapefile", "csv", "geojson", "excel"] {
            let folder = output.appendingPathComponent(format)
            let files = TestPaths.entries(folder.appendingPathComponent("attachments/sites"))
            // The hostile name stays inside; the two photo.jpg get distinct names.
            #expect(files == ["empty.txt", "evil.txt", "photo.jpg", "photo_5.jpg", "survey.bin"], "\(format)")
            let index = try String(contentsOf: folder.appendingPathComponent("attachments/sites.csv"), encoding: .utf8)
            let lines = index.split(separator: "\n").map(String.init)
            #expect(lines.first == "attachment_id,parent_globalid,parent_objectid,name,content_type,size,sha256,file_or_url")
            #expect(lines.count == 1 + Self.attachments.count)
            for (line, expected) in zip(lines.dropFirst(), Self.attachments) {
                let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                #expect(cells[0] == String(expected.id) && cells[1] == Self.parent && cells[2] == "7", "\(format): \(line)")
                #expect(cells[3] == expected.name)
                if let bytes = expected.bytes {
                    #expect(cells[5] == String(bytes.count) && cells[6] == SHA256.hash(bytes).hex)
                    let written = try Data(contentsOf: folder.appendingPathComponent(cells[7]))
                    #expect([UInt8](written) == bytes, "\(format): \(cells[7])")
                } else {
                    #expect(cells[6].isEmpty && cells[7] == "https://example.com/attachments/6")
                }
            }
            #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("evil.txt").path))
            #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("evil.txt").path))
        }
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("evil.txt").path))
    }

    @Test func safeNames() {
        #expect(AttachmentNames.safe("../../evil.txt", id: 1) == "evil.txt")
        #expect(AttachmentNames.safe("/etc/passwd", id: 1) == "passwd")
        #expect(AttachmentNames.safe("C:\\Windows\\win.ini", id: 1) == "win.ini")
        #expect(AttachmentNames.safe("a\u{0}b\u{7}c.txt", id: 1) == "abc.txt")
        #expect(AttachmentNames.safe("..", id: 9) == "attachment_9")
        #expect(AttachmentNames.safe("", id: 3) == "attachment_3")
        #expect(AttachmentNames.safe(".hidden", id: 3) == "hidden")
        var names = AttachmentNames()
        let a = Attachment(attachmentId: 1, name: "x.jpg"), b = Attachment(attachmentId: 2, name: "X.JPG")
        #expect(names.unique(for: a) == "x.jpg" && names.unique(for: b) == "X_2.JPG")
    }

    @Test func withoutAttachmentsNothingIsWrittenForThem() throws {
        let directory = try TestPaths.makeTemporaryDirectory("attachments-off")
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = try Self.payload(in: directory)
        var request = ExportRequest(input: input, formats: ["csv", "filegdb"], outputDirectory: directory.appendingPathComponent("out"))
        request.includeAttachments = false
        _ = try Exporter().export(request)
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("out/csv/attachments").path))
        let gdb = try GDALReadDataset(url: directory.appendingPathComponent("out/filegdb/inspections.gdb"))
        #expect(!gdb.layerNames.contains("sites__ATTACH"))
    }
}
