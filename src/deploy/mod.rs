//! Everything that talks to AWS: the CloudFormation client, the calls, change sets, event
//! streaming, and the `plan`, `deploy`, `destroy` and `status` operations built on them. The
//! analysis of what a change does lives in the pure `harden-plan` crate.

pub mod apply;
pub mod artifacts;
pub mod aws;
pub mod bootstrap;
pub mod destroy;
pub mod digest;
pub mod drift;
pub mod events;
pub mod names;
pub mod org;
pub mod ownership;
pub mod plan;
pub mod prepare;
pub mod replica;
pub mod retained;
pub mod saved;
pub mod security_hub;
pub mod stack;
pub mod status;
pub mod step;
