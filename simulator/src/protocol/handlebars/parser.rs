//! Handlebars.js 4.7's grammar (`src/handlebars.yy`) and its AST helpers
//! (`preparePath`, `prepareBlock`): a template that Handlebars.js refuses is refused here.

use super::lexer::{Open, Token};
use super::CompileError;

/// Left and right `~` of one tag.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Strip {
    pub open: bool,
    pub close: bool,
}

#[derive(Debug)]
pub(super) struct Program {
    pub body: Vec<Node>,
    pub block_params: Vec<String>,
    /// An `{{else if ...}}` chain: the program holds one block.
    pub chained: bool,
}

#[derive(Debug)]
pub(super) struct Content {
    pub original: String,
    pub value: String,
    pub left_stripped: bool,
    pub right_stripped: bool,
}

#[derive(Debug)]
pub(super) enum Node {
    Content(Content),
    Comment(Strip),
    Mustache {
        call: Call,
        escaped: bool,
        strip: Strip,
    },
    Block(Box<Block>),
    /// `{{> name}}`: Cal.com registers no partials, so rendering one throws.
    Partial(Strip),
}

#[derive(Debug)]
pub(super) struct Block {
    pub call: Call,
    pub program: Option<Program>,
    pub inverse: Option<Program>,
    pub open_strip: Strip,
    pub inverse_strip: Option<Strip>,
    pub close_strip: Strip,
    /// `{{#> partial}}fallback{{/partial}}`: renders its fallback.
    pub partial_block: bool,
}

/// A helper name (or path) with its parameters: a mustache, a block opener or `( ... )`.
#[derive(Debug)]
pub(super) struct Call {
    pub head: Expr,
    pub params: Vec<Expr>,
    pub hash: Vec<(String, Expr)>,
}

#[derive(Debug)]
pub(super) enum Expr {
    Path(Path),
    Sub(Box<Call>),
    String(String),
    Number(f64),
    Boolean(bool),
    Undefined,
    Null,
}

#[derive(Clone, Debug)]
pub(super) struct Path {
    pub data: bool,
    pub depth: usize,
    pub parts: Vec<String>,
    pub original: String,
    /// Starts with `.` or `this`: never a helper.
    pub scoped: bool,
}

impl Path {
    /// One part, not scoped, no `../`: a name that may be a helper.
    pub fn is_simple(&self) -> bool {
        self.parts.len() == 1 && !self.scoped && self.depth == 0
    }
}

