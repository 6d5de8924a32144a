//! Authentication: HTTP Basic with the API key as user name and a blank password
//! (docs/vendors/insightly-v3.1.md §2): `Authorization: Basic base64("<key>:")`.
//!
//! The key is a [`SecretString`]; the header value is marked sensitive and no `Debug` output
//! of this crate shows it.

use secrecy::{ExposeSecret, SecretString};
use unicrm_core::auth::BasicCredentials;
use unicrm_core::{Error, Result};

/// Basic credentials for an Insightly API key. Rejects an empty key or one with characters
/// that cannot be a key (`:`, whitespace, control characters).
pub fn credentials(api_key: &SecretString) -> Result<BasicCredentials> {
    let key = api_key.expose_secret();
    if key.trim().is_empty() {
        return Err(Error::config(
            "the Insightly API key is empty (find it in User Settings → API)",
        ));
    }
    if key
        .chars()
        .any(|c| c == ':' || c.is_whitespace() || c.is_control())
    {
        return Err(Error::config(
            "the Insightly API key contains characters an API key cannot have (':' or whitespace)",
        ));
    }
    Ok(BasicCredentials::new(
        SecretString::from(key.to_string()),
        SecretString::from(String::new()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_key_header() {
        let c = credentials(&SecretString::from(
            "3f2a9c1e-7b4d-4e8a-9c0f-5d6e7a8b9c0d".to_string(),
        ))
        .unwrap();
        assert_eq!(
            c.header_value().unwrap().to_str().unwrap(),
            "Basic M2YyYTljMWUtN2I0ZC00ZThhLTljMGYtNWQ2ZTdhOGI5YzBkOg=="
        );
        assert!(credentials(&SecretString::from(" ".to_string())).is_err());
        assert!(credentials(&SecretString::from("a:b".to_string())).is_err());
    }
}
