//! Argument rules of one allow-list entry, and the entry syntax:
//!
//! ```text
//!   entry   = NAME [ "[" [ option { "," option } ] "]" ] [ "!" ]
//!   option  = "-" { any byte but "," "]" whitespace }
//! ```
//!
//! - `NAME` — any arguments (the policy text before rules existed; keep it for programs with
//!   no dangerous option, like `df`).
//! - `NAME[-t,-v,-f]` — every argument that starts with `-` (up to a literal `--`) must be one
//!   of these, spelled exactly; a long option's `--opt=value` is checked by its `--opt` part.
//!   Bundles (`-tvf`) are refused unless listed as such. `NAME[]` allows no option at all.
//!   GNU tools read options after operands too, which is why every argument is checked, not
//!   only the leading ones.
//! - `NAME!` or `NAME[…]!` — additionally, a `--` is put before the first argument that is
//!   not a listed option, so nothing the user sends after it can be read as an option.
//!
//! A bare `-` (stdin) is an operand. An option's value that starts with `-` is checked as an
//! option — refusals err on the safe side.

use crate::error::{ExecError as Error, Result};

/// One parsed allow-list entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The program name.
    pub name: String,
    /// `Some(list)`: only these options; `None`: any argument.
    pub options: Option<Vec<String>>,
    /// Put `--` before the user's first operand.
    pub end_options: bool,
}

impl Entry {
    /// Parses one entry (see the module docs).
    pub fn parse(text: &str) -> Result<Entry> {
        let bad = |why: &str| Error::BadRequest(format!("exec policy entry {text:?}: {why}"));
        let (rest, end_options) = match text.strip_suffix('!') {
            Some(r) => (r, true),
            None => (text, false),
        };
        let (name, options) = match rest.split_once('[') {
            None => (rest, None),
            Some((name, list)) => {
                let list = list
                    .strip_suffix(']')
                    .ok_or_else(|| bad("an option list ends with ]"))?;
                let opts: Vec<String> = if list.is_empty() {
                    Vec::new()
                } else {
                    list.split(',').map(str::to_string).collect()
                };
                for o in &opts {
                    let ok = o.len() > 1
                        && o.starts_with('-')
                        && o != "--"
                        && !o
                            .chars()
                            .any(|c| c.is_whitespace() || c.is_control() || "[]!=".contains(c));
                    if !ok {
                        return Err(bad(&format!("{o:?} is not an option like -v or --long")));
                    }
                }
                (name, Some(opts))
            }
        };
        let ok = !name.is_empty()
            && name != "."
            && name != ".."
            && name.len() <= 255
            && !name
                .chars()
                .any(|c| c == '/' || "[]!,".contains(c) || c.is_whitespace() || c.is_control());
        if !ok {
            return Err(bad("not a program name (no paths, spaces or empties)"));
        }
        Ok(Entry {
            name: name.to_string(),
            options,
            end_options,
        })
    }

    fn allows(&self, arg: &str) -> bool {
        // `NAME!` alone lists no option: only operands.
        let Some(list) = &self.options else {
            return !self.end_options;
        };
        let key = match arg.split_once('=') {
            Some((k, _)) if arg.starts_with("--") => k,
            _ => arg,
        };
        list.iter().any(|o| o == key)
    }

    /// Checks `args` against the rules and returns them as the program should get them
    /// (with the `--` of `NAME!` inserted). A refused option is `exec_argument_refused`.
    pub fn apply(&self, args: &[String]) -> Result<Vec<String>> {
        let mut out = Vec::with_capacity(args.len() + 1);
        let mut operands = false;
        for a in args {
            if operands {
                out.push(a.clone());
                continue;
            }
            if a == "--" {
                operands = true;
                out.push(a.clone());
                continue;
            }
            let is_option = a.starts_with('-') && a != "-";
            if is_option {
                if !self.allows(a) {
                    return Err(Error::ArgumentRefused(format!(
                        "{}: option {a:?} is not allowed for this account",
                        self.name
                    )));
                }
                out.push(a.clone());
            } else {
                if self.end_options {
                    operands = true;
                    out.push("--".into());
                }
                out.push(a.clone());
            }
        }
        Ok(out)
    }
}

impl std::fmt::Display for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)?;
        if let Some(list) = &self.options {
            write!(f, "[{}]", list.join(","))?;
        }
        if self.end_options {
            f.write_str("!")?;
        }
        Ok(())
    }
}

/// Splits the text after `allow:` on the commas that are not inside `[…]`.
pub fn split_entries(list: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in list.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&list[start..]);
    out
}
