#!/usr/bin/env bash
# Installs the C libraries the package links against (GDAL, SQLite, libzip) and GDAL's command-line
# tools, from Debian's packages. Safe to run again: apt-get skips what is installed.
set -euo pipefail
# sqlite3 (the CLI) and python3-gdal are for the tests: they edit copies of geodatabases and read
# outputs back through GDAL's Python bindings as an independent check. slurm-wlm, munge and parallel
# run the scale-out recipes for real (scripts/scale-out/); kubernetes-validate (PyPI, its schemas
# bundled) checks the Kubernetes manifest against the Job schema, and python3-yaml reads it.
packages=(pkg-config libgdal-dev libsqlite3-dev libzip-dev gdal-bin python3-gdal sqlite3 slurm-wlm munge parallel python3-yaml)
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
echo "Installing ${packages[*]} (apt-get)..." >&2
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
pkg-config --exists gdal sqlite3 libzip || { echo "pkg-config cannot find gdal, sqlite3 or libzip after installing" >&2; exit 1; }
if ! command -v kubernetes-validate >/dev/null; then
    echo "Installing kubernetes-validate (pip)..." >&2
    python3 -m pip install --quiet --disable-pip-version-check kubernetes-validate==1.37.0 >&2
fi
