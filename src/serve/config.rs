//! `ferry serve --config FILE`: a TOML file whose keys are `serve`'s long options.
//!
//! The file is parsed by `toml` into a table; each value is then given to clap as the option
//! of the same name (appended to the command line), so a key means exactly what its flag
//! means, the list of keys cannot drift from the flags, and a bad value is refused with the
//! option's own parser message and the key named. Precedence: flag > environment variable > file > default (a key is used only
//! where clap saw neither a flag nor an environment variable).
//!
//! `--print-config` renders every option's effective value back as TOML, each with where it
//! came from; secrets are masked.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Args, Command};

/// Where `serve`'s options may also come from.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// TOML file of `serve` options (keys are the long flags without `--`, e.g.
    /// `max-connections = 2048`); flags and environment variables override it. Refused when
    /// group- or world-writable. Example: docs/ferry.toml.
    #[arg(long, env = "FERRY_CONFIG", value_name = "FILE")]
    pub(super) config: Option<PathBuf>,
    /// Print the effective configuration as TOML (secrets masked) and exit.
    #[arg(long)]
    pub(super) print_config: bool,
}

/// Options that are about the file itself, or actions: never keys.
const NOT_KEYS: &[&str] = &["config", "print-config", "help", "version"];

/// Keys whose values are secrets, masked by `--print-config`.
const SECRET_KEYS: &[&str] = &[];

/// Keys whose values are database URLs: `--print-config` shows them with the password masked.
const URL_KEYS: &[&str] = &["meta"];

/// What a config file adds to the command line.
#[derive(Debug, Default)]
pub struct FromFile {
    /// `--key=value` arguments to append to `serve`'s command line.
    pub args: Vec<OsString>,
    /// The keys those arguments came from.
    pub keys: BTreeSet<String>,
}

/// Reads `path` and turns every key that neither a flag nor an environment variable set into
/// arguments for `serve` (whose parsed options are `given`).
pub fn from_file(path: &Path, serve: &Command, given: &ArgMatches) -> anyhow::Result<FromFile> {
    let name = path.display();
    check_permissions(path)?;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read config {name}"))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e| anyhow!("config {name}: not valid TOML: {e}"))?;
    let mut out = FromFile::default();
    let mut every = FromFile::default();
    for (key, value) in &table {
        let arg = option(serve, key).ok_or_else(|| {
            anyhow!(
                "config {name}: unknown key `{key}` (keys are the long options of \
                 `ferry serve --help`, without `--`)"
            )
        })?;
        let values = strings(arg, value).map_err(|e| anyhow!("config {name}: key `{key}`: {e}"))?;
        push(&mut every, arg, key, &values);
        let overridden = matches!(
            given.value_source(arg.get_id().as_str()),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        );
        if !overridden {
            push(&mut out, arg, key, &values);
        }
    }
    check_values(path, serve, &every)?;
    Ok(out)
}

/// Adds one key's values to `to` as `serve` arguments.
fn push(to: &mut FromFile, arg: &Arg, key: &str, values: &[String]) {
    if is_flag(arg) {
        if values.iter().any(|v| v == "true") {
            to.args.push(format!("--{key}").into());
        }
    } else {
        to.args.extend(
            values
                .iter()
                .map(|v| OsString::from(format!("--{key}={v}"))),
        );
    }
    to.keys.insert(key.to_string());
}

/// Parses every value of the file with its option's parser, those a flag or an environment
/// variable overrides included: a bad value is refused even where it is not used today.
fn check_values(path: &Path, serve: &Command, every: &FromFile) -> anyhow::Result<()> {
    use clap::error::ErrorKind;
    let argv = std::iter::once(OsString::from("serve")).chain(every.args.iter().cloned());
    match serve.clone().try_get_matches_from(argv) {
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::ValueValidation | ErrorKind::InvalidValue
            ) =>
        {
            match explain(&e, path, every) {
                Some(refusal) => Err(refusal),
                None => Ok(()),
            }
        }
        // Other complaints (an option that needs another) depend on the whole command line,
        // and come from the real parse.
        _ => Ok(()),
    }
}

/// Refuses a file others could change: it decides where data goes and who may run commands.
fn check_permissions(path: &Path) -> anyhow::Result<()> {
    let meta = std::fs::metadata(path)
        .with_context(|| format!("cannot read config {}", path.display()))?;
    if !meta.is_file() {
        bail!("config {} is not a regular file", path.display());
    }
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o022 != 0 {
        bail!(
            "config {} is writable by its group or by others (mode {mode:04o}); refusing to \
             start (`chmod go-w` it)",
            path.display()
        );
    }
    Ok(())
}

/// The `serve` option a key names.
fn option<'c>(serve: &'c Command, key: &str) -> Option<&'c Arg> {
    if NOT_KEYS.contains(&key) {
        return None;
    }
    serve
        .get_arguments()
        .find(|a| a.get_long() == Some(key) && !a.is_hide_set())
}

