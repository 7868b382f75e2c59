//! A lexer just good enough for the tidy checks: identifiers and punctuation with their line;
//! comments dropped, literals reduced to a placeholder so their contents never match a rule.

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Kind {
    Ident(String),
    Punct(char),
    Literal,
}

#[derive(Debug, Clone)]
pub(super) struct Token {
    pub(super) kind: Kind,
    pub(super) line: usize,
}

impl Token {
    pub(super) fn ident(&self) -> Option<&str> {
        match &self.kind {
            Kind::Ident(s) => Some(s),
            _ => None,
        }
    }

    pub(super) fn is_ident(&self, name: &str) -> bool {
        self.ident() == Some(name)
    }

    pub(super) fn is_punct(&self, c: char) -> bool {
        self.kind == Kind::Punct(c)
    }
}

pub(super) fn lex(src: &str) -> Vec<Token> {
    let chars: Vec<char> = src.chars().collect();
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut i = 0;
    // Advances over `chars[from..to]`, counting lines.
    let count_lines = |from: usize, to: usize, line: &mut usize| {
        *line += chars[from..to.min(chars.len())]
            .iter()
            .filter(|&&c| c == '\n')
            .count();
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let start = i;
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            count_lines(start, i, &mut line);
        } else if c == '"' {
            let start = i;
            i = skip_string(&chars, i + 1);
            count_lines(start, i, &mut line);
            tokens.push(Token {
                kind: Kind::Literal,
                line,
            });
        } else if c == '\'' {
            // A char literal ('a', '\n', '\u{1F600}') or a lifetime ('a, 'static).
            if next == Some('\\') {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
                tokens.push(Token {
                    kind: Kind::Literal,
                    line,
                });
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
                tokens.push(Token {
                    kind: Kind::Literal,
                    line,
                });
            } else {
                i += 1;
                tokens.push(Token {
                    kind: Kind::Punct('\''),
                    line,
                });
            }
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let prefix = matches!(word.as_str(), "r" | "b" | "br" | "c" | "cr");
            if prefix && chars.get(i) == Some(&'"') {
                // b"..", c"..", r"..": an escape-free raw string only for r/br/cr, but a raw
                // string without hashes has no `"` inside anyway.
                let start = i;
                i = if word.contains('r') {
                    skip_raw_string(&chars, i, 0)
                } else {
                    skip_string(&chars, i + 1)
                };
                count_lines(start, i, &mut line);
                tokens.push(Token {
                    kind: Kind::Literal,
                    line,
                });
            } else if prefix && word.contains('r') && chars.get(i) == Some(&'#') {
                let hashes = chars[i..].iter().take_while(|&&c| c == '#').count();
                if chars.get(i + hashes) == Some(&'"') {
                    let start = i;
                    i = skip_raw_string(&chars, i + hashes, hashes);
                    count_lines(start, i, &mut line);
                    tokens.push(Token {
                        kind: Kind::Literal,
                        line,
                    });
                } else {
                    // A raw identifier, `r#type`.
                    i += 1;
                    let start = i;
                    while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                        i += 1;
                    }
                    tokens.push(Token {
                        kind: Kind::Ident(chars[start..i].iter().collect()),
                        line,
                    });
                }
            } else if c == 'b' && word == "b" && chars.get(i) == Some(&'\'') {
                // A byte literal, b'x' or b'\n'.
                i += 1;
                if chars.get(i) == Some(&'\\') {
                    i += 1;
                }
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
                tokens.push(Token {
                    kind: Kind::Literal,
                    line,
                });
            } else {
                tokens.push(Token {
                    kind: Kind::Ident(word),
                    line,
                });
            }
        } else if c.is_ascii_digit() {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push(Token {
                kind: Kind::Literal,
                line,
            });
        } else {
            tokens.push(Token {
                kind: Kind::Punct(c),
                line,
            });
            i += 1;
        }
    }
    tokens
}

/// The index after the closing `"` of a string whose body starts at `i`.
fn skip_string(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    i
}

/// The index after a raw string whose opening `"` is at `i`, closed by `"` and `hashes` `#`s.
fn skip_raw_string(chars: &[char], mut i: usize, hashes: usize) -> usize {
    i += 1;
    while i < chars.len() {
        if chars[i] == '"'
            && chars[i + 1..]
                .iter()
                .take(hashes)
                .filter(|&&c| c == '#')
                .count()
                == hashes
        {
            return i + 1 + hashes;
        }
        i += 1;
    }
    i
}

/// The index of the bracket closing the one at `open` (`(`, `[` or `{`).
pub(super) fn matching(tokens: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (k, token) in tokens.iter().enumerate().skip(open) {
        match &token.kind {
            Kind::Punct('(' | '[' | '{') => depth += 1,
            Kind::Punct(')' | ']' | '}') => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(k);
                }
            }
            _ => {}
        }
    }
    None
}
