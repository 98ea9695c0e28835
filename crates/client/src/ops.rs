//! Typed wrappers for the one-request operations: session, listing, metadata, quota, uploads.

use ferry_core::model::{Entry, Listing, QuotaInfo, SearchPage, UploadInfo};
use ferry_core::{CreateOptions, HomePath, ShareInfo};
use ferry_proto::message::{
    CwdReply, EmptyReply, EntryReply, Request, ShareReply, SharesReply, UploadReply, UploadsReply,
};

use super::{Client, ClientError};

/// How many entries to ask for per `ls` page; the server may cap it lower.
const LS_PAGE: u32 = 1000;

impl Client {
    /// Asks the server for the current folder.
    pub async fn pwd(&mut self) -> Result<HomePath, ClientError> {
        self.change_cwd(Request::Pwd).await
    }

    /// Changes the current folder.
    pub async fn cd(&mut self, path: &str) -> Result<HomePath, ClientError> {
        let request = Request::Cd {
            path: path.to_string(),
        };
        self.change_cwd(request).await
    }

    /// One page of a folder listing, starting after `after`.
    pub async fn ls_page(
        &mut self,
        path: Option<&str>,
        after: Option<String>,
    ) -> Result<Listing, ClientError> {
        let request = Request::Ls {
            path: path.map(str::to_string),
            after,
            limit: Some(LS_PAGE),
        };
        self.call(request).await
    }

    /// A whole folder listing: every page, concatenated; `next` is always `None`.
    pub async fn ls(&mut self, path: Option<&str>) -> Result<Listing, ClientError> {
        let mut listing = self.ls_page(path, None).await?;
        // Later pages use the absolute path the first page reported, so every page lists the
        // same folder whatever the request's spelling.
        let folder = listing.path.to_string();
        while let Some(after) = listing.next.take() {
            let page = self.ls_page(Some(&folder), Some(after)).await?;
            listing.entries.extend(page.entries);
            listing.next = page.next;
        }
        Ok(listing)
    }

    /// Metadata of one entry.
    pub async fn stat(&mut self, path: &str) -> Result<Entry, ClientError> {
        let request = Request::Stat {
            path: path.to_string(),
            digest: false,
        };
        self.entry(request).await
    }

    /// Metadata of one file including its MD5, which the server computes if it does not know
    /// it yet (reading the file once); `size` only scales how long to wait for that.
    pub async fn stat_digest(&mut self, path: &str, size: u64) -> Result<Entry, ClientError> {
        let request = Request::Stat {
            path: path.to_string(),
            digest: true,
        };
        let wait = self.wait_for_bytes(size);
        Ok(self.call_within::<EntryReply>(request, wait).await?.entry)
    }

