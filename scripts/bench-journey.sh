#!/usr/bin/env bash
# The journey benchmark (issue 6): runs the full sandbox journey (`siteup sandbox --headless
# --auto` from an empty folder) with a terraform shim first on PATH that logs every terraform run,
# then, on the same AWS emulator, the blog's own sequence for the same stack (one plan and one
# apply per section, in the blog's order, cumulative -targets), and prints a table: plan and
# apply runs, other runs (init, output, show, ...), their wall time, and the whole wall time.
#
#   scripts/bench-journey.sh
#
# Needs what the tests need (terraform, the provider mirror, the emulator's venv; see
# scripts/test.sh). Takes about 12 minutes on 2 cores. The code is tests/journey_bench.rs.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/siteup/target}"
# No packet may leave loopback: the SDK must never fall through to instance metadata.
export AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
      AWS_ENDPOINT_URL AWS_REGION AWS_DEFAULT_REGION || true

echo "==> building siteup and the benchmark"
cargo test --no-run --test journey_bench 2>&1 | tail -n 1
echo "==> running the benchmark (the journey, then the blog's sequence)"
cargo test -q --test journey_bench -- --ignored --nocapture --test-threads=1 journey_benchmark
