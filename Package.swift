// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "replica-export",
    products: [
        .library(name: "ReplicaExport", targets: ["ReplicaExport"]),
        .executable(name: "replica-export", targets: ["replica-export"]),
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
        // Paths, listings, fixtures, process runners and output fingerprints that every test target
        // shares (the fingerprint reads the library's batch manifest).
        .target(name: "ReplicaExportTestSupport", dependencies: ["ReplicaExport"], path: "Tests/ReplicaExportTestSupport"),
        .testTarget(name: "ReplicaExportTests", dependencies: ["ReplicaExport", "ReplicaExportTestSupport"]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["ReplicaExport", "ReplicaExportTestSupport"],
            // The GDAL-Python oracles the tests run; not Swift sources.
            exclude: ["verify_outputs.py", "verify_geodatabase.py", "peak_memory.py", "verify_curves.py"]
        ),
    ]
)
