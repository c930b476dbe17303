import Foundation
import ReplicaExport
import Testing

/// The README's scale-out recipes (`scripts/scale-out/`) run for real: a Slurm job array on a
/// single-node cluster started here, GNU parallel with local slots, and the Kubernetes indexed
/// Job's manifest validated against the Job schema and its shard command run once per index.
/// Each ends with the same checks: every good input converted exactly once, every broken one named,
/// the merged report equal to an unsharded run's (times aside), and a second run that redoes
/// nothing. `.serialized`: the recipes use both cores each, and the Slurm cluster is one.
@Suite(.serialized) struct ScaleOutTests {
    static let scripts = TestPaths.packageRoot.appendingPathComponent("scripts/scale-out")
    static let formats = "csv,geojson"
    static let shards = 3

    /// A run's inputs and where it writes: the mixed batch tree, an output tree, a report folder.
    struct Run {
        let base: URL
        let root: URL
        var out: URL { base.appendingPathComponent("out") }
        var reports: URL { base.appendingPathComponent("reports") }

        init(_ label: String) throws {
            base = try EndToEnd.makeTemporaryDirectory(label)
            root = try BatchFixtures.mixedTree()
        }

        func remove() { TestPaths.remove(root, base) }

        func report(_ name: String) throws -> BatchReport {
            try BatchReport.decode(Data(contentsOf: reports.appendingPathComponent(name)))
        }

        /// The shard reports, merged by `replica-export report merge` into `all.json`.
        func mergeShardReports() throws -> BatchReport {
            let files = (1...ScaleOutTests.shards).map { reports.appendingPathComponent("shard-\($0).json").path }
            let merged = reports.appendingPathComponent("all.json").path
            let result = try EndToEnd.cli(["report", "merge"] + files + ["--output", merged])
            #expect(result.status == 1, "the broken inputs fail the merged run: \(result.stderr)")
            return try BatchReport.decode(Data(contentsOf: URL(fileURLWithPath: merged)))
        }

        /// What one unsharded `batch` of the same tree reports, into a folder of its own.
        func unshardedReport() throws -> BatchReport {
            let file = base.appendingPathComponent("whole.json").path
            _ = try EndToEnd.cli(["batch", root.path, "--format", ScaleOutTests.formats,
                                  "--output", base.appendingPathComponent("whole").path, "--report", file])
            return try BatchReport.decode(Data(contentsOf: URL(fileURLWithPath: file)))
        }

        /// Every good input converted exactly once across the shards, every broken one failed with
        /// its error, the merged report the unsharded one but for the times and the output folder.
        func checkShards() throws {
            var converted: [String] = [], failed: [String: String] = [:]
            for k in 1...ScaleOutTests.shards {
                let shard = try report("shard-\(k).json")
                #expect(shard.shard?.description == "\(k)/\(ScaleOutTests.shards)")
                converted += shard.inputs.filter { $0.status == .converted }.map(\.path)
                for input in shard.inputs where input.status == .failed { failed[input.path] = input.error?.code.name }
            }
            #expect(converted.sorted() == BatchFixtures.good.sorted(), "every good input converted exactly once")
            #expect(failed == BatchFixtures.broken, "every broken input named with its error")
            for path in BatchFixtures.good {
                let folder = out.appendingPathComponent((path as NSString).deletingPathExtension)
                #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("csv").path), "\(path)")
            }
            #expect(try Self.comparable(mergeShardReports()) == Self.comparable(unshardedReport()))
        }

        /// A report without what differs between equal runs: times and the output folder's path.
        static func comparable(_ report: BatchReport) -> BatchReport {
            var report = report
            report.seconds = 0
            report.outputDirectory = ""
            for index in report.inputs.indices { report.inputs[index].seconds = 0 }
            return report
        }

        /// The outputs a later run wrote anew since `before` (``outputStamps()``): none, when it redid nothing.
        func rewritten(since before: [String: String]) -> [String] {
            let after = outputStamps()
            return Set(before.keys).union(after.keys).filter { before[$0] != after[$0] }.sorted()
        }

        /// Every output file's inode and modification time: a run that rewrites nothing leaves it.
        func outputStamps() -> [String: String] {
            var stamps: [String: String] = [:]
            for relative in TestPaths.listing(out) {
                let attributes = try? FileManager.default.attributesOfItem(atPath: out.appendingPathComponent(relative).path)
                stamps[relative] = "\(attributes?[.systemFileNumber] ?? "-") \(attributes?[.modificationDate] ?? "-")"
            }
            return stamps
        }
    }

    // MARK: Slurm

