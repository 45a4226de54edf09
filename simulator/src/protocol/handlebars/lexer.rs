//! Handlebars.js 4.7's lexer (`src/handlebars.l`): content, escaped mustaches (`\{{`), and
//! the tokens inside a mustache, each rule tried in the same order as Jison tries them.

use super::CompileError;

/// The kinds of `{{` openers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Open {
    /// `{{` or `{{&` (the second unescaped).
    Mustache { unescaped: bool },
    /// `{{{`.
    Unescaped,
    /// `{{#`.
    Block,
    /// `{{/`.
    EndBlock,
    /// `{{^` followed by a name.
    InverseBlock,
    /// `{{else` followed by a name (`{{else if x}}`).
    InverseChain,
    /// `{{>`.
    Partial,
    /// `{{#>`.
    PartialBlock,
    /// `{{*`, `{{#*`, `{{{{`: decorators and raw blocks.
    Unsupported,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Token {
    Content(String),
    /// A whole comment; the flags are `~` on its left and right.
    Comment {
        strip_open: bool,
        strip_close: bool,
    },
    Open {
        kind: Open,
        strip: bool,
    },
    /// `{{^}}` or `{{else}}`.
    Inverse {
        strip_open: bool,
        strip_close: bool,
    },
    Close {
        strip: bool,
    },
    CloseUnescaped {
        strip: bool,
    },
    OpenSexpr,
    CloseSexpr,
    Equals,
    Separator(char),
    /// A path segment; `literal` for `[...]` segments, which are never `this` or `..`.
    Id {
        name: String,
        literal: bool,
    },
    String(String),
    Number(f64),
    Boolean(bool),
    Undefined,
    Null,
    Data,
    OpenBlockParams,
    CloseBlockParams,
}

