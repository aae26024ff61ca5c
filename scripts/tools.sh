#!/usr/bin/env bash
# Installs the pinned external tools into .tools/: the judges (cfn-lint, checkov), the AWS
# emulator (moto), awscli for the deploy benchmark, botocore, whose SageMaker API model
# codegen/gen_instance_types.py reads, and the judges of the CI workflow `harden init` writes
# (check-jsonschema, zizmor); one venv each, since their dependency pins differ. Also tmux,
# from the system's packages, for the test that drives `harden init`'s prompts on a terminal, and
# Chromium, for the test that opens `harden report`'s HTML page headless.
# Idempotent: a venv whose requirements file has not changed is reused.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
python="${PYTHON:-python3}"
mkdir -p "$tools"
for judge in cfn-lint checkov moto awscli botocore check-jsonschema zizmor; do
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

# The corpus of real templates `harden check` is tested on (check/tests/public_corpus.rs):
# cfn-lint's valid test templates, from its pinned source distribution.
corpus="$tools/corpus"
req="$root/tests/judges/requirements-corpus.txt"
if ! { [ -f "$corpus/.requirements" ] && cmp -s "$req" "$corpus/.requirements"; }; then
  echo "fetching the template corpus ($(grep -v '^#' "$req" | cut -d' ' -f1))" >&2
  rm -rf "$corpus"
  mkdir -p "$corpus/dl"
  "$tools/cfnlint/bin/pip" download --quiet --disable-pip-version-check --no-deps \
    --no-binary :all: --require-hashes -r "$req" -d "$corpus/dl"
  tar xzf "$corpus"/dl/cfn_lint-*.tar.gz -C "$corpus" --wildcards \
    '*/test/fixtures/templates/good/*' '*/test/fixtures/templates/public/*' \
    '*/test/fixtures/templates/quickstart/*'
  rm -rf "$corpus/dl"
  cp "$req" "$corpus/.requirements"
fi

if ! command -v tmux >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing tmux (apt-get)" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux >/dev/null
  else
    echo "error: tmux is missing: the interactive \`harden init\` test needs it" >&2
    echo "hint: install it (\`sudo apt-get install tmux\`, \`brew install tmux\`), then run this again" >&2
    exit 1
  fi
fi

# Chromium, from the system's packages, for the test that opens `harden report`'s HTML page
# in a real headless browser (file:// only, never the network).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium (apt-get)" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "error: chromium is missing: the test of \`harden report\`'s HTML page opens it in headless Chromium" >&2
    echo "hint: install it (\`sudo apt-get install chromium\`, \`brew install --cask chromium\`), then run this again" >&2
    exit 1
  fi
fi
