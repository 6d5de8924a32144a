//! An RFC 8288 `Link` header parser that splits only outside `<…>` and quoted strings, so URLs
//! such as `…?embed=tags,fields` survive (published parsers split them apart).

use url::Url;

/// One link of a `Link` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The target as written between `<` and `>`.
    pub target: String,
    /// Relation types, lower-cased (`rel="next prev"` gives two).
    pub rels: Vec<String>,
    /// Other parameters, names lower-cased, values unquoted.
    pub params: Vec<(String, String)>,
}

/// Parses one `Link` header value. Never panics; malformed links are skipped, and parsing stops
/// at the first link that cannot be delimited.
pub fn parse(header: &str) -> Vec<Link> {
    let mut links = Vec::new();
    let mut rest = header;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_whitespace());
        if rest.is_empty() {
            break;
        }
        let Some(after_lt) = rest.strip_prefix('<') else {
            // Not a link value: skip to the next top-level comma.
            match split_top_level(rest) {
                Some(next) => {
                    rest = next;
                    continue;
                }
                None => break,
            }
        };
        let Some(end) = after_lt.find('>') else { break };
        let target = after_lt[..end].trim().to_string();
        rest = &after_lt[end + 1..];
        let mut rels = Vec::new();
        let mut params = Vec::new();
        // Parameters: `; name=value` or `; name="quoted, value"` until a top-level comma.
        loop {
            rest = rest.trim_start();
            if !rest.starts_with(';') {
                break;
            }
            rest = rest[1..].trim_start();
            let name_end = rest
                .find(|c: char| c == '=' || c == ';' || c == ',' || c.is_whitespace())
                .unwrap_or(rest.len());
            let name = rest[..name_end].to_ascii_lowercase();
            rest = rest[name_end..].trim_start();
            let mut value = String::new();
            if let Some(after_eq) = rest.strip_prefix('=') {
                rest = after_eq.trim_start();
                if let Some(q) = rest.strip_prefix('"') {
                    let mut chars = q.char_indices();
                    let mut consumed = q.len();
                    while let Some((i, c)) = chars.next() {
                        match c {
                            '\\' => {
                                if let Some((_, e)) = chars.next() {
                                    value.push(e);
                                }
                            }
                            '"' => {
                                consumed = i + 1;
                                break;
                            }
                            c => value.push(c),
                        }
                    }
                    rest = &q[consumed.min(q.len())..];
                } else {
                    let v_end = rest.find([';', ',']).unwrap_or(rest.len());
                    value = rest[..v_end].trim().to_string();
                    rest = &rest[v_end..];
                }
            }
            if name.is_empty() {
                continue;
            }
            if name == "rel" {
                rels.extend(value.split_whitespace().map(|r| r.to_ascii_lowercase()));
            } else {
                params.push((name, value));
            }
        }
        links.push(Link {
            target,
            rels,
            params,
        });
        // Anything else up to the next comma is garbage: skip it.
        match rest.trim_start().strip_prefix(',') {
            Some(r) => rest = r,
            None => match split_top_level(rest) {
                Some(r) => rest = r,
                None => break,
            },
        }
    }
    links
}

/// Returns what follows the next comma that is outside `<…>` and quotes.
fn split_top_level(s: &str) -> Option<&str> {
    let mut in_angle = false;
    let mut in_quote = false;
    for (i, c) in s.char_indices() {
        match c {
            '<' if !in_quote => in_angle = true,
            '>' if !in_quote => in_angle = false,
            '"' if !in_angle => in_quote = !in_quote,
            ',' if !in_angle && !in_quote => return Some(&s[i + 1..]),
            _ => {}
        }
    }
    None
}

