//! Macros in replies and canned responses: `{{contact.name}}`, `{{contact.first_name}}`,
//! `{{contact.email}}`, `{{contact.phone}}` and `{{operator.name}}`, each with an optional
//! fallback after a bar, used when the value is missing: `{{contact.first_name | there}}`.
//! The composer flags unknown macros before sending; the server expands (and refuses unknown
//! ones) when a reply is stored, so a macro is never sent raw.

/// Every macro there is, with what it stands for.
pub const MACROS: [(&str, &str); 5] = [
    ("contact.name", "the customer's full name"),
    ("contact.first_name", "the customer's first name"),
    ("contact.email", "the customer's e-mail address"),
    ("contact.phone", "the customer's phone number"),
    ("operator.name", "your name"),
];

/// The values macros expand to; `None` or blank when unknown.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MacroValues {
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub operator_name: Option<String>,
}

impl MacroValues {
    fn value(&self, name: &str) -> Option<String> {
        let v = match name {
            "contact.name" => self.contact_name.clone(),
            "contact.first_name" => self
                .contact_name
                .as_deref()
                .and_then(|n| n.split_whitespace().next())
                .map(str::to_string),
            "contact.email" => self.contact_email.clone(),
            "contact.phone" => self.contact_phone.clone(),
            "operator.name" => self.operator_name.clone(),
            _ => None,
        };
        v.filter(|v| !v.trim().is_empty())
    }
}

/// One `{{ … }}` found in a text: its byte range, name and fallback.
struct Found<'a> {
    start: usize,
    end: usize,
    name: &'a str,
    fallback: Option<&'a str>,
}

fn scan(text: &str) -> Vec<Found<'_>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("{{").map(|i| from + i) {
        let Some(close) = text[open + 2..].find("}}").map(|i| open + 2 + i) else {
            break;
        };
        let inner = &text[open + 2..close];
        if inner.contains("{{") {
            // `{{ {{x}}`: the inner one is the macro.
            from = open + 2;
            continue;
        }
        let (name, fallback) = match inner.split_once('|') {
            Some((n, f)) => (n.trim(), Some(f.trim())),
            None => (inner.trim(), None),
        };
        found.push(Found {
            start: open,
            end: close + 2,
            name,
            fallback,
        });
        from = close + 2;
    }
    found
}

fn known(name: &str) -> bool {
    MACROS.iter().any(|(m, _)| *m == name)
}

/// The macros in `text` that do not exist, as written (e.g. `{{contact.nmae}}`).
pub fn unknown_macros(text: &str) -> Vec<String> {
    scan(text)
        .into_iter()
        .filter(|f| !known(f.name))
        .map(|f| text[f.start..f.end].to_string())
        .collect()
}

/// Expands every macro; refuses (listing them) if any is unknown.
pub fn expand(text: &str, values: &MacroValues) -> Result<String, Vec<String>> {
    let unknown = unknown_macros(text);
    if !unknown.is_empty() {
        return Err(unknown);
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for f in scan(text) {
        out.push_str(&text[last..f.start]);
        match values.value(f.name) {
            Some(v) => out.push_str(&v),
            None => out.push_str(f.fallback.unwrap_or_default()),
        }
        last = f.end;
    }
    out.push_str(&text[last..]);
    Ok(out)
}

/// Whether the text has any macro at all (so the server knows to expand it).
pub fn has_macros(text: &str) -> bool {
    !scan(text).is_empty()
}

/// The words for a refusal naming unknown macros.
pub fn unknown_message(unknown: &[String]) -> String {
    let known: Vec<String> = MACROS.iter().map(|(m, _)| format!("{{{{{m}}}}}")).collect();
    format!(
        "{} {} not a macro; use one of {}",
        unknown.join(", "),
        if unknown.len() == 1 { "is" } else { "are" },
        known.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> MacroValues {
        MacroValues {
            contact_name: Some("Maria Lopez".into()),
            contact_email: Some("maria@example.com".into()),
            contact_phone: None,
            operator_name: Some("Ava Agent".into()),
        }
    }

    #[test]
    fn every_macro_expands_to_its_value() {
        assert_eq!(
            expand(
                "Hi {{contact.first_name}} ({{contact.name}}, {{ contact.email }}), {{operator.name}} here.",
                &values()
            )
            .unwrap(),
            "Hi Maria (Maria Lopez, maria@example.com), Ava Agent here."
        );
    }

    #[test]
    fn a_missing_value_uses_the_fallback_or_nothing() {
        assert_eq!(
            expand("Call {{contact.phone | the number you gave}}.", &values()).unwrap(),
            "Call the number you gave."
        );
        assert_eq!(expand("Call {{contact.phone}}.", &values()).unwrap(), "Call .");
        let nameless = MacroValues {
            contact_name: Some("  ".into()),
            ..values()
        };
        assert_eq!(
            expand("Hi {{contact.first_name|there}}!", &nameless).unwrap(),
            "Hi there!"
        );
        assert_eq!(
            expand("Hi {{contact.first_name | there}}!", &values()).unwrap(),
            "Hi Maria!",
            "the fallback is only for missing values"
        );
    }

    #[test]
    fn unknown_macros_are_refused_never_sent_raw() {
        let err = expand("Hello {{contact.nmae}} and {{ticket.id}}", &values()).unwrap_err();
        assert_eq!(err, vec!["{{contact.nmae}}".to_string(), "{{ticket.id}}".to_string()]);
        assert!(unknown_message(&err).contains("{{contact.name}}"));
        assert_eq!(unknown_macros("{{operator.name}}"), Vec::<String>::new());
    }

    #[test]
    fn text_without_macros_is_left_exactly_as_it_is() {
        for text in ["Plain text", "a { b } c", "unclosed {{contact.name", "é {{ ü"] {
            assert_eq!(expand(text, &values()).unwrap(), text);
            assert!(!has_macros(text));
        }
        assert_eq!(expand("{{ {{operator.name}}", &values()).unwrap(), "{{ Ava Agent");
    }
}
