#!/usr/bin/env bash
# Installs the pinned external tools into .tools/: the judges (cfn-lint, checkov), the AWS
# emulator (moto), awscli for the deploy benchmark, and botocore, whose SageMaker API model
# codegen/gen_instance_types.py reads; one venv each, since their dependency pins differ.
# Idempotent: a venv whose requirements file has not changed is reused.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
python="${PYTHON:-python3}"
mkdir -p "$tools"
for judge in cfn-lint checkov moto awscli botocore; do
  venv="$tools/${judge//-/}"
  req="$root/tests/judges/requirements-$judge.txt"
  stamp="$venv/.requirements"
  if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && cmp -s "$req" "$stamp"; then
    continue
  fi
  echo "installing $(grep -v '^#' "$req" | tr '\n' ' ')into $venv" >&2
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
  cp "$req" "$stamp"
done
