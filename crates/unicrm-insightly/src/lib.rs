//! unicrm-insightly.
#![forbid(unsafe_code)]
