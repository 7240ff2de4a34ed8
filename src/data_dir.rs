//! One instance per data folder: `serve` and `reindex` hold an exclusive lock on
//! `<data_dir>/qianxian.lock` for as long as they run. The operating system releases it when
//! the process ends, however it ends, so a killed service never leaves a stale lock behind.
//!
//! Commands that may run beside a service (`import`, `sync`, `seed`, `expire`) write the
//! database and its outbox only; they index what they wrote themselves when nobody holds the
//! lock, and otherwise leave it to the running service ([`DataDirLock::try_acquire`]).

use anyhow::Context;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The lock on a data folder, held until dropped.
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
    path: PathBuf,
}

/// Who holds a data folder: what the holder wrote into the lock file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder(pub String);

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            f.write_str("另一个 qianxian 进程")
        } else {
            f.write_str(&self.0)
        }
    }
}

impl DataDirLock {
    /// Takes the folder for `command` (creating it), or refuses with a message that names the
    /// folder and the process holding it.
    pub fn acquire(dir: &Path, command: &str) -> anyhow::Result<DataDirLock> {
        Self::try_acquire(dir, command)?.map_err(|holder| {
            anyhow::anyhow!(
                "数据目录 {} 正在被使用：{holder}。\n同一个数据目录只能运行一个 serve 或 reindex；\
                 请先停止那个进程，或用另一个 data_dir（QIANXIAN__DATA_DIR）启动。",
                dir.display()
            )
        })
    }

    /// Takes the folder if it is free; `Err(holder)` inside when another process has it.
    pub fn try_acquire(dir: &Path, command: &str) -> anyhow::Result<Result<DataDirLock, Holder>> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("无法创建数据目录 {}（检查路径和写权限）", dir.display()))?;
        let path = dir.join("qianxian.lock");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("无法打开锁文件 {}（检查写权限）", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                file.read_to_string(&mut holder).ok();
                return Ok(Err(Holder(holder.trim().to_owned())));
            }
            Err(TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("无法锁定 {}", path.display()));
            }
        }
        let holder = format!(
            "进程 {}（qianxian {command}，{} 启动）",
            std::process::id(),
            chrono::Local::now().format("%Y-%m-%d %H:%M:%S")
        );
        file.set_len(0)?;
        file.rewind()?;
        file.write_all(holder.as_bytes())?;
        file.flush()?;
        Ok(Ok(DataDirLock { _file: file, path }))
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_with_the_folder_and_the_first_holder() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = DataDirLock::acquire(dir.path(), "serve").expect("free");
        let refusal = DataDirLock::acquire(dir.path(), "reindex")
            .expect_err("held")
            .to_string();
        assert!(
            refusal.contains(&dir.path().display().to_string())
                && refusal.contains(&format!("进程 {}", std::process::id()))
                && refusal.contains("qianxian serve"),
            "{refusal}"
        );
        assert!(matches!(
            DataDirLock::try_acquire(dir.path(), "import"),
            Ok(Err(Holder(h))) if h.contains("serve")
        ));
        drop(first);
        let again = DataDirLock::acquire(dir.path(), "reindex").expect("free again");
        assert!(again.path().ends_with("qianxian.lock"));
    }
}
