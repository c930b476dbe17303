#!/usr/bin/python3
"""Runs a command and prints {"status": n, "maxrss_kib": n, "seconds": s, "stderr": "..."} as JSON.
The peak resident set size comes from the kernel's accounting of the finished child."""
import json, resource, subprocess, sys, time
start = time.monotonic()
proc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"status": proc.returncode, "maxrss_kib": usage.ru_maxrss,
                  "seconds": time.monotonic() - start, "stderr": proc.stderr.decode(errors="replace")[-2000:]}))
