//! The verdict in the plain trace: what happened to a message, in English, naming the stage
//! where it went wrong. The judgement itself lives in `explain::lifecycle`, shared with
//! `trace --explain` in every language.

use crate::correlate::Message;
use crate::explain::catalog::{Catalog, Lang};
use std::sync::OnceLock;

/// The English verdict lines of a message.
pub fn verdict(m: &Message) -> Vec<String> {
    static ENGLISH: OnceLock<Catalog> = OnceLock::new();
    crate::explain::lifecycle::verdict(ENGLISH.get_or_init(|| Catalog::new(Lang::En)), m)
}
