//! Remote commands for a session: policy check, concurrency cap, then the launcher.

use std::time::Duration;

use super::{Ferry, lock, metrics};
use crate::exec::launch::LaunchSpec;
use crate::exec::{ExecPolicy, ExecRequest, ExecRun, run};
use crate::model::EntryKind;
use crate::username::Username;
use crate::{Error, Result, Session};

impl Session {
    /// Runs a command under the user's exec policy, in the session's current folder (or
    /// `req.cwd`, resolved against it), and returns its event stream. Refusals
    /// (`exec_denied`, `exec_not_found`, `limit_reached`, path errors) happen before anything
    /// is spawned. The timeout is clamped to the server's and the account's maximum.
    pub async fn exec(&self, req: ExecRequest) -> Result<ExecRun> {
        let started = self.start_exec(req).await;
        if let Err(e) = &started {
            metrics::exec_refused(e);
        }
        started
    }

    async fn start_exec(&self, req: ExecRequest) -> Result<ExecRun> {
        let account = self.account().await?;
        let cfg = &self.ferry.inner.config.exec;
        let plan = account.exec.plan(&req.command, &cfg.path)?;
        let Some(launcher) = cfg.launcher.clone() else {
            return Err(Error::ExecDenied(
                "command execution is not available on this server".into(),
            ));
        };
        let Some(home) = self.ferry.inner.files.local_home(&self.user) else {
            return Err(Error::ExecDenied(
                "command execution needs homes on a local filesystem".into(),
            ));
        };
        let dir = self.resolve(req.cwd.as_deref().unwrap_or("."))?;
        let entry = self.stat(&dir.to_string(), false).await?;
        if entry.kind != EntryKind::Dir {
            return Err(Error::NotADirectory(dir.to_string()));
        }
        let max = account.exec_max_timeout_secs.map_or(cfg.max_timeout, |s| {
            cfg.max_timeout.min(Duration::from_secs(s))
        });
        let timeout = req
            .timeout
            .unwrap_or(cfg.default_timeout)
            .min(max)
            .max(Duration::from_millis(1));
        let slot = ExecSlot::take(&self.ferry, &self.user)?;
        let (user, source) = (self.user.clone(), self.source_text());
        let argv: Vec<String> = std::iter::once(plan.arg0.clone())
            .chain(plan.args.iter().cloned())
            .collect();
        // The command ends in a task of its own: its line goes in the request's span.
        let span = tracing::Span::current();
        let finished = move |exit: &crate::ExecExit| {
            drop(slot);
            let _in_span = span.enter();
            crate::audit::audit!(
                "exec",
                user.as_str(),
                source.as_str(),
                argv = ?argv,
                exit_code = exit.code,
                signal = exit.signal,
                timed_out = exit.timed_out,
                duration_ms = exit.duration_ms
            );
        };
        let spec = LaunchSpec {
            program: Some(plan.program),
            arg0: plan.arg0,
            args: plan.args,
            cwd: home.join(dir.to_relative()),
            home,
            data_dir: self.ferry.inner.config.data_dir.clone(),
            path: cfg.path.clone(),
            limits: cfg.limits.clone(),
            network: cfg.network,
        };
        Ok(run::start(
            &launcher,
            &spec,
            timeout,
            cfg.output_cap,
            finished,
        )?)
    }

    /// The user's exec policy, so a client can tell what it may run.
    pub async fn exec_policy(&self) -> Result<ExecPolicy> {
        Ok(self.account().await?.exec)
    }
}

/// One of a user's concurrent-command slots; frees itself on drop.
#[derive(Debug)]
struct ExecSlot {
    ferry: Ferry,
    user: Username,
}

impl ExecSlot {
    fn take(ferry: &Ferry, user: &Username) -> Result<ExecSlot> {
        let max = ferry.inner.config.exec.max_per_user;
        let mut running = lock(&ferry.inner.exec_running);
        let n = running.entry(user.clone()).or_insert(0);
        if *n >= max {
            metrics::limit_refused("exec_max_per_user");
            return Err(Error::LimitReached(format!(
                "{max} commands are already running for this user"
            )));
        }
        *n += 1;
        Ok(ExecSlot {
            ferry: ferry.clone(),
            user: user.clone(),
        })
    }
}

impl Drop for ExecSlot {
    fn drop(&mut self) {
        let mut running = lock(&self.ferry.inner.exec_running);
        if let Some(n) = running.get_mut(&self.user) {
            *n -= 1;
            if *n == 0 {
                running.remove(&self.user);
            }
        }
    }
}
