//! Check benchmark: 20 templates of about 80 resources each, built from the rendered goldens
//! (whole stacks merged until a template holds 80 resources; a logical id already taken is
//! skipped), checked in process by [`harden_check::check_all`] (best of N), and the same 20
//! files checked once by checkov (`.tools/checkov`, installed by `scripts/tools.sh`). Prints
//! both times and the ratio, and exits 1 when harden takes 1% of checkov's time or more.
//! Run with `cargo bench -p harden-check --bench check`.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use harden_blueprints::cfn::parse::parse;
use harden_blueprints::cfn::render::to_yaml;
use harden_blueprints::cfn::{Node, NodeMap};
use harden_blueprints::Tier;
use harden_check::{check_all, Input, Settings};

const TEMPLATES: usize = 20;
const RESOURCES: usize = 80;
const RUNS: usize = 20;
/// harden must take less than this share of checkov's time.
const LIMIT: f64 = 0.01;

fn goldens(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the goldens")
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            goldens(&p, out);
        } else if p.extension().is_some_and(|e| e == "yaml") {
            out.push(p);
        }
    }
}

/// The `i`-th template: stacks of the goldens, from the `i`-th on, merged to 80 resources.
fn template(i: usize, stacks: &[Node]) -> String {
    let mut resources = NodeMap::new();
    let mut k = i;
    while resources.len() < RESOURCES {
        let s = &stacks[k % stacks.len()];
        k += 1;
        if let Some(Node::Map(rs)) = s.get_path(&["Resources"]) {
            for (id, r) in rs {
                if resources.len() < RESOURCES && !resources.contains_key(id) {
                    resources.insert(id.clone(), r.clone());
                }
            }
        }
    }
    let mut root = NodeMap::new();
    root.insert(
        "AWSTemplateFormatVersion".into(),
        Node::Str("2010-09-09".into()),
    );
    root.insert("Resources".into(), Node::Map(resources));
    to_yaml(&Node::Map(root))
}

fn main() -> ExitCode {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut files = Vec::new();
    goldens(&workspace.join("tests/golden"), &mut files);
    let stacks: Vec<Node> = files
        .iter()
        .map(|f| parse(&std::fs::read_to_string(f).unwrap()).expect("a golden parses"))
        .collect();
    let dir = workspace.join("target/bench-check");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let inputs: Vec<Input> = (0..TEMPLATES)
        .map(|i| {
            let name = format!("t{i:02}.yaml");
            let text = template(i, &stacks);
            std::fs::write(dir.join(&name), &text).unwrap();
            Input { name, text }
        })
        .collect();
    let settings = Settings::at(Tier::Enterprise);
    let mut best = Duration::MAX;
    let mut findings = 0;
    for _ in 0..RUNS {
        let start = Instant::now();
        let report = check_all(std::hint::black_box(&inputs), &settings);
        best = best.min(start.elapsed());
        findings = report.findings().count();
    }
    let resources: usize = inputs
        .iter()
        .map(|i| {
            parse(&i.text)
                .unwrap()
                .get_path(&["Resources"])
                .and_then(Node::as_map)
                .map_or(0, |m| m.len())
        })
        .sum();
    println!("harden check: {TEMPLATES} templates, {resources} resources, {findings} findings; best of {RUNS}: {:.2} ms", best.as_secs_f64() * 1e3);

    let checkov = workspace.join(".tools/checkov/bin/checkov");
    if !checkov.exists() {
        eprintln!(
            "error: {} is not installed\nhint: run `bash scripts/tools.sh`",
            checkov.display()
        );
        return ExitCode::from(2);
    }
    let start = Instant::now();
    let out = Command::new(&checkov)
        .args(["-d"])
        .arg(&dir)
        .args([
            "--framework",
            "cloudformation",
            "--quiet",
            "-o",
            "json",
            "--skip-download",
        ])
        .env("BC_SKIP_MAPPING", "TRUE")
        .output()
        .expect("checkov runs");
    let theirs = start.elapsed();
    // checkov exits 1 when it finds something; anything else is a failure to run.
    if !matches!(out.status.code(), Some(0 | 1)) {
        eprintln!(
            "error: checkov failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return ExitCode::from(2);
    }
    let ratio = best.as_secs_f64() / theirs.as_secs_f64();
    println!(
        "checkov:      same {TEMPLATES} files, once: {:.0} ms",
        theirs.as_secs_f64() * 1e3
    );
    println!(
        "ratio:        harden takes {:.3}% of checkov's time (limit {:.0}%)",
        ratio * 100.0,
        LIMIT * 100.0
    );
    if ratio >= LIMIT {
        eprintln!(
            "error: harden check took {:.3}% of checkov's time, not under {:.0}%",
            ratio * 100.0,
            LIMIT * 100.0
        );
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
