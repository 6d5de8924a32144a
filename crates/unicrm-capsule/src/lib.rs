//! unicrm-capsule.
#![forbid(unsafe_code)]