/// Finds the target of relation `rel` across one or more `Link` header values, resolved against
/// `base` (the URL of the request that returned the header).
pub fn find_rel<'a>(
    values: impl IntoIterator<Item = &'a str>,
    rel: &str,
    base: &Url,
) -> Option<Url> {
    let rel = rel.to_ascii_lowercase();
    values
        .into_iter()
        .flat_map(parse)
        .find(|l| l.rels.contains(&rel))
        .and_then(|l| base.join(&l.target).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn base() -> Url {
        Url::parse("https://api.capsulecrm.com/api/v2/parties?page=1").unwrap()
    }

    #[test]
    fn documented_form() {
        let h = r#"<https://api.capsulecrm.com/api/v2/parties?page=4>; rel="next""#;
        assert_eq!(
            find_rel([h], "next", &base()).unwrap().as_str(),
            "https://api.capsulecrm.com/api/v2/parties?page=4"
        );
    }

    #[test]
    fn commas_inside_urls() {
        let h = r#"<https://x.test/api/v2/parties?embed=tags,fields&page=3&perPage=1>; rel="next", <https://x.test/api/v2/parties?embed=tags,fields&page=1&perPage=1>; rel="prev""#;
        let links = parse(h);
        assert_eq!(links.len(), 2);
        assert_eq!(
            links[0].target,
            "https://x.test/api/v2/parties?embed=tags,fields&page=3&perPage=1"
        );
        assert_eq!(links[1].rels, ["prev"]);
        assert_eq!(
            find_rel([h], "prev", &base()).unwrap().query(),
            Some("embed=tags,fields&page=1&perPage=1")
        );
    }

    #[test]
    fn several_rels_unquoted_and_params() {
        let h = r#"</p?page=2>; rel=next; title="a, b"; type=text, </p?page=1>; REL="prev first""#;
        let links = parse(h);
        assert_eq!(links.len(), 2);
        assert_eq!(links[0].rels, ["next"]);
        assert_eq!(
            links[0].params,
            [
                ("title".into(), "a, b".into()),
                ("type".into(), "text".into())
            ]
        );
        assert_eq!(links[1].rels, ["prev", "first"]);
        assert_eq!(
            find_rel([h], "first", &base()).unwrap().as_str(),
            "https://api.capsulecrm.com/p?page=1"
        );
    }

    #[test]
    fn relative_uris_resolve_against_request() {
        let h = r#"<parties?page=2>; rel="next""#;
        assert_eq!(
            find_rel([h], "next", &base()).unwrap().as_str(),
            "https://api.capsulecrm.com/api/v2/parties?page=2"
        );
    }

    #[test]
    fn multiple_header_values() {
        let a = r#"<https://x.test/a>; rel="prev""#;
        let b = r#"<https://x.test/b>; rel="next""#;
        assert_eq!(
            find_rel([a, b], "next", &base()).unwrap().as_str(),
            "https://x.test/b"
        );
        assert!(find_rel([a], "next", &base()).is_none());
    }

    #[test]
    fn garbage() {
        assert!(parse("").is_empty());
        assert!(parse("garbage").is_empty());
        assert!(parse("<unterminated; rel=next").is_empty());
        let links = parse(r#"junk, <https://x.test/ok>; rel="next""#);
        assert_eq!(links.len(), 1);
        assert_eq!(links[0].target, "https://x.test/ok");
        assert_eq!(parse(r#"<a>; rel="unterminated"#)[0].rels, ["unterminated"]);
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC*") {
            let _ = parse(&s);
            let _ = find_rel([s.as_str()], "next", &base());
        }

        #[test]
        fn never_panics_on_link_like_input(s in "[<>;,=\" a-z\\\\]{0,64}") {
            let _ = parse(&s);
        }

        #[test]
        fn round_trips_generated_links(
            path in "[a-z]{1,8}",
            q in "[a-z,=&]{0,20}",
            rel in "(next|prev|first|last)",
        ) {
            let target = format!("https://x.test/{path}?{q}");
            let h = format!(r#"<{target}>; rel="{rel}", <https://x.test/other>; rel="zzz""#);
            let links = parse(&h);
            prop_assert_eq!(links.len(), 2);
            prop_assert_eq!(&links[0].target, &target);
            prop_assert_eq!(&links[0].rels, &vec![rel]);
        }
    }
}
