//! A small writer for canonical HCL: the output is already what `terraform fmt` would print
//! (two-space indentation, `=` aligned across consecutive single-line attributes, one blank line
//! between top-level blocks), so generated files pass `terraform fmt -check` untouched.
//!
//! The alignment rule follows hclwrite's formatter: a run of consecutive lines that each assign a
//! single-line value is aligned on its `=`; a line whose value opens a multi-line expression, a
//! nested block, a blank line or a comment ends the run.
//!
//! Every string that comes from the user goes through [`Expr::str`] or [`Seg::Lit`], which escape
//! quotes, backslashes, control characters and the template introducers `${` and `%{`: no input
//! can change the structure of the file.

use std::fmt::Write as _;

/// One piece of a quoted string: literal text (escaped) or an interpolated expression.
#[derive(Debug, Clone)]
pub(crate) enum Seg {
    Lit(String),
    Interp(String),
}

/// An HCL expression.
#[derive(Debug, Clone)]
pub(crate) enum Expr {
    /// A single-line expression written as is: a reference, a number, a bool, a short call.
    Raw(String),
    /// A quoted string, possibly with interpolations.
    Quoted(Vec<Seg>),
    /// A tuple. Written on one line when every item is a short single-line value.
    List(Vec<Expr>),
    /// A tuple always written one item per line.
    ListLines(Vec<Expr>),
    /// An object constructor, always one item per line (empty: `{}`).
    Object(Vec<(String, Expr)>),
    /// A call `name(arg)` whose single argument may span lines: `jsonencode({ ... })`.
    Call(String, Box<Expr>),
    /// Pre-formatted lines (for `for` expressions). Lines after the first are relative to the
    /// indentation of the attribute that holds the expression.
    Lines(Vec<String>),
}

impl Expr {
    /// A quoted literal string.
    pub(crate) fn str(s: impl Into<String>) -> Self {
        Expr::Quoted(vec![Seg::Lit(s.into())])
    }

    /// A raw single-line expression (a reference like `aws_s3_bucket.site.id`, `true`, `3`).
    pub(crate) fn raw(s: impl Into<String>) -> Self {
        Expr::Raw(s.into())
    }

    /// A quoted template built from segments.
    pub(crate) fn template(segs: Vec<Seg>) -> Self {
        Expr::Quoted(segs)
    }

    /// A list of quoted literal strings.
    pub(crate) fn strs<I, S>(items: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Expr::List(items.into_iter().map(Expr::str).collect())
    }

    /// `jsonencode(value)`.
    pub(crate) fn jsonencode(value: Expr) -> Self {
        Expr::Call("jsonencode".into(), Box::new(value))
    }

    /// Renders the expression. The first line goes right after `key = `; later lines carry their
    /// full indentation, computed from `indent` (the indentation of the line holding the key).
    fn render(&self, indent: usize) -> Vec<String> {
        match self {
            Expr::Raw(s) => vec![s.clone()],
            Expr::Quoted(segs) => vec![quote(segs)],
            Expr::List(items) => {
                if items.is_empty() {
                    return vec!["[]".into()];
                }
                let single: Option<Vec<String>> = items
                    .iter()
                    .map(|i| {
                        let lines = i.render(indent + 2);
                        (lines.len() == 1).then(|| lines.into_iter().next().unwrap_or_default())
                    })
                    .collect();
                match single {
                    Some(parts) if parts.iter().map(String::len).sum::<usize>() <= 70 => {
                        vec![format!("[{}]", parts.join(", "))]
                    }
                    _ => Expr::ListLines(items.clone()).render(indent),
                }
            }
            Expr::ListLines(items) => {
                if items.is_empty() {
                    return vec!["[]".into()];
                }
                let mut out = vec!["[".to_string()];
                let pad = " ".repeat(indent + 2);
                for item in items {
                    let lines = item.render(indent + 2);
                    let last = lines.len() - 1;
                    for (n, line) in lines.into_iter().enumerate() {
                        let mut l = if n == 0 { format!("{pad}{line}") } else { line };
                        if n == last {
                            l.push(',');
                        }
                        out.push(l);
                    }
                }
                out.push(format!("{}]", " ".repeat(indent)));
                out
            }
            Expr::Object(items) => {
                if items.is_empty() {
                    return vec!["{}".into()];
                }
                let mut out = vec!["{".to_string()];
                let entries: Vec<Entry> = items
                    .iter()
                    .map(|(k, v)| Entry::Attr(object_key(k), v.clone()))
                    .collect();
                render_entries(&entries, indent + 2, &mut out);
                out.push(format!("{}}}", " ".repeat(indent)));
                out
            }
            Expr::Call(name, arg) => {
                let mut lines = arg.render(indent);
                if let Some(first) = lines.first_mut() {
                    *first = format!("{name}({first}");
                }
                if let Some(last) = lines.last_mut() {
                    last.push(')');
                }
                lines
            }
            Expr::Lines(lines) => lines
                .iter()
                .enumerate()
                .map(|(n, l)| {
                    if n == 0 || l.is_empty() {
                        l.clone()
                    } else {
                        format!("{}{l}", " ".repeat(indent))
                    }
                })
                .collect(),
        }
    }
}

