import ReplicaExport
print("replica-export: under construction")
