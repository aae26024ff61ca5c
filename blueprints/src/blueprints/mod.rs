//! The architectures harden ships, one module each, registered in [`ALL`]: a new blueprint is
//! its module and one line there (what they share is the kit in [`crate::blueprint`]).

use crate::blueprint::Blueprint;

pub mod account_baseline;
pub mod batch_fargate;
pub mod cognito_api;
pub mod data_pipeline;
pub mod ml_research;
pub mod sagemaker_vpc;

/// Every blueprint.
pub static ALL: &[&dyn Blueprint] = &[
    &sagemaker_vpc::SagemakerVpc,
    &batch_fargate::BatchFargate,
    &cognito_api::CognitoApi,
    &data_pipeline::DataPipeline,
    &ml_research::MlResearch,
    &account_baseline::AccountBaseline,
];
