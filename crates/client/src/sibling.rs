//! [`Client::sibling`]: another connection as the same user in the same folder.
//!
//! The protocol answers one request at a time per connection, so a batch of transfers that
//! wants several files in flight (`ferry put -r --jobs N`) opens one connection per job.

use super::{Client, ClientError};

impl Client {
    /// Opens a new connection to the same server with the same TLS settings and timeout, logs
    /// in as the same user and goes to the same current folder. The rate limit is not copied:
    /// the caller decides how to share it. The login reuses this one's derived keys.
    pub async fn sibling(&self) -> Result<Client, ClientError> {
        let mut other = Client::connect_with(&self.addr, self.tls.clone(), self.timeout).await?;
        other.keys = self.keys.clone();
        if let Some((user, password)) = &self.credentials {
            other.login(user, password).await?;
        }
        if !self.cwd.is_root() {
            other.cd(&self.cwd.to_string()).await?;
        }
        Ok(other)
    }
}
