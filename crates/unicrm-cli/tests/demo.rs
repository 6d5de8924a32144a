//! `unicrm demo` end to end (issue #15, CLI): it starts the three simulators, names Capsule,
//! Insightly and HighLevel, and mirrors Capsule → HighLevel: the empty HighLevel location ends
//! with Capsule's contacts and accounts, each created once, and every opportunity either created
//! once or counted as what HighLevel cannot hold.

use assert_cmd::Command;

/// The demo's output with a small seeded Capsule account (fast at the vendors' real limits).
fn demo() -> String {
    let out = Command::cargo_bin("unicrm")
        .unwrap()
        .env_remove("RUST_LOG")
        .args(["demo", "--records", "6", "--seed", "7"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "exit {:?}\n{stdout}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The counts row of `vendor` in the table headed `heading` (`vendor` or `after`):
/// contacts, accounts, opportunities.
fn counts(stdout: &str, heading: &str, vendor: &str) -> [usize; 3] {
    let table = stdout
        .split("\n\n")
        .find(|block| block.trim_start().starts_with(&format!("{heading} ")))
        .unwrap_or_else(|| panic!("no table headed {heading:?}:\n{stdout}"));
    let row = table
        .lines()
        .find(|l| l.split_whitespace().next() == Some(vendor))
        .unwrap_or_else(|| panic!("no {vendor} row under {heading:?}:\n{table}"));
    let n: Vec<usize> = row
        .split_whitespace()
        .skip(1)
        .map(|x| x.parse().expect("a count"))
        .collect();
    [n[0], n[1], n[2]]
}

/// The `created`, `failed` and `cannot hold` columns of `resource` in the migration table that follows
/// `Migrating Capsule → <target>`.
fn migrated(stdout: &str, target: &str, resource: &str) -> (usize, usize, usize) {
    let marker = format!("Migrating Capsule → {target} ");
    let from = stdout
        .find(&marker)
        .unwrap_or_else(|| panic!("no {marker:?}:\n{stdout}"));
    let section = &stdout[from..];
    let section = section[marker.len()..]
        .find("Migrating Capsule → ")
        .map_or(section, |end| &section[..marker.len() + end]);
    let row = section
        .lines()
        .find(|l| l.split_whitespace().next() == Some(resource))
        .unwrap_or_else(|| panic!("no {resource} row for {target}:\n{section}"));
    let n: Vec<usize> = row
        .split_whitespace()
        .skip(1)
        .map(|x| x.parse().expect("a count"))
        .collect();
    (n[0], n[2], n[3])
}

#[test]
fn the_demo_shows_three_vendors_and_mirrors_capsule_into_highlevel() {
    let out = demo();
    for name in [
        "Capsule CRM simulator",
        "Insightly simulator",
        "HighLevel simulator",
        "Migrating Capsule → Insightly",
        "Migrating Capsule → HighLevel",
    ] {
        assert!(out.contains(name), "{name:?} missing:\n{out}");
    }
    let capsule = counts(&out, "vendor", "capsule");
    assert!(capsule.iter().all(|&n| n > 0), "capsule {capsule:?}");
    // HighLevel starts empty and ends holding what Capsule holds, once; an opportunity it
    // cannot hold (an amount in another currency than the location's) is counted as such.
    assert_eq!(counts(&out, "vendor", "highlevel"), [0, 0, 0]);
    let after = counts(&out, "after", "highlevel");
    assert_eq!(after[..2], capsule[..2]);
    assert_eq!(counts(&out, "after", "capsule"), capsule);
    for (i, resource) in ["contacts", "accounts", "opportunities"].iter().enumerate() {
        let (created, failed, cannot_hold) = migrated(&out, "HighLevel", resource);
        assert!(created > 0, "{resource}: nothing created in HighLevel");
        assert_eq!(failed, 0, "{resource}: failures in HighLevel");
        assert_eq!(created, after[i], "{resource}: created once each");
        assert_eq!(
            created + cannot_hold,
            capsule[i],
            "{resource}: all accounted for"
        );
    }
    assert_eq!(migrated(&out, "Insightly", "contacts").0, capsule[0]);
    for vendor in ["capsule", "insightly", "highlevel"] {
        assert!(
            out.lines()
                .any(|l| l.starts_with(&format!("requests: {vendor} "))),
            "no request count for {vendor}:\n{out}"
        );
    }
}
