// The shared test helpers (paths, listings, private copies) for every file of this target.
@_exported import ReplicaExportTestSupport
