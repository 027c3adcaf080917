//! Basic formatting in messages — `**bold**`, `*italic*` or `_italic_`, `[text](https://…)`
//! links, bare `https://` links, `- ` and `1. ` lists — parsed into a small tree and rendered
//! as elements whose text is always text nodes. Nothing a person writes ever becomes markup,
//! and only http, https and mailto links are made, so a message cannot run script in the
//! inbox or the widget.

use leptos::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    Bold(Vec<Inline>),
    Italic(Vec<Inline>),
    Link { text: String, href: String },
    Break,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    Paragraph(Vec<Inline>),
    Bullets(Vec<Vec<Inline>>),
    Numbered(Vec<Vec<Inline>>),
}

/// Whether a link target is one a message may carry.
pub fn safe_href(href: &str) -> bool {
    let lower = href.trim().to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:"))
        && !href
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>')
}

fn bullet(line: &str) -> Option<&str> {
    line.strip_prefix("- ").or_else(|| line.strip_prefix("* "))
}

fn numbered(line: &str) -> Option<&str> {
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 3 {
        return None;
    }
    line[digits..].strip_prefix(". ")
}

/// The text as blocks: lists, and paragraphs whose lines are joined by breaks.
pub fn parse(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let flush = |paragraph: &mut Vec<&str>, blocks: &mut Vec<Block>| {
        if paragraph.is_empty() {
            return;
        }
        let mut inlines = Vec::new();
        for (i, line) in paragraph.iter().enumerate() {
            if i > 0 {
                inlines.push(Inline::Break);
            }
            inlines.extend(parse_inline(line));
        }
        blocks.push(Block::Paragraph(inlines));
        paragraph.clear();
    };
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(item) = bullet(trimmed) {
            flush(&mut paragraph, &mut blocks);
            match blocks.last_mut() {
                Some(Block::Bullets(items)) => items.push(parse_inline(item)),
                _ => blocks.push(Block::Bullets(vec![parse_inline(item)])),
            }
        } else if let Some(item) = numbered(trimmed) {
            flush(&mut paragraph, &mut blocks);
            match blocks.last_mut() {
                Some(Block::Numbered(items)) => items.push(parse_inline(item)),
                _ => blocks.push(Block::Numbered(vec![parse_inline(item)])),
            }
        } else if trimmed.is_empty() {
            flush(&mut paragraph, &mut blocks);
        } else {
            paragraph.push(line);
        }
    }
    flush(&mut paragraph, &mut blocks);
    blocks
}

/// Inline markup within one line.
pub fn parse_inline(line: &str) -> Vec<Inline> {
    let mut out: Vec<Inline> = Vec::new();
    let mut text = String::new();
    let push_text = |text: &mut String, out: &mut Vec<Inline>| {
        if !text.is_empty() {
            out.push(Inline::Text(std::mem::take(text)));
        }
    };
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        // **bold**
        if let Some(after) = rest.strip_prefix("**") {
            if let Some(end) = after.find("**").filter(|e| *e > 0 && !after.starts_with(' ')) {
                push_text(&mut text, &mut out);
                out.push(Inline::Bold(parse_emphasis(&after[..end])));
                rest = &after[end + 2..];
                continue;
            }
        }
        // *italic* and _italic_ (the underscore only at a word's start, so snake_case stays).
        if c == '*' || (c == '_' && !text.ends_with(|p: char| p.is_alphanumeric() || p == '_')) {
            let after = &rest[1..];
            if let Some(end) = after.find(c).filter(|e| *e > 0 && !after.starts_with(' ')) {
                let closes_word = after[end + 1..]
                    .chars()
                    .next()
                    .is_none_or(|n| c == '*' || !(n.is_alphanumeric() || n == '_'));
                if closes_word {
                    push_text(&mut text, &mut out);
                    out.push(Inline::Italic(vec![Inline::Text(after[..end].to_string())]));
                    rest = &after[end + 1..];
                    continue;
                }
            }
        }
        // [text](href)
        if c == '[' {
            if let Some((label, href, used)) = link_at(rest) {
                push_text(&mut text, &mut out);
                out.push(Inline::Link {
                    text: label.to_string(),
                    href: href.to_string(),
                });
                rest = &rest[used..];
                continue;
            }
        }
        // A bare web address.
        if (c == 'h' || c == 'H') && (starts_with_ci(rest, "https://") || starts_with_ci(rest, "http://")) {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            let mut url = &rest[..end];
            url = url.trim_end_matches(['.', ',', ')', '!', '?', ';', ':', '\'', '"']);
            if safe_href(url) && url.len() > "https://".len() {
                push_text(&mut text, &mut out);
                out.push(Inline::Link {
                    text: url.to_string(),
                    href: url.to_string(),
                });
                rest = &rest[url.len()..];
                continue;
            }
        }
        text.push(c);
        rest = &rest[c.len_utf8()..];
    }
    push_text(&mut text, &mut out);
    out
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// Italic inside bold.
fn parse_emphasis(s: &str) -> Vec<Inline> {
    parse_inline(s)
        .into_iter()
        .map(|i| match i {
            Inline::Bold(inner) => Inline::Italic(inner),
            other => other,
        })
        .collect()
}

