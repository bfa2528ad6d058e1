//! All-or-nothing writing of a set of files into a directory, even if the
//! process is killed at any moment.
//!
//! The new files are written into a hidden sibling directory
//! (`.NAME.kefusim-new-PID`), flushed, and swapped with the target in one
//! step (`renameat2(RENAME_EXCHANGE)` on Linux); where the file system
//! cannot exchange, the old directory is renamed aside and the new one into
//! place, and a killed run in between is repaired by the next write. So
//! the target holds the old complete set or the new complete set, never a
//! mix. Files that are not kefusim's outputs (a README someone put there,
//! a subdirectory) are carried over; kefusim outputs of an earlier run that
//! this one does not write are dropped when the files are a complete set
//! ([`Replace::Set`]). Whatever a killed run left beside the target is
//! cleaned up (or put back) by the next write, and said.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A file of the set could not be written; nothing was replaced.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {source}")]
pub struct WriteError {
    /// The file or directory concerned.
    pub path: PathBuf,
    /// The cause.
    pub source: std::io::Error,
}

/// How the new files replace what the directory holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replace {
    /// The files are a complete set of results: kefusim outputs of an
    /// earlier run that this set does not include are removed, so the
    /// directory never mixes two runs. Other files are kept.
    Set,
    /// Only these files are replaced; everything else is kept (e.g.
    /// `kefusim report DIR` redrawing the plots of saved results).
    Files,
}

/// What a write did.
#[derive(Debug, Clone, Default)]
pub struct Written {
    /// The files written.
    pub paths: Vec<PathBuf>,
    /// Leftovers of a killed run that were removed or put back, said as sentences.
    pub repaired: Vec<String>,
}

/// Every name a kefusim command writes into a results directory.
pub const OUTPUT_NAMES: &[&str] = &[
    crate::shard::SHARD_FILE,
    "summary.json",
    "timeseries.csv",
    "agents.csv",
    "live.csv",
    "live.svg",
    "live.png",
    "report.html",
    "arrivals.svg",
    "arrivals.png",
    "service_level.svg",
    "service_level.png",
    "queue.svg",
    "queue.png",
    "agents.svg",
    "agents.png",
    "frt_distribution.svg",
    "frt_distribution.png",
    "plan.csv",
    "plan.json",
    "roster.toml",
    "plan.txt",
    "plan.svg",
    "plan.png",
    "sweep.csv",
    "sweep.svg",
    "sweep.png",
];

const NEW: &str = "kefusim-new-";
const OLD: &str = "kefusim-old-";

/// Writes every `(name, contents)` into `dir` (created if missing) as one
/// set: either all of them are there afterwards, with what the directory
/// kept (see [`Replace`]), or the directory is as it was.
pub fn write_atomically<N: AsRef<str>, C: AsRef<[u8]>>(
    dir: &Path,
    files: &[(N, C)],
    replace: Replace,
) -> Result<Written, WriteError> {
    let err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| WriteError { path, source }
    };
    // `--out .` has no name of its own: use the directory's real path.
    let dir = match dir.file_name() {
        Some(_) => dir.to_path_buf(),
        None => fs::canonicalize(dir).map_err(err(dir))?,
    };
    let (Some(parent), Some(name)) = (dir.parent(), dir.file_name().and_then(|n| n.to_str()))
    else {
        return Err(WriteError {
            path: dir.clone(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "cannot write results into the root directory",
            ),
        });
    };
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    fs::create_dir_all(parent).map_err(err(parent))?;
    if dir.exists() && !dir.is_dir() {
        return Err(WriteError {
            path: dir.clone(),
            source: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "a file is in the way (a directory is needed)",
            ),
        });
    }
    let mut written = Written {
        repaired: repair(parent, name, &dir),
        ..Written::default()
    };
    let staging = parent.join(format!(".{name}.{NEW}{}", std::process::id()));
    let result = stage_and_swap(&dir, &staging, files, replace);
    if let Err(mut e) = result {
        let _ = fs::remove_dir_all(&staging);
        // Name what the user asked for, not the hidden staging directory.
        if let Ok(rest) = e.path.strip_prefix(&staging) {
            e.path = if rest.as_os_str().is_empty() {
                dir.clone()
            } else {
                dir.join(rest)
            };
        }
        return Err(e);
    }
    written.paths = files.iter().map(|(n, _)| dir.join(n.as_ref())).collect();
    Ok(written)
}

