#![allow(dead_code, missing_docs)]
use unicrm_core::http::{HttpClient, Request};
fn is_send<T: Send>(_: T) {}
fn check(c: &HttpClient, r: Request) {
    is_send(c.send(r));
}
fn check2(c: &crate::client::Shared, r: Request) {
    is_send(c.send(r));
}
fn check3(c: &crate::client::Shared) {
    is_send(c.get_object("x"));
}
