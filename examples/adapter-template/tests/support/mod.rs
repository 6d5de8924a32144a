//! Test support: the in-test Tinycrm server.

pub mod server;