/// JavaScript's `\s`.
pub(super) fn is_js_space(character: char) -> bool {
    matches!(
        character,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// Characters that cannot be in an ID: `[\s!"#%-,\.\/;->@\[-\^`\{-~]`.
fn is_id_char(character: char) -> bool {
    !(is_js_space(character)
        || matches!(
            character,
            '!' | '"'
                | '#'
                | '%'..=','
                | '.'
                | '/'
                | ';'..='>'
                | '@'
                | '['..='^'
                | '`'
                | '{'..='~'
        ))
}

/// `[=~}\s\/.)|]`: what may follow an ID.
fn is_lookahead(character: Option<char>) -> bool {
    character
        .is_some_and(|c| matches!(c, '=' | '~' | '}' | '/' | '.' | ')' | '|') || is_js_space(c))
}

/// `[~}\s)]`: what may follow a literal.
fn is_literal_lookahead(character: Option<char>) -> bool {
    character.is_some_and(|c| matches!(c, '~' | '}' | ')') || is_js_space(c))
}

pub(super) fn tokenize(template: &str) -> Result<Vec<Token>, CompileError> {
    let mut lexer = Lexer {
        text: template,
        at: 0,
        tokens: Vec::new(),
    };
    lexer.run()?;
    Ok(lexer.tokens)
}

struct Lexer<'a> {
    text: &'a str,
    at: usize,
    tokens: Vec<Token>,
}

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.at..]
    }

    fn error(&self, what: &str) -> CompileError {
        CompileError(format!("{what} at character {}", self.at))
    }

    fn run(&mut self) -> Result<(), CompileError> {
        while self.at < self.text.len() {
            self.content()?;
        }
        Ok(())
    }

    /// The INITIAL state: text up to the next `{{`, then a mustache (or, after `\`, an
    /// escaped run of text).
    fn content(&mut self) -> Result<(), CompileError> {
        let Some(offset) = self.rest().find("{{") else {
            self.tokens.push(Token::Content(self.rest().to_owned()));
            self.at = self.text.len();
            return Ok(());
        };
        let mut text = &self.rest()[..offset];
        self.at += offset;
        if text.ends_with("\\\\") {
            text = &text[..text.len() - 1];
            if !text.is_empty() {
                self.tokens.push(Token::Content(text.to_owned()));
            }
            return self.mustache();
        }
        if let Some(kept) = text.strip_suffix('\\') {
            if !kept.is_empty() {
                self.tokens.push(Token::Content(kept.to_owned()));
            }
            return self.escaped();
        }
        if !text.is_empty() {
            self.tokens.push(Token::Content(text.to_owned()));
        }
        self.mustache()
    }

    /// The `emu` state: `{{` and what follows, as text, up to the next `{{`, `\{{`, `\\{{`
    /// or the end.
    fn escaped(&mut self) -> Result<(), CompileError> {
        let rest = self.rest();
        let mut end = rest.len();
        let mut search = 2;
        while let Some(found) = rest[search..].find("{{") {
            let at = search + found;
            let mut start = at;
            if rest[..start].ends_with('\\') {
                start -= 1;
                if rest[..start].ends_with('\\') {
                    start -= 1;
                }
            }
            if start >= 2 {
                end = start;
                break;
            }
            search = at + 1;
        }
        self.tokens.push(Token::Content(rest[..end].to_owned()));
        self.at += end;
        Ok(())
    }

    /// The `mu` state, from an opening `{{` to its close.
    fn mustache(&mut self) -> Result<(), CompileError> {
        self.opener()?;
        if matches!(
            self.tokens.last(),
            Some(Token::Comment { .. } | Token::Inverse { .. })
        ) {
            return Ok(());
        }
        loop {
            if self.at >= self.text.len() {
                return Err(self.error("unclosed mustache"));
            }
            if self.inner_token()? {
                return Ok(());
            }
        }
    }

    fn opener(&mut self) -> Result<(), CompileError> {
        let rest = self.rest();
        if rest.starts_with("{{{{") {
            self.at += 4;
            self.tokens.push(Token::Open {
                kind: Open::Unsupported,
                strip: false,
            });
            return Ok(());
        }
        let after = &rest[2..];
        let strip = after.starts_with('~');
        let body = if strip { &after[1..] } else { after };
        let used = rest.len() - body.len();
        let trimmed = body.trim_start_matches(is_js_space);
        let spaces = body.len() - trimmed.len();
        let open = |kind, length: usize| (kind, used + length);
        let (kind, length) = if body.starts_with('>') {
            open(Open::Partial, 1)
        } else if body.starts_with("#>") {
            open(Open::PartialBlock, 2)
        } else if body.starts_with("#*") {
            open(Open::Unsupported, 2)
        } else if body.starts_with('#') {
            open(Open::Block, 1)
        } else if body.starts_with('/') {
            open(Open::EndBlock, 1)
        } else if let Some(length) = bare_inverse(body) {
            self.at += used + length;
            self.tokens.push(Token::Inverse {
                strip_open: strip,
                strip_close: body[..length].ends_with("~}}"),
            });
            return Ok(());
        } else if body.starts_with('^') {
            open(Open::InverseBlock, 1)
        } else if trimmed.starts_with("else")
            && !trimmed[4..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            open(Open::InverseChain, spaces + 4)
        } else if body.starts_with('{') {
            open(Open::Unescaped, 1)
        } else if body.starts_with('&') {
            open(Open::Mustache { unescaped: true }, 1)
        } else if body.starts_with("!--") {
            // Jison puts `{{!--` back and matches `[\s\S]*?--~?}}` from the start, so
            // `{{!--}}` is already a whole comment.
            let Some(end) = find_long_comment_end(&body[1..]) else {
                return Err(self.error("unterminated comment"));
            };
            let comment = &body[..1 + end];
            self.at += used + comment.len();
            self.tokens.push(Token::Comment {
                strip_open: strip,
                strip_close: comment.ends_with("~}}"),
            });
            return Ok(());
        } else if body.starts_with('!') {
            let Some(end) = body.find("}}") else {
                return Err(self.error("unterminated comment"));
            };
            let comment = &body[..end + 2];
            self.at += used + comment.len();
            self.tokens.push(Token::Comment {
                strip_open: strip,
                strip_close: comment.len() >= 3 && comment.as_bytes()[comment.len() - 3] == b'~',
            });
            return Ok(());
        } else if body.starts_with('*') {
            open(Open::Unsupported, 1)
        } else {
            open(Open::Mustache { unescaped: false }, 0)
        };
        self.at += length;
        self.tokens.push(Token::Open { kind, strip });
        Ok(())
    }

    /// One token inside a mustache; `true` when it closed the mustache.
    fn inner_token(&mut self) -> Result<bool, CompileError> {
        let rest = self.rest();
        let mut chars = rest.chars();
        let first = chars.next().unwrap_or_default();
        let second = chars.next();
        let (token, length) = match first {
            '(' => (Some(Token::OpenSexpr), 1),
            ')' => (Some(Token::CloseSexpr), 1),
            _ if rest.starts_with("}}}}") => {
                return Err(self.error("raw blocks are not supported"));
            }
            _ if rest.starts_with("{{") => {
                return Err(self.error("a mustache opens inside another"));
            }
            '=' => (Some(Token::Equals), 1),
            '.' if rest.starts_with("..") => (
                Some(Token::Id {
                    name: "..".into(),
                    literal: false,
                }),
                2,
            ),
            '.' if is_lookahead(second) => (
                Some(Token::Id {
                    name: ".".into(),
                    literal: false,
                }),
                1,
            ),
            '.' | '/' => (Some(Token::Separator(first)), 1),
            c if is_js_space(c) => (None, c.len_utf8()),
            '}' if rest.starts_with("}~}}") => (Some(Token::CloseUnescaped { strip: true }), 4),
            '}' if rest.starts_with("}}}") => (Some(Token::CloseUnescaped { strip: false }), 3),
            '~' if rest.starts_with("~}}") => (Some(Token::Close { strip: true }), 3),
            '}' if rest.starts_with("}}") => (Some(Token::Close { strip: false }), 2),
            '"' | '\'' => match quoted(rest, first) {
                Some((text, length)) => (Some(Token::String(text)), length),
                None => return Err(self.error("invalid token")),
            },
            '@' => (Some(Token::Data), 1),
            _ => match self.word(rest) {
                Some(found) => found,
                None => return Err(self.error("invalid token")),
            },
        };
        self.at += length;
        let closed = matches!(
            token,
            Some(Token::Close { .. } | Token::CloseUnescaped { .. })
        );
        if let Some(token) = token {
            self.tokens.push(token);
        }
        Ok(closed)
    }

    fn word(&self, rest: &str) -> Option<(Option<Token>, usize)> {
        for (word, token) in [
            ("true", Token::Boolean(true)),
            ("false", Token::Boolean(false)),
            ("undefined", Token::Undefined),
            ("null", Token::Null),
        ] {
            if rest.starts_with(word) && is_literal_lookahead(rest[word.len()..].chars().next()) {
                return Some((Some(token), word.len()));
            }
        }
        if let Some(length) = number_length(rest) {
            if is_literal_lookahead(rest[length..].chars().next()) {
                let value = rest[..length].parse().ok()?;
                return Some((Some(Token::Number(value)), length));
            }
        }
        if let Some(after) = rest.strip_prefix("as") {
            let trimmed = after.trim_start_matches(is_js_space);
            if trimmed.len() < after.len() && trimmed.starts_with('|') {
                return Some((Some(Token::OpenBlockParams), rest.len() - trimmed.len() + 1));
            }
        }
        if rest.starts_with('|') {
            return Some((Some(Token::CloseBlockParams), 1));
        }
        let id_length: usize = rest
            .chars()
            .take_while(|&c| is_id_char(c))
            .map(char::len_utf8)
            .sum();
        if id_length > 0 && is_lookahead(rest[id_length..].chars().next()) {
            let name = rest[..id_length].to_owned();
            return Some((
                Some(Token::Id {
                    name,
                    literal: false,
                }),
                id_length,
            ));
        }
        if rest.starts_with('[') {
            return literal_segment(rest).map(|(name, length)| {
                (
                    Some(Token::Id {
                        name,
                        literal: true,
                    }),
                    length,
                )
            });
        }
        None
    }
}

