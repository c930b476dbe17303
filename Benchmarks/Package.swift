// swift-tools-version: 6.1
// The benchmarks, a package of their own so that package-benchmark and its dependencies never enter
// the library's build or its test run. Run from this folder:
//
//   swift package benchmark                      all benchmarks (release build, jemalloc-free malloc counts)
//   swift package benchmark --filter "JSON.*"    one group
//
// Sizes: REPLICA_EXPORT_BENCH_COUNT features per input (default 100,000).
import PackageDescription

let package = Package(
    name: "replica-export-benchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(url: "https://github.com/ordo-one/package-benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
        .package(name: "replica-export", path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "ReplicaExportBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "package-benchmark"),
                .product(name: "ReplicaExport", package: "replica-export"),
                .product(name: "ReplicaExportBenchmarkSupport", package: "replica-export"),
            ],
            path: "Benchmarks/ReplicaExportBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
        // Large deterministic mobile geodatabases (JSON payloads come from generate_replica.py).
        .executableTarget(
            name: "replica-export-datagen",
            dependencies: [.product(name: "ReplicaExportBenchmarkSupport", package: "replica-export")]
        ),
    ]
)
