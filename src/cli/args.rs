//! The client's command-line arguments: connection options and the file commands.
//!
//! ~310 lines, kept in one file on purpose: it is one clap enum whose doc comments are the
//! `--help` text of every client command, read best side by side; the code that runs each
//! command lives in `commands.rs`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// Where and as whom to connect: options of the client commands, also accepted before the
/// command (see the binary's `args` module).
#[derive(Debug, Clone, Args)]
pub struct ConnArgs {
    /// Server address; `ferrys://HOST:PORT` connects over TLS (as `--tls` does).
    #[arg(
        long,
        env = "FERRY_SERVER",
        default_value = "127.0.0.1:7070",
        value_name = "HOST:PORT"
    )]
    pub server: String,
    /// Speak TLS to the server, checking its certificate against the web PKI roots unless
    /// `--ca` or `--fingerprint` says otherwise.
    #[arg(long, env = "FERRY_TLS", value_parser = clap::builder::BoolishValueParser::new(), action = clap::ArgAction::SetTrue)]
    pub tls: bool,
    /// Trust the CA certificates in this PEM file instead of the web PKI roots (implies
    /// `--tls`).
    #[arg(long, env = "FERRY_CA", value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// Trust exactly the server certificate with this SHA-256 fingerprint (hex, colons
    /// optional; implies `--tls`), e.g. the one `ferry serve --tls-self-signed` prints.
    #[arg(
        long,
        env = "FERRY_FINGERPRINT",
        value_name = "SHA256",
        conflicts_with = "ca"
    )]
    pub fingerprint: Option<String>,
    /// User to log in as; the password comes from FERRY_PASSWORD or is asked for.
    ///
    /// Without FERRY_PASSWORD the password is asked for on the terminal, or, when standard
    /// input is not a terminal, read as its first line.
    #[arg(long, env = "FERRY_USER", default_value = "admin", value_name = "NAME")]
    pub user: String,
    /// Seconds to wait for the server (connecting, and each answer) before giving up
    /// [default: 30]. For `exec` it is the remote command's time limit instead.
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
}

impl ConnArgs {
    /// Seconds to wait for the server when `--timeout` is not given.
    pub const DEFAULT_TIMEOUT: u64 = 30;

    /// The `--server` scheme for TLS.
    pub const TLS_SCHEME: &str = "ferrys://";

    /// The address to connect to, without a `ferrys://` (or `ferry://`) prefix.
    pub fn address(&self) -> &str {
        let s = self.server.as_str();
        s.strip_prefix(Self::TLS_SCHEME)
            .or_else(|| s.strip_prefix("ferry://"))
            .unwrap_or(s)
    }

    /// Whether to speak TLS: asked for by flag, environment, scheme, `--ca` or `--fingerprint`.
    pub fn wants_tls(&self) -> bool {
        self.tls
            || self.ca.is_some()
            || self.fingerprint.is_some()
            || self.server.starts_with(Self::TLS_SCHEME)
    }

    /// How the server's certificate is checked, or `None` for plain TCP.
    pub fn tls_client(&self) -> Result<Option<ferry_client::TlsClient>, ferry_client::ClientError> {
        use ferry_client::TlsClient;
        if !self.wants_tls() {
            return Ok(None);
        }
        let tls = match (&self.fingerprint, &self.ca) {
            (Some(pin), _) => TlsClient::pinned(pin)?,
            (None, Some(ca)) => TlsClient::with_ca_file(ca)?,
            (None, None) => TlsClient::webpki()?,
        };
        Ok(Some(tls))
    }
}

/// How a transfer treats its connection: the options `put` and `get` share.
#[derive(Debug, Clone, Args)]
pub struct LinkOptions {
    /// Reconnect-and-resume attempts if the connection drops.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub retries: u32,
    /// Limit the transfer to RATE bytes per second (e.g. `500KiB`, `20MiB`).
    #[arg(long, value_name = "RATE", value_parser = super::size::parse_size)]
    pub limit_rate: Option<u64>,
}

