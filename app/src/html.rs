//! Text made safe for HTML, for the few places that build markup by hand (the
//! document's `<title>`, which Leptos's meta tags write as given, and the guide's
//! server-rendered Markdown). Everything rendered through `view!` is escaped by
//! Leptos already.

/// `text` with `&`, `<`, `>`, `"` and `'` replaced by their character references,
/// so it reads the same in an element's text or a quoted attribute and can never
/// open or close markup.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The `Content-Security-Policy` of a page. Scripts come from Pulse itself
/// (the wasm bundle and its lazily loaded parts, ECharts) or carry the page's
/// nonce (the few inline scripts hydration needs); WebAssembly may be compiled,
/// nothing else evaluated. Styles may be inline: the charts and a few elements
/// set `style` attributes. No page may be framed by another site.
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// The `Content-Security-Policy` of everything that is not a page (the API's
/// JSON and CSV, static files): nothing in it may run, load or be framed.
pub const OTHER_POLICY: &str = "default-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// `next`, when it is a path of this site to go to after a form: it starts
/// with one `/`, and holds no `\\`, no whitespace and no control character
/// (browsers drop tabs and line breaks from an address, so `/\t/evil.example`
/// would be `//evil.example`, another site).
pub fn local_path(next: &str) -> Option<&str> {
    let mut chars = next.chars();
    (chars.next() == Some('/')
        && !matches!(chars.next(), Some('/'))
        && !next
            .chars()
            .any(|c| c == '\\' || c.is_whitespace() || c.is_control()))
    .then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_this_site_are_gone_to_after_a_form() {
        assert_eq!(local_path("/services?x=1"), Some("/services?x=1"));
        assert_eq!(local_path("/"), Some("/"));
        for other in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example/login",
            "/\n/evil.example",
            "/ok\r\nSet-Cookie: x",
            "https://evil.example",
            "evil",
            "",
        ] {
            assert_eq!(local_path(other), None, "{other:?}");
        }
    }

    #[test]
    fn markup_becomes_text() {
        assert_eq!(
            escape("Q3</title><script>x()</script>"),
            "Q3&lt;/title&gt;&lt;script&gt;x()&lt;/script&gt;"
        );
        assert_eq!(
            escape("\"><img src=x onerror='a'>&"),
            "&quot;&gt;&lt;img src=x onerror=&#39;a&#39;&gt;&amp;"
        );
        assert_eq!(escape("Pay £5 – café"), "Pay £5 – café");
    }

    #[test]
    fn pages_run_only_their_own_scripts() {
        let policy = page_policy("abc");
        assert!(policy.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval';"));
        assert!(
            !policy.contains(" 'unsafe-eval'") && !policy.contains("script-src 'unsafe-inline'")
        );
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(!policy.contains("  "), "one line: {policy}");
    }
}
