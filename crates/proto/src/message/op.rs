//! [`Op`]: every operation a request can name, each wire name written once.

/// Declares [`Op`] from one table of `Variant = "wire_name"` rows, so that the enum, its
/// [`Op::ALL`] list and its names cannot drift apart.
macro_rules! ops {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)*) => {
        /// An operation, as named by a request's `"op"` field.
        ///
        /// [`Request`](super::Request) derives the same names from the same variant names
        /// (`snake_case`); a test checks every one against [`Op::as_str`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Op {
            $($(#[$doc])* $variant,)*
        }

        impl Op {
            /// Every operation, in the order of `docs/PROTOCOL.md`.
            pub const ALL: &[Op] = &[$(Op::$variant),*];

            /// The name on the wire (`"ls"`, `"upload_write"`, …).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Op::$variant => $name,)*
                }
            }
        }
    };
}

ops! {
    /// Version handshake.
    Hello = "hello",
    /// SCRAM client-first.
    AuthStart = "auth_start",
    /// SCRAM client-final.
    AuthFinish = "auth_finish",
    /// Current folder.
    Pwd = "pwd",
    /// Change folder.
    Cd = "cd",
    /// List a folder.
    Ls = "ls",
    /// Describe an entry.
    Stat = "stat",
    /// Create a folder.
    Mkdir = "mkdir",
    /// Remove an entry.
    Rm = "rm",
    /// Move or rename.
    Mv = "mv",
    /// Space used and allowed.
    Quota = "quota",
    /// Start an upload.
    UploadCreate = "upload_create",
    /// Unfinished uploads.
    UploadList = "upload_list",
    /// One upload's state.
    UploadStatus = "upload_status",
    /// Append a chunk.
    UploadWrite = "upload_write",
    /// Verify and commit.
    UploadFinish = "upload_finish",
    /// Abandon an upload.
    UploadCancel = "upload_cancel",
    /// Store a whole small file in one frame.
    Put = "put",
    /// Download.
    Get = "get",
    /// Run a command.
    Exec = "exec",
    /// Change one's own password.
    Passwd = "passwd",
    /// Share a file or folder as a link.
    ShareCreate = "share_create",
    /// One's share links.
    ShareList = "share_list",
    /// Revoke a share link.
    ShareRevoke = "share_revoke",
    /// Find entries by name below a folder.
    Find = "find",
    /// Polite close.
    Bye = "bye",
}

impl Op {
    /// The operation called `name`, if there is one.
    pub fn from_name(name: &str) -> Option<Op> {
        Op::ALL.iter().copied().find(|op| op.as_str() == name)
    }
}

impl std::fmt::Display for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
