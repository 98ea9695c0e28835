//! `--jobs N` workers: one connection each (the protocol answers one request at a time per
//! connection), taking files from one queue until it is empty. Every file is moved by the
//! client's own `put`/`get`, so each one resumes, retries and is MD5-verified as a single
//! transfer is; a failed file is reported and the worker goes on with the next.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Instant;

use ferry_client::{Client, ClientError, GetOptions, PutOptions, file_md5};
use futures::future::join_all;

use super::bars::Bars;
use super::plan::Transfer;
use super::report::{Done, Report};

/// How every file of a batch is moved.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub overwrite: bool,
    /// Let the server create missing remote folders (uploads).
    pub parents: bool,
    pub retries: u32,
    /// Bytes per second for the whole batch, shared evenly by the connections.
    pub limit_rate: Option<u64>,
}

/// The connections of a batch: the caller's, and one more per extra job.
#[derive(Debug)]
pub struct Workers<'c> {
    main: &'c mut Client,
    extra: Vec<Client>,
}

/// What the workers share.
struct Shared<'a> {
    queue: Mutex<VecDeque<Transfer>>,
    report: Mutex<&'a mut Report>,
    bars: Bars,
    options: Options,
    finished: Mutex<u64>,
}

impl<'c> Workers<'c> {
    /// Opens `jobs - 1` more connections like `main` (no more than there are files). One that
    /// cannot be opened only means fewer files in flight.
    pub async fn open(main: &'c mut Client, jobs: u16, files: usize) -> Workers<'c> {
        let wanted = usize::from(jobs).min(files).max(1) - 1;
        let opened = join_all((0..wanted).map(|_| main.sibling())).await;
        let mut extra = Vec::with_capacity(wanted);
        let mut refused = None;
        for result in opened {
            match result {
                Ok(client) => extra.push(client),
                Err(e) => refused = Some(e),
            }
        }
        if let Some(e) = refused {
            eprintln!(
                "warning: {} of {wanted} extra connections could not be opened ({}); going on with fewer",
                wanted - extra.len(),
                super::super::render_error(&e)
            );
        }
        Workers { main, extra }
    }

    /// Moves every file, `1 + extra` at a time, reporting each into `report`.
    pub async fn run(mut self, transfers: Vec<Transfer>, options: Options, report: &mut Report) {
        let bytes = transfers.iter().map(Transfer::size).sum();
        let bars = Bars::new(report.multi(), report.json(), transfers.len() as u64, bytes);
        let connections = 1 + self.extra.len() as u64;
        let per_connection = options.limit_rate.map(|r| (r / connections).max(1));
        let shared = Shared {
            queue: Mutex::new(transfers.into()),
            report: Mutex::new(report),
            bars,
            options,
            finished: Mutex::new(0),
        };
        let mut clients: Vec<&mut Client> = vec![&mut *self.main];
        clients.extend(self.extra.iter_mut());
        for client in &mut clients {
            client.set_rate_limit(per_connection);
        }
        join_all(clients.into_iter().map(|c| worker(c, &shared))).await;
        shared.bars.finish();
        // Files left when every worker lost its connection for good.
        let left: Vec<Transfer> = lock(&shared.queue).drain(..).collect();
        {
            let mut report = lock(&shared.report);
            for t in left {
                report.failed(&t.source(), &ClientError::ConnectionLost(None));
            }
        }
        for extra in self.extra {
            extra.close().await;
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Takes files from the queue until it is empty, or until the connection is lost for good.
async fn worker(client: &mut Client, shared: &Shared<'_>) {
    let bar = shared.bars.worker();
    loop {
        let Some(transfer) = lock(&shared.queue).pop_front() else {
            break;
        };
        let started = Instant::now();
        let mut progress = shared.bars.file(&bar, transfer.source());
        let result = one(client, &transfer, shared.options, &mut progress).await;
        let counted = progress.counted;
        match result {
            Ok(mut done) => {
                progress.count(done.size);
                done.took = started.elapsed();
                lock(&shared.report).done(&done);
            }
            Err(e) => {
                shared.bars.drop_file(transfer.size(), counted);
                lock(&shared.report).failed(&transfer.source(), &e);
                if is_broken(&e) && client.reconnect().await.is_err() {
                    break;
                }
            }
        }
        let mut finished = lock(&shared.finished);
        *finished += 1;
        shared.bars.files_done(*finished);
    }
    bar.finish_and_clear();
}

/// Whether a failure may have left the connection unusable, so that the next file needs a
/// fresh one.
fn is_broken(e: &ClientError) -> bool {
    matches!(
        e.code(),
        "connection_lost"
            | "connect_failed"
            | "timeout"
            | "shutting_down"
            | "protocol_error"
            | "chunk_checksum_mismatch"
    )
}

/// Moves one file.
async fn one(
    client: &mut Client,
    transfer: &Transfer,
    options: Options,
    progress: &mut super::bars::FileProgress<'_>,
) -> Result<Done, ClientError> {
    let took = Default::default();
    match transfer {
        Transfer::Put {
            local,
            remote,
            size: _,
            absent,
        } => {
            let put = PutOptions {
                overwrite: options.overwrite,
                retries: options.retries,
                parents: options.parents,
                assume_absent: *absent,
            };
            let done = client.put(local, Some(remote), put, progress).await?;
            Ok(Done {
                from: local.display().to_string(),
                to: done.entry.path.to_string(),
                size: done.size,
                moved: done.sent,
                md5: done.md5,
                up_to_date: done.up_to_date,
                took,
            })
        }
        Transfer::Get {
            remote,
            local,
            size,
            md5,
        } => {
            if !options.overwrite
                && let Some(md5) = md5
                && up_to_date(local, *size, md5).await
            {
                return Ok(Done {
                    from: remote.clone(),
                    to: local.display().to_string(),
                    size: *size,
                    moved: 0,
                    md5: md5.clone(),
                    up_to_date: true,
                    took,
                });
            }
            let get = GetOptions {
                overwrite: options.overwrite,
                retries: options.retries,
            };
            let done = client.get(remote, Some(local), get, progress).await?;
            Ok(Done {
                from: done.remote.to_string(),
                to: done.local.display().to_string(),
                size: done.size,
                moved: done.received,
                md5: done.md5,
                up_to_date: false,
                took,
            })
        }
    }
}

/// Whether the local file already holds the remote content (same size, same MD5).
async fn up_to_date(local: &std::path::Path, size: u64, md5: &str) -> bool {
    match tokio::fs::metadata(local).await {
        Ok(meta) if meta.is_file() && meta.len() == size => {
            file_md5(local).await.is_ok_and(|ours| ours == md5)
        }
        _ => false,
    }
}
