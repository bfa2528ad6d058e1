//! Maps problems back to places in the scenario file: key paths such as
//! `agents[1].max_concurrent` to `line:column`, and parser spans to key paths.

use std::fmt;
use std::ops::Range;

use toml::de::{DeTable, DeValue};

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// A table key.
    Key(String),
    /// An array index (0-based).
    Index(usize),
}

/// A key path such as `agents[1].shift.start`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPath(pub Vec<Seg>);

impl KeyPath {
    /// The path with `key` appended.
    pub fn key(&self, key: &str) -> Self {
        let mut v = self.0.clone();
        v.push(Seg::Key(key.to_string()));
        Self(v)
    }

    /// The path with `index` appended.
    pub fn index(&self, index: usize) -> Self {
        let mut v = self.0.clone();
        v.push(Seg::Index(index));
        Self(v)
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// A validation problem before it is located in the file.
#[derive(Debug, Clone)]
pub struct Issue {
    /// Where.
    pub path: KeyPath,
    /// What is wrong and what is allowed.
    pub message: String,
}

/// A problem with its place in the file, ready to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file as the user named it.
    pub file: String,
    /// 1-based line and column, when known.
    pub line_col: Option<(usize, usize)>,
    /// The key path, when known.
    pub key: Option<String>,
    /// What is wrong and what is allowed.
    pub message: String,
    /// The source line (an excerpt around the position when it is long),
    /// for context.
    pub source_line: Option<String>,
    /// 1-based column of the position within `source_line`.
    pub caret: usize,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some((line, col)) = self.line_col {
            write!(f, ":{line}:{col}")?;
        }
        write!(f, ": ")?;
        if let Some(key) = &self.key {
            write!(f, "{key}: ")?;
        }
        writeln!(f, "{}", self.message)?;
        if let (Some(src), Some((line, _))) = (&self.source_line, self.line_col) {
            let gutter = line.to_string().len();
            writeln!(f, "{:gutter$} |", "")?;
            writeln!(f, "{line} | {src}")?;
            // The excerpt is short, so the caret's padding is too.
            writeln!(
                f,
                "{:gutter$} | {}^",
                "",
                " ".repeat(self.caret.saturating_sub(1))
            )?;
        }
        Ok(())
    }
}

/// A diagnostic for a file that is not UTF-8: placed at the first bad byte.
pub fn from_bad_utf8(bytes: &[u8], file: &str, err: &std::str::Utf8Error) -> Diagnostic {
    let valid = &bytes[..err.valid_up_to()];
    let text = std::str::from_utf8(valid).expect("valid up to here");
    let bad = bytes.get(err.valid_up_to()).copied().unwrap_or(0);
    let mut d = diagnostic(
        text,
        &LineIndex::new(text),
        file,
        Some(text.len()..text.len()),
        None,
        format!(
            "not valid UTF-8 (byte 0x{bad:02X} at byte offset {}); save the file as UTF-8",
            err.valid_up_to()
        ),
    );
    d.source_line = None;
    d
}

/// A diagnostic for a TOML syntax or shape error reported by the parser.
pub fn from_toml_error(text: &str, file: &str, err: &toml::de::Error) -> Diagnostic {
    let span = err.span();
    let key = span
        .as_ref()
        .and_then(|s| path_of_span(text, s))
        .map(|p| p.to_string())
        .filter(|p| !p.is_empty());
    let message = err.message().trim().replace('\n', " ");
    diagnostic(text, &LineIndex::new(text), file, span, key, message)
}

/// Most problems listed for one file; the rest are counted.
pub const MAX_LISTED: usize = 50;

/// Diagnostics for validation issues, located by their key paths, in file
/// order: the first [`MAX_LISTED`], and how many more there were. A
/// problem about something missing from the file (no part of its key path
/// is there) is placed at the end of the file, where it would be added. The file is parsed once, and only the listed
/// problems get a line, a column and an excerpt, so the work is linear in
/// the file and the number of problems.
pub fn from_issues(text: &str, file: &str, issues: Vec<Issue>) -> (Vec<Diagnostic>, usize) {
    let root = DeTable::parse(text)
        .ok()
        .map(|t| DeValue::Table(t.into_inner()));
    let mut located: Vec<(usize, Option<Range<usize>>, Issue)> = issues
        .into_iter()
        .map(|issue| {
            let span = root
                .as_ref()
                .and_then(|r| span_in(r, &issue.path))
                .unwrap_or(text.len()..text.len());
            (span.start, Some(span), issue)
        })
        .collect();
    located.sort_by_key(|(start, _, _)| *start);
    let more = located.len().saturating_sub(MAX_LISTED);
    located.truncate(MAX_LISTED);
    let lines = LineIndex::new(text);
    let diagnostics = located
        .into_iter()
        .map(|(_, span, issue)| {
            let key = Some(issue.path.to_string()).filter(|p| !p.is_empty());
            diagnostic(text, &lines, file, span, key, issue.message)
        })
        .collect();
    (diagnostics, more)
}

/// Start offsets of every line of a text.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self { starts }
    }

    /// 1-based line of a byte offset, and the byte range of that line (without its newline).
    fn line(&self, text: &str, offset: usize) -> (usize, Range<usize>) {
        let i = self.starts.partition_point(|&s| s <= offset).max(1) - 1;
        let end = self.starts.get(i + 1).map_or(text.len(), |&next| next - 1);
        (i + 1, self.starts[i]..end.max(self.starts[i]))
    }
}

/// Characters shown on each side of the position in a long line.
const EXCERPT: usize = 60;