/// What `put` and `get` take beyond the files: folders, parallelism, output for scripts.
#[derive(Debug, Clone, Args)]
pub struct BatchOptions {
    /// Send or fetch folders and everything in them (structure kept; symbolic links are
    /// followed only inside the folder, special files skipped with a warning).
    #[arg(short, long)]
    pub recursive: bool,
    /// Files in flight at once when there are several, each on its own connection.
    #[arg(short, long, default_value_t = 4, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
    /// Print one JSON object per file and a summary object, one per line, instead of text.
    #[arg(long)]
    pub json: bool,
}

// The arguments of `put`; the command's help is on its `ClientCommand` variant.
#[derive(Debug, Clone, Args)]
pub struct PutArgs {
    /// Local files or folders to send, then the remote file or folder they go to.
    #[arg(required = true, value_name = "SRC… [DEST]")]
    pub paths: Vec<PathBuf>,
    /// Replace a different remote file that is already there.
    #[arg(long)]
    pub overwrite: bool,
    /// Refuse to create missing remote folders above DEST (uploads create them by default,
    /// as `mkdir -p`).
    #[arg(long)]
    pub no_parents: bool,
    #[command(flatten)]
    pub batch: BatchOptions,
    #[command(flatten)]
    pub link: LinkOptions,
}

// The arguments of `get`; the command's help is on its `ClientCommand` variant.
#[derive(Debug, Clone, Args)]
pub struct GetArgs {
    /// Remote files or folders to fetch, then the local file or directory they go to.
    #[arg(required = true, value_name = "SRC… [DEST]")]
    pub paths: Vec<String>,
    /// Replace an existing local file.
    #[arg(long)]
    pub overwrite: bool,
    #[command(flatten)]
    pub batch: BatchOptions,
    #[command(flatten)]
    pub link: LinkOptions,
}

// The arguments of `share`; the command's help is on its `ClientCommand` variant.
#[derive(Debug, Clone, Args)]
pub struct ShareArgs {
    /// Remote file or folder.
    pub path: String,
    /// How long the link works: `30m`, `12h`, `7d`, `2w` (until revoked when absent).
    #[arg(long, value_name = "LIFETIME")]
    pub expires: Option<String>,
    /// Ask for a password the link will need (twice on a terminal, else the next line of
    /// standard input).
    #[arg(long)]
    pub password: bool,
    /// How many downloads the link allows.
    #[arg(long, value_name = "N")]
    pub max_downloads: Option<u64>,
    /// A folder link that also takes uploads into the folder (a drop box), counted against
    /// your quota.
    #[arg(long)]
    pub upload: bool,
    /// The server's HTTP address, to print the whole link (e.g. `https://files.example`).
    #[arg(long, env = "FERRY_HTTP_URL", value_name = "URL")]
    pub base: Option<String>,
}