/// A flag that takes no value (`--no-exec`): `true` or `false` in the file.
fn is_flag(arg: &Arg) -> bool {
    matches!(arg.get_action(), ArgAction::SetTrue | ArgAction::SetFalse)
}

/// An option that may be given more than once (`--trusted-proxy`): an array in the file.
fn is_list(arg: &Arg) -> bool {
    matches!(arg.get_action(), ArgAction::Append)
}

/// The command-line spellings of one TOML value.
fn strings(arg: &Arg, value: &toml::Value) -> Result<Vec<String>, String> {
    use toml::Value as V;
    let scalar = |v: &V| match v {
        V::String(s) => Ok(s.clone()),
        V::Integer(i) => Ok(i.to_string()),
        V::Float(f) => Ok(f.to_string()),
        V::Boolean(b) => Ok(b.to_string()),
        V::Datetime(_) | V::Array(_) | V::Table(_) => {
            Err("expected a string, number or boolean".to_string())
        }
    };
    if is_flag(arg) {
        return match value {
            V::Boolean(b) => Ok(vec![b.to_string()]),
            _ => Err("expected true or false".into()),
        };
    }
    match value {
        V::Array(items) if is_list(arg) => items.iter().map(scalar).collect(),
        V::Array(_) => Err("takes one value, not a list".into()),
        v => {
            let s = scalar(v)?;
            // A list option takes a comma-separated string as its flag does.
            match (is_list(arg), arg.get_value_delimiter()) {
                (true, Some(d)) => Ok(s.split(d).map(str::to_string).collect()),
                _ => Ok(vec![s]),
            }
        }
    }
}

/// The error of a command line that had the file's keys appended, naming the key when the
/// option it complains about came from the file; `None` when it is about a flag.
pub fn explain(e: &clap::Error, path: &Path, file: &FromFile) -> Option<anyhow::Error> {
    use clap::error::{ContextKind, ContextValue};
    let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) else {
        return None;
    };
    let key = arg.trim_start_matches("--").split([' ', '=']).next()?;
    if !file.keys.contains(key) {
        return None;
    }
    let text = e.to_string();
    let first = text.lines().next().unwrap_or_default();
    Some(anyhow!(
        "config {}: key `{key}`: {}",
        path.display(),
        first.trim_start_matches("error: ")
    ))
}

/// The effective configuration as TOML: every option with its value (or a comment when it
/// has none) and where the value came from.
pub fn render(serve: &Command, matches: &ArgMatches, from_file: &BTreeSet<String>) -> String {
    let mut out = String::from("# ferry serve: effective configuration\n");
    for arg in serve.get_arguments() {
        let Some(key) = arg.get_long() else { continue };
        if option(serve, key).is_none() {
            continue;
        }
        let id = arg.get_id().as_str();
        let source = match matches.value_source(id) {
            Some(ValueSource::CommandLine) if from_file.contains(key) => "config file".to_string(),
            Some(ValueSource::CommandLine) => "command line".to_string(),
            Some(ValueSource::EnvVariable) => match arg.get_env() {
                Some(env) => format!("environment {}", env.to_string_lossy()),
                None => "environment".to_string(),
            },
            Some(ValueSource::DefaultValue) | None => "default".to_string(),
            Some(_) => "unknown".to_string(),
        };
        let value = if is_flag(arg) {
            Some(toml::Value::Boolean(matches.get_flag(id)))
        } else {
            matches.get_raw(id).map(|raw| {
                let items: Vec<toml::Value> = raw.map(|v| typed(&v.to_string_lossy())).collect();
                if is_list(arg) {
                    toml::Value::Array(items)
                } else {
                    items
                        .into_iter()
                        .next()
                        .unwrap_or(toml::Value::String(String::new()))
                }
            })
        };
        let value = value.map(|v| {
            if SECRET_KEYS.contains(&key) {
                toml::Value::String("********".into())
            } else if URL_KEYS.contains(&key)
                && let toml::Value::String(url) = &v
            {
                toml::Value::String(crate::stores::mask_password(url))
            } else {
                v
            }
        });
        match value {
            Some(v) => out.push_str(&format!("{key} = {v}  # {source}\n")),
            None => out.push_str(&format!("# {key} is not set\n")),
        }
    }
    if std::env::var_os("FERRY_ADMIN_PASSWORD").is_some_and(|v| !v.is_empty()) {
        out.push_str("# first-run admin password: ******** (environment FERRY_ADMIN_PASSWORD)\n");
    }
    out
}

/// A command-line value as the TOML type a person would write for it.
fn typed(raw: &str) -> toml::Value {
    if let Ok(i) = raw.parse::<i64>() {
        return toml::Value::Integer(i);
    }
    if raw.contains('.')
        && let Ok(f) = raw.parse::<f64>()
        && f.is_finite()
    {
        return toml::Value::Float(f);
    }
    toml::Value::String(raw.to_string())
}