fn stage_and_swap<N: AsRef<str>, C: AsRef<[u8]>>(
    dir: &Path,
    staging: &Path,
    files: &[(N, C)],
    replace: Replace,
) -> Result<(), WriteError> {
    let err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| WriteError { path, source }
    };
    if staging.exists() {
        fs::remove_dir_all(staging).map_err(err(staging))?;
    }
    fs::create_dir(staging).map_err(err(staging))?;
    for (name, contents) in files {
        let path = staging.join(name.as_ref());
        let mut f = File::create(&path).map_err(err(&path))?;
        f.write_all(contents.as_ref()).map_err(err(&path))?;
        f.sync_all().map_err(err(&path))?;
    }
    if !dir.exists() {
        sync_dir(staging);
        fs::rename(staging, dir).map_err(err(dir))?;
        sync_dir(dir.parent().unwrap_or(Path::new(".")));
        return Ok(());
    }
    // What the directory keeps: files by hard link (or copy) into the new
    // set now; subdirectories are moved over after the swap.
    let new_names: Vec<&str> = files.iter().map(|(n, _)| n.as_ref()).collect();
    let mut subdirs = Vec::new();
    for entry in fs::read_dir(dir).map_err(err(dir))? {
        let entry = entry.map_err(err(dir))?;
        let name = entry.file_name();
        let Some(n) = name.to_str() else { continue };
        if new_names.contains(&n)
            || (replace == Replace::Set && OUTPUT_NAMES.contains(&n))
            || stale_temporary(n)
        {
            continue;
        }
        let (from, to) = (entry.path(), staging.join(&name));
        if entry.file_type().map_err(err(&from))?.is_dir() {
            subdirs.push(name);
        } else if fs::hard_link(&from, &to).is_err() {
            fs::copy(&from, &to).map_err(err(&from))?;
        }
    }
    sync_dir(staging);
    let old = match exchange(staging, dir) {
        // The old set is now where the new one was staged.
        Ok(()) => staging.to_path_buf(),
        Err(_) => {
            // No exchange here: aside, then into place (a run killed in
            // between is repaired by the next write).
            let aside = staging.with_file_name(
                staging
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default()
                    .replace(NEW, OLD),
            );
            fs::rename(dir, &aside).map_err(err(dir))?;
            fs::rename(staging, dir).map_err(err(dir))?;
            aside
        }
    };
    sync_dir(dir.parent().unwrap_or(Path::new(".")));
    for name in subdirs {
        let _ = fs::rename(old.join(&name), dir.join(&name));
    }
    let _ = fs::remove_dir_all(&old);
    Ok(())
}

/// Swaps two directories in one step.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
    };
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: both paths are valid NUL-terminated strings that outlive the
    // call; renameat2 only reads them.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// Flushes a directory's entries (best effort: not every platform can).
