//! Splitting a shell line into words, as a POSIX shell does (quote removal only, no
//! expansions): the `shell-words` crate, plus two rules of Ferry's shell that it lacks.

/// Splits `line` at unquoted whitespace.
///
/// `"double"` and `'single'` quotes group words and may be glued to other text (`a"b c"` is
/// `ab c`); outside quotes a backslash takes the next character literally, inside double
/// quotes it escapes `"`, `\`, `$` and `` ` ``; single quotes take everything literally. A `#`
/// that starts a word begins a comment to the end of the line. The line's own `\n` or `\r\n`
/// is not part of it. Unterminated quotes and a line ending in a lone backslash are errors
/// (`shell-words` would keep that backslash, but here it is a half-typed escape).
pub fn split_words(line: &str) -> Result<Vec<String>, String> {
    let line = line.trim_end_matches(['\r', '\n']);
    let words = shell_words::split(line).map_err(|_| "unterminated quote".to_string())?;
    // A complete split leaves no quote open, so trailing backslashes are unquoted ones.
    let trailing = line.len() - line.trim_end_matches('\\').len();
    if trailing % 2 == 1 {
        return Err("a line cannot end with \\".into());
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(line: &str) -> Vec<String> {
        split_words(line).unwrap()
    }

    #[test]
    fn whitespace_separates_words() {
        assert_eq!(w("  put  a.bin\t/docs/ "), ["put", "a.bin", "/docs/"]);
        assert!(w("   ").is_empty());
    }

    #[test]
    fn quotes_group_words_with_spaces() {
        assert_eq!(
            w(r#"put "my file.txt" 'the target'"#),
            ["put", "my file.txt", "the target"]
        );
        assert_eq!(w(r#"a"b c"d"#), ["ab cd"]);
        assert_eq!(w(r#"mv "" x"#), ["mv", "", "x"]);
    }

    #[test]
    fn single_quotes_are_literal_and_backslash_escapes_elsewhere() {
        assert_eq!(
            w(r#"'a\b' "say \"hi\"" c\ d"#),
            [r"a\b", r#"say "hi""#, "c d"]
        );
        assert_eq!(w(r#"'it"s'"#), [r#"it"s"#]);
    }

    #[test]
    fn comments_are_empty_lines() {
        assert!(w("# a comment").is_empty());
    }

    #[test]
    fn unterminated_quotes_are_errors() {
        assert!(split_words("put 'a").is_err());
        assert!(split_words("put \"a").is_err());
        assert!(split_words("put a\\").is_err());
    }

    #[test]
    fn line_endings_are_not_part_of_the_last_word_and_escaped_backslashes_may_end_it() {
        assert_eq!(w("ls docs\r\n"), ["ls", "docs"]);
        assert_eq!(w("put a\\\\"), ["put", "a\\"]);
        assert_eq!(w("put a#b # note"), ["put", "a#b"]);
    }
}