/// The file commands of the client, run against a server.
#[derive(Debug, Clone, Subcommand)]
pub enum ClientCommand {
    /// Upload files or folders (as scp does), resuming interrupted uploads; an identical
    /// remote file is left alone.
    ///
    /// With one SRC, DEST defaults to the current remote folder and may name the file itself.
    /// An existing folder, or a DEST ending in `/`, receives each SRC under its local name
    /// (missing folders are created unless --no-parents); several SRCs need such a folder.
    /// With -r a folder SRC is sent whole; a DEST that does not exist becomes its copy.
    ///
    /// Prints one line per file, and a summary (files, bytes, skipped, failed) when there are
    /// several; exits 1 if any file failed.
    #[command(
        after_help = "Examples:\n  ferry put movie.mkv /videos/\n  ferry put *.jpg /photos/2026/\n  ferry put -r --jobs 8 photos /backup/"
    )]
    Put(PutArgs),
    /// Download files or folders (as scp does) via NAME.part, resuming them, each MD5-checked.
    ///
    /// With one SRC, DEST defaults to the current directory and may name the file itself. An
    /// existing directory, or a DEST ending in `/` (created if missing), receives each SRC
    /// under its remote name; several SRCs need such a directory. With -r a remote folder is
    /// fetched whole; a DEST that does not exist becomes its copy. A local file that already
    /// holds the remote content is left alone.
    ///
    /// Prints one line per file, and a summary when there are several; exits 1 if any failed.
    Get(GetArgs),
    /// List a remote folder (the current one by default): kind, size, modified (UTC), name.
    #[command(disable_help_flag = true)]
    Ls {
        /// Remote folder.
        path: Option<String>,
        /// Long listing: kind, size, modified (UTC) and name in aligned columns (the default).
        #[arg(short, long)]
        long: bool,
        /// Sizes in human units (KiB, MiB…), the default.
        #[arg(short = 'h', long, conflicts_with = "bytes")]
        human: bool,
        /// Sizes as exact byte counts.
        #[arg(long)]
        bytes: bool,
        /// Print one JSON document `{"path":…,"entries":[…]}` instead of a table.
        #[arg(long)]
        json: bool,
        /// Print help (`-h` is --human here, as in ls).
        #[arg(long, action = clap::ArgAction::Help)]
        help: Option<bool>,
    },
    /// Find files and folders by name below a remote folder (the current one by default):
    /// every entry whose name contains PATTERN, ignoring case, one path a line (folders end
    /// in `/`). The server searches in bounded steps; this follows them to the end.
    Find {
        /// Part of the name to find.
        pattern: String,
        /// Remote folder to search below.
        path: Option<String>,
        /// Print each match as one JSON entry a line instead.
        #[arg(long)]
        json: bool,
    },
    /// Create a remote folder.
    Mkdir {
        /// Remote folder to create.
        path: String,
        /// Create missing parents too, and accept a folder that already exists.
        #[arg(short, long)]
        parents: bool,
    },
    /// Remove a remote file, or a folder with -r.
    Rm {
        /// Remote file or folder.
        path: String,
        /// Remove a folder and everything in it.
        #[arg(short, long)]
        recursive: bool,
    },
    /// Move or rename a remote file or folder.
    Mv {
        /// Existing remote path.
        from: String,
        /// New remote path.
        to: String,
        /// Replace an existing file at the new path.
        #[arg(long)]
        overwrite: bool,
    },
    /// Show the space used, reserved by unfinished uploads, and allowed.
    Quota {
        /// Print one JSON document `{"used":…,"reserved":…,"limit":…}` instead.
        #[arg(long)]
        json: bool,
    },
    /// Run a command on the server, in the remote current folder, under your exec policy.
    ///
    /// Its stdout and stderr are written to the local stdout and stderr as they arrive, and
    /// `ferry exec` exits with the command's exit status: 128+N when signal N killed it, 124
    /// when it ran past its time limit (as timeout(1)), 126 when the policy refuses it, 127
    /// when the program does not exist, and 125 when Ferry itself failed (connection, login).
    #[command(
        after_help = "Examples:\n  ferry exec -- df -h .\n  ferry exec --timeout 600 -- tar xzf upload.tgz\n  ferry exec --sh 'du -sh * | sort -h'   (shell policy only)"
    )]
    Exec {
        /// The command's wall-clock limit in seconds (the server caps it; its default when
        /// absent). Also how long to wait for the server.
        #[arg(long, value_name = "SECS")]
        timeout: Option<u64>,
        /// Run this command string with `sh -c` (needs the `shell` exec policy).
        #[arg(long, value_name = "COMMAND", conflicts_with = "argv")]
        sh: Option<String>,
        /// The program and its arguments, passed as they are: no shell sees them.
        #[arg(
            value_name = "CMD",
            trailing_var_arg = true,
            allow_hyphen_values = true,
            required_unless_present = "sh"
        )]
        argv: Vec<String>,
    },
    /// Change your own password: the one you log in with now is the current one; the new one
    /// is asked for twice on a terminal, or read as the next line of standard input.
    ///
    /// Every bearer token of the account (web page and API logins) is revoked.
    Passwd,
    /// Share a remote file or folder as a link anyone holding it can open on the server's
    /// HTTP door (`/s/ID`): a file's page and download, or a folder's listing and zip.
    #[command(
        after_help = "Examples:\n  ferry share /docs/report.pdf --expires 7d\n  ferry share /photos --password --max-downloads 10\n  ferry share /inbox --upload   (a drop box)"
    )]
    Share(ShareArgs),
    /// List your share links: id, state, downloads, expiry, path.
    Shares {
        /// Print one JSON document instead.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a share link: it answers "revoked" from now on.
    Unshare {
        /// The link's id (the ID of /s/ID). Ids may begin with `-` (they are base64url).
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
    /// Start an interactive session on one connection (`help` lists its commands).
    Shell,
}
