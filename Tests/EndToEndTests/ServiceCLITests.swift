import Foundation
import Testing
import ReplicaExportTestSupport

/// `replica-export export`: the built command answers a raw createReplica body with the result
/// file and the response JSON, and a bad request with the 400 error JSON and exit status 2.
@Suite struct ServiceCLITests {
    @Test func aRawBodyBecomesAZipAndTheResponse() throws {
        let out = try EndToEnd.makeTemporaryDirectory("service")
        let input = TestPaths.testData("mobilegdb/canyonlands_3b1fef0d.geodatabase").path
        let result = try EndToEnd.cli(["export", input, "--output", out.path, "--base-url", "https://example.com/files",
                                       "--request", "syncModel=none&dataFormat=fileGDB&layers=%5B0%2C1%5D&replicaName=parks"
                                       + "&geometry=-109.95,38.2,-109.8,38.45&inSR=4326&replicaSR=4326"])
        #expect(result.status == 0, "\(result.stderr)")
        let response = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let url = try #require(response["resultUrl"] as? String)
        #expect(url.hasPrefix("https://example.com/files/") && url.hasSuffix("/parks.zip"))
        #expect(response["responseType"] as? String == "esriReplicaResponseTypeData")
        let zip = out.appendingPathComponent(URL(string: url)!.pathComponents.suffix(2).joined(separator: "/"))
        // Read back through GDAL inside the zip: both layers, in WGS 84, fewer features than the input.
        let script = """
        import sys, json
        from osgeo import ogr, osr
        ds = ogr.Open("/vsizip/" + sys.argv[1] + "/parks.gdb")
        print(json.dumps({ds.GetLayer(i).GetName(): [ds.GetLayer(i).GetFeatureCount(), ds.GetLayer(i).GetSpatialRef().GetAuthorityCode(None)] for i in range(ds.GetLayerCount())}))
        """
        let read = try Processes.run(URL(fileURLWithPath: "/usr/bin/python3"), ["-c", script, zip.path])
        let layers = try #require(try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as? [String: [Any]], "\(read.stderr)")
        #expect(Set(layers.keys) == ["CNP_Roads", "CNP_Trails"])
        for (_, entry) in layers {
            #expect((entry[0] as? Int ?? 0) > 0)
            #expect(entry[1] as? String == "4326")
        }
    }

    @Test func aBadRequestPrintsTheErrorJSON() throws {
        let out = try EndToEnd.makeTemporaryDirectory("service")
        let input = TestPaths.testData("esrijson/replica_esri_test.json").path
        let result = try EndToEnd.cli(["export", input, "--output", out.path,
                                       "--param", "syncModel=perLayer", "--param", "dataFormat=csv", "--param", "layers=0"])
        #expect(result.status == 2)
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: [String: Any]])
        #expect(answer["error"]?["code"] as? Int == 400)
        #expect((answer["error"]?["message"] as? String)?.hasPrefix("syncModel:") == true)
        #expect(EndToEnd.listing(out).isEmpty)
    }
}
