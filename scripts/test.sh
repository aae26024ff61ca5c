#!/usr/bin/env bash
# The whole test suite, as CI runs it (`.ci/run` calls exactly this):
#   1. installs the pinned judges (cfn-lint, checkov) into .tools/;
#   2. checks the generated CloudFormation model is what the pinned schemas give;
#   3. runs every Rust test (unit, golden files, property tests, CLI transcripts);
#   4. runs the render benchmark, which prints its figures;
#   5. runs cfn-lint and checkov on every golden template (the exact rendered output).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "== judges: installing pinned tools" >&2
bash scripts/tools.sh

echo "== generated model is up to date" >&2
.tools/cfnlint/bin/python codegen/gen_model.py --check

echo "== cargo test" >&2
cargo test --workspace --locked

echo "== render benchmark" >&2
cargo bench --locked --bench render

echo "== external judges on every rendered template" >&2
.tools/cfnlint/bin/python tests/judges/judge.py tests/golden
