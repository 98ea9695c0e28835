//! Argument rules of one allow-list entry, and the entry syntax:
//!
//! ```text
//!   entry   = NAME [ "[" [ option { "," option } ] "]" ] [ "!" ]
//!   option  = "-" { any byte but "," "]" whitespace }
//! ```
//!
//! - `NAME` — any arguments (the policy text before rules existed; keep it for programs with
//!   no dangerous option, like `df`).
//! - `NAME[-t,-v,-f]` — every argument that starts with `-` must be one of these, spelled
//!   exactly, wherever it stands; a long option's `--opt=value` is checked by its `--opt`
//!   part. Bundles (`-tvf`) are refused unless listed as such. `NAME[]` allows no option.
//!   A `--` the user sends is passed on but ends no checking: GNU tools read options after
//!   operands, and some programs read dangerous words after `--` too (`find -- . -exec …`:
//!   `--` ends `find`'s options, not its expression).
//! - `NAME!` or `NAME[…]!` — additionally, a `--` is put before the first operand that does
//!   not directly follow an option (which may be that option's value, as in `-f x.tar`).
//!   `NAME!` alone allows no option.
//! - Programs that read their first argument as options even without a `-` (`tar tvf`,
//!   `ar`, `ps`): under rules, each letter of such a first argument must be listed as
//!   `-LETTER`, as if it had been sent as `-t -v -f` (`tar tIf …` would otherwise run any
//!   program as its compressor).
//!
//! A bare `-` (stdin) is an operand. An option's value that starts with `-` is checked as an
//! option, and so is an operand that starts with `-` (name such a file `./-x`): refusals err
//! on the safe side.

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
        if self.options.is_none() && !self.end_options {
            return Ok(args.to_vec());
        }
        let refuse = |what: String| {
            Error::ArgumentRefused(format!(
                "{}: {what} is not allowed for this account",
                self.name
            ))
        };
        if let Some(first) = args.first()
            && OLD_STYLE_OPTIONS.contains(&self.name.as_str())
            && !first.starts_with('-')
            && let Some(c) = first.chars().find(|c| !self.allows(&format!("-{c}")))
        {
            return Err(refuse(format!(
                "option {c:?} (a first argument without '-' is read as options: {first:?})"
            )));
        }
        let mut out = Vec::with_capacity(args.len() + 1);
        let (mut ended, mut after_option) = (false, false);
        for a in args {
            if a == "--" {
                ended = true;
                after_option = false;
                out.push(a.clone());
                continue;
            }
            if a.starts_with('-') && a != "-" {
                if !self.allows(a) {
                    return Err(refuse(format!("option {a:?}")));
                }
                after_option = true;
                out.push(a.clone());
                continue;
            }
            if self.end_options && !ended && !after_option {
                ended = true;
                out.push("--".into());
            }
            after_option = false;
            out.push(a.clone());
        }
        Ok(out)
    }
}

/// Programs that read a first argument without a leading `-` as a bundle of options.
const OLD_STYLE_OPTIONS: [&str; 3] = ["tar", "ar", "ps"];

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

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(entry: &str, args: &[&str]) -> Result<Vec<String>> {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        Entry::parse(entry).unwrap().apply(&args)
    }

    fn refused(entry: &str, args: &[&str]) {
        match apply(entry, args) {
            Err(Error::ArgumentRefused(_)) => {}
            other => panic!("{entry} {args:?}: {other:?}"),
        }
    }

    #[test]
    fn an_unlisted_option_is_refused_wherever_it_stands_even_after_a_double_dash() {
        let find = "find[-name,-type]";
        assert_eq!(
            apply(find, &[".", "-name", "x"]).unwrap(),
            [".", "-name", "x"]
        );
        refused(find, &["-exec", "id", ";"]);
        refused(
            find,
            &["--", ".", "-maxdepth", "0", "-exec", "sh", "-c", "id", ";"],
        );
        refused(find, &[".", "-name", "x", "-delete"]);
        // The `!` form does not stop the checking at its `--` either.
        refused("find[-name]!", &[".", "-maxdepth", "0", "-exec", "id", ";"]);
        refused("cat!", &["a", "-n"]);
        assert_eq!(apply("cat!", &["a", "b"]).unwrap(), ["--", "a", "b"]);
        assert_eq!(apply("df", &["--", "-x"]).unwrap(), ["--", "-x"]);
    }

    #[test]
    fn a_dashless_first_argument_of_tar_is_checked_letter_by_letter() {
        let tar = "tar[-t,-v,-f]";
        assert_eq!(apply(tar, &["tvf", "a.tar"]).unwrap(), ["tvf", "a.tar"]);
        refused(tar, &["tIf", "sh -c id", "a.tar"]);
        refused(tar, &["xf", "a.tar"]);
        refused(tar, &["-t", "-I", "id", "-f", "a.tar"]);
    }

    #[test]
    fn the_double_dash_of_bang_goes_after_an_options_value_not_before_it() {
        let tar = "tar[-t,-f]!";
        assert_eq!(
            apply(tar, &["-t", "-f", "x.tar"]).unwrap(),
            ["-t", "-f", "x.tar"]
        );
        assert_eq!(
            apply(tar, &["-t", "-f", "x.tar", "a", "b"]).unwrap(),
            ["-t", "-f", "x.tar", "--", "a", "b"]
        );
        assert_eq!(apply("ls[-l]!", &["dir"]).unwrap(), ["--", "dir"]);
    }
}
