//! Webhook deliveries (docs/vendors/highlevel-v2.md, "Webhook signatures"): the fixture's
//! body signed with a key pair of the test's own (Ed25519 from a fixed seed; an RSA-2048 test
//! key in `tests/fixtures/keys/`, made for these tests only), verified with the configured
//! public keys. "Uncertain" 12 (when the legacy header retires): both headers are verified,
//! Ed25519 first.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use ring::signature::{Ed25519KeyPair, KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use unicrm_core::Change;
use unicrm_highlevel::{DeliveryError, HookEvent, WebhookKeys, WebhookVerifier};

fn body() -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/webhook-contact-update.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture")
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("time").to_utc()
}

/// Five seconds after the fixture's `timestamp`.
fn now() -> DateTime<Utc> {
    at("2026-03-04T16:40:08.512Z")
}

fn ed_pair() -> Ed25519KeyPair {
    Ed25519KeyPair::from_seed_unchecked(&[7u8; 32]).expect("seed")
}

fn ed_spki(pair: &Ed25519KeyPair) -> String {
    let mut der = vec![
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    der.extend_from_slice(pair.public_key().as_ref());
    STANDARD.encode(der)
}

fn rsa_pair() -> RsaKeyPair {
    let der = std::fs::read(format!(
        "{}/tests/fixtures/keys/test-rsa-2048.pk8.der",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("key");
    RsaKeyPair::from_pkcs8(&der).expect("pkcs8")
}

fn rsa_spki() -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/keys/test-rsa-2048.spki.b64",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("spki")
}

fn rsa_sign(body: &[u8]) -> String {
    let pair = rsa_pair();
    let mut sig = vec![0; pair.public().modulus_len()];
    pair.sign(
        &RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        body,
        &mut sig,
    )
    .expect("sign");
    STANDARD.encode(sig)
}

fn verifier() -> WebhookVerifier {
    let keys =
        WebhookKeys::from_spki_base64(Some(&ed_spki(&ed_pair())), Some(&rsa_spki())).expect("keys");
    WebhookVerifier::new(keys)
}

#[test]
fn an_ed25519_signed_delivery_becomes_a_contact_upsert() {
    let b = body();
    let sig = STANDARD.encode(ed_pair().sign(&b));
    let d = verifier()
        .verify(Some(&sig), None, &b, now())
        .expect("verified");
    assert_eq!(d.event_type, "ContactUpdate");
    assert_eq!(
        d.webhook_id.as_deref(),
        Some("8656d90d-416a-459e-93b6-1f2e3d4c5b6a")
    );
    let HookEvent::Contact(change) = d.event else {
        panic!("not a contact event: {:?}", d.event)
    };
    let Change::Upserted { record } = *change else {
        panic!("not an upsert: {change:?}")
    };
    assert_eq!(record.id.as_str(), "Ct9fK2hL4mP6rT8vX0zB");
    assert_eq!(record.first_name.as_deref(), Some("Jürgen"));
    assert_eq!(record.tags.len(), 2);
}

#[test]
fn a_bad_ed25519_signature_is_rejected_even_with_a_good_legacy_one() {
    let b = body();
    let wrong = STANDARD.encode(ed_pair().sign(b"another body"));
    let good_rsa = rsa_sign(&b);
    let err = verifier()
        .verify(Some(&wrong), Some(&good_rsa), &b, now())
        .unwrap_err();
    assert_eq!(err, DeliveryError::BadSignature);
    // A tampered body fails too.
    let sig = STANDARD.encode(ed_pair().sign(&b));
    let mut tampered = b.clone();
    tampered[10] ^= 1;
    assert_eq!(
        verifier()
            .verify(Some(&sig), None, &tampered, now())
            .unwrap_err(),
        DeliveryError::BadSignature
    );
    assert_eq!(
        verifier()
            .verify(Some("not base64!"), None, &b, now())
            .unwrap_err(),
        DeliveryError::BadSignature
    );
}

#[test]
fn without_the_ed25519_header_the_legacy_rsa_one_is_checked() {
    let b = body();
    let d = verifier()
        .verify(Some("N/A"), Some(&rsa_sign(&b)), &b, now())
        .expect("legacy verified");
    assert_eq!(d.event_type, "ContactUpdate");
    let other = rsa_sign(b"other");
    assert_eq!(
        verifier()
            .verify(None, Some(&other), &b, now())
            .unwrap_err(),
        DeliveryError::BadSignature
    );
    assert_eq!(
        verifier().verify(None, None, &b, now()).unwrap_err(),
        DeliveryError::Unsigned
    );
    // Without a configured RSA key the legacy header cannot vouch for anything.
    let only_ed = WebhookVerifier::new(
        WebhookKeys::from_spki_base64(Some(&ed_spki(&ed_pair())), None).expect("key"),
    );
    assert_eq!(
        only_ed
            .verify(None, Some(&rsa_sign(&b)), &b, now())
            .unwrap_err(),
        DeliveryError::Unsigned
    );
}

#[test]
fn stale_and_replayed_deliveries_are_refused() {
    let b = body();
    let sig = STANDARD.encode(ed_pair().sign(&b));
    let v = verifier();
    let late = at("2026-03-04T16:46:00.000Z");
    assert_eq!(
        v.verify(Some(&sig), None, &b, late).unwrap_err(),
        DeliveryError::Stale
    );
    v.verify(Some(&sig), None, &b, now()).expect("first");
    assert!(matches!(
        v.verify(Some(&sig), None, &b, now()).unwrap_err(),
        DeliveryError::Replayed(_)
    ));
}

#[test]
fn the_published_key_parses_and_bad_keys_are_refused() {
    let k = WebhookKeys::highlevel();
    // The published key is a real Ed25519 key: a delivery signed with our key fails with it.
    let b = body();
    let sig = STANDARD.encode(ed_pair().sign(&b));
    assert_eq!(
        WebhookVerifier::new(k)
            .verify(Some(&sig), None, &b, now())
            .unwrap_err(),
        DeliveryError::BadSignature
    );
    assert!(WebhookKeys::from_spki_base64(Some("AAAA"), None).is_err());
    assert!(WebhookKeys::from_spki_base64(None, Some("AAAA")).is_err());
    assert!(WebhookKeys::from_spki_base64(Some("%%%"), None).is_err());
}

#[test]
fn a_contact_delete_is_a_deletion_and_other_events_are_named() {
    let del = br#"{"type":"ContactDelete","locationId":"L","id":"Ct1","timestamp":"2026-03-04T16:40:03.512Z","webhookId":"w1"}"#;
    match unicrm_highlevel::hooks::parse_delivery(del)
        .expect("parses")
        .event
    {
        HookEvent::Contact(c) => match *c {
            Change::Deleted { id, .. } => assert_eq!(id.as_str(), "Ct1"),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    let note = br#"{"type":"NoteCreate","id":"N1","contactId":"Ct1","body":"x"}"#;
    assert_eq!(
        unicrm_highlevel::hooks::parse_delivery(note)
            .expect("parses")
            .event,
        HookEvent::Other("NoteCreate".into())
    );
    for bad in [&b"[]"[..], b"{}", b"not json"] {
        assert!(matches!(
            unicrm_highlevel::hooks::parse_delivery(bad),
            Err(DeliveryError::Malformed(_))
        ));
    }
}
