#!/usr/bin/env python3
"""Deploy benchmark: harden's no-op deploy time, and its overhead over `aws cloudformation
deploy` (awscli) on the same template against the same moto server on 127.0.0.1.

    python3 scripts/bench-deploy.py [HARDEN_BINARY]

Prints the figures; it is a measurement, not a pass/fail test. Starts and stops its own
moto server (tests/moto_server.py, with .tools/moto's python) on a free loopback port.
"""
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HARDEN = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "target" / "debug" / "harden"
# moto with the CloudFormation calls harden relies on that moto lacks (drift detection,
# operation events, change set hooks), as the tests run it: plain moto answers those with
# HTTP 500, which the SDK retries with backoff, and the benchmark would time moto's gaps.
MOTO_PYTHON = ROOT / ".tools" / "moto" / "bin" / "python"
MOTO = ROOT / "tests" / "moto_server.py"
AWS = ROOT / ".tools" / "awscli" / "bin" / "aws"
RUNS = 10


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def once(cmd, env):
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"error: {' '.join(map(str, cmd))} exited {proc.returncode}:\n{proc.stderr}{proc.stdout}")


def timed(cmd, env):
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        samples.append(time.perf_counter() - start)
        if proc.returncode != 0:
            sys.exit(f"error: {' '.join(map(str, cmd))} exited {proc.returncode}:\n{proc.stderr}")
    return statistics.median(samples)


def main():
    for tool in (HARDEN, MOTO_PYTHON, MOTO, AWS):
        if not tool.exists():
            sys.exit(f"error: {tool} is missing\nhint: run `bash scripts/tools.sh` and `cargo build`")
    port = free_port()
    tmp = Path(tempfile.mkdtemp())
    log = open(tmp / "moto.log", "w")
    moto = subprocess.Popen([str(MOTO_PYTHON), str(MOTO), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log)
    try:
        deadline = time.time() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline:
                    sys.exit("error: moto did not start")
                time.sleep(0.1)
        env = dict(os.environ, AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}", AWS_ACCESS_KEY_ID="testing",
                   AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1",
                   AWS_EC2_METADATA_DISABLED="true", CI="true", NO_COLOR="1", HARDEN_POLL_MS="50",
                   AWS_CONFIG_FILE=str(tmp / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp / "none"))
        sel = ["--blueprint", "sagemaker-vpc", "--tier", "basic"]
        once([str(HARDEN), "deploy", *sel, "--yes"], env)
        harden_noop = timed([str(HARDEN), "deploy", *sel, "--yes"], env)
        # The same template for a stack of its own (named `bench-awscli`, so its named
        # resources do not collide with harden's), deployed by awscli, then its no-op.
        once([str(HARDEN), "render", *sel, "--name", "bench-awscli", "--format", "json", "--out", str(tmp)], env)
        template = tmp / "bench-awscli.json"
        compact = tmp / "compact.json"
        compact.write_text(json.dumps(json.loads(template.read_text()), separators=(",", ":")))
        aws = [str(AWS), "cloudformation", "deploy", "--stack-name", "bench-awscli", "--template-file", str(compact),
               "--capabilities", "CAPABILITY_IAM", "--no-fail-on-empty-changeset"]
        once(aws, env)
        aws_noop = timed(aws, env)
        print(f"no-op deploy, median of {RUNS}, sagemaker-vpc basic ({template.stat().st_size} bytes) on moto:")
        print(f"  harden deploy:               {harden_noop * 1000:8.1f} ms (client-side no-change detection)")
        print(f"  aws cloudformation deploy:   {aws_noop * 1000:8.1f} ms (creates and deletes an empty change set)")
        print(f"  harden overhead over awscli: {(harden_noop - aws_noop) * 1000:+8.1f} ms")
    finally:
        moto.terminate()
        moto.wait(timeout=30)


if __name__ == "__main__":
    main()
