//! The two answers that are more than one frame: a download's chunks, sent while the next one
//! is read, and a command's output, sent while the socket is watched for the client leaving.

use std::future::Future;
use std::time::Duration;

use ferry_core::Session;

use super::{End, Handler, shutting_down};
use crate::cmd::download;
use crate::cmd::exec::{self, Answer, ExecArgs};
use crate::connection::ReadError;

/// What ended a wait that watched the socket.
enum Watched<T> {
    Done(T),
    ClientGone,
    Shutdown,
}

impl<S: ferry_net::Io> Handler<S> {
    /// Answers `get`: the head, the data frames, the end.
    pub(super) async fn download(
        &mut self,
        session: &Session,
        path: &str,
        offset: u64,
    ) -> Result<(), End> {
        let mut get = match download::open(session, path, offset).await {
            Ok(get) => get,
            Err(refusal) => return self.send(refusal).await,
        };
        self.send(get.head()).await?;
        let mut next = get.next_frame().await;
        while let Some(frame) = next {
            if self.shutdown.is_cancelled() {
                get.log(true);
                return Err(End::Shutdown);
            }
            // The next chunk is read while this one is sent: a chunk then costs
            // max(read, send) rather than their sum.
            let (sent, read) = tokio::join!(self.send(frame), get.next_frame());
            sent?;
            next = read;
        }
        get.log(false);
        Ok(())
    }

    /// Answers `exec` to its final frame. `Err` ends the connection (dropping the run, which
    /// kills the command).
    pub(super) async fn exec(&mut self, session: &Session, args: ExecArgs) -> Result<(), End> {
        let mut running = match exec::start(session, args).await {
            Ok(running) => running,
            Err(refusal) => return self.send(refusal).await,
        };
        loop {
            let event = match self.watching(running.next()).await {
                Watched::Done(event) => event,
                Watched::ClientGone => {
                    running.client_gone();
                    return Err(End::ClientClosed);
                }
                Watched::Shutdown => {
                    drop(running);
                    let _ = self.conn.send(shutting_down()).await;
                    return Err(End::Shutdown);
                }
            };
            match running.answer(event) {
                Answer::Output(frames) => {
                    for frame in frames {
                        self.send(frame).await?;
                    }
                }
                Answer::Last(frame) => return self.send(frame).await,
            }
        }
    }

    /// Awaits `work` while watching the socket: the end of the stream means the client left.
    /// A request pipelined behind it is kept for after it (as during uploads); once one is
    /// held, the socket is no longer read until `work` is done.
    async fn watching<F: Future>(&mut self, work: F) -> Watched<F::Output> {
        // A command may stay silent for as long as its own time limit: the idle deadline is
        // for clients that send nothing, not for one waiting on its command.
        let watch = Duration::from_secs(3600);
        tokio::pin!(work);
        loop {
            tokio::select! {
                biased;
                _ = self.shutdown.cancelled() => return Watched::Shutdown,
                output = &mut work => return Watched::Done(output),
                read = self.conn.read_frame(watch), if self.prefetched.is_none() => match read {
                    Ok(None) | Err(ReadError::Frame(ferry_proto::FrameError::Io(_))) => {
                        return Watched::ClientGone;
                    }
                    Err(ReadError::Idle) => {}
                    other => self.prefetched = Some(other),
                },
            }
        }
    }
}
