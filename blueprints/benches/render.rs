//! Render benchmark: every blueprint at every tier, built and rendered to YAML and JSON many
//! times; prints the mean time per stack. Run with `cargo bench --bench render`. Each tier is
//! built on its minimal required parameters: none, and at enterprise an alert destination.

use std::hint::black_box;
use std::time::{Duration, Instant};

use harden_blueprints::cfn::render::{to_json, to_yaml};
use harden_blueprints::cfn::to_node;
use harden_blueprints::Tier;

const ITERATIONS: u32 = 200;

/// A fixed image digest: at enterprise a blueprint with a model image needs it pinned.
fn main() {
    println!(
        "{:<18} {:<11} {:>7} {:>10} {:>12} {:>12}",
        "blueprint", "tier", "stacks", "resources", "build+yaml", "build+json"
    );
    let mut total = Duration::ZERO;
    let mut stacks_rendered = 0u32;
    for b in harden_blueprints::all() {
        for tier in Tier::ALL {
            // The defaults, with what the tier requires (an alert destination and a pinned
            // image at enterprise).
            let once = b.build_example(tier).expect("defaults build");
            if once.is_empty() {
                println!(
                    "{:<18} {:<11} {:>7} {:>10} {:>12} {:>12}",
                    b.name(),
                    tier.as_str(),
                    0,
                    0,
                    "-",
                    "-"
                );
                continue;
            }
            let resources: usize = once.iter().map(|s| s.template.resources.len()).sum();
            let time = |json: bool| {
                let start = Instant::now();
                for _ in 0..ITERATIONS {
                    for s in b.build_example(tier).expect("defaults build") {
                        let node = to_node(&s.template).expect("renders");
                        black_box(if json { to_json(&node) } else { to_yaml(&node) });
                    }
                }
                start.elapsed() / (ITERATIONS * once.len() as u32)
            };
            let yaml = time(false);
            let json = time(true);
            total += yaml * once.len() as u32;
            stacks_rendered += once.len() as u32;
            println!(
                "{:<18} {:<11} {:>7} {:>10} {:>10.1}µs {:>10.1}µs",
                b.name(),
                tier.as_str(),
                once.len(),
                resources,
                yaml.as_secs_f64() * 1e6,
                json.as_secs_f64() * 1e6
            );
        }
    }
    println!(
        "mean build+render (yaml) per stack: {:.1}µs over {} stack renders",
        total.as_secs_f64() * 1e6 / f64::from(stacks_rendered.max(1)),
        stacks_rendered
    );
}
