//! Splitting a shell line into words, with simple quoting.

/// Splits `line` at unquoted whitespace.
///
/// `"double"` and `'single'` quotes group words and may be glued to other text (`a"b c"` is
/// `ab c`); inside double quotes, and outside quotes, a backslash takes the next character
/// literally; single quotes take everything literally. A line whose first character is `#` is
/// a comment. Unterminated quotes are an error.
pub fn split_words(line: &str) -> Result<Vec<String>, String> {
    if line.trim_start().starts_with('#') {
        return Ok(Vec::new());
    }
    let mut words = Vec::new();
    let mut word = String::new();
    // Whether a word has started, so `""` yields an empty word rather than nothing.
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("unterminated ' quote".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c) => word.push(c),
                            None => return Err("unterminated \" quote".into()),
                        },
                        Some(c) => word.push(c),
                        None => return Err("unterminated \" quote".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(c) => word.push(c),
                    None => return Err("a line cannot end with \\".into()),
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
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
}
