// Large deterministic mobile geodatabases for benchmarks and compare.sh -i:
//
//   swift run -c release replica-export-datagen TEMPLATE.geodatabase OUT.geodatabase COUNT [SEED]
//
// A copy of TEMPLATE (a real file, e.g. ../TestData/mobilegdb/militaryoverlay.geodatabase: points,
// multipoints, lines and polygons) with COUNT generated rows in every non-archive feature layer.
// JSON payloads come from ../generate_replica.py.
import Foundation
import ReplicaExportBenchmarkSupport

let arguments = CommandLine.arguments
guard arguments.count == 4 || arguments.count == 5, let count = Int(arguments[3]), count >= 0 else {
    FileHandle.standardError.write(Data("usage: replica-export-datagen TEMPLATE.geodatabase OUT.geodatabase COUNT [SEED]\n".utf8))
    exit(2)
}
do {
    let written = try BenchmarkSupport.generateGeodatabase(
        template: URL(fileURLWithPath: arguments[1]), output: URL(fileURLWithPath: arguments[2]),
        count: count, seed: arguments.count == 5 ? UInt64(arguments[4]) ?? 1 : 1)
    for (layer, rows) in written.sorted(by: { $0.key < $1.key }) { print("\(layer): \(rows) rows") }
} catch {
    FileHandle.standardError.write(Data("replica-export-datagen: \(error)\n".utf8))
    exit(1)
}
