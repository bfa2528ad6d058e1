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
    /// The source line, for context.
    pub source_line: Option<String>,
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
        if let (Some(src), Some((line, col))) = (&self.source_line, self.line_col) {
            let gutter = line.to_string().len();
            writeln!(f, "{:gutter$} |", "")?;
            writeln!(f, "{line} | {src}")?;
            writeln!(f, "{:gutter$} | {:>col$}", "", "^")?;
        }
        Ok(())
    }
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
    diagnostic(text, file, span, key, message)
}

/// A diagnostic for a validation issue, located by its key path.
pub fn from_issue(text: &str, file: &str, issue: Issue) -> Diagnostic {
    let span = span_of_path(text, &issue.path);
    let key = Some(issue.path.to_string()).filter(|p| !p.is_empty());
    diagnostic(text, file, span, key, issue.message)
}

fn diagnostic(
    text: &str,
    file: &str,
    span: Option<Range<usize>>,
    key: Option<String>,
    message: String,
) -> Diagnostic {
    let line_col = span.as_ref().map(|s| line_col(text, s.start));
    let source_line = line_col
        .and_then(|(line, _)| text.lines().nth(line - 1))
        .map(str::to_string);
    Diagnostic {
        file: file.to_string(),
        line_col,
        key,
        message,
        source_line,
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Span of the value at `path` (or of the deepest existing prefix).
fn span_of_path(text: &str, path: &KeyPath) -> Option<Range<usize>> {
    let root = DeTable::parse(text).ok()?;
    let mut span = None;
    let root_value = DeValue::Table(root.into_inner());
    let mut value = &root_value;
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

    #[test]
    fn paths_are_located() {
        let path = KeyPath::default()
            .key("agents")
            .index(1)
            .key("max_concurrent");
        assert_eq!(path.to_string(), "agents[1].max_concurrent");
        let span = span_of_path(DOC, &path).unwrap();
        assert_eq!(line_col(DOC, span.start), (8, 18));
        assert_eq!(&DOC[span], "80");
    }

    #[test]
    fn spans_map_back_to_paths() {
        let at = DOC.find("80").unwrap();
        let p = path_of_span(DOC, &(at..at + 2)).unwrap();
        assert_eq!(p.to_string(), "agents[1].max_concurrent");
    }
}
