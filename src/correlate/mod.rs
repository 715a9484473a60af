//! correlate: events in, messages out.
//!
//! `message` is the model every consumer reads; `tracker` builds it from the event stream.

mod inline;
pub mod message;
pub mod text;
pub mod tracker;

pub use message::{
    Attempt, Link, LinkKind, Message, MessageStatus, Origin, Peer, Recipient, RecipientStatus,
    Rejection, Text,
};
pub use tracker::{LineContext, Tracker, TrackerConfig, TrackerCounts};
