#!/usr/bin/env python3
"""Runs the external judges over rendered templates and holds them to harden's bar.

    judge.py DIR [DIR...]

Every `*.yaml` / `*.json` template under the directories (stack policies excepted) must pass
  - cfn-lint (pinned, .tools/cfnlint): no error, no warning, no informational finding;
  - checkov (pinned, .tools/checkov): no failed check.
Every in-template exception (`Metadata.checkov.skip`, `Metadata.cfn-lint.config.ignore_checks`)
must carry a reason and be used: an exception for a check that would not fail is an error,
so the list cannot grow or go stale unnoticed. The count is printed on every run.

Runs under the cfn-lint venv's python (it has PyYAML). Exit 0 only if every template passes.
"""
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CFN_LINT = ROOT / ".tools" / "cfnlint" / "bin" / "cfn-lint"
CHECKOV = ROOT / ".tools" / "checkov" / "bin" / "checkov"


def templates(dirs):
    out = []
    for d in dirs:
        for p in sorted(Path(d).rglob("*")):
            if p.suffix in (".yaml", ".json") and not p.name.endswith(".stack-policy.json") and p.name != ".harden-render.json":
                out.append(p)
    return out


def load(path):
    text = path.read_text()
    return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)


def suppressions(path):
    """(resource, judge, rule, reason) for every exception written in the template."""
    doc = load(path)
    out = []
    for rid, res in (doc.get("Resources") or {}).items():
        meta = res.get("Metadata") or {}
        for skip in (meta.get("checkov") or {}).get("skip") or []:
            out.append((rid, "checkov", skip.get("id"), (skip.get("comment") or "").strip()))
        reasons = (meta.get("harden") or {}).get("CfnLintExceptions") or {}
        for rule in ((meta.get("cfn-lint") or {}).get("config") or {}).get("ignore_checks") or []:
            out.append((rid, "cfn-lint", rule, (reasons.get(rule) or "").strip()))
    return out


def run_cfn_lint(files):
    proc = subprocess.run(
        [str(CFN_LINT), "--format", "json", "--", *map(str, files)], capture_output=True, text=True
    )
    if proc.returncode not in (0, 2, 4, 6, 8, 10, 12, 14) or not proc.stdout.strip().startswith("["):
        sys.exit(f"error: cfn-lint did not run (exit {proc.returncode}):\n{proc.stderr}{proc.stdout}")
    findings = {}
    for m in json.loads(proc.stdout):
        f = str(Path(m["Filename"]).resolve())
        findings.setdefault(f, []).append(
            f'{m["Rule"]["Id"]} line {m["Location"]["Start"]["LineNumber"]}: {m["Message"]}'
        )
    return findings


def run_checkov(path):
    proc = subprocess.run(
        [str(CHECKOV), "-f", str(path), "--framework", "cloudformation", "-o", "json",
         "--skip-download"],
        capture_output=True, text=True,
    )
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        sys.exit(f"error: checkov did not run on {path} (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    if isinstance(report, list):
        report = next((r for r in report if r.get("check_type") == "cloudformation"), {})
    results = report.get("results", {})
    summary = report.get("summary", {})
    if not results and summary.get("resource_count", 0) == 0:
        sys.exit(f"error: checkov found no CloudFormation resources in {path}")
    return results


def main():
    dirs = sys.argv[1:]
    files = templates(dirs)
    if not files:
        sys.exit("error: no templates to judge under " + ", ".join(dirs))
    lint = run_cfn_lint(files)
    passed, failed = 0, 0
    totals = Counter()
    all_suppressions = []
    for path in files:
        rel = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        problems = list(lint.get(str(path.resolve()), []))
        results = run_checkov(path)
        totals["checkov passed"] += len(results.get("passed_checks", []))
        totals["checkov failed"] += len(results.get("failed_checks", []))
        for c in results.get("failed_checks", []):
            problems.append(f'checkov {c["check_id"]} {c["resource"]}: {c["check_name"]}')
        skipped = {(c["resource"].split(".", 1)[1], c["check_id"]) for c in results.get("skipped_checks", [])}
        sups = suppressions(path)
        all_suppressions += sups
        for rid, judge, rule, reason in sups:
            if not reason:
                problems.append(f"{judge} exception {rule} on {rid} has no reason")
            if judge == "checkov" and (rid, rule) not in skipped:
                problems.append(f"checkov exception {rule} on {rid} is unused: the check does not fail there; remove it")
        if problems:
            failed += 1
            print(f"FAIL {rel}")
            for p in problems:
                print(f"  - {p}")
        else:
            passed += 1
            print(f"ok   {rel}")
    print()
    print(f"cfn-lint findings: {sum(len(v) for v in lint.values())}")
    print(f"checkov checks: {totals['checkov passed']} passed, {totals['checkov failed']} failed")
    by_rule = Counter((j, r, why) for _, j, r, why in all_suppressions)
    print(f"in-template exceptions: {len(all_suppressions)} across {len(files)} templates")
    for (judge, rule, why), n in sorted(by_rule.items()):
        print(f"  {n:3d} x {judge} {rule}: {why}")
    print(f"judges: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