    @Test func slurmJobArrayConvertsEveryInputOnceAndARequeuedTaskRedoesNothing() throws {
        guard let cluster = try SlurmCluster.start() else { return }
        defer { cluster.stop() }
        let run = try Run("scale-out-slurm")
        defer { run.remove() }
        let script = Self.scripts.appendingPathComponent("slurm-array.sh").path
        let submitted = try cluster.command("sbatch", [
            "--parsable", "--wait", "--array=1-\(Self.shards)", "--chdir", run.base.path,
            "--output", run.base.appendingPathComponent("shard-%a.log").path,
            script, run.root.path, run.out.path, run.reports.path, Self.formats])
        // The array's exit status is its worst task's: the shards with a broken input fail.
        let job = submitted.stdout.split(separator: "\n").first.map(String.init) ?? ""
        #expect(Int(job) != nil, "sbatch: \(submitted.stdout) \(submitted.stderr)")
        try run.checkShards()

        let before = run.outputStamps()
        let requeue = try cluster.command("scontrol", ["requeue", "\(job)_2"])
        #expect(requeue.status == 0, "scontrol requeue: \(requeue.stderr)")
        // Slurm holds a requeued job back for a while (its begin time); start it now.
        _ = try cluster.command("scontrol", ["update", "JobId=\(job)_2", "StartTime=now"])
        try cluster.waitUntilFinished(job: "\(job)_2", restarts: 1)
        let again = try run.report("shard-2.json")
        #expect(again.totals.converted == 0, "a requeued task converts nothing already done")
        #expect(again.totals.skippedResume == again.inputs.filter { BatchFixtures.good.contains($0.path) }.count)
        #expect(again.totals.skippedResume > 0, "shard 2 holds good inputs")
        let rewritten = run.rewritten(since: before)
        #expect(rewritten.isEmpty, "\(rewritten.count) outputs rewritten, e.g. \(rewritten.prefix(5))")
    }

    // MARK: GNU parallel

    @Test func gnuParallelConvertsEveryInputOnceAndARerunRedoesNothing() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/parallel") else {
            print("note: skipping the GNU parallel recipe: /usr/bin/parallel is not installed (scripts/install-dependencies.sh installs it)")
            return
        }
        let run = try Run("scale-out-parallel")
        defer { run.remove() }
        // Two local slots; the second run goes through parallel's --sshlogin with ':' (this
        // machine, no ssh), the path remote hosts take.
        let environment = ["REPLICA_EXPORT": Processes.replicaExport.path, "SLOTS": "2"]
        let script = Self.scripts.appendingPathComponent("parallel.sh")
        let arguments = [run.root.path, run.out.path, run.reports.path, String(Self.shards), Self.formats]
        let first = try Processes.run(script, arguments, environment: environment)
        #expect(first.status == 1, "the broken inputs fail the run: \(first.stdout) \(first.stderr)")
        try run.checkShards()

        let before = run.outputStamps()
        let second = try Processes.run(script, arguments, environment: environment.merging(["SSHLOGIN": "2/:"]) { $1 })
        #expect(second.status == 1, "\(second.stderr)")
        let merged = try run.report("all.json")
        #expect(merged.totals.converted == 0 && merged.totals.skippedResume == BatchFixtures.good.count,
                "a rerun converts nothing already done: \(merged.totals)")
        let rewritten = run.rewritten(since: before)
        #expect(rewritten.isEmpty, "\(rewritten.count) outputs rewritten, e.g. \(rewritten.prefix(5))")
    }

    // MARK: Kubernetes

    @Test func kubernetesIndexedJobIsAValidJobWhoseShardCommandRuns() throws {
        let manifest = Self.scripts.appendingPathComponent("indexed-job.yaml")
        if let validator = Self.onPath("kubernetes-validate") {
            let validated = try Processes.run(validator, ["--strict", manifest.path])
            #expect(validated.status == 0, "kubernetes-validate: \(validated.stdout) \(validated.stderr)")
        } else {
            Issue.record("kubernetes-validate is not installed (scripts/install-dependencies.sh installs it with pip)")
        }
        // The container's command, run here once per completion index, /data being a folder of ours.
        let read = try Processes.run(URL(fileURLWithPath: "/usr/bin/python3"), ["-c", """
            import json, sys, yaml
            job = yaml.safe_load(open(sys.argv[1]))
            spec = job["spec"]
            container = spec["template"]["spec"]["containers"][0]
            print(json.dumps({"kind": job["kind"], "mode": spec["completionMode"], "completions": spec["completions"],
                              "command": container["command"], "args": container["args"]}))
            """, manifest.path])
        let job = try #require(try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as? [String: Any],
                               "reading the manifest: \(read.stderr)")
        #expect(job["kind"] as? String == "Job" && job["mode"] as? String == "Indexed")
        let completions = try #require(job["completions"] as? Int)
        let command = try #require(job["command"] as? [String]) + (try #require(job["args"] as? [String]))
        #expect(command.last?.contains("/\(completions) ") == true, "N in --shard K/N is the manifest's completions")

        let run = try Run("scale-out-kubernetes")
        defer { run.remove() }
        let data = run.base.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: data.appendingPathComponent("replicas"), withDestinationURL: run.root)
        let bin = run.base.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: bin.appendingPathComponent("replica-export"),
                                                   withDestinationURL: Processes.replicaExport)
        let shell = command.map { $0.replacingOccurrences(of: "/data/", with: data.path + "/") }
        #expect(shell.prefix(2) == ["sh", "-c"], "the container runs its command through sh -c")
        for index in 0..<completions {
            let pod = try Processes.run(URL(fileURLWithPath: "/bin/sh"), Array(shell.dropFirst()),
                                        environment: ["JOB_COMPLETION_INDEX": String(index),
                                                      "PATH": bin.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "")])
            #expect(pod.status <= 1, "index \(index): \(pod.stderr)")
        }
        let files = (1...completions).map { data.appendingPathComponent("reports/shard-\($0).json").path }
        let merged = data.appendingPathComponent("reports/all.json").path
        let merge = try EndToEnd.cli(["report", "merge"] + files + ["--output", merged])
        #expect(merge.status == 1, "the broken inputs fail the merged run: \(merge.stderr)")
        let report = try BatchReport.decode(Data(contentsOf: URL(fileURLWithPath: merged)))
        #expect(report.inputs.filter { $0.status == .converted }.map(\.path).sorted() == BatchFixtures.good.sorted())
        #expect(report.totals.failed == BatchFixtures.broken.count)
    }

    static func onPath(_ name: String) -> URL? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }
}

