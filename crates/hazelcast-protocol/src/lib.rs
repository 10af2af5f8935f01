//! Sans-IO implementation of the Hazelcast Open Binary Client Protocol 2.x.
#![forbid(unsafe_code)]

pub mod codec;
pub mod compact;
pub mod data;
pub mod frame;
pub mod hash;
pub mod message;
pub mod predicate;
