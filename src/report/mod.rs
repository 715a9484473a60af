//! `mailtrail report`: the morning summary, built as one consumer of the pipeline.

pub mod count;
pub mod normalize;
pub mod table;
