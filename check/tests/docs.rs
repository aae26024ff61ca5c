//! `docs/rules.md` is the registry's own listing, so the page can never claim a mapping the
//! rules do not have.

use std::path::Path;

#[test]
fn the_rules_page_is_the_registry() {
    let page = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/rules.md");
    let want = harden_check::format::list::markdown();
    if std::env::var_os("HARDEN_BLESS").is_some() {
        std::fs::write(&page, &want).expect("writing docs/rules.md");
        return;
    }
    let have = std::fs::read_to_string(&page).unwrap_or_default();
    assert!(
        have == want,
        "docs/rules.md differs from the rule registry\nhint: run `HARDEN_BLESS=1 cargo test -p harden-check --test docs` and commit the result"
    );
}