/// Writes one file completely or not at all: into a hidden sibling, synced,
/// then renamed over `path` (which may be the file being replaced).
pub fn write_file_atomically(path: &Path, contents: &[u8]) -> Result<(), WriteError> {
    let err = |p: &Path| {
        let p = p.to_path_buf();
        move |source| WriteError { path: p, source }
    };
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| WriteError {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"),
        })?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if path.is_dir() {
        return Err(WriteError {
            path: path.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "a directory is in the way (a file is needed)",
            ),
        });
    }
    let tmp = parent.join(format!(".{name}.{NEW}{}", std::process::id()));
    let result = (|| {
        let mut f = File::create(&tmp).map_err(err(path))?;
        f.write_all(contents).map_err(err(path))?;
        f.sync_all().map_err(err(path))?;
        fs::rename(&tmp, path).map_err(err(path))?;
        sync_dir(parent);
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Whether the process `pid` is gone (Linux: no `/proc/PID`; elsewhere it
/// is assumed alive, so nothing of a concurrent run is touched).
fn gone(pid: &str) -> bool {
    pid != std::process::id().to_string()
        && cfg!(target_os = "linux")
        && !Path::new("/proc").join(pid).exists()
}

/// A staged file of an earlier kefusim (`.NAME.tmp-PID`) whose process is gone.
fn stale_temporary(name: &str) -> bool {
    name.starts_with('.')
        && name
            .rsplit_once(".tmp-")
            .is_some_and(|(_, pid)| pid.bytes().all(|b| b.is_ascii_digit()) && gone(pid))
}

/// Repairs what killed runs left beside `dir` (`parent/.NAME.kefusim-*`)
/// and in it (stale temporaries). A set renamed aside while the new one was
/// not yet in place is put back (the new one when it was complete); other
/// leftovers are removed once what they kept for the user (files, folders
/// not in `dir`) is back.
fn repair(parent: &Path, name: &str, dir: &Path) -> Vec<String> {
    let mut said = Vec::new();
    let prefix = format!(".{name}.");
    let Ok(entries) = fs::read_dir(parent) else {
        return said;
    };
    let mut leftovers: Vec<(PathBuf, bool, String)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let n = e.file_name().into_string().ok()?;
            let rest = n.strip_prefix(&prefix)?;
            let (old, pid) = match (rest.strip_prefix(NEW), rest.strip_prefix(OLD)) {
                (Some(pid), _) => (false, pid),
                (_, Some(pid)) => (true, pid),
                _ => return None,
            };
            gone(pid).then(|| (e.path(), old, pid.to_string()))
        })
        .collect();
    leftovers.sort();
    if !dir.exists() {
        // Killed between "old aside" and "new into place": the new set was
        // complete (it is renamed only then).
        if let Some((aside, _, pid)) = leftovers.iter().find(|(_, old, _)| *old) {
            let new = leftovers
                .iter()
                .find(|(_, old, p)| !old && p == pid)
                .map(|(p, _, _)| p.clone());
            let back = new.unwrap_or_else(|| aside.clone());
            if fs::rename(&back, dir).is_ok() {
                said.push(format!(
                    "put back {} as {} (a run was killed while swapping its results in)",
                    back.display(),
                    dir.display()
                ));
            }
        }
    }
    for (path, _, _) in leftovers.iter().filter(|(p, _, _)| p.exists()) {
        if dir.is_dir() {
            // What a killed swap had not moved back yet (folders, files the user kept).
            for entry in fs::read_dir(path).into_iter().flatten().flatten() {
                let n = entry.file_name();
                let keep = n
                    .to_str()
                    .is_some_and(|s| !OUTPUT_NAMES.contains(&s) && !stale_temporary(s));
                if keep && !dir.join(&n).exists() {
                    let _ = fs::rename(entry.path(), dir.join(&n));
                }
            }
        }
        if fs::remove_dir_all(path).is_ok() {
            said.push(format!(
                "removed {} (left by a run that was killed)",
                path.display()
            ));
        }
    }
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        if let Some(n) = entry.file_name().to_str()
            && stale_temporary(n)
            && fs::remove_file(entry.path()).is_ok()
        {
            said.push(format!(
                "removed {} (left by a run that was killed)",
                entry.path().display()
            ));
        }
    }
    said
}

/// One file written as a stream: staged under a hidden name next to its
/// target and renamed into place by [`StagedFile::commit`]; dropped
/// uncommitted, it leaves nothing behind. Staged files a killed run left
/// beside the target are removed first.
pub struct StagedFile {
    tmp: PathBuf,
    path: PathBuf,
    file: Option<File>,
}

impl StagedFile {
    /// Starts writing `path`.
    pub fn create(path: &Path) -> Result<Self, WriteError> {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("output");
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        for entry in fs::read_dir(parent.unwrap_or(Path::new(".")))
            .into_iter()
            .flatten()
            .flatten()
        {
            if let Some(n) = entry.file_name().to_str()
                && n.starts_with(&format!(".{name}.tmp-"))
                && stale_temporary(n)
            {
                let _ = fs::remove_file(entry.path());
            }
        }
        let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
        let file = File::create(&tmp).map_err(|source| WriteError {
            path: tmp.clone(),
            source,
        })?;
        Ok(Self {
            tmp,
            path: path.to_path_buf(),
            file: Some(file),
        })
    }

    /// Where to write.
    pub fn file(&self) -> &File {
        self.file.as_ref().expect("open until committed")
    }

