//! Typed wrappers for the one-request operations: session, listing, metadata, quota, uploads.

use ferry_core::HomePath;
use ferry_core::model::{Entry, Listing, QuotaInfo, UploadInfo};
use ferry_proto::message::{Request, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::{Client, ClientError};

/// How many entries to ask for per `ls` page; the server may cap it lower.
const LS_PAGE: u32 = 1000;

#[derive(Deserialize)]
struct CwdBody {
    cwd: HomePath,
}

#[derive(Deserialize)]
struct EntryBody {
    entry: Entry,
}

#[derive(Deserialize)]
struct UploadBody {
    upload: UploadInfo,
}

#[derive(Deserialize)]
struct UploadsBody {
    uploads: Vec<UploadInfo>,
}

impl Client {
    /// Asks the server for the current folder.
    pub async fn pwd(&mut self) -> Result<HomePath, ClientError> {
        let body: CwdBody = parse(self.request(Request::Pwd).await?)?;
        self.set_cwd(body.cwd.clone());
        Ok(body.cwd)
    }

    /// Changes the current folder.
    pub async fn cd(&mut self, path: &str) -> Result<HomePath, ClientError> {
        let request = Request::Cd {
            path: path.to_string(),
        };
        let body: CwdBody = parse(self.request(request).await?)?;
        self.set_cwd(body.cwd.clone());
        Ok(body.cwd)
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
        parse(self.request(request).await?)
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
        Ok(parse::<EntryBody>(self.request(request).await?)?.entry)
    }

    /// Metadata of one file including its MD5, which the server computes if it does not know
    /// it yet (reading the file once); `size` only scales how long to wait for that.
    pub async fn stat_digest(&mut self, path: &str, size: u64) -> Result<Entry, ClientError> {
        let request = Request::Stat {
            path: path.to_string(),
            digest: true,
        };
        let wait = self.wait_for_bytes(size);
        Ok(parse::<EntryBody>(self.request_within(request, wait).await?)?.entry)
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
        Ok(parse::<EntryBody>(self.request(request).await?)?.entry)
    }

    /// Removes a file, or a folder with `recursive`.
    pub async fn rm(&mut self, path: &str, recursive: bool) -> Result<(), ClientError> {
        let request = Request::Rm {
            path: path.to_string(),
            recursive,
        };
        self.request(request).await.map(drop)
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
        Ok(parse::<EntryBody>(self.request(request).await?)?.entry)
    }

    /// Bytes used, reserved and allowed.
    pub async fn quota(&mut self) -> Result<QuotaInfo, ClientError> {
        parse(self.request(Request::Quota).await?)
    }

    /// This user's unfinished uploads.
    pub async fn upload_list(&mut self) -> Result<Vec<UploadInfo>, ClientError> {
        Ok(parse::<UploadsBody>(self.request(Request::UploadList).await?)?.uploads)
    }

    /// One upload's state; its `offset` is where to resume.
    pub async fn upload_status(&mut self, id: &str) -> Result<UploadInfo, ClientError> {
        let request = Request::UploadStatus { id: id.to_string() };
        Ok(parse::<UploadBody>(self.request(request).await?)?.upload)
    }

    /// Starts an upload of `size` bytes to `path`.
    pub async fn upload_create(
        &mut self,
        path: &HomePath,
        size: u64,
        md5: Option<String>,
        overwrite: bool,
    ) -> Result<UploadInfo, ClientError> {
        let request = Request::UploadCreate {
            path: path.to_string(),
            size,
            md5,
            overwrite,
        };
        Ok(parse::<UploadBody>(self.request(request).await?)?.upload)
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
        Ok(parse::<EntryBody>(self.request_within(request, wait).await?)?.entry)
    }

    /// Abandons an upload and releases its reservation.
    pub async fn upload_cancel(&mut self, id: &str) -> Result<(), ClientError> {
        let request = Request::UploadCancel { id: id.to_string() };
        self.request(request).await.map(drop)
    }
}

/// The fields of an `ok` response as a result type.
pub(crate) fn parse<T: DeserializeOwned>(response: Response) -> Result<T, ClientError> {
    response
        .parse()
        .map_err(|e| ClientError::protocol(format!("unexpected response fields: {e}")))
}
