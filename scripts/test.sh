#!/usr/bin/env bash
# The test command: installs what the project needs, builds, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-dependencies.sh
swift build --build-tests
swift test --skip-build "$@"