/// `[label](href)` at the start of `s`, if it is a safe link: (label, href, bytes used).
fn link_at(s: &str) -> Option<(&str, &str, usize)> {
    let close = s.find("](")?;
    let label = &s[1..close];
    if label.is_empty() || label.contains('[') {
        return None;
    }
    let after = &s[close + 2..];
    let end = after.find(')')?;
    let href = after[..end].trim();
    safe_href(href).then_some((label, href, close + 2 + end + 1))
}

/// Inline items as plain text: links as `text (url)`, a line break as `brk`.
fn inline_text(out: &mut String, items: &[Inline], brk: char) {
    for i in items {
        match i {
            Inline::Text(t) => out.push_str(t),
            Inline::Bold(x) | Inline::Italic(x) => inline_text(out, x, brk),
            Inline::Link { text, href } if text == href => out.push_str(text),
            Inline::Link { text, href } => {
                out.push_str(text);
                out.push_str(" (");
                out.push_str(href);
                out.push(')');
            }
            Inline::Break => out.push(brk),
        }
    }
}

/// The text without markup, for previews, notifications and channels without formatting.
pub fn plain(text: &str) -> String {
    let inline = |out: &mut String, items: &[Inline]| inline_text(out, items, ' ');
    let mut out = String::new();
    for (n, b) in parse(text).iter().enumerate() {
        if n > 0 {
            out.push(' ');
        }
        match b {
            Block::Paragraph(x) => inline(&mut out, x),
            Block::Bullets(items) | Block::Numbered(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str("; ");
                    }
                    inline(&mut out, item);
                }
            }
        }
    }
    out
}

/// The text without markup but with its lines, paragraphs and lists, for channels that carry
/// plain text (SMS, e-mail's text part): bullets as `- `, numbers kept, links as `text (url)`.
pub fn plain_lines(text: &str) -> String {
    let inline = |out: &mut String, items: &[Inline]| inline_text(out, items, '\n');
    let mut blocks = Vec::new();
    for b in parse(text) {
        let mut out = String::new();
        match b {
            Block::Paragraph(x) => inline(&mut out, &x),
            Block::Bullets(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push('\n');
                    }
                    out.push_str("- ");
                    inline(&mut out, item);
                }
            }
            Block::Numbered(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push('\n');
                    }
                    out.push_str(&format!("{}. ", i + 1));
                    inline(&mut out, item);
                }
            }
        }
        blocks.push(out);
    }
    blocks.join("\n\n")
}

