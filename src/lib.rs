//! mailtrail: follow every message through Postfix mail logs.
//!
//! The pipeline is visible in the modules: `input` (bytes from files, rotated sets,
//! compressed copies, stdin, the journal) → `envelope` + `parse` (one typed `Event` per line)
//! → `correlate` (messages, sessions, links) → consumers in `output` and `cli`; `explain` says
//! what each line means, in English or Japanese.

// Input decides what the code sees: nothing that input can reach may panic. Tests may.
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

pub mod cli;
pub mod correlate;
pub mod envelope;
pub mod event;
pub mod explain;
pub mod input;
pub mod live;
pub mod metrics;
pub mod output;
pub mod parse;
pub mod pipeline;
pub mod prefilter;
pub mod report;
pub mod select;
pub mod text;
pub mod time;