/// `{{^}}` or `{{else}}` (with optional spaces and `~`), measured from after `{{` / `{{~`.
fn bare_inverse(body: &str) -> Option<usize> {
    let after = if let Some(after) = body.strip_prefix('^') {
        after
    } else {
        body.trim_start_matches(is_js_space).strip_prefix("else")?
    };
    let trimmed = after.trim_start_matches(is_js_space);
    let closing = trimmed.strip_prefix('~').unwrap_or(trimmed);
    closing
        .starts_with("}}")
        .then(|| body.len() - closing.len() + 2)
}

/// The end of a `{{!-- ... --}}` comment (searched from after `!`): through `--}}` or `--~}}`.
fn find_long_comment_end(body: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = body[from..].find("--") {
        let at = from + found + 2;
        if body[at..].starts_with("}}") {
            return Some(at + 2);
        }
        if body[at..].starts_with("~}}") {
            return Some(at + 3);
        }
        from = from + found + 1;
    }
    None
}

/// `"..."` or `'...'` where the quote may be escaped with a backslash.
fn quoted(rest: &str, quote: char) -> Option<(String, usize)> {
    let mut text = String::new();
    let mut chars = rest.char_indices().skip(1).peekable();
    while let Some((at, c)) = chars.next() {
        if c == '\\' && chars.peek().map(|&(_, next)| next) == Some(quote) {
            chars.next();
            text.push(quote);
        } else if c == quote {
            return Some((text, at + 1));
        } else {
            text.push(c);
        }
    }
    None
}

/// `-?[0-9]+(?:\.[0-9]+)?`.
fn number_length(rest: &str) -> Option<usize> {
    let bytes = rest.as_bytes();
    let mut at = usize::from(bytes.first() == Some(&b'-'));
    let digits = |from: usize| {
        bytes[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let whole = digits(at);
    if whole == 0 {
        return None;
    }
    at += whole;
    if bytes.get(at) == Some(&b'.') {
        let fraction = digits(at + 1);
        if fraction > 0 {
            at += 1 + fraction;
        }
    }
    Some(at)
}

/// `[...]` with `\]` and `\\` unescaped.
fn literal_segment(rest: &str) -> Option<(String, usize)> {
    let mut raw_end = None;
    let mut escaped = false;
    for (at, c) in rest.char_indices().skip(1) {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            ']' => {
                raw_end = Some(at);
                break;
            }
            _ => {}
        }
    }
    let end = raw_end.or_else(|| rest[1..].find(']').map(|at| at + 1))?;
    let inner = &rest[1..end];
    let mut name = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && matches!(chars.peek(), Some('\\' | ']')) {
            name.extend(chars.next());
        } else {
            name.push(c);
        }
    }
    Some((name, end + 1))
}