/// The text as HTML for an e-mail: every character a person wrote escaped, only the
/// formatting's own elements (`<p>`, `<br>`, `<strong>`, `<em>`, lists, safe links) added.
pub fn html(text: &str) -> String {
    fn escape(out: &mut String, s: &str) {
        for c in s.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&#39;"),
                c => out.push(c),
            }
        }
    }
    fn inline(out: &mut String, items: &[Inline]) {
        for i in items {
            match i {
                Inline::Text(t) => escape(out, t),
                Inline::Bold(x) => {
                    out.push_str("<strong>");
                    inline(out, x);
                    out.push_str("</strong>");
                }
                Inline::Italic(x) => {
                    out.push_str("<em>");
                    inline(out, x);
                    out.push_str("</em>");
                }
                Inline::Link { text, href } => {
                    out.push_str("<a href=\"");
                    escape(out, href);
                    out.push_str("\">");
                    escape(out, text);
                    out.push_str("</a>");
                }
                Inline::Break => out.push_str("<br>"),
            }
        }
    }
    fn list(out: &mut String, tag: &str, items: &[Vec<Inline>]) {
        out.push_str(&format!("<{tag}>"));
        for item in items {
            out.push_str("<li>");
            inline(out, item);
            out.push_str("</li>");
        }
        out.push_str(&format!("</{tag}>"));
    }
    let mut out = String::new();
    for b in parse(text) {
        match b {
            Block::Paragraph(x) => {
                out.push_str("<p>");
                inline(&mut out, &x);
                out.push_str("</p>");
            }
            Block::Bullets(items) | Block::Numbered(items) if items.is_empty() => {}
            Block::Bullets(items) => list(&mut out, "ul", &items),
            Block::Numbered(items) => list(&mut out, "ol", &items),
        }
    }
    out
}

fn inline_view(i: Inline, link_class: &'static str) -> AnyView {
    match i {
        Inline::Text(t) => t.into_any(),
        Inline::Break => view! { <br/> }.into_any(),
        Inline::Bold(x) => {
            view! { <strong>{x.into_iter().map(|i| inline_view(i, link_class)).collect_view()}</strong> }.into_any()
        }
        Inline::Italic(x) => {
            view! { <em>{x.into_iter().map(|i| inline_view(i, link_class)).collect_view()}</em> }.into_any()
        }
        Inline::Link { text, href } => view! {
            <a href=href class=link_class target="_blank" rel="noopener noreferrer nofollow">{text}</a>
        }
        .into_any(),
    }
}

/// A message body as formatted elements. `link_class` styles links for the bubble's colours.
pub fn render(text: &str, link_class: &'static str) -> impl IntoView {
    parse(text)
        .into_iter()
        .map(|b| match b {
            Block::Paragraph(x) => view! { <p>{x.into_iter().map(|i| inline_view(i, link_class)).collect_view()}</p> }.into_any(),
            Block::Bullets(items) => view! {
                <ul class="list-disc space-y-0.5 pl-5">
                    {items.into_iter().map(|x| view! { <li>{x.into_iter().map(|i| inline_view(i, link_class)).collect_view()}</li> }).collect_view()}
                </ul>
            }
            .into_any(),
            Block::Numbered(items) => view! {
                <ol class="list-decimal space-y-0.5 pl-5">
                    {items.into_iter().map(|x| view! { <li>{x.into_iter().map(|i| inline_view(i, link_class)).collect_view()}</li> }).collect_view()}
                </ol>
            }
            .into_any(),
        })
        .collect_view()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Inline {
        Inline::Text(s.into())
    }

    #[test]
    fn bold_italic_and_links_are_recognised() {
        assert_eq!(
            parse_inline("a **b** *c* _d_ [e](https://e.example) f"),
            vec![
                t("a "),
                Inline::Bold(vec![t("b")]),
                t(" "),
                Inline::Italic(vec![t("c")]),
                t(" "),
                Inline::Italic(vec![t("d")]),
                t(" "),
                Inline::Link {
                    text: "e".into(),
                    href: "https://e.example".into()
                },
                t(" f"),
            ]
        );
    }

    #[test]
    fn bare_addresses_become_links_without_trailing_punctuation() {
        assert_eq!(
            parse_inline("See https://acme.example/help."),
            vec![
                t("See "),
                Inline::Link {
                    text: "https://acme.example/help".into(),
                    href: "https://acme.example/help".into()
                },
                t(".")
            ]
        );
    }

    #[test]
    fn ordinary_text_stays_text() {
        for s in [
            "snake_case_name",
            "2 * 3 * 4",
            "a ** b",
            "price: $5",
            "[not a link]",
            "__init__",
        ] {
            assert_eq!(parse_inline(s), vec![t(s)], "{s}");
        }
    }

    #[test]
    fn lists_and_paragraphs() {
        assert_eq!(
            parse("Steps:\n1. Open\n2. Click\n\n- one\n- two\nDone"),
            vec![
                Block::Paragraph(vec![t("Steps:")]),
                Block::Numbered(vec![vec![t("Open")], vec![t("Click")]]),
                Block::Bullets(vec![vec![t("one")], vec![t("two")]]),
                Block::Paragraph(vec![t("Done")]),
            ]
        );
        assert_eq!(
            parse("line one\nline two"),
            vec![Block::Paragraph(vec![t("line one"), Inline::Break, t("line two")])]
        );
    }

    #[test]
    fn only_web_and_mail_links_are_made() {
        for bad in [
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](data:text/html,<script>alert(1)</script>)",
            "[x](vbscript:msgbox)",
        ] {
            assert!(
                !parse_inline(bad).iter().any(|i| matches!(i, Inline::Link { .. })),
                "{bad}"
            );
        }
        // A quote cannot end the address early: only the safe part is linked, the rest is text.
        let quoted = parse_inline("[x](https://a.example\" onmouseover=\"alert(1))");
        for i in &quoted {
            if let Inline::Link { href, .. } = i {
                assert_eq!(href, "https://a.example");
            }
        }
        assert!(safe_href("mailto:help@acme.example"));
    }

    #[test]
    fn plain_text_drops_the_markup() {
        assert_eq!(
            plain("**Hi** _there_, see [docs](https://d.example)\n- a\n- b"),
            "Hi there, see docs (https://d.example) a; b"
        );
    }
}

