//! explain: what each log line means, in plain words, in English or Japanese.

pub mod catalog;
pub mod classify;
pub mod codes;

pub use catalog::{Catalog, Lang};