pub(super) fn parse(tokens: Vec<Token>) -> Result<Program, CompileError> {
    let mut parser = Parser { tokens, at: 0 };
    let program = parser.program(Vec::new())?;
    if parser.at < parser.tokens.len() {
        return Err(parser.unexpected());
    }
    Ok(program)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

struct Opener {
    call: Call,
    block_params: Vec<String>,
    strip: Strip,
}

enum Ending {
    /// `{{else}}` / `{{^}}` and the program after it.
    Inverse(Strip, Program),
    /// `{{else name ...}}` and the chained block.
    Chain(Strip, Box<Block>),
    None,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn unexpected(&self) -> CompileError {
        CompileError(format!(
            "Parse error: unexpected {}",
            self.peek()
                .map_or("end of template".to_owned(), |token| format!("{token:?}"))
        ))
    }

    fn program(&mut self, block_params: Vec<String>) -> Result<Program, CompileError> {
        let mut body = Vec::new();
        while let Some(token) = self.peek() {
            match token {
                Token::Content(text) => {
                    body.push(Node::Content(Content {
                        original: text.clone(),
                        value: text.clone(),
                        left_stripped: false,
                        right_stripped: false,
                    }));
                    self.at += 1;
                }
                Token::Comment {
                    strip_open,
                    strip_close,
                } => {
                    body.push(Node::Comment(Strip {
                        open: *strip_open,
                        close: *strip_close,
                    }));
                    self.at += 1;
                }
                Token::Open { kind, strip } => {
                    let (kind, strip) = (*kind, *strip);
                    match kind {
                        Open::Mustache { .. } | Open::Unescaped => {
                            self.at += 1;
                            body.push(self.mustache(kind, strip)?);
                        }
                        Open::Block | Open::InverseBlock | Open::PartialBlock => {
                            self.at += 1;
                            body.push(Node::Block(Box::new(self.block(kind, strip)?)));
                        }
                        Open::Partial => {
                            self.at += 1;
                            self.call()?;
                            let close = self.close()?;
                            body.push(Node::Partial(Strip { open: strip, close }));
                        }
                        Open::EndBlock | Open::InverseChain => break,
                        Open::Unsupported => {
                            return Err(CompileError(
                                "decorators and raw blocks are not supported".into(),
                            ))
                        }
                    }
                }
                Token::Inverse { .. } => break,
                _ => return Err(self.unexpected()),
            }
        }
        Ok(Program {
            body,
            block_params,
            chained: false,
        })
    }

    fn mustache(&mut self, kind: Open, strip: bool) -> Result<Node, CompileError> {
        let call = self.call()?;
        let (escaped, close) = match kind {
            Open::Unescaped => match self.next() {
                Some(Token::CloseUnescaped { strip }) => (false, strip),
                _ => return Err(self.unexpected_previous()),
            },
            Open::Mustache { unescaped } => (!unescaped, self.close()?),
            _ => unreachable!("only mustache openers reach here"),
        };
        Ok(Node::Mustache {
            call,
            escaped,
            strip: Strip { open: strip, close },
        })
    }

    fn unexpected_previous(&mut self) -> CompileError {
        self.at -= 1;
        self.unexpected()
    }

    fn close(&mut self) -> Result<bool, CompileError> {
        match self.next() {
            Some(Token::Close { strip }) => Ok(strip),
            _ => Err(self.unexpected_previous()),
        }
    }

    fn opener(&mut self, strip: bool) -> Result<Opener, CompileError> {
        let call = self.call()?;
        let mut block_params = Vec::new();
        if self.peek() == Some(&Token::OpenBlockParams) {
            self.at += 1;
            while let Some(Token::Id { name, .. }) = self.peek() {
                block_params.push(name.clone());
                self.at += 1;
            }
            if block_params.is_empty() || self.next() != Some(Token::CloseBlockParams) {
                return Err(self.unexpected_previous());
            }
        }
        let close = self.close()?;
        Ok(Opener {
            call,
            block_params,
            strip: Strip { open: strip, close },
        })
    }

    /// What may follow a block's program: `{{else}}`/`{{^}}` and a program, an
    /// `{{else name ...}}` chain, or nothing.
    fn ending(&mut self) -> Result<Ending, CompileError> {
        Ok(match self.peek() {
            Some(Token::Inverse {
                strip_open,
                strip_close,
            }) => {
                let strip = Strip {
                    open: *strip_open,
                    close: *strip_close,
                };
                self.at += 1;
                Ending::Inverse(strip, self.program(Vec::new())?)
            }
            Some(Token::Open {
                kind: Open::InverseChain,
                strip,
            }) => {
                let strip = *strip;
                self.at += 1;
                let chained = self.chain(strip)?;
                Ending::Chain(chained.open_strip, Box::new(chained))
            }
            _ => Ending::None,
        })
    }

    fn block(&mut self, kind: Open, strip: bool) -> Result<Block, CompileError> {
        let opener = self.opener(strip)?;
        let program = self.program(opener.block_params.clone())?;
        let ending = self.ending()?;
        let close_strip = self.end_block(&opener.call)?;
        let (inverse_strip, inverse) = match ending {
            Ending::Chain(strip, mut chained) => {
                chained.close_strip = close_strip;
                (Some(strip), Some(chained_program(chained)))
            }
            Ending::Inverse(strip, program) => (Some(strip), Some(program)),
            Ending::None => (None, None),
        };
        let (program, inverse) = if kind == Open::InverseBlock {
            (inverse, Some(program))
        } else {
            (Some(program), inverse)
        };
        Ok(Block {
            call: opener.call,
            program,
            inverse,
            open_strip: opener.strip,
            inverse_strip,
            close_strip,
            partial_block: kind == Open::PartialBlock,
        })
    }

    /// `{{else name ...}} program [chain | {{else}} program]`, up to (not including)
    /// the enclosing block's close. As in Handlebars.js, a level's close strip is the strip
    /// of what follows it (its own opener's when nothing does).
    fn chain(&mut self, strip: bool) -> Result<Block, CompileError> {
        let opener = self.opener(strip)?;
        let program = self.program(opener.block_params.clone())?;
        let (inverse_strip, inverse, close_strip) = match self.ending()? {
            Ending::Inverse(strip, program) => (Some(strip), Some(program), strip),
            Ending::Chain(strip, chained) => (Some(strip), Some(chained_program(chained)), strip),
            Ending::None => (None, None, opener.strip),
        };
        Ok(Block {
            call: opener.call,
            program: Some(program),
            inverse,
            open_strip: opener.strip,
            inverse_strip,
            close_strip,
            partial_block: false,
        })
    }

    fn end_block(&mut self, open: &Call) -> Result<Strip, CompileError> {
        let Some(Token::Open {
            kind: Open::EndBlock,
            strip,
        }) = self.next()
        else {
            return Err(self.unexpected_previous());
        };
        let head = self.expr_head()?;
        let close = self.close()?;
        let (opened, closed) = (original(&open.head), original(&head));
        if opened != closed {
            return Err(CompileError(format!(
                "{} doesn't match {}",
                opened.1, closed.1
            )));
        }
        Ok(Strip { open: strip, close })
    }

    /// `helperName param* hash?`.
    fn call(&mut self) -> Result<Call, CompileError> {
        let head = self.expr_head()?;
        let mut params = Vec::new();
        let mut hash = Vec::new();
        loop {
            match (self.peek(), self.tokens.get(self.at + 1)) {
                (Some(Token::Id { name, .. }), Some(Token::Equals)) => {
                    let name = name.clone();
                    self.at += 2;
                    let value = self.param()?;
                    hash.push((name, value));
                }
                _ if !hash.is_empty() => break,
                (
                    Some(
                        Token::Id { .. }
                        | Token::Data
                        | Token::String(_)
                        | Token::Number(_)
                        | Token::Boolean(_)
                        | Token::Undefined
                        | Token::Null
                        | Token::OpenSexpr,
                    ),
                    _,
                ) => params.push(self.param()?),
                _ => break,
            }
        }
        Ok(Call { head, params, hash })
    }

    fn param(&mut self) -> Result<Expr, CompileError> {
        if self.peek() == Some(&Token::OpenSexpr) {
            self.at += 1;
            let call = self.call()?;
            if self.next() != Some(Token::CloseSexpr) {
                return Err(self.unexpected_previous());
            }
            return Ok(Expr::Sub(Box::new(call)));
        }
        self.expr_head()
    }

    /// `helperName`: a path, `@data`, or a literal.
    fn expr_head(&mut self) -> Result<Expr, CompileError> {
        Ok(match self.next() {
            Some(Token::String(text)) => Expr::String(text),
            Some(Token::Number(number)) => Expr::Number(number),
            Some(Token::Boolean(flag)) => Expr::Boolean(flag),
            Some(Token::Undefined) => Expr::Undefined,
            Some(Token::Null) => Expr::Null,
            Some(Token::Data) => Expr::Path(self.path(true)?),
            Some(Token::Id { .. }) => {
                self.at -= 1;
                Expr::Path(self.path(false)?)
            }
            _ => return Err(self.unexpected_previous()),
        })
    }

    /// `ID (SEP ID)*`, then `preparePath`.
    fn path(&mut self, data: bool) -> Result<Path, CompileError> {
        let mut segments = Vec::new();
        let mut separator = None;
        loop {
            match self.next() {
                Some(Token::Id { name, literal }) => segments.push((separator, name, literal)),
                _ => return Err(self.unexpected_previous()),
            }
            match self.peek() {
                Some(&Token::Separator(character)) => {
                    separator = Some(character);
                    self.at += 1;
                }
                _ => break,
            }
        }
        let mut original = if data { "@".to_owned() } else { String::new() };
        let mut parts = Vec::new();
        let mut depth = 0;
        for (separator, name, literal) in &segments {
            original.extend(*separator);
            original.push_str(name);
            if !literal && (name == ".." || name == "." || name == "this") {
                if !parts.is_empty() {
                    return Err(CompileError(format!("Invalid path: {original}")));
                }
                if name == ".." {
                    depth += 1;
                }
            } else {
                parts.push(name.clone());
            }
        }
        // `/^\.|this\b/`: note the `this` is not anchored.
        let scoped = original.starts_with('.')
            || original.match_indices("this").any(|(at, _)| {
                original[at + 4..]
                    .chars()
                    .next()
                    .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'))
            });
        Ok(Path {
            data,
            depth,
            parts,
            original,
            scoped,
        })
    }
}

/// What `validateClose` compares: the `original` of a path or literal, with JavaScript's
/// `!==` (a path equals a string literal of the same text; a number only a number).
fn original(expr: &Expr) -> (u8, String) {
    match expr {
        Expr::Path(path) => (0, path.original.clone()),
        Expr::String(text) => (0, text.clone()),
        Expr::Number(number) => (1, crate::protocol::js_value::number_text(*number)),
        Expr::Boolean(flag) => (2, flag.to_string()),
        Expr::Undefined => (3, "undefined".into()),
        Expr::Null => (4, "null".into()),
        Expr::Sub(_) => (5, String::new()),
    }
}

/// The program an `{{else name}}` chain stands for: one block, marked chained.
fn chained_program(block: Box<Block>) -> Program {
    Program {
        body: vec![Node::Block(block)],
        block_params: Vec::new(),
        chained: true,
    }
}
