//! Sans-IO implementation of the Hazelcast Open Binary Client Protocol 2.x.
#![forbid(unsafe_code)]

pub mod data;
