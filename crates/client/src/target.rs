//! Where a transfer lands when the user names only one side, or names a folder.

use std::path::{Path, PathBuf};

/// The remote path a `put` of a file called `local_name` writes to.
///
/// No remote means "same name in the current folder"; a remote that is a folder (`remote_is_dir`,
/// learnt from `stat`) or ends in `/` receives the file under its local name.
pub fn remote_target(local_name: &str, remote: Option<&str>, remote_is_dir: bool) -> String {
    match remote {
        None | Some("") => local_name.to_string(),
        Some(r) if r.ends_with('/') => format!("{r}{local_name}"),
        Some(r) if remote_is_dir => format!("{r}/{local_name}"),
        Some(r) => r.to_string(),
    }
}

/// The local path a `get` of a remote file called `remote_name` writes to.
///
/// No local path means "same name in the current directory"; a local directory (existing, or
/// spelled with a trailing separator) receives the file under its remote name.
pub fn local_target(remote_name: &str, local: Option<&Path>, local_is_dir: bool) -> PathBuf {
    match local {
        None => PathBuf::from(remote_name),
        Some(l) if local_is_dir || ends_with_separator(l) => l.join(remote_name),
        Some(l) => l.to_path_buf(),
    }
}

fn ends_with_separator(path: &Path) -> bool {
    path.as_os_str()
        .to_string_lossy()
        .ends_with(std::path::MAIN_SEPARATOR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_without_remote_uses_the_local_name_in_the_current_folder() {
        assert_eq!(remote_target("a.bin", None, false), "a.bin");
        assert_eq!(remote_target("a.bin", Some(""), false), "a.bin");
    }

    #[test]
    fn put_into_a_folder_keeps_the_local_name() {
        assert_eq!(remote_target("a.bin", Some("docs/"), false), "docs/a.bin");
        assert_eq!(remote_target("a.bin", Some("/"), true), "/a.bin");
        assert_eq!(remote_target("a.bin", Some("/docs"), true), "/docs/a.bin");
        assert_eq!(remote_target("a.bin", Some("."), true), "./a.bin");
    }

    #[test]
    fn put_to_a_file_name_uses_it_as_given() {
        assert_eq!(
            remote_target("a.bin", Some("/docs/b.bin"), false),
            "/docs/b.bin"
        );
    }

    #[test]
    fn get_defaults_to_the_remote_name_here_or_inside_a_directory() {
        assert_eq!(local_target("a.bin", None, false), PathBuf::from("a.bin"));
        assert_eq!(
            local_target("a.bin", Some(Path::new("out")), true),
            PathBuf::from("out/a.bin")
        );
        assert_eq!(
            local_target("a.bin", Some(Path::new("out/")), false),
            PathBuf::from("out/a.bin")
        );
        assert_eq!(
            local_target("a.bin", Some(Path::new("b.bin")), false),
            PathBuf::from("b.bin")
        );
    }
}