impl From<bool> for Expr {
    fn from(b: bool) -> Self {
        Expr::Raw(b.to_string())
    }
}

impl From<i64> for Expr {
    fn from(n: i64) -> Self {
        Expr::Raw(n.to_string())
    }
}

/// Literal segment.
pub(crate) fn lit(s: impl Into<String>) -> Seg {
    Seg::Lit(s.into())
}

/// Interpolated segment: `${expr}`.
pub(crate) fn interp(s: impl Into<String>) -> Seg {
    Seg::Interp(s.into())
}

/// Escapes text for the inside of a quoted HCL string (template): quotes, backslashes, control
/// characters and the template introducers `${` and `%{` (doubled: `$${`, `%%{`).
pub(crate) fn escape(s: &str) -> String {
    escape_with(s, |c, out| {
        if c == '$' || c == '%' {
            out.push(c);
            out.push(c);
            true
        } else {
            false
        }
    })
}

/// Escapes text for the inside of a quoted string in Terraform's *CLI configuration*, which is
/// read by the older HCL 1 parser, not HCL 2: there `$${` is not an escape (it is read back as
/// `$${`), and inside `${ ... }` backslash escapes are not decoded and an unmatched `${` leaves
/// the string unterminated. So `$` before `{` is written as `\u0024`, which HCL 1 decodes to `$`
/// without ever seeing `${`; quotes, backslashes and control characters are escaped as usual, and
/// `%{` means nothing to HCL 1, so it stays as is.
pub(crate) fn escape_hcl1(s: &str) -> String {
    escape_with(s, |c, out| {
        if c == '$' {
            out.push_str("\\u0024");
            true
        } else {
            false
        }
    })
}

/// The escaping both HCL dialects share; `before_brace` writes a character that comes right
/// before `{` when the dialect needs it escaped there (and says whether it did).
fn escape_with(s: &str, before_brace: impl Fn(char, &mut String) -> bool) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if chars.peek() == Some(&'{') && before_brace(c, &mut out) {
            continue;
        }
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

fn quote(segs: &[Seg]) -> String {
    let mut out = String::from("\"");
    for seg in segs {
        match seg {
            Seg::Lit(s) => out.push_str(&escape(s)),
            Seg::Interp(e) => {
                out.push_str("${");
                out.push_str(e);
                out.push('}');
            }
        }
    }
    out.push('"');
    out
}

/// Object keys: bare when they are identifiers, quoted otherwise.
fn object_key(k: &str) -> String {
    let ident = k
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ident {
        k.to_string()
    } else {
        quote(&[Seg::Lit(k.to_string())])
    }
}

/// One line-level item of a body.
#[derive(Debug, Clone)]
enum Entry {
    Attr(String, Expr),
    Block(Block),
    Blank,
    Comment(String),
}

