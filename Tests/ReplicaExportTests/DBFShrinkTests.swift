import Foundation
import Testing
import ReplicaExportTestSupport
@testable import ReplicaExport

/// ``DBFShrink`` against GDAL itself: GDAL writes the same rows twice, once with its own
/// `RESIZE=YES` and once at full width; shrinking the second must give the first byte for byte.
@Suite struct DBFShrinkTests {
    /// Writes `resized.dbf` (GDAL's RESIZE=YES) and `full.dbf` (no resize) with the same rows:
    /// text with blanks around it, empty and NULL text, negative and NULL integers, 64-bit
    /// integers, reals and dates, which GDAL does not resize.
    static let script = #"""
import sys
from osgeo import ogr
ogr.UseExceptions()
rows = [("alpha", 12, 123456789012, 1.5, "2020-01-02"), ("  lead and trail  ", -7, -1, None, None),
        ("", None, None, -2.25, "1999-12-31"), (None, 0, 5, 0.0, None), ("\u00e9t\u00e9 long text " * 5, 99999, 7, 3.0, "2001-05-06")]
for name, options in (("resized", ["RESIZE=YES", "ENCODING=UTF-8"]), ("full", ["ENCODING=UTF-8"])):
    ds = ogr.GetDriverByName("ESRI Shapefile").CreateDataSource(sys.argv[1] + "/" + name + ".shp")
    layer = ds.CreateLayer(name, geom_type=ogr.wkbPoint, options=options)
    for field, kind, width, precision in (("text", ogr.OFTString, 254, 0), ("small", ogr.OFTInteger, 11, 0),
                                          ("big", ogr.OFTInteger64, 20, 0), ("real", ogr.OFTReal, 33, 15),
                                          ("day", ogr.OFTDate, 0, 0)):
        d = ogr.FieldDefn(field, kind)
        if width: d.SetWidth(width)
        if precision: d.SetPrecision(precision)
        layer.CreateField(d)
    for i, row in enumerate(rows):
        f = ogr.Feature(layer.GetLayerDefn())
        for j, value in enumerate(row):
            if value is None: f.SetFieldNull(j)
            else: f.SetField(j, value)
        f.SetGeometry(ogr.CreateGeometryFromWkt("POINT (%d 1)" % i))
        layer.CreateFeature(f)
    ds = None
print("{}")
"""#

    /// On one thread, and with the records cut into ranges of a chunk or two, each range read and
    /// written by its own thread.
    @Test(arguments: [(1, DBFShrink.defaultRecordsPerChunk), (3, 1), (2, 2)])
    func shrinkingGivesWhatGDALResizeGives(threads: Int, recordsPerChunk: Int) throws {
        let dir = try TestPaths.makeTemporaryDirectory("dbf-shrink")
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try Processes.run(URL(fileURLWithPath: "/usr/bin/python3"), ["-c", Self.script, dir.path])
        #expect(result.status == 0, "\(result.stderr)")
        let full = dir.appendingPathComponent("full.dbf")
        let before = try Data(contentsOf: full)
        try DBFShrink.shrink(full, threads: threads, recordsPerChunk: recordsPerChunk)
        let shrunk = try Data(contentsOf: full)
        let resized = try Data(contentsOf: dir.appendingPathComponent("resized.dbf"))
        #expect(shrunk.count < before.count)
        #expect(shrunk == resized)
        // Shrinking again finds nothing to do and leaves the file as it is.
        try DBFShrink.shrink(full, threads: threads, recordsPerChunk: recordsPerChunk)
        #expect(try Data(contentsOf: full) == resized)
    }

    @Test func recordsAreCutIntoWholeChunksPerThread() {
        #expect(DBFShrink.split(0, into: 2, chunk: 4) == [0..<0])
        #expect(DBFShrink.split(5, into: 3, chunk: 1) == [0..<2, 2..<4, 4..<5])
        #expect(DBFShrink.split(10, into: 2, chunk: 4) == [0..<8, 8..<10])
        #expect(DBFShrink.split(3, into: 8, chunk: 4) == [0..<3])
    }

    @Test func aTruncatedFileIsRefusedWithItsPath() throws {
        let dir = try TestPaths.makeTemporaryDirectory("dbf-shrink-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("bad.dbf")
        try Data([0x03, 0x7E, 0x01]).write(to: url)
        #expect {
            try DBFShrink.shrink(url)
        } throws: { error in
            (error as? ReplicaExportError)?.location.output == url.path
        }
    }
}