fn diagnostic(
    text: &str,
    lines: &LineIndex,
    file: &str,
    span: Option<Range<usize>>,
    key: Option<String>,
    message: String,
) -> Diagnostic {
    let mut d = Diagnostic {
        file: file.to_string(),
        line_col: None,
        key,
        message,
        source_line: None,
        caret: 1,
    };
    let Some(span) = span else { return d };
    let mut offset = span.start.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let (line, range) = lines.line(text, offset);
    let src = &text[range.start..range.end.max(offset)];
    let before = &src[..offset - range.start];
    let col = before.chars().count() + 1;
    d.line_col = Some((line, col));
    let src = src.trim_end_matches('\r');
    if src.trim().is_empty() {
        // Nothing to show (the end of the file, an empty line).
    } else if src.chars().count() <= 2 * EXCERPT {
        d.source_line = Some(src.to_string());
        d.caret = col;
    } else {
        // A long line: the part around the position.
        let skip = (col - 1).saturating_sub(EXCERPT);
        let shown: String = src.chars().skip(skip).take(2 * EXCERPT).collect();
        let head = if skip > 0 { "…" } else { "" };
        let tail = if skip + 2 * EXCERPT < src.chars().count() {
            "…"
        } else {
            ""
        };
        d.source_line = Some(format!("{head}{shown}{tail}"));
        d.caret = col - skip + usize::from(skip > 0);
    }
    d
}

/// Span of the value at `path` (or of the deepest existing prefix) in a parsed document.
fn span_in(root: &DeValue<'_>, path: &KeyPath) -> Option<Range<usize>> {
    let mut span = None;
    let mut value = root;
    for seg in &path.0 {
        let next = match seg {
            Seg::Key(k) => value.get(k.as_str()),
            Seg::Index(i) => value.get(*i),
        };
        match next {
            Some(v) => {
                span = Some(v.span());
                value = v.get_ref();
            }
            None => break,
        }
    }
    span
}

/// Key path of the smallest key or value whose span contains `target`.
///
/// The whole tree is searched: an array of tables (`[[agents]]`) only spans
/// its header, so a parent's span need not contain its children's.
fn path_of_span(text: &str, target: &Range<usize>) -> Option<KeyPath> {
    let (root, _) = DeTable::parse_recoverable(text);
    let mut best = None;
    search(
        &DeValue::Table(root.into_inner()),
        &KeyPath::default(),
        target,
        &mut best,
    );
    best.map(|(_, path)| path)
}

fn search(
    value: &DeValue<'_>,
    path: &KeyPath,
    target: &Range<usize>,
    best: &mut Option<(usize, KeyPath)>,
) {
    fn consider(
        span: Range<usize>,
        p: &KeyPath,
        target: &Range<usize>,
        best: &mut Option<(usize, KeyPath)>,
    ) {
        if contains(&span, target) && best.as_ref().is_none_or(|(len, _)| span.len() <= *len) {
            *best = Some((span.len(), p.clone()));
        }
    }
    match value {
        DeValue::Table(table) => {
            for (k, v) in table.iter() {
                let p = path.key(k.get_ref());
                consider(k.span(), &p, target, best);
                consider(v.span(), &p, target, best);
                search(v.get_ref(), &p, target, best);
            }
        }
        DeValue::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let p = path.index(i);
                consider(v.span(), &p, target, best);
                search(v.get_ref(), &p, target, best);
            }
        }
        _ => {}
    }
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end && outer.start < outer.end
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str =
        "[run]\nstart = \"x\"\n\n[[agents]]\ncount = 1\n\n[[agents]]\nmax_concurrent = 80\n";

    fn issue(path: KeyPath) -> Issue {
        Issue {
            path,
            message: "bad".into(),
        }
    }

    #[test]
    fn paths_are_located() {
        let path = KeyPath::default()
            .key("agents")
            .index(1)
            .key("max_concurrent");
        assert_eq!(path.to_string(), "agents[1].max_concurrent");
        let (d, more) = from_issues(DOC, "f.toml", vec![issue(path)]);
        assert_eq!(more, 0);
        assert_eq!(d[0].line_col, Some((8, 18)));
        assert_eq!(d[0].source_line.as_deref(), Some("max_concurrent = 80"));
        assert_eq!(d[0].caret, 18);
    }

    #[test]
    fn spans_map_back_to_paths() {
        let at = DOC.find("80").unwrap();
        let p = path_of_span(DOC, &(at..at + 2)).unwrap();
        assert_eq!(p.to_string(), "agents[1].max_concurrent");
    }

    #[test]
    fn a_position_past_column_65535_is_shown_as_an_excerpt_not_a_panic() {
        let text = format!("[run]\nstart = {}\"x\"\n", " ".repeat(70_000));
        let (d, _) = from_issues(
            &text,
            "f.toml",
            vec![issue(KeyPath::default().key("run").key("start"))],
        );
        assert_eq!(d[0].line_col, Some((2, 70_009)));
        let shown = d[0].to_string();
        assert!(shown.len() < 400, "{shown}");
        let lines: Vec<&str> = shown.lines().collect();
        // The caret sits under the quote that starts the value.
        let (src, caret) = (lines[2], lines[3]);
        assert_eq!(src.chars().nth(caret.chars().count() - 1), Some('"'));
    }

    #[test]
    fn problems_are_listed_in_file_order_up_to_the_cap_and_counted_beyond() {
        let mut text = String::new();
        for _ in 0..200 {
            text.push_str("[[agents]]\nname = \"dup\"\n");
        }
        let issues = (0..200)
            .rev()
            .map(|i| issue(KeyPath::default().key("agents").index(i).key("name")))
            .collect();
        let (d, more) = from_issues(&text, "f.toml", issues);
        assert_eq!((d.len(), more), (MAX_LISTED, 200 - MAX_LISTED));
        assert_eq!(d[0].line_col, Some((2, 8)));
        assert_eq!(d[1].line_col, Some((4, 8)));
    }
}
