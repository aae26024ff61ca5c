//! `harden report --format json`: the matrix as one object of a stable shape: `tier`,
//! `standards` (those the stacks enable), `security_hub` (each claimed id, its standards and
//! whether an enabled one evaluates it), `account` (the standards the account has on, when
//! read with `--account-standards`, else null), `stacks` (each with `stack`, `tier`, `blueprint`, `resources`, `fail_on`, `controls`,
//! `not_applicable`, `exceptions`, `findings`, `deviations`, `notes`) and `summary`.

use super::Compliance;

/// The JSON document, pretty-printed, with a final newline.
pub fn render(c: &Compliance) -> String {
    let mut out = serde_json::to_string_pretty(c).expect("a report serialises");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shape_is_stable() {
        let v: serde_json::Value =
            serde_json::from_str(&render(&super::super::tests::sample())).unwrap();
        let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            keys,
            [
                "tier",
                "stacks",
                "standards",
                "security_hub",
                "account",
                "summary"
            ]
        );
        let stack: Vec<_> = v["stacks"][0]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(
            stack,
            [
                "stack",
                "tier",
                "blueprint",
                "resources",
                "fail_on",
                "controls",
                "not_applicable",
                "exceptions",
                "findings",
                "deviations",
                "notes"
            ]
        );
        assert_eq!(v["stacks"][0]["controls"][0]["id"], "kms-key");
        assert_eq!(v["stacks"][0]["controls"][0]["resources"][0], "Key");
    }
}
