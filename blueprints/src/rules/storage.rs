//! Rules for storage resources.

use super::Rule;

/// The rules of this module.
pub static RULES: &[&Rule] = &[];
