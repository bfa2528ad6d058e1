//! All-or-nothing writing of a set of files into a directory.

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

/// Writes every `(name, contents)` into `dir` (created if missing): all are
/// staged as hidden temporary files first and renamed into place only once
/// every one is written and flushed, so a failure leaves the old files as they were.
pub fn write_atomically<N: AsRef<str>, C: AsRef<[u8]>>(
    dir: &Path,
    files: &[(N, C)],
) -> Result<Vec<PathBuf>, WriteError> {
    let err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| WriteError { path, source }
    };
    fs::create_dir_all(dir).map_err(err(dir))?;
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
    let result = (|| {
        for (name, contents) in files {
            let name = name.as_ref();
            let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
            let target = dir.join(name);
            staged.push((tmp.clone(), target));
            let mut f = File::create(&tmp).map_err(err(&tmp))?;
            f.write_all(contents.as_ref()).map_err(err(&tmp))?;
            f.sync_all().map_err(err(&tmp))?;
        }
        for (_, target) in &staged {
            if target.is_dir() {
                let source = std::io::Error::new(
                    std::io::ErrorKind::IsADirectory,
                    "a directory is in the way",
                );
                return Err(WriteError {
                    path: target.clone(),
                    source,
                });
            }
        }
        for (tmp, target) in &staged {
            fs::rename(tmp, target).map_err(err(target))?;
        }
        Ok(staged.iter().map(|(_, t)| t.clone()).collect())
    })();
    if result.is_err() {
        for (tmp, _) in &staged {
            let _ = fs::remove_file(tmp);
        }
    }
    result
}

/// One file written as a stream: staged under a hidden name next to its
/// target and renamed into place by [`StagedFile::commit`]; dropped
/// uncommitted, it leaves nothing behind.
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

    #[test]
    fn writes_all_files_and_leaves_no_temporaries() {
        let dir = std::env::temp_dir().join(format!("kefusim-files-{}", std::process::id()));
        let written = write_atomically(&dir, &[("a.txt", "A"), ("b.txt", "B")]).unwrap();
        assert_eq!(written.len(), 2);
        assert_eq!(fs::read_to_string(dir.join("b.txt")).unwrap(), "B");
        let names: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(names.iter().all(|n| !n.contains(".tmp-")), "{names:?}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_failure_replaces_nothing() {
        let dir = std::env::temp_dir().join(format!("kefusim-files-fail-{}", std::process::id()));
        fs::create_dir_all(dir.join("b.txt")).unwrap(); // a directory where a file should go
        fs::write(dir.join("a.txt"), "old").unwrap();
        assert!(write_atomically(&dir, &[("a.txt", "new"), ("b.txt", "B")]).is_err());
        assert_eq!(fs::read_to_string(dir.join("a.txt")).unwrap(), "old");
        fs::remove_dir_all(&dir).unwrap();
    }
}
