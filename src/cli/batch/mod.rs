//! Many files at once: `ferry put SRC… DEST`, `ferry get SRC… DEST` and `-r`, as scp does.
//!
//! - `plan`: where each source goes (DEST a folder, a new copy, or one file's new name);
//!   `walk`: the local and remote folder walks, what is skipped and why;
//! - `absent`: which targets are free, learnt once, so their files skip two questions each;
//! - `run`: `--jobs N` workers, each on its own connection, taking files from one queue and
//!   moving each with the client's resumable, MD5-verified `put`/`get`;
//! - `bars`: one overall progress bar and one per file in flight (TTY only);
//! - `report`: one line (or JSON object) per file and the closing summary.
//!
//! A single file without `--json` never comes here: it keeps the one-line output `ferry put
//! FILE [DEST]` has always had.

mod absent;
mod bars;
mod plan;
mod report;
mod run;
mod walk;

use std::time::Instant;

use ferry_client::{Client, ClientError};

use super::args::{GetArgs, PutArgs};
use report::Report;
use run::{Options, Workers};

/// `put` of several files or of folders.
pub async fn put(client: &mut Client, args: PutArgs) -> Result<(), ClientError> {
    let started = Instant::now();
    let mut report = Report::new("put", args.batch.json);
    let mut plan = plan::put(client, &args.paths, args.batch.recursive, &mut report).await?;
    absent::mark(client, &mut plan.transfers).await?;
    plan.make_remote_folders(client, args.no_parents).await?;
    let options = Options {
        overwrite: args.overwrite,
        parents: !args.no_parents,
        retries: args.link.retries,
        limit_rate: args.link.limit_rate,
    };
    let workers = Workers::open(client, args.batch.jobs, plan.transfers.len()).await;
    workers.run(plan.transfers, options, &mut report).await;
    report.finish(started.elapsed())
}

/// `get` of several files or of folders.
pub async fn get(client: &mut Client, args: GetArgs) -> Result<(), ClientError> {
    let started = Instant::now();
    let mut report = Report::new("get", args.batch.json);
    let plan = plan::get(client, &args.paths, args.batch.recursive, &mut report).await?;
    plan.make_local_folders()?;
    let options = Options {
        overwrite: args.overwrite,
        parents: true,
        retries: args.link.retries,
        limit_rate: args.link.limit_rate,
    };
    let workers = Workers::open(client, args.batch.jobs, plan.transfers.len()).await;
    workers.run(plan.transfers, options, &mut report).await;
    report.finish(started.elapsed())
}