/// A single-node Slurm cluster on this machine for one test: munged, slurmctld and slurmd with a
/// minimal configuration in a temporary folder, on a socket and ports of their own.
final class SlurmCluster {
    let directory: URL
    let configuration: URL
    private var munged: Process?

    private init(directory: URL) {
        self.directory = directory
        configuration = directory.appendingPathComponent("slurm.conf")
    }

    /// A running cluster; nil, having said why, where Slurm cannot run here (not installed, not
    /// root). Daemons that are installed but do not start are a failure, not a skip.
    static func start() throws -> SlurmCluster? {
        let needed = ["/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/sbin/munged", "/usr/bin/sbatch"]
        if let missing = needed.first(where: { !FileManager.default.isExecutableFile(atPath: $0) }) {
            print("note: skipping the Slurm recipe: \(missing) is not installed (scripts/install-dependencies.sh installs slurm-wlm)")
            return nil
        }
        guard getuid() == 0 else {
            print("note: skipping the Slurm recipe: starting slurmd needs root")
            return nil
        }
        // A short path: slurmstepd's sockets live in the spool folder, and a Unix socket's path
        // holds at most 108 bytes.
        var template = Array("/tmp/slurm-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw Processes.ScriptError(message: "mkdtemp failed: errno \(errno)") }
        let cluster = SlurmCluster(directory: URL(fileURLWithPath: String(cString: made)))
        do {
            try cluster.startMunge()
            try cluster.writeConfiguration()
            for daemon in ["slurmctld", "slurmd"] {
                let started = try Processes.run(URL(fileURLWithPath: "/usr/sbin/\(daemon)"), ["-f", cluster.configuration.path])
                guard started.status == 0 else { throw Processes.ScriptError(message: "\(daemon) did not start: \(started.stderr)") }
            }
            try cluster.waitForIdleNode()
        } catch {
            cluster.stop()
            throw error
        }
        return cluster
    }

    /// Runs a Slurm client command against this cluster (`SLURM_CONF`), killed after two minutes
    /// (`sbatch --wait` waits for ever on tasks that cannot launch).
    func command(_ name: String, _ arguments: [String]) throws -> Processes.Result {
        try Processes.run(URL(fileURLWithPath: "/usr/bin/timeout"), ["-k", "5", "120", "/usr/bin/\(name)"] + arguments,
                          environment: ["SLURM_CONF": configuration.path, "REPLICA_EXPORT": Processes.replicaExport.path])
    }

    /// Waits until the job (an array task `JOB_K`) has run `restarts` more times and finished.
    func waitUntilFinished(job: String, restarts: Int) throws {
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let shown = try command("scontrol", ["show", "job", job]).stdout
            let finished = ["JobState=COMPLETED", "JobState=FAILED"].contains { shown.contains($0) }
            if finished && shown.contains("Restarts=\(restarts)") { return }
            Thread.sleep(forTimeInterval: 0.5)
        }
        throw Processes.ScriptError(message: "job \(job) did not finish again within 2 minutes: \(try command("scontrol", ["show", "job", job]).stdout)")
    }