/// The XSS corpus: each payload, rendered the way the inbox and the widget render messages,
/// yields only the elements formatting makes, with every other character as text.
#[cfg(all(test, feature = "ssr"))]
mod xss {
    use super::*;

    pub const PAYLOADS: &[&str] = &[
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<svg/onload=alert(1)>",
        "\"><script>alert(document.cookie)</script>",
        "<a href=\"javascript:alert(1)\">click</a>",
        "[click](javascript:alert(1))",
        "[click](JAVASCRIPT:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[x](https://ok.example\" onmouseover=\"alert(1))",
        "**<b onmouseover=alert(1)>bold</b>**",
        "_<iframe src=javascript:alert(1)>_",
        "- <style>body{display:none}</style>",
        "1. <object data=javascript:alert(1)>",
        "https://x.example/<script>alert(1)</script>",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "<!-- comment --><div onclick=alert(1)>x</div>",
        "\u{202e}<script>alert(1)</script>",
    ];

    /// The HTML with every element that formatting may produce taken out.
    fn without_allowed_markup(html: &str) -> String {
        let mut rest = html.to_string();
        // Hydration markers from the renderer.
        while let Some(start) = rest.find("<!--") {
            let end = rest[start..].find("-->").map(|e| start + e + 3).unwrap_or(rest.len());
            rest.replace_range(start..end, "");
        }
        rest = rest.replace("<!>", "");
        let allowed = ["p", "strong", "em", "br", "ul", "ol", "li", "a"];
        let mut out = String::new();
        let mut s = rest.as_str();
        while let Some(open) = s.find('<') {
            out.push_str(&s[..open]);
            let close = s[open..].find('>').map(|c| open + c + 1).expect("tags close");
            let tag = &s[open + 1..close - 1];
            let name = tag.trim_start_matches('/').split([' ', '/']).next().unwrap_or_default();
            assert!(allowed.contains(&name), "unexpected element <{tag}> in {html}");
            if name == "a" && !tag.starts_with('/') {
                let href = tag
                    .split("href=\"")
                    .nth(1)
                    .and_then(|h| h.split('"').next())
                    .unwrap_or_default();
                assert!(safe_href(href), "unsafe link {href} in {html}");
                assert!(!tag.contains(" on"), "an event handler attribute in {tag}");
            }
            s = &s[close..];
        }
        out.push_str(s);
        out
    }

    #[test]
    fn xss_payloads_render_as_inert_text() {
        let owner = Owner::new();
        owner.with(|| {
            for payload in PAYLOADS {
                let html = render(payload, "underline").to_html();
                let text = without_allowed_markup(&html);
                assert!(!text.contains('<'), "raw markup survived: {html}");
            }
        });
    }
}
