#!/usr/bin/env bash
# The whole test suite, as CI runs it (`.ci/run` calls exactly this):
#   1. installs the pinned tools (cfn-lint, checkov, moto, awscli) into .tools/;
#   2. checks the generated code is what its pinned sources give: the CloudFormation model
#      (cfn-lint's schemas) and the SageMaker instance types (botocore's API model);
#   3. runs every Rust test: unit, golden files, property tests, CLI transcripts, the SDK-mock
#      deploy tests, and full deploy cycles against moto on 127.0.0.1;
#   4. runs the benchmarks, which print their figures (render; no-op deploy vs awscli; check vs
#      checkov, which fails when harden takes 1% of checkov's time or more; a plan of 1, 3 and
#      10 stacks against mocks that take time to create change sets, which fails when the
#      change sets are not made at once);
#   5. runs cfn-lint and checkov on every golden template (the exact rendered output) and on
#      the custom blueprint example's output.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "== installing pinned tools" >&2
bash scripts/tools.sh

echo "== generated code is up to date" >&2
.tools/cfnlint/bin/python codegen/test_gen_model.py
.tools/cfnlint/bin/python codegen/gen_model.py --check
.tools/botocore/bin/python codegen/gen_instance_types.py --check

echo "== cargo test" >&2
cargo test --workspace --locked

echo "== benchmarks" >&2
cargo bench --locked -p harden-blueprints --bench render
cargo bench --locked -p harden-check --bench check
# The plan benchmark is timed against the SDK's mocks and dominated by CloudFormation's
# (simulated) change-set creation, so the test profile measures it as well as release would,
# without building the AWS SDK a second time.
cargo test --locked --bench plan
.tools/moto/bin/python scripts/bench-deploy.py target/debug/harden

echo "== external judges on every rendered template" >&2
examples_out="target/judge-examples"
rm -rf "$examples_out"
cargo run --locked --quiet --example custom_blueprint -- "$examples_out"
.tools/cfnlint/bin/python tests/judges/judge.py tests/golden "$examples_out"
