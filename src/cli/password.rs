//! Where the password comes from: the environment, the terminal, or one line of stdin.

use std::io::IsTerminal;

use ferry_client::ClientError;

/// Environment variable holding the password, for scripts.
pub const PASSWORD_ENV: &str = "FERRY_PASSWORD";

/// The password for `user` at `server`: `FERRY_PASSWORD` if set; else asked for on the terminal
/// without echo; else, when standard input is not a terminal, its first line.
pub async fn read_password(user: &str, server: &str) -> Result<String, ClientError> {
    if let Ok(password) = std::env::var(PASSWORD_ENV) {
        return Ok(password);
    }
    let prompt = format!("Password for {user}@{server}: ");
    let read = tokio::task::spawn_blocking(move || {
        if std::io::stdin().is_terminal() {
            rpassword::prompt_password(prompt)
        } else {
            // Through std's shared stdin buffer, so the shell reading on sees the next line.
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            Ok(line.trim_end_matches(['\r', '\n']).to_string())
        }
    })
    .await
    .map_err(|e| ClientError::Io {
        context: "cannot read the password".into(),
        source: std::io::Error::other(e),
    })?;
    read.map_err(|source| ClientError::Io {
        context: "cannot read the password".into(),
        source,
    })
}

/// A new password (`ferry passwd`, `ferry share --password`), called `what` in the prompts:
/// asked for twice without echo on a terminal, else the next line of standard input.
pub async fn read_new_password(what: &'static str) -> Result<String, ClientError> {
    let read = tokio::task::spawn_blocking(move || {
        if std::io::stdin().is_terminal() {
            let first = rpassword::prompt_password(format!("{what}: "))?;
            let again = rpassword::prompt_password(format!("{what} again: "))?;
            if first != again {
                return Err(std::io::Error::other("the passwords differ"));
            }
            Ok(first)
        } else {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            Ok(line.trim_end_matches(['\r', '\n']).to_string())
        }
    })
    .await
    .map_err(|e| ClientError::Io {
        context: format!("cannot read the {}", what.to_lowercase()),
        source: std::io::Error::other(e),
    })?;
    read.map_err(|source| ClientError::Io {
        context: format!("cannot read the {}", what.to_lowercase()),
        source,
    })
}
