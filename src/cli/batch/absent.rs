//! Which upload targets are known to be free, learnt once per batch: one listing per target
//! folder and one list of unfinished uploads, instead of a `stat` and an `upload_list` per
//! file (two of a small file's five round trips). A file whose name is listed, or that an
//! unfinished upload goes to, is asked about as usual (to be left alone, resumed or refused);
//! and if a target was taken meanwhile, the put finds out at `upload_create` and asks then.

use std::collections::{HashMap, HashSet};

use ferry_client::{Client, ClientError};
use ferry_core::HomePath;

use super::plan::Transfer;

/// Marks the uploads in `transfers` whose targets are free. Anything that cannot be learnt
/// leaves the files concerned unmarked (asked about one by one).
pub async fn mark(client: &mut Client, transfers: &mut [Transfer]) -> Result<(), ClientError> {
    let unfinished: HashSet<HomePath> = client
        .upload_list()
        .await?
        .into_iter()
        .map(|u| u.path)
        .collect();
    let mut listed: HashMap<String, Option<HashSet<String>>> = HashMap::new();
    for transfer in transfers.iter_mut() {
        let Transfer::Put {
            local,
            remote,
            absent,
            ..
        } = transfer
        else {
            continue;
        };
        let Some(name) = local.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !(remote.is_empty() || remote.ends_with('/')) {
            continue;
        }
        if !listed.contains_key(remote.as_str()) {
            let names = names_in(client, remote).await?;
            listed.insert(remote.clone(), names);
        }
        let Some(Some(names)) = listed.get(remote.as_str()) else {
            continue;
        };
        let Ok(target) = client.resolve(&format!("{remote}{name}")) else {
            continue;
        };
        *absent = !names.contains(name) && !unfinished.contains(&target);
    }
    Ok(())
}

/// The names in a remote folder (none if it does not exist yet); `None` when it cannot be
/// listed (not a folder, say: the puts will say why).
async fn names_in(
    client: &mut Client,
    folder: &str,
) -> Result<Option<HashSet<String>>, ClientError> {
    let path = if folder.is_empty() { "." } else { folder };
    match client.ls(Some(path)).await {
        Ok(listing) => Ok(Some(listing.entries.into_iter().map(|e| e.name).collect())),
        Err(e) if e.code() == "not_found" => Ok(Some(HashSet::new())),
        Err(ClientError::Server { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}