/// Writes entries at `indent`, aligning `=` across runs of single-line attributes.
fn render_entries(entries: &[Entry], indent: usize, out: &mut Vec<String>) {
    let pad = " ".repeat(indent);
    // Width of the key column for each attribute, per run.
    let mut widths = vec![0usize; entries.len()];
    let mut run: Vec<usize> = Vec::new();
    let close = |run: &mut Vec<usize>, widths: &mut Vec<usize>| {
        let w = run
            .iter()
            .map(|&i| match &entries[i] {
                Entry::Attr(k, _) => k.len(),
                _ => 0,
            })
            .max()
            .unwrap_or(0);
        for &i in run.iter() {
            widths[i] = w;
        }
        run.clear();
    };
    for (i, e) in entries.iter().enumerate() {
        match e {
            Entry::Attr(k, v) => {
                let single = v.render(indent).len() == 1;
                if single {
                    run.push(i);
                } else {
                    close(&mut run, &mut widths);
                    widths[i] = k.len();
                }
            }
            _ => close(&mut run, &mut widths),
        }
    }
    close(&mut run, &mut widths);

    for (i, e) in entries.iter().enumerate() {
        match e {
            Entry::Attr(k, v) => {
                let lines = v.render(indent);
                let mut it = lines.into_iter();
                let first = it.next().unwrap_or_default();
                out.push(format!("{pad}{k:<w$} = {first}", w = widths[i]));
                out.extend(it);
            }
            Entry::Block(b) => b.render_into(indent, out),
            Entry::Blank => out.push(String::new()),
            Entry::Comment(c) => {
                for line in c.lines() {
                    if line.is_empty() {
                        out.push(format!("{pad}#"));
                    } else {
                        out.push(format!("{pad}# {line}"));
                    }
                }
            }
        }
    }
}

/// A block: `type "label" ... { body }`.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    pub kind: String,
    pub labels: Vec<String>,
    entries: Vec<Entry>,
}

impl Block {
    pub(crate) fn new(kind: &str) -> Self {
        Self {
            kind: kind.into(),
            labels: Vec::new(),
            entries: Vec::new(),
        }
    }

    pub(crate) fn labeled(kind: &str, labels: &[&str]) -> Self {
        Self {
            kind: kind.into(),
            labels: labels
                .iter()
                .map(std::string::ToString::to_string)
                .collect(),
            entries: Vec::new(),
        }
    }

    /// Adds `key = value`.
    pub(crate) fn attr(mut self, key: &str, value: impl Into<Expr>) -> Self {
        self.entries.push(Entry::Attr(key.into(), value.into()));
        self
    }

    /// Adds a nested block, separated from what comes before by a blank line (except at the
    /// start of the body and right after a comment, which then describes the block).
    pub(crate) fn block(mut self, block: Block) -> Self {
        if !self.entries.is_empty()
            && !matches!(self.entries.last(), Some(Entry::Blank | Entry::Comment(_)))
        {
            self.entries.push(Entry::Blank);
        }
        self.entries.push(Entry::Block(block));
        self
    }

    /// Adds a blank line (ignored at the start of a body or after another blank line).
    pub(crate) fn blank(mut self) -> Self {
        if !self.entries.is_empty() && !matches!(self.entries.last(), Some(Entry::Blank)) {
            self.entries.push(Entry::Blank);
        }
        self
    }

    /// Adds a `#` comment (one or more lines).
    pub(crate) fn comment(mut self, text: &str) -> Self {
        self.entries.push(Entry::Comment(text.into()));
        self
    }

    /// Adds a `lifecycle { prevent_destroy = true }` block.
    pub(crate) fn prevent_destroy(self) -> Self {
        self.block(Block::new("lifecycle").attr("prevent_destroy", true))
    }