    /// Metadata of one entry, or `None` if nothing is there.
    pub async fn try_stat(&mut self, path: &str) -> Result<Option<Entry>, ClientError> {
        match self.stat(path).await {
            Ok(entry) => Ok(Some(entry)),
            Err(e) if e.code() == "not_found" => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates a folder (and, with `parents`, its missing parents).
    pub async fn mkdir(&mut self, path: &str, parents: bool) -> Result<Entry, ClientError> {
        let request = Request::Mkdir {
            path: path.to_string(),
            parents,
        };
        self.entry(request).await
    }

    /// Removes a file, or a folder with `recursive`.
    pub async fn rm(&mut self, path: &str, recursive: bool) -> Result<(), ClientError> {
        let request = Request::Rm {
            path: path.to_string(),
            recursive,
        };
        self.call::<EmptyReply>(request).await.map(drop)
    }

    /// Changes the logged-in user's own password from the one this client logged in with to
    /// `new` (every bearer token of the account is revoked; this connection stays logged in,
    /// and a reconnect uses the new password).
    pub async fn passwd(&mut self, new: &str) -> Result<(), ClientError> {
        let Some((user, current)) = self.credentials.clone() else {
            return Err(ClientError::Refused {
                code: "not_authenticated",
                message: "log in first".into(),
            });
        };
        let request = Request::Passwd {
            current_password: current,
            new_password: new.to_string(),
        };
        self.call::<EmptyReply>(request).await?;
        self.credentials = Some((user, new.to_string()));
        Ok(())
    }

    /// Shares a file or folder as a link (`/s/ID` on the server's HTTP door).
    pub async fn share(
        &mut self,
        path: &str,
        expires: Option<String>,
        password: Option<String>,
        max_downloads: Option<u64>,
        upload: bool,
    ) -> Result<ShareInfo, ClientError> {
        let request = Request::ShareCreate {
            path: path.to_string(),
            expires,
            password,
            max_downloads,
            upload,
        };
        Ok(self.call::<ShareReply>(request).await?.share)
    }

    /// The user's share links, newest first.
    pub async fn shares(&mut self) -> Result<Vec<ShareInfo>, ClientError> {
        Ok(self.call::<SharesReply>(Request::ShareList).await?.shares)
    }

    /// Revokes one of the user's share links.
    pub async fn unshare(&mut self, id: &str) -> Result<(), ClientError> {
        let request = Request::ShareRevoke { id: id.to_string() };
        self.call::<EmptyReply>(request).await.map(drop)
    }

    /// Moves or renames an entry.
    pub async fn mv(
        &mut self,
        from: &str,
        to: &str,
        overwrite: bool,
    ) -> Result<Entry, ClientError> {
        let request = Request::Mv {
            from: from.to_string(),
            to: to.to_string(),
            overwrite,
        };
        self.entry(request).await
    }

    /// One page of the entries below `path` (the current folder when `None`) whose name
    /// contains `pattern`, ignoring case; pass the page's `next` as `cursor` for the next.
    pub async fn find_page(
        &mut self,
        pattern: &str,
        path: Option<&str>,
        cursor: Option<String>,
    ) -> Result<SearchPage, ClientError> {
        let request = Request::Find {
            pattern: pattern.to_string(),
            path: path.map(str::to_string),
            cursor,
            limit: None,
        };
        self.call(request).await
    }

    /// Bytes used, reserved and allowed.
    pub async fn quota(&mut self) -> Result<QuotaInfo, ClientError> {
        self.call(Request::Quota).await
    }

    /// This user's unfinished uploads.
    pub async fn upload_list(&mut self) -> Result<Vec<UploadInfo>, ClientError> {
        Ok(self
            .call::<UploadsReply>(Request::UploadList)
            .await?
            .uploads)
    }

    /// One upload's state; its `offset` is where to resume.
    pub async fn upload_status(&mut self, id: &str) -> Result<UploadInfo, ClientError> {
        let request = Request::UploadStatus { id: id.to_string() };
        Ok(self.call::<UploadReply>(request).await?.upload)
    }

    /// Starts an upload of `size` bytes to `path`; `options` say whether a file there is
    /// replaced at the end and whether missing parent folders are created.
    pub async fn upload_create(
        &mut self,
        path: &HomePath,
        size: u64,
        md5: Option<String>,
        options: CreateOptions,
    ) -> Result<UploadInfo, ClientError> {
        let CreateOptions { overwrite, parents } = options;
        let request = Request::UploadCreate {
            path: path.to_string(),
            size,
            md5,
            overwrite,
            parents,
        };
        Ok(self.call::<UploadReply>(request).await?.upload)
    }

    /// Verifies and commits an upload; `size` only scales how long to wait for the server.
    pub async fn upload_finish(
        &mut self,
        id: &str,
        md5: Option<String>,
        size: u64,
    ) -> Result<Entry, ClientError> {
        let request = Request::UploadFinish {
            id: id.to_string(),
            md5,
        };
        let wait = self.wait_for_bytes(size);
        Ok(self.call_within::<EntryReply>(request, wait).await?.entry)
    }

    /// Abandons an upload and releases its reservation.
    pub async fn upload_cancel(&mut self, id: &str) -> Result<(), ClientError> {
        let request = Request::UploadCancel { id: id.to_string() };
        self.call::<EmptyReply>(request).await.map(drop)
    }

    /// Sends `pwd` or `cd` and remembers the folder the server reports.
    async fn change_cwd(&mut self, request: Request) -> Result<HomePath, ClientError> {
        let cwd = self.call::<CwdReply>(request).await?.cwd;
        self.set_cwd(cwd.clone());
        Ok(cwd)
    }

    /// Sends a request answered by one entry.
    async fn entry(&mut self, request: Request) -> Result<Entry, ClientError> {
        Ok(self.call::<EntryReply>(request).await?.entry)
    }
}