    /// Shuts the daemons down and removes the folder.
    func stop() {
        _ = try? command("scontrol", ["shutdown"])
        let pidFiles = ["slurmctld.pid", "slurmd.pid"].map { directory.appendingPathComponent($0).path }
        let pids = pidFiles.compactMap { file in
            (try? String(contentsOfFile: file, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        } + [munged?.processIdentifier].compactMap { $0 }
        for pid in pids { kill(pid, SIGTERM) }
        Thread.sleep(forTimeInterval: 1)
        for pid in pids where kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        try? FileManager.default.removeItem(at: directory)
    }

    /// The cluster's own munged: its key, socket, log and pid file in the cluster's folder, so that
    /// neither a munged the machine runs nor the ownership of /var/log/munge (which a munged run
    /// as root elsewhere leaves to root, and which munged then refuses as insecure) matters.
    private func startMunge() throws {
        // munged wants every folder above its socket searchable by all.
        guard chmod(directory.path, 0o755) == 0 else { throw Processes.ScriptError(message: "chmod \(directory.path): errno \(errno)") }
        let key = directory.appendingPathComponent("munge.key")
        let bytes = (0..<128).map { _ in UInt8.random(in: 0...255) }
        guard FileManager.default.createFile(atPath: key.path, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
            throw Processes.ScriptError(message: "cannot write \(key.path)")
        }
        // In the foreground, as this test's own child: a munged that forks away leaves a parent
        // that Foundation's Process was seen never to reap, and the test waiting for ever.
        munged = try Processes.start(URL(fileURLWithPath: "/usr/sbin/munged"), [
            "--foreground", "--key-file=\(key.path)", "--socket=\(mungeSocket.path)",
            "--log-file=\(directory.appendingPathComponent("munged.log").path)",
            "--pid-file=\(directory.appendingPathComponent("munged.pid").path)",
            "--seed-file=\(directory.appendingPathComponent("munge.seed").path)",
        ])
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let check = try Processes.run(URL(fileURLWithPath: "/bin/sh"), ["-c", #"munge -n -S "$1" | unmunge -S "$1""#, "sh", mungeSocket.path])
            if check.status == 0 { return }
            guard munged?.isRunning == true else { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        let log = (try? String(contentsOf: directory.appendingPathComponent("munged.log"), encoding: .utf8)) ?? ""
        throw Processes.ScriptError(message: "munged did not start: \(log)")
    }

    private var mungeSocket: URL { directory.appendingPathComponent("munge.socket") }

    private func writeConfiguration() throws {
        let host = try Processes.succeed("hostname", ["-s"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let cpus = ProcessInfo.processInfo.activeProcessorCount
        for folder in ["state", "spool"] {
            try FileManager.default.createDirectory(at: directory.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        let path = directory.path
        // Ports of its own, so that a Slurm the machine may run is left alone.
        let text = """
            ClusterName=replica-export-test
            SlurmctldHost=\(host)
            SlurmUser=root
            SlurmdUser=root
            AuthType=auth/munge
            AuthInfo=socket=\(mungeSocket.path)
            SlurmctldPort=26817
            SlurmdPort=26818
            StateSaveLocation=\(path)/state
            SlurmdSpoolDir=\(path)/spool
            SlurmctldPidFile=\(path)/slurmctld.pid
            SlurmdPidFile=\(path)/slurmd.pid
            SlurmctldLogFile=\(path)/slurmctld.log
            SlurmdLogFile=\(path)/slurmd.log
            ProctrackType=proctrack/linuxproc
            TaskPlugin=task/none
            JobAcctGatherType=jobacct_gather/none
            SelectType=select/cons_tres
            SelectTypeParameters=CR_CPU
            MpiDefault=none
            ReturnToService=2
            NodeName=\(host) CPUs=\(cpus) State=UNKNOWN
            PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP

            """
        try text.write(to: configuration, atomically: true, encoding: .utf8)
    }

    private func waitForIdleNode() throws {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if try command("sinfo", ["-h", "-o", "%t"]).stdout.contains("idle") { return }
            Thread.sleep(forTimeInterval: 0.5)
        }
        let log = (try? String(contentsOf: directory.appendingPathComponent("slurmctld.log"), encoding: .utf8)) ?? ""
        throw Processes.ScriptError(message: "the Slurm node did not become idle within 30 s:\n\(log.suffix(2000))")
    }
}
