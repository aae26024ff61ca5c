//! harden: hardened AWS architectures as CloudFormation. This crate is the command-line tool
//! and the engine around the pure `harden-blueprints` core: it resolves settings, writes
//! rendered templates, and (later) checks, plans and deploys them.

pub mod cli;
pub mod deploy;
pub mod diag;
pub mod exit;
pub mod project;
pub mod render;
pub mod scaffold;
pub mod settings;
pub mod ui;
