//! A third-party adapter in a binary of its own: registered before `unicrm_cli::main_from`,
//! it is a vendor like the built-in ones.

mod common;

use std::process::ExitCode;
use std::sync::{Arc, OnceLock};

use common::Sandboxes;
use secrecy::SecretString;
use unicrm_core::registry::{Adapter, CrmConfig, register};

/// The token the third-party adapter signs in with (its own credential store).
static TOKEN: OnceLock<String> = OnceLock::new();

/// A "third-party" adapter: its own name and credential store, connecting with the Capsule
/// adapter's code (what matters here is the registration path, not the vendor).
fn connect_mycrm(config: &CrmConfig) -> unicrm_core::Result<Arc<dyn unicrm_core::Crm>> {
    let mut config = config.clone();
    config.credentials.token = TOKEN.get().cloned().map(SecretString::from);
    unicrm::capsule::connect(&config)
}

const MYCRM: Adapter = Adapter::new("mycrm", "a third-party adapter", &[], connect_mycrm);

fn run(args: &[&str]) -> ExitCode {
    unicrm_cli::main_from(std::iter::once("unicrm").chain(args.iter().copied()))
}

#[test]
fn a_registered_third_party_adapter_is_a_vendor_of_every_command() {
    let sb = Sandboxes::start(6, 3);
    // Before registration the name is a usage error.
    assert_eq!(
        run(&[
            "migrate",
            "--from",
            "mycrm",
            "--to",
            "insightly",
            "--state",
            "x"
        ]),
        ExitCode::from(2)
    );
    register(MYCRM);
    TOKEN.set(sb.capsule_token.clone()).unwrap();
    let url = sb.capsule_url.as_str();
    assert_eq!(
        run(&[
            "--vendor",
            "mycrm",
            "--base-url",
            url,
            "contacts",
            "list",
            "--limit",
            "2"
        ]),
        ExitCode::SUCCESS
    );
    let calls = sb.capsule.stats().requests;
    // It reached the simulator: a missing record is a runtime error (1), not a usage error.
    assert_eq!(
        run(&[
            "--vendor",
            "mycrm",
            "--base-url",
            url,
            "contacts",
            "get",
            "999999999"
        ]),
        ExitCode::from(1)
    );
    assert!(
        sb.capsule.stats().requests > calls,
        "the get reached the simulator"
    );
    assert_eq!(
        run(&["--vendor", "othercrm", "contacts", "list"]),
        ExitCode::from(2)
    );
}
