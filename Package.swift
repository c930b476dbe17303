// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "replica-export",
    products: [
        .library(name: "ReplicaExport", targets: ["ReplicaExport"]),
        .executable(name: "replica-export", targets: ["replica-export"]),
        // What Benchmarks/ (a package of its own) measures beside the public API: not product code.
        .library(name: "ReplicaExportBenchmarkSupport", targets: ["ReplicaExportBenchmarkSupport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // Thin system-library modules: a module map and a shim header each, nothing else.
        .systemLibrary(name: "CGDAL", pkgConfig: "gdal", providers: [.apt(["libgdal-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CZip", pkgConfig: "libzip", providers: [.apt(["libzip-dev"])]),
        .target(
            name: "ReplicaExport",
            dependencies: [
                "CGDAL", "CSQLite", "CZip",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "replica-export",
            dependencies: [
                "ReplicaExport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Not product code: each reaches the library's internals through `package` access only.
        // The internals the benchmarks time alone, and the large geodatabase generator.
        .target(name: "ReplicaExportBenchmarkSupport", dependencies: ["ReplicaExport"]),
        // The fuzz entry points, shared by Fuzz/run.sh's libFuzzer binary and the regression tests.
        .target(name: "ReplicaExportFuzzTargets", dependencies: ["ReplicaExport"], path: "Fuzz/Targets"),
        // Outputs read back through GDAL, feature by feature, for the tests' own checks.
        .target(name: "GDALReadBack", dependencies: ["ReplicaExport"], path: "Tests/GDALReadBack"),
        // Paths, listings, fixtures, process runners and output fingerprints that every test target
        // shares (the fingerprint reads the library's batch manifest).
        .target(name: "ReplicaExportTestSupport", dependencies: ["ReplicaExport"], path: "Tests/ReplicaExportTestSupport"),
        .testTarget(name: "ReplicaExportTests",
                    dependencies: ["ReplicaExport", "ReplicaExportTestSupport", "GDALReadBack",
                                   "ReplicaExportBenchmarkSupport", "ReplicaExportFuzzTargets"]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["ReplicaExport", "ReplicaExportTestSupport", "GDALReadBack"],
            // The GDAL-Python oracles the tests run; not Swift sources.
            exclude: ["verify_outputs.py", "verify_geodatabase.py", "peak_memory.py", "verify_curves.py"]
        ),
    ]
)
