//! Exit codes: a documented contract for CI (see the README), in the convention of
//! `terraform plan -detailed-exitcode`.

/// Success, or nothing to change.
pub const SUCCESS: u8 = 0;
/// An error: bad input, a failed call, a template that cannot be rendered.
pub const ERROR: u8 = 1;
/// `plan --detailed-exitcode`: changes are present.
pub const CHANGES: u8 = 2;
/// A change needs approval and nobody gave it (no terminal and no `--yes`).
pub const APPROVAL_NEEDED: u8 = 3;
/// A deploy failed and the stack rolled back.
pub const ROLLED_BACK: u8 = 4;
