#!/usr/bin/env bash
# Installs the C libraries the package links against (GDAL, SQLite, libzip) and GDAL's command-line
# tools, from Debian's packages. Safe to run again: apt-get skips what is installed.
set -euo pipefail
# sqlite3 (the CLI) and python3-gdal are for the tests: they edit copies of geodatabases and read
# outputs back through GDAL's Python bindings as an independent check.
packages=(pkg-config libgdal-dev libsqlite3-dev libzip-dev gdal-bin python3-gdal sqlite3)
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
echo "Installing ${packages[*]} (apt-get)..." >&2
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
pkg-config --exists gdal sqlite3 libzip || { echo "pkg-config cannot find gdal, sqlite3 or libzip after installing" >&2; exit 1; }
