#!/usr/bin/env bash
# The test command: installs what the tests need, builds, and runs every test project.
# Extra arguments go to `dotnet test` (e.g. ./test.sh --filter "FullyQualifiedName~Models").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
bash build/prerequisites.sh --tests
dotnet build ClusterTrain.sln -c Release -nologo -v q -clp:ErrorsOnly
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
dotnet test ClusterTrain.sln -c Release --no-build -nologo "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line over all test assemblies, in the form CI logs are read for.
awk '/^(Passed|Failed)! +- Failed:/ {
       gsub(",", ""); for (i = 1; i <= NF; i++) {
         if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
     END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