    /// Adds `depends_on = [...]`, after a blank line.
    pub(crate) fn depends_on(self, addresses: &[&str]) -> Self {
        let list = Expr::ListLines(addresses.iter().map(|a| Expr::raw(*a)).collect());
        let list = if addresses.len() == 1 {
            Expr::List(addresses.iter().map(|a| Expr::raw(*a)).collect())
        } else {
            list
        };
        self.blank().attr("depends_on", list)
    }

    fn render_into(&self, indent: usize, out: &mut Vec<String>) {
        let pad = " ".repeat(indent);
        let mut header = format!("{pad}{}", self.kind);
        for l in &self.labels {
            header.push(' ');
            header.push_str(&quote(&[Seg::Lit(l.clone())]));
        }
        // Trailing blank entries would leave an empty line before `}`: drop them.
        let mut entries: &[Entry] = &self.entries;
        while let Some(Entry::Blank) = entries.last() {
            entries = &entries[..entries.len() - 1];
        }
        if entries.is_empty() {
            out.push(format!("{header} {{}}"));
            return;
        }
        out.push(format!("{header} {{"));
        render_entries(entries, indent + 2, out);
        out.push(format!("{pad}}}"));
    }

    /// The block as text, at the top level.
    pub(crate) fn to_text(&self) -> String {
        let mut out = Vec::new();
        self.render_into(0, &mut out);
        let mut s = out.join("\n");
        s.push('\n');
        s
    }
}

/// A whole `.tf` file: an optional header comment, then top-level blocks separated by one blank
/// line.
#[derive(Debug, Clone, Default)]
pub(crate) struct File {
    pub header: Option<String>,
    pub blocks: Vec<Block>,
}

impl File {
    pub(crate) fn to_text(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(h) = &self.header {
            let mut c = String::new();
            for line in h.lines() {
                if line.is_empty() {
                    c.push_str("#\n");
                } else {
                    c.push_str("# ");
                    c.push_str(line);
                    c.push('\n');
                }
            }
            parts.push(c);
        }
        for b in &self.blocks {
            parts.push(b.to_text());
        }
        parts.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_that_could_break_a_string() {
        assert_eq!(escape(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(escape("${x} %{if}"), "$${x} %%{if}");
        assert_eq!(escape("$x %d"), "$x %d");
        assert_eq!(escape("line\nnext\u{1}"), "line\\nnext\\u0001");
    }

    #[test]
    fn escapes_for_the_hcl1_cli_configuration() {
        assert_eq!(escape_hcl1(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(escape_hcl1("${x} %{if} $y"), r"\u0024{x} %{if} $y");
        assert_eq!(escape_hcl1("${"), r"\u0024{");
        assert_eq!(escape_hcl1("line\nnext\u{1}"), "line\\nnext\\u0001");
    }

    #[test]
    fn aligns_runs_and_breaks_them_at_multi_line_values() {
        let b = Block::labeled("resource", &["t", "n"])
            .attr("a", Expr::str("x"))
            .attr("long_name", Expr::raw("true"))
            .attr(
                "policy",
                Expr::jsonencode(Expr::Object(vec![("Version".into(), Expr::str("1"))])),
            )
            .attr("b", Expr::raw("1"));
        assert_eq!(
            b.to_text(),
            "resource \"t\" \"n\" {\n  a         = \"x\"\n  long_name = true\n  policy = jsonencode({\n    Version = \"1\"\n  })\n  b = 1\n}\n"
        );
    }

    #[test]
    fn empty_blocks_and_lists() {
        let b = Block::new("filter");
        assert_eq!(b.to_text(), "filter {}\n");
        let b = Block::new("x").attr("l", Expr::List(vec![]));
        assert_eq!(b.to_text(), "x {\n  l = []\n}\n");
    }

    #[test]
    fn quotes_keys_that_are_not_identifiers() {
        assert_eq!(object_key("Version"), "Version");
        assert_eq!(object_key("aws:SourceArn"), "\"aws:SourceArn\"");
        assert_eq!(object_key("a\"b"), "\"a\\\"b\"");
    }
}