    /// Flushes and renames the file into place; returns its path.
    pub fn commit(mut self) -> Result<PathBuf, WriteError> {
        let file = self.file.take().expect("open until committed");
        let err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| WriteError { path, source }
        };
        file.sync_all().map_err(err(&self.tmp))?;
        drop(file);
        fs::rename(&self.tmp, &self.path).map_err(err(&self.path))?;
        Ok(self.path.clone())
    }
}

impl Drop for StagedFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut n: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        n.sort();
        n
    }

    fn scratch(tag: &str) -> PathBuf {
        let root = std::env::temp_dir().join(format!("kefusim-files-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).unwrap();
        root
    }

    #[test]
    fn writes_all_files_and_leaves_no_temporaries() {
        let root = scratch("all");
        let dir = root.join("out");
        let w = write_atomically(&dir, &[("a.txt", "A"), ("b.txt", "B")], Replace::Set).unwrap();
        assert_eq!(w.paths.len(), 2);
        assert_eq!(fs::read_to_string(dir.join("b.txt")).unwrap(), "B");
        assert_eq!(names(&root), ["out"]);
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_failure_replaces_nothing() {
        let root = scratch("fail");
        let dir = root.join("out");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("a.txt"), "old").unwrap();
        // A name that cannot be a file: the set fails while staging.
        assert!(
            write_atomically(&dir, &[("a.txt", "new"), ("x/y.txt", "B")], Replace::Set).is_err()
        );
        assert_eq!(fs::read_to_string(dir.join("a.txt")).unwrap(), "old");
        assert_eq!(names(&root), ["out"], "no staging left");
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_complete_set_drops_outputs_it_does_not_write_and_keeps_the_users_files() {
        let root = scratch("set");
        let dir = root.join("out");
        fs::create_dir_all(dir.join("notes")).unwrap();
        fs::write(dir.join("report.html"), "old run's report").unwrap();
        fs::write(dir.join("summary.json"), "old").unwrap();
        fs::write(dir.join("README.md"), "mine").unwrap();
        fs::write(dir.join("notes/n.txt"), "mine too").unwrap();
        write_atomically(&dir, &[("summary.json", "new")], Replace::Set).unwrap();
        assert_eq!(names(&dir), ["README.md", "notes", "summary.json"]);
        assert_eq!(
            fs::read_to_string(dir.join("notes/n.txt")).unwrap(),
            "mine too"
        );
        // Redrawing only some files keeps the rest.
        write_atomically(&dir, &[("report.html", "redrawn")], Replace::Files).unwrap();
        assert_eq!(
            names(&dir),
            ["README.md", "notes", "report.html", "summary.json"]
        );
        assert_eq!(names(&root), ["out"]);
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn leftovers_of_a_killed_run_are_repaired_by_the_next_write() {
        let root = scratch("repair");
        let dir = root.join("out");
        // Killed between renaming the old set aside and the new one in:
        // the complete new set is put back in place.
        let dead = "999999999";
        let aside = root.join(format!(".out.{OLD}{dead}"));
        let new = root.join(format!(".out.{NEW}{dead}"));
        fs::create_dir_all(&aside).unwrap();
        fs::create_dir_all(&new).unwrap();
        fs::write(aside.join("summary.json"), "old").unwrap();
        fs::write(new.join("summary.json"), "new").unwrap();
        let w = write_atomically(&root.join("other"), &[("x", "1")], Replace::Set).unwrap();
        assert!(
            w.repaired.is_empty(),
            "another directory's leftovers are not touched"
        );
        let w = write_atomically(&dir, &[("timeseries.csv", "t")], Replace::Files).unwrap();
        assert_eq!(w.repaired.len(), 2, "{:?}", w.repaired);
        assert_eq!(fs::read_to_string(dir.join("summary.json")).unwrap(), "new");
        assert_eq!(names(&root), ["other", "out"]);
        // A stale staged file of an older kefusim inside the directory.
        fs::write(dir.join(format!(".summary.json.tmp-{dead}")), "half").unwrap();
        let w = write_atomically(&dir, &[("summary.json", "newer")], Replace::Set).unwrap();
        assert_eq!(w.repaired.len(), 1);
        assert_eq!(names(&dir), ["summary.json"]);
        fs::remove_dir_all(&root).unwrap();
    }
}
